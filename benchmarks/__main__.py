"""Run every benchmark in one command and collect the reports: ``python -m benchmarks``.

Each benchmark runs in its own process (Scrapy's reactor cannot be restarted) on this machine, in
this run, with its named baseline measured beside it; the combined report goes to
``var/benchmarks/REPORT.md``. Elasticsearch: ``YUQING_ES_URL`` or the local node.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.report import environment
from yuqing import paths

# (module, report file, what it measures against which baseline)
BENCHMARKS = [
    ("benchmarks.analysis_quality", "analysis_quality", "topic/sentiment F1 vs TF-IDF + LinearSVC baselines"),
    ("benchmarks.sentiment_variants", "sentiment_variants", "sentiment recipe variants vs the shipped recipe, out-of-fold"),
    ("benchmarks.analysis_speed", "analysis_speed", "enrichment posts/s vs plain jieba.lcut"),
    ("benchmarks.events_quality", "events_quality", "event clustering purity and ARI on a labelled replay"),
    ("benchmarks.extraction_report", "extraction", "article extraction on the 62 real pages"),
    ("benchmarks.crawl_throughput", "crawl_throughput", "pages/min full pipeline vs bare Scrapy"),
    ("benchmarks.detection_latency", "detection_latency", "post-to-Slack latency with 30 s polling"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", nargs="*", metavar="NAME", help="Run only these (e.g. analysis_speed).")
    args = parser.parse_args(argv)
    chosen = [b for b in BENCHMARKS if not args.only or b[1] in args.only or b[0].split(".")[1] in args.only]
    out_dir = paths.state_dir() / "benchmarks"
    sections = [f"# yuqing benchmarks\n\n{environment()}\n"]
    failed = []
    for module, report, what in chosen:
        print(f"== {module}: {what}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", module], cwd=Path(__file__).resolve().parent.parent)
        seconds = time.monotonic() - started
        path = out_dir / f"{report}.md"
        if result.returncode != 0 or not path.exists():
            failed.append(module)
            sections.append(f"## {module}\n\nFAILED (exit {result.returncode}) after {seconds:.0f} s\n")
            continue
        body = path.read_text(encoding="utf-8").split("\n", 1)[1]
        sections.append(f"## {what}\n\n(`python -m {module}`, {seconds:.0f} s)\n{body}")
    combined = out_dir / "REPORT.md"
    combined.write_text("\n".join(sections), encoding="utf-8")
    print(f"\ncombined report: {combined}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
