"""Source health: a source that fails or finds nothing for longer than its interval records an event."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawler.demo_web import DemoWeb
from crawler.health import source_health
from crawler.state import CrawlState, RunResult
from tests.crawler.conftest import REPO, CrawlEnv, demo_sources
from yuqing.settings import load_config

T0 = datetime(2026, 5, 12, 8, 0, tzinfo=UTC)


def run(at: datetime, parsed: int = 5, errors: int = 0, fetched_ok: int = 1) -> RunResult:
    return RunResult(
        started_at=at,
        finished_at=at + timedelta(seconds=30),
        finish_reason="finished",
        parsed=parsed,
        new_items=parsed,
        errors=errors,
        fetched_ok=fetched_ok,
        last_error="HTTP 503 (http://example/)" if errors else None,
    )


def test_a_failing_source_opens_an_event_after_its_interval_and_closes_it_when_it_works(
    tmp_path: Path,
) -> None:
    state = CrawlState(tmp_path / "state.db")
    assert state.finish_run("s", run(T0), interval_minutes=30) == []
    assert state.finish_run("s", run(T0 + timedelta(minutes=10), 0, 3, 0), 30) == [], (
        "one bad run within the interval"
    )
    events = state.finish_run("s", run(T0 + timedelta(minutes=40), 0, 3, 0), 30)
    assert [e.kind for e in events] == ["failing"] and "HTTP 503" in events[0].detail
    assert state.finish_run("s", run(T0 + timedelta(minutes=50), 0, 3, 0), 30) == [], "still the same event"
    state.finish_run("s", run(T0 + timedelta(minutes=60)), 30)
    assert state.events("s", open_only=True) == []
    assert state.events("s")[0].resolved_at is not None
    restarted = CrawlState(tmp_path / "state.db").source_state("s")
    assert restarted is not None and restarted.runs == 5 and restarted.errors_total == 9


def test_a_source_whose_pages_yield_nothing_is_silent(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "state.db")
    state.finish_run("s", run(T0), 5)
    assert state.finish_run("s", run(T0 + timedelta(minutes=2), parsed=0), 5) == []
    events = state.finish_run("s", run(T0 + timedelta(minutes=6), parsed=0), 5)
    assert [e.kind for e in events] == ["silent"]


@pytest.mark.es
def test_crawls_of_a_dead_and_an_empty_source_are_reported_unhealthy(
    demo_web: DemoWeb, crawl_env: CrawlEnv
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    news = next(s for s in demo_sources(demo_web.url) if s["name"] == "demo_news")
    dead = {**news, "name": "dead_news", "start_urls": [f"http://127.0.0.1:{dead_port}/news/"]}
    empty = {**news, "name": "empty_news", "link_selector": "a.no-such-link::attr(href)"}
    crawl_env.set_sources([news, dead, empty])
    result = crawl_env.crawl("dead_news", "empty_news", "demo_news", settings={"RETRY_TIMES": 1})
    assert result.returncode == 1, result.stderr[-2000:]  # one source could not be reached: the crawl says so
    assert [r["source"] for r in result.report["sources"] if r["unreachable"]] == ["dead_news"]
    assert "source health: dead_news is failing" in result.stderr
    assert "source health: empty_news is silent" in result.stderr
    assert {d["source"] for d in crawl_env.docs()} == {"demo_news"}, "an unhealthy source indexes nothing"

    config = load_config(crawl_env.config_dir)
    health = {h.source: h for h in source_health(config, state_path=crawl_env.home / "crawler" / "state.db")}
    assert (
        health["dead_news"].status == "failing" and "Connection" in health["dead_news"].open_events[0].detail
    )
    assert health["empty_news"].status == "silent"
    assert health["demo_news"].status == "ok" and health["demo_news"].items_total == 14

    shown = subprocess.run(
        [sys.executable, "-m", "yuqing.cli", "crawl", "--health", "--json"],
        cwd=REPO,
        env=crawl_env.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    statuses = {h["source"]: h["status"] for h in json.loads(shown.stdout)}
    assert statuses == {"dead_news": "failing", "empty_news": "silent", "demo_news": "ok"}
    text = subprocess.run([sys.executable, "-m", "yuqing.cli", "crawl", "--health"], cwd=REPO, env=crawl_env.env(),
                          capture_output=True, text=True, timeout=60).stdout
    finished = health["demo_news"].last_run_finished
    assert finished is not None and finished.tzinfo == config.settings.tz()  # stored in UTC, shown in the zone
    assert f"last run {finished:%Y-%m-%d %H:%M}" in text


def test_health_shows_its_times_in_the_configured_zone_and_says_which(tmp_path: Path) -> None:
    """`crawl --health --json` and a health event's text ("last success: …") gave UTC beside the local times of
    every other view, and the text output did not say which zone its times were in."""
    from click.testing import CliRunner

    from yuqing.cli import main

    zone = ZoneInfo("Asia/Shanghai")  # config/settings.yaml's timezone
    state = CrawlState(tmp_path / "crawler" / "state.db")
    state.finish_run("demo_news", run(T0.astimezone(zone)), interval_minutes=5)
    state.finish_run("demo_news", run((T0 + timedelta(minutes=10)).astimezone(zone), 0, 3, 0), interval_minutes=5)
    state.close()
    env = {"YUQING_HOME": str(tmp_path)}
    text = CliRunner().invoke(main, ["crawl", "--health"], env=env)
    assert text.exit_code == 0, text.output
    assert text.output.startswith("times in Asia/Shanghai\n")
    assert "failing   last run 2026-05-12 16:10" in text.output  # T0 + 10 min 30 s is 08:10 UTC
    assert "failing since 2026-05-12 16:10: 3 error(s)" in text.output
    assert "last success: 2026-05-12 16:00" in text.output
    shown = CliRunner().invoke(main, ["crawl", "--health", "--json"], env=env)
    news = next(h for h in json.loads(shown.output) if h["source"] == "demo_news")
    assert news["last_run_finished"] == news["open_events"][0]["at"] == "2026-05-12T16:10:30+08:00"
    assert news["last_ok_at"] == "2026-05-12T16:00:30+08:00"


def test_a_state_file_that_is_no_database_is_named_with_the_way_on(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from yuqing.cli import main

    (tmp_path / "crawler").mkdir()
    (tmp_path / "crawler" / "state.db").write_text("garbage\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["crawl", "--health"], env={"YUQING_HOME": str(tmp_path)})
    assert result.exit_code == 1, result.output
    assert f"the crawler's state file {tmp_path / 'crawler' / 'state.db'} cannot be used" in result.output
    assert "move it aside" in result.output and "Traceback" not in result.output


def test_health_in_a_sandbox_is_judged_by_the_sandboxs_clock_as_its_dashboard_does(tmp_path: Path) -> None:
    """Right after `yuqing demo` (its clock left 50 h ahead), `--sandbox demo crawl --health` said every source was
    ok on the real clock, while the sandbox's /sources, on its clock, showed all five 逾期未采集."""
    from click.testing import CliRunner

    from alerts.cases import record_simulated_run_end
    from yuqing.cli import main
    from yuqing.db.session import Database

    sandboxed = {"YUQING_HOME": str(tmp_path), "YUQING_SANDBOX": "trial"}
    home = tmp_path / "sandboxes" / "trial"
    real = datetime.now(UTC)
    state = CrawlState(home / "crawler" / "state.db")
    state.finish_run("demo_news", run(real - timedelta(minutes=1)), interval_minutes=5)
    state.close()
    on_real_time = CliRunner().invoke(main, ["crawl", "--health", "--json"], env=sandboxed)
    assert on_real_time.exit_code == 0, on_real_time.output
    assert {h["source"]: h["status"] for h in json.loads(on_real_time.output)}["demo_news"] == "ok"
    assert not (home / "yuqing.db").exists(), "a sandbox no simulated run used is asked nothing, and no database made"

    assert CliRunner().invoke(main, ["db", "upgrade"], env=sandboxed).exit_code == 0
    database = Database(f"sqlite:///{home / 'yuqing.db'}")
    try:
        with database.transaction() as session:
            record_simulated_run_end(session, started=real, ended=real + timedelta(hours=50), real=real, by="yuqing demo")
    finally:
        database.dispose()
    shown = CliRunner().invoke(main, ["crawl", "--health", "--json"], env=sandboxed)
    assert shown.exit_code == 0, shown.output
    assert {h["source"]: h["status"] for h in json.loads(shown.output)}["demo_news"] == "overdue"
    text = CliRunner().invoke(main, ["crawl", "--health"], env=sandboxed)
    assert text.output.startswith("times in Asia/Shanghai; judged at "), text.output
    assert "the clock of the sandbox 'trial'" in text.output
    assert "demo_news            overdue" in text.output
