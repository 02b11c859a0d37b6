"""Crawl throughput: pages per minute through the full pipeline, beside bare Scrapy fetching the same pages.

``python -m benchmarks.crawl_throughput [--pages 300] [--repeat 3]`` serves the demo web with that many
generated articles (in its own process), crawls it with ``yuqing crawl`` (extraction, de-duplication,
analysis, bulk writes to Elasticsearch) and with a bare Scrapy spider that follows the same links and does
nothing with the pages. Both use the same politeness settings (robots.txt on, AutoThrottle off, the same
concurrency) and are timed by Scrapy's own ``elapsed_time_seconds``. A crawl of a few hundred local pages
takes seconds, so one run swings widely with whatever else the machine does: the runs are repeated,
interleaved, and the figure is the median of the repetitions' full/bare ratios (goal ≥ 0.5), shown with
their range. Elasticsearch: ``YUQING_ES_URL``, else the local
node if it answers, else a node started for the run. Writes var/benchmarks/crawl_throughput.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from yuqing import paths

REPO = paths.REPO_ROOT
CONCURRENCY = 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _elasticsearch() -> tuple[str, Any]:
    """(url, node to stop afterwards or None)."""
    from yuqing.es.client import es_url
    from yuqing.es.node import LocalNode
    from yuqing.settings import load_config

    settings = load_config().settings.elasticsearch
    url = es_url(settings)
    try:
        _wait_http(f"{url}/_cluster/health", timeout=3)
        return url, None
    except RuntimeError:
        pass
    home = Path(tempfile.mkdtemp(prefix="yuqing-bench-es-"))
    os.chmod(home, 0o755)
    port = _free_port()
    node = LocalNode(settings, home=home, port=port)
    print(f"starting a local Elasticsearch node on port {port} for the benchmark ...", file=sys.stderr)
    node.start()
    return node.url, node


# ----------------------------------------------------------------------------- bare Scrapy


def bare_worker(start_url: str, max_pages: int) -> None:
    """A Scrapy spider that follows the demo's list pages and article links and keeps nothing."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self) -> Any:
            yield scrapy.Request(start_url, meta={"page": 1})

        def parse(self, response: Any) -> Any:
            for href in response.css("a.article-link::attr(href)").getall():
                yield response.follow(href, callback=self.article)
            following = response.css("a.next::attr(href)").get()
            if following and response.meta["page"] < max_pages:
                yield response.follow(following, meta={"page": response.meta["page"] + 1})

        def article(self, response: Any) -> None:
            return None

    stats: dict[str, Any] = {}

    def closed(spider: Any, reason: str) -> None:
        stats.update(process_crawler.stats.get_stats())

    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": True,
            "AUTOTHROTTLE_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
            "TELNETCONSOLE_ENABLED": False,
            "USER_AGENT": "yuqing-benchmark",
        }
    )
    process_crawler = process.create_crawler(Bare)
    from scrapy import signals

    process_crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(process_crawler)
    process.start()
    stats.update(process_crawler.stats.get_stats())
    print(
        json.dumps(
            {
                "pages": stats.get("response_received_count", 0),
                "seconds": stats.get("elapsed_time_seconds", 0.0),
            }
        )
    )


# ----------------------------------------------------------------------------- the benchmark


def _full_run(base: str, es_url: str, source: dict[str, Any], prefix: str, home: Path) -> dict[str, Any]:
    config_dir = home / "config"
    config_dir.mkdir(parents=True)
    for path in (REPO / "config").glob("*.yaml"):
        shutil.copy(path, config_dir / path.name)
    (config_dir / "sources.yaml").write_text(
        yaml.safe_dump({"version": 1, "sources": [source]}, allow_unicode=True), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env.update(YUQING_HOME=str(home / "state"), YUQING_CONFIG_DIR=str(config_dir), YUQING_ES_URL=es_url)
    if os.environ.get("YUQING_PSEUDONYM_KEY"):
        env["YUQING_PSEUDONYM_KEY"] = os.environ["YUQING_PSEUDONYM_KEY"]
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "yuqing.cli",
            "crawl",
            source["name"],
            "--json",
            "-s",
            f"YUQING_INDEX_PREFIX={prefix}",
            "-s",
            "AUTOTHROTTLE_ENABLED=0",
            "-s",
            f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENCY}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the full-pipeline crawl failed:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    stats = report["sources"][0]["stats"]
    return {
        "pages": stats.get("response_received_count", 0),
        "seconds": stats.get("elapsed_time_seconds", 0.0),
        "indexed": report["indexed"],
        "spooled": report["spooled"],
        "wall": time.monotonic() - started,
    }


def _bare_run(base: str, max_pages: int) -> dict[str, Any]:
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.crawl_throughput",
            "--bare-worker",
            f"{base}/news/",
            "--max-pages",
            str(max_pages),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the bare Scrapy crawl failed:\n{done.stderr[-3000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "wall": time.monotonic() - started}


def _per_minute(run: dict[str, Any]) -> float:
    return run["pages"] / run["seconds"] * 60 if run["seconds"] else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="generated articles on the demo web")
    parser.add_argument("--bare-worker", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--max-pages", type=int, default=100, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions of the three crawls")
    args = parser.parse_args(argv)
    if args.bare_worker:
        bare_worker(args.bare_worker, args.max_pages)
        return 0

    port = _free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "crawler.demo_web", "--port", str(port), "--pages", str(args.pages)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    es_url, node = None, None
    work = Path(tempfile.mkdtemp(prefix="yuqing-bench-"))
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    try:
        _wait_http(f"{base}/robots.txt")
        es_url, node = _elasticsearch()
        from crawler.demo_web.content import NEWS

        articles = len(NEWS) + args.pages
        max_pages = articles // 20 + 2
        configured = yaml.safe_load((REPO / "config" / "sources.yaml").read_text(encoding="utf-8"))["sources"]
        source = next(s for s in configured if s["name"] == "demo_news")
        source = {**source, "start_urls": [f"{base}/news/"], "max_pages": max_pages}
        generic = {k: v for k, v in source.items() if k != "selectors"} | {"name": "demo_news_generic"}
        runs: dict[str, list[dict[str, Any]]] = {"bare": [], "full": [], "generic": []}
        for i in range(args.repeat):
            runs["bare"].append(_bare_run(base, max_pages))
            runs["full"].append(_full_run(base, es_url, source, f"{prefix}f{i}", work / f"full{i}"))
            runs["generic"].append(_full_run(base, es_url, generic, f"{prefix}g{i}", work / f"generic{i}"))
    finally:
        web.terminate()
        web.wait(timeout=10)
        if es_url:
            from elasticsearch import Elasticsearch

            from yuqing.es.indices import IndexLayout

            client = Elasticsearch(es_url, request_timeout=30)
            for i in range(args.repeat):
                for name in (f"{prefix}f{i}", f"{prefix}g{i}"):
                    IndexLayout(name).delete_all(client)
        if node is not None:
            node.stop()
            shutil.rmtree(node.home, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    def ratios(kind: str) -> list[float]:
        return sorted(_per_minute(r) / _per_minute(b) if _per_minute(b) else 0.0
                      for r, b in zip(runs[kind], runs["bare"], strict=True))

    def row(name: str, kind: str) -> str:
        best = max(runs[kind], key=_per_minute)
        if kind == "bare":
            figure, indexed = "1.00", "–"
        else:
            values = ratios(kind)
            median = statistics.median(values)
            figure = f"{median:.2f} ({values[0]:.2f}–{values[-1]:.2f})"
            figure = f"**{figure}**" if kind == "full" else figure
            indexed = str(best["indexed"])
        return (f"| {name} | {best['pages']} | {best['seconds']:.1f} | {_per_minute(best):.0f} | {indexed} | "
                f"{figure} | {best['wall']:.1f} |")

    ratio = statistics.median(ratios("full"))
    lines = [
        "# Crawl throughput",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPU(s); demo web with "
        f"{articles} articles ({args.pages} generated) in its own process; robots.txt obeyed, AutoThrottle off, "
        f"{CONCURRENCY} concurrent requests per domain; Elasticsearch at {es_url}; {args.repeat} interleaved "
        "repetitions (seconds and pages/min: the fastest run; ratio: the median of the repetitions' ratios, "
        "with their range).",
        "",
        "| run | pages | crawl seconds | pages/min | posts indexed | ratio to bare | process wall s |",
        "|---|---:|---:|---:|---:|---:|---:|",
        row("bare Scrapy (fetch and follow links only)", "bare"),
        row("full pipeline, site selectors (demo_news)", "full"),
        row("full pipeline, generic extraction (no selectors)", "generic"),
        "",
        f"Figure: full pipeline / bare Scrapy = **{ratio:.2f}** (goal ≥ 0.5) "
        f"{'— met' if ratio >= 0.5 else '— NOT met'}.",
        "",
        "The full pipeline extracts each article, checks it against the crawler's state, enriches it with "
        "analysis (de-identification, tokens, topic, sentiment, near-duplicates) and bulk-writes it to "
        "Elasticsearch. Crawl seconds are Scrapy's `elapsed_time_seconds` (spider open to close); the "
        "analysis models and the tokenizer's dictionary load once per process before the spider opens, so that "
        "start-up cost shows only in the process wall time (which also counts Python and Scrapy start-up).",
        "",
    ]
    report = "\n".join(lines)
    out = paths.state_dir() / "benchmarks" / "crawl_throughput.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(report)
    print(f"(written to {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
