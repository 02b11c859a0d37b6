"""Detection latency: from a post appearing on a polled local source to the Slack emulator receiving its alert.

One round: the local demo web releases the first post of two incidents (the A3 school canteen, the A5
scaffold collapse) at set moments; ``yuqing run`` polls the Weibo-shaped source every ``--poll-seconds``
(30 by default), enriches and indexes, clusters, evaluates the rules, opens the cases and sends the alerts
through slack-sdk to the Slack Web API emulator. The latency of an incident is the emulator's arrival
time of the first alert about it minus the moment its post appeared. Rounds release at different
phases of the polling cycle. Goal: p95 ≤ 45 s with 30 s polling.

    python benchmarks/detection_latency.py [--rounds 2] [--poll-seconds 30] [--out FILE]

Needs Elasticsearch (``YUQING_ES_URL``, default http://127.0.0.1:9200). Everything else is local and
temporary: a config copy with its own index prefix, a SQLite database and a state folder per round.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.report import table, write_report  # noqa: E402
from crawler.demo_web import DemoWeb  # noqa: E402
from crawler.demo_web.server import Scenario  # noqa: E402
from tests.support.slack_emulator import DEFAULT_TOKEN, SlackEmulator  # noqa: E402
from yuqing.es.indices import IndexLayout  # noqa: E402


@dataclass(frozen=True)
class Incident:
    name: str
    post_id: str  # the demo web's Weibo id of the post that reveals it
    words: tuple[str, ...]  # words of its alert's text that tell it from the other


INCIDENTS = (
    Incident("school canteen (A3区)", "4990000000000002", ("食物中毒", "实验小学", "食堂")),
    Incident("scaffold collapse (A5区)", "4990000000000010", ("脚手架", "坍塌", "工地")),
)
# Posts of the same stories, released well after the measured ones so they do not count.
FOLLOW_UPS = ("4990000000000001", "4990000000000003", "4990000000000004", "4990000000000005", "4990000000000006",
              "4990000000000009")
START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def deployment(workdir: Path, web_port: int, slack_url: str, poll_s: float) -> dict[str, str]:
    """A config copy that polls only the demo Weibo source and sends Slack to the emulator."""
    config_dir = workdir / "config"
    shutil.copytree(REPO / "config", config_dir)
    settings = yaml.safe_load((config_dir / "settings.yaml").read_text(encoding="utf-8"))
    settings["elasticsearch"]["index_prefix"] = f"bench{uuid.uuid4().hex[:8]}"
    settings["notifications"]["slack"]["base_url"] = slack_url
    (config_dir / "settings.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    sources = yaml.safe_load((config_dir / "sources.yaml").read_text(encoding="utf-8"))
    for source in sources["sources"]:
        source["enabled"] = source["name"] == "demo_weibo"
        source["start_urls"] = [u.replace("127.0.0.1:8700", f"127.0.0.1:{web_port}") for u in source["start_urls"]]
        if source["name"] == "demo_weibo":
            source["interval_minutes"] = poll_s / 60
    (config_dir / "sources.yaml").write_text(yaml.safe_dump(sources, allow_unicode=True), encoding="utf-8")
    home = workdir / "home"
    home.mkdir()
    return {"YUQING_CONFIG_DIR": str(config_dir), "YUQING_HOME": str(home),
            "YUQING_DATABASE_URL": f"sqlite:///{workdir / 'yuqing.db'}", "YUQING_SLACK_TOKEN": DEFAULT_TOKEN,
            "YUQING_ES_URL": os.environ.get("YUQING_ES_URL", "http://127.0.0.1:9200"),
            "YUQING_SLACK_SIGNING_SECRET": "benchmark"}


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise RuntimeError(f"`yuqing run` exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    raise RuntimeError(f"`yuqing run` did not say {text!r} within {timeout:.0f} s")


def first_alerts(slack: SlackEmulator) -> dict[str, float]:
    """When the emulator first received an alert about each incident (epoch seconds)."""
    found: dict[str, float] = {}
    with slack.lock:
        posts = list(slack.posts)
    for message in posts:
        key = ((message.get("metadata") or {}).get("event_payload") or {}).get("idempotency_key", "")
        if not key.startswith("alert:"):
            continue
        text = json.dumps([message.get("text"), message.get("blocks")], ensure_ascii=False)
        for incident in INCIDENTS:
            if incident.name not in found and any(word in text for word in incident.words):
                found[incident.name] = float(message["ts"])
    return found


def run_round(number: int, poll_s: float, offsets: tuple[float, float], timeout: float) -> list[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"yuqing-latency-{number}-"))
    slack = SlackEmulator().start()
    web_port = free_port()
    env = deployment(workdir, web_port, slack.api_url, poll_s)
    log = workdir / "run.log"
    command = [sys.executable, "-m", "yuqing.cli", "run", "--evaluate-seconds", "15", "--tick-seconds", "15",
               "--outbox-seconds", "1"]
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=REPO, stdout=log.open("ab"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    web = None
    try:
        wait_for_line(log, "yuqing is running", process, START_TIMEOUT_S)
        releases = {incident.post_id: offset for incident, offset in zip(INCIDENTS, offsets, strict=True)}
        later = max(offsets) + timeout
        releases.update({post_id: later for post_id in FOLLOW_UPS})
        web = DemoWeb(port=web_port, scenario=Scenario(f"latency-{number}", releases))
        threading.Thread(target=web.serve_forever, daemon=True).start()
        t0 = web.site.t0.timestamp()
        appeared = {incident.name: t0 + offset for incident, offset in zip(INCIDENTS, offsets, strict=True)}
        deadline = time.monotonic() + max(offsets) + timeout
        while time.monotonic() < deadline:
            if len(first_alerts(slack)) == len(INCIDENTS):
                break
            time.sleep(0.2)
        alerts = first_alerts(slack)
    finally:
        if process.poll() is None:  # `yuqing run` may have stopped on its own (it says why in run.log)
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if web is not None:
            web.stop()
        slack.stop()
        _drop_indices(env)
    rows = []
    for incident in INCIDENTS:
        arrived = alerts.get(incident.name)
        rows.append({"round": number, "incident": incident.name, "appeared_at": _iso(appeared[incident.name]),
                     "alerted_at": _iso(arrived) if arrived else None,
                     "latency_s": round(arrived - appeared[incident.name], 2) if arrived else None})
    if any(r["latency_s"] is None for r in rows):
        rows[0]["log_tail"] = log.read_text(errors="replace")[-2000:]
    shutil.rmtree(workdir, ignore_errors=True)
    return rows


def _drop_indices(env: dict[str, str]) -> None:
    from elasticsearch import Elasticsearch

    settings = yaml.safe_load(Path(env["YUQING_CONFIG_DIR"], "settings.yaml").read_text(encoding="utf-8"))
    IndexLayout(settings["elasticsearch"]["index_prefix"]).delete_all(Elasticsearch(env["YUQING_ES_URL"]))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (with a handful of samples, p95 is the largest)."""
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[rank - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--poll-seconds", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=120.0, help="Seconds to wait for an alert after a release.")
    parser.add_argument("--out", type=Path, default=None, help="Write the report as JSON here.")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for number in range(1, args.rounds + 1):
        # Each round shifts the releases through the polling cycle.
        shift = (number - 1) * args.poll_seconds / max(args.rounds, 1)
        offsets = (10 + shift, 10 + shift + 1.5 * args.poll_seconds)
        rows += run_round(number, args.poll_seconds, offsets, args.timeout)
    latencies = [r["latency_s"] for r in rows if r["latency_s"] is not None]
    p50 = round(statistics.median(latencies), 1) if latencies else None
    missed = len(rows) - len(latencies)
    report = {"benchmark": "detection_latency", "poll_seconds": args.poll_seconds, "samples": len(latencies),
              "missed": missed, "p50_s": p50,
              "p95_s": percentile(latencies, 95) if latencies else None, "goal_p95_s": 45.0, "rows": rows}
    summary = (f"Detection latency with {args.poll_seconds:g} s polling: **p50 {report['p50_s']} s, p95 "
               f"{report['p95_s']} s** over {len(latencies)} alert(s), {missed} missed (goal p95 ≤ 45 s).")
    body = "\n\n".join([
        summary,
        "From the moment a post appears on the demo web's Weibo-shaped API to the Slack Web API emulator "
        "receiving the first alert about its incident, through `yuqing run` (crawl → enrich → index → "
        "events → rules → case → outbox → slack-sdk). Command: `python benchmarks/detection_latency.py "
        f"--rounds {args.rounds} --poll-seconds {args.poll_seconds:g}`.",
        table(["round", "incident", "appeared (UTC)", "alerted (UTC)", "latency (s)"],
              [[r["round"], r["incident"], r["appeared_at"][11:19], (r["alerted_at"] or "-")[11:19],
                r["latency_s"] if r["latency_s"] is not None else "missed"] for r in rows]),
    ])
    write_report("detection_latency", "Detection latency", body)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if latencies and not missed else 1


if __name__ == "__main__":
    sys.exit(main())
