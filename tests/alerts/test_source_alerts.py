"""Sources that stop being collected are told to the press office, once per spell, by `yuqing run`'s health check:
the flatline rule needs days of posts, so with every source unreachable the dashboards looked calm and nobody heard.

The crawler's real state file (crawler.state) records the runs, crawler.health judges them, and the scheduler's job
queues the alert in the real workflow database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from alerts.escalation import Escalator
from alerts.messages import email_message, robot_markdown, slack_message
from alerts.scheduler import Runtime, job_specs, set_runtime, source_health_job
from crawler.health import SourceHealth, source_health
from crawler.state import CrawlState, RunResult
from tests.alerts.casekit import MONDAY_9AM, notifications, prepare
from yuqing.clock import ManualClock
from yuqing.db.models import Notification
from yuqing.db.session import Database
from yuqing.settings import Config

PERSONAL_URL = "http://news.a.gov.example/list?tel=13812345678"


class Sources:
    """The crawler's state file, written as the crawls of the shipped sources write it."""

    def __init__(self, path: Path, config: Config, clock: ManualClock):
        self.path, self.config, self.clock = path, config, clock
        self.state = CrawlState(path)

    def crawl(self, *, failing: set[str] = frozenset(), error: str = f"HTTP 503 ({PERSONAL_URL})",
              silent: set[str] = frozenset()) -> None:
        """Every enabled source runs now (and the disabled one too, failing: it is still not judged); a ``silent``
        source's pages come back with nothing found on them."""
        at = self.clock.now()
        for spec in self.config.sources.sources:
            fails = spec.name in failing or not spec.enabled
            found = 0 if fails or spec.name in silent else 3
            result = RunResult(started_at=at - timedelta(seconds=30), finished_at=at, finish_reason="finished",
                               parsed=found, new_items=found, errors=2 if fails else 0,
                               fetched_ok=0 if fails else 1, last_error=error if fails else None)
            self.state.finish_run(spec.name, result, spec.interval_minutes)

    def health(self, now: datetime) -> list[SourceHealth]:
        return source_health(self.config, now, self.path)

    def every_five_minutes(self, times: int, failing: set[str], silent: set[str] = frozenset()) -> None:
        """The crawls and the health check of ``times`` five-minute periods."""
        for _ in range(times):
            self.clock.advance(timedelta(minutes=5))
            self.crawl(failing=failing, silent=silent)
            source_health_job()


@pytest.fixture
def sources(config: Config, tmp_path: Path) -> Sources:
    return Sources(tmp_path / "crawler" / "state.db", config, ManualClock(MONDAY_9AM))


@pytest.fixture
def runtime(database: Database, config: Config, sources: Sources) -> Iterator[Runtime]:
    prepare(database, config)
    rt = Runtime(config, database, sources.clock, Escalator(config), source_health=sources.health)
    set_runtime(rt)
    yield rt
    set_runtime(None)


def told(database: Database) -> list[Notification]:
    return [n for n in notifications(database) if n.payload.get("rule") in ("source_down", "collection_stopped")]


def test_a_source_that_stops_working_is_told_once_a_spell_with_what_failed_and_what_to_do(
        runtime: Runtime, config: Config, sources: Sources) -> None:
    sources.crawl()  # 09:00: everything works
    assert source_health_job() == "0 source(s) not collecting, 0 told"
    sources.every_five_minutes(2, failing={"demo_news"})  # 09:05 failing, 09:10 seen for 5 minutes: not yet
    assert told(runtime.database) == []
    sources.every_five_minutes(4, failing={"demo_news"})  # 09:15 seen for 10 minutes (two intervals): told
    alerts = told(runtime.database)
    assert {(n.channel, n.recipient) for n in alerts} == {("slack", "#a-gov-office"), ("email", "office@a.gov.example")}
    payload = alerts[0].payload
    assert payload["title"] == "数据源无法采集：A市新闻网" and payload["sources"] == ["demo_news"]
    summary = payload["summary"]
    # since its last success, in the configured zone; the last error without the phone number in its URL
    assert "- A市新闻网（demo_news，新闻网站）：抓取失败，自 2026-03-02 09:00 起未能采集" in summary
    assert "HTTP 503 (http://news.a.gov.example/list?tel=138****5678)" in summary and "13812345678" not in summary
    assert "yuqing crawl --health" in summary and "采集中断" not in summary
    assert payload["links"]["case"].endswith("/sources")
    assert source_health_job() == "1 source(s) not collecting, 0 told"  # the next check knows it was told
    # the healthy sources and the disabled one (whose runs fail) are not named
    assert "demo_rss" not in summary and "demo_sitemap" not in summary

    restarted = Runtime(config, Database(runtime.database.url), runtime.clock, Escalator(config),
                        source_health=sources.health)  # a new `yuqing run`: nothing of the last one's memory
    set_runtime(restarted)
    try:
        sources.every_five_minutes(3, failing={"demo_news"})
    finally:
        restarted.database.dispose()
    assert len(told(runtime.database)) == 2, "the same spell, told again after a restart"

    sources.every_five_minutes(1, failing=set())  # it works again: the spell is over
    sources.every_five_minutes(4, failing={"demo_news"})  # and a new one begins, its own alert
    again = [n.payload["summary"] for n in told(runtime.database)[2:]]
    assert len(again) == 2 and all("自 2026-03-02 09:50 起未能采集" in s for s in again)


def test_a_new_source_whose_pages_yield_nothing_is_told_like_a_failing_one_and_its_recovery_too(
        runtime: Runtime, config: Config, sources: Sources) -> None:
    """A deployer's new site whose selector matches nothing was never told: its pages come back (not failing), and
    the flatline rule needs days of its history. A source that collected before and goes quiet is that rule's."""
    sources.crawl(silent={"demo_forum"})  # 09:00: its first crawl finds nothing
    assert source_health_job() == "1 source(s) not collecting, 0 told"
    sources.every_five_minutes(1, failing=set(), silent={"demo_forum", "demo_news"})  # 09:05: seen for 5 minutes
    assert told(runtime.database) == []
    sources.every_five_minutes(1, failing=set(), silent={"demo_forum", "demo_news"})  # 09:10: two intervals
    alerts = told(runtime.database)
    assert {(n.channel, n.recipient) for n in alerts} == {("slack", "#a-gov-office"), ("email", "office@a.gov.example")}
    payload = alerts[0].payload
    assert payload["title"] == "数据源无法采集：A市论坛" and payload["sources"] == ["demo_forum"]
    assert ("- A市论坛（demo_forum，社交媒体）：解析不到信息，从未采集到信息（自 2026-03-02 09:00 起页面能取到，却没有解析出信息："
            "网页改版，或 sources.yaml 中它的选择器不对？）") in payload["summary"]
    assert "demo_news" not in payload["summary"]  # it collected at 09:00: quiet since is the flatline rule's
    sources.every_five_minutes(2, failing={"demo_forum"})  # its fetches fail now: the same spell, not told again
    assert len(told(runtime.database)) == 2
    sources.every_five_minutes(1, failing=set())  # 09:25: its selector fixed, it collects
    [clear] = {n.payload["summary"] for n in all_clear(runtime.database)}
    assert "- A市论坛：自 2026-03-02 09:00 至 09:25，中断 25分钟" in clear


def test_when_every_source_fails_the_press_office_is_told_once_that_collection_stopped(
        runtime: Runtime, config: Config, sources: Sources) -> None:
    sources.crawl()
    enabled = sorted(s.name for s in config.sources.sources if s.enabled)
    sources.every_five_minutes(6, failing=set(enabled))  # the network is down from 09:00 to 09:30
    alerts = told(runtime.database)
    assert len(alerts) == 2 and {n.channel for n in alerts} == {"slack", "email"}, [n.payload["title"] for n in alerts]
    payload = alerts[0].payload
    assert payload["title"] == f"数据采集中断：全部 {len(enabled)} 个数据源都无法采集"
    assert payload["summary"].startswith(f"自 2026-03-02 09:00 起，全部 {len(enabled)} 个启用的数据源都没有采集到信息（采集中断）")
    assert sorted(payload["sources"]) == enabled and "demo_sitemap" not in payload["summary"]
    assert source_health_job() == f"collection stopped: none of the {len(enabled)} enabled sources collects; 0 told"

    # Rendered as what it is, a fault of the system: not 新舆情 (something the public said) nor 未定级 (an incident
    # waiting for its grade), on every channel.
    now = runtime.clock.now()
    subject, text, html = email_message(payload, now)
    slack_text, blocks = slack_message(payload, now)
    robot_title, robot_text = robot_markdown(payload, now, wecom=True)
    assert subject == f"[舆情] 运行告警：数据采集中断：全部 {len(enabled)} 个数据源都无法采集"
    assert text.startswith("【运行告警】数据采集中断") and slack_text.startswith("⚠️ 运行告警：数据采集中断")
    assert blocks[0]["text"]["text"].startswith("⚠️ 运行告警 · 数据采集中断")
    assert robot_title.startswith("运行告警：")
    for rendered in (subject, text, html, slack_text, str(blocks), robot_text):
        assert "新舆情" not in rendered and "未定级" not in rendered and "等级" not in rendered, rendered


def test_the_check_runs_with_the_crawls_and_reads_the_state_file_the_crawls_write(
        config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alerts.run_command import _source_health

    assert "sources" in {s.id for s in job_specs(config, crawl=True)}
    assert "sources" not in {s.id for s in job_specs(config, crawl=False)}  # posts arrive some other way
    monkeypatch.setenv("YUQING_HOME", str(tmp_path))
    clock = ManualClock(MONDAY_9AM)
    Sources(tmp_path / "crawler" / "state.db", config, clock).crawl(failing={"demo_news"})
    health = {h.source: h.status for h in _source_health(config)(clock.now())}
    assert health["demo_news"] == "failing" and health["demo_rss"] == "ok"


def test_sources_that_fail_one_after_another_are_told_and_then_that_collection_stopped(
        runtime: Runtime, config: Config, sources: Sources) -> None:
    sources.crawl()
    enabled = {s.name for s in config.sources.sources if s.enabled}
    sources.every_five_minutes(3, failing={"demo_news"})  # told at 09:15
    sources.every_five_minutes(1, failing=enabled)  # 09:20: the others fail too
    assert [n.payload["rule"] for n in told(runtime.database)] == ["source_down"] * 2, "a blip is no stop yet"
    sources.every_five_minutes(2, failing=enabled)  # 09:30: ten minutes of nothing from anywhere
    stopped = [n.payload for n in told(runtime.database) if n.payload["rule"] == "collection_stopped"]
    assert len(stopped) == 2 and set(stopped[0]["sources"]) == enabled
    # since the last source that worked stopped; each source since its own last success
    assert stopped[0]["summary"].startswith("自 2026-03-02 09:15 起，全部 5 个启用的数据源都没有采集到信息（采集中断）")
    assert "- A市新闻网（demo_news，新闻网站）：抓取失败，自 2026-03-02 09:00 起未能采集" in stopped[0]["summary"]


def all_clear(database: Database) -> list[Notification]:
    return [n for n in notifications(database)
            if n.payload.get("rule") in ("source_recovered", "collection_resumed")]


def test_a_told_source_that_works_again_is_told_once_and_a_blip_nobody_heard_of_is_not(
        runtime: Runtime, config: Config, sources: Sources) -> None:
    sources.crawl()
    sources.every_five_minutes(1, failing={"demo_news"})  # 09:05: a blip, not told
    sources.every_five_minutes(1, failing=set())
    assert all_clear(runtime.database) == []
    sources.every_five_minutes(4, failing={"demo_news"})  # told at 09:25
    assert told(runtime.database)
    sources.every_five_minutes(3, failing=set())  # works again at 09:35
    clear = all_clear(runtime.database)
    assert {(n.channel, n.recipient) for n in clear} == {("slack", "#a-gov-office"), ("email", "office@a.gov.example")}
    payload = clear[0].payload
    assert payload["title"] == "数据源已恢复采集：A市新闻网" and payload["recovered"] and payload["operational"]
    assert "- A市新闻网：自 2026-03-02 09:10 至 09:35，中断 25分钟" in payload["summary"]
    assert payload["links"]["case"].endswith("/sources")


def test_when_collection_resumes_after_a_told_stop_one_all_clear_says_so(
        runtime: Runtime, config: Config, sources: Sources) -> None:
    sources.crawl()
    enabled = {s.name for s in config.sources.sources if s.enabled}
    sources.every_five_minutes(6, failing=enabled)  # collection stopped, told
    sources.every_five_minutes(2, failing={"demo_news"})  # 09:35: all but one collect again
    clear = [n.payload for n in all_clear(runtime.database)]
    assert len(clear) == 2 and {p["title"] for p in clear} == {"数据采集已恢复"}, clear
    assert clear[0]["summary"].startswith("数据采集已恢复（自 2026-03-02 09:05 至 09:35，中断 30分钟）：新的舆情重新进入系统")
    assert "仍无法采集：A市新闻网" in clear[0]["summary"] and "demo_news" not in clear[0]["sources"]
    sources.every_five_minutes(1, failing=set())  # and the last one: it was told in the stop, so it hears it is back
    last = [n.payload for n in all_clear(runtime.database)][2:]
    assert len(last) == 2 and last[0]["title"] == "数据源已恢复采集：A市新闻网"


def test_operational_messages_name_the_receiving_unit_and_link_to_the_state_not_a_case(
        runtime: Runtime, config: Config, sources: Sources) -> None:
    sources.crawl()
    sources.every_five_minutes(4, failing={"demo_news"})
    payload = told(runtime.database)[0].payload
    now = runtime.clock.now()
    _subject, text, html = email_message(payload, now)
    _text, blocks = slack_message(payload, now)
    _title, robot = robot_markdown(payload, now, wecom=False)
    assert "接收单位：A市人民政府办公室" in text and "责任单位" not in text + html + str(blocks) + robot
    assert ">查看数据源状态</a>" in html and "[查看数据源状态](" in robot
    buttons = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["查看数据源状态"]
    for rendered in (text, html, str(blocks), robot):
        assert "签收" not in rendered and "打开案件" not in rendered, rendered


def test_operational_alerts_go_to_the_technical_unit_units_yaml_names(
        database: Database, config: Config, sources: Sources) -> None:
    """The government office was told to run `yuqing es status` / `yuqing crawl --health`: there was no way to send
    faults of the system to the people who can fix them."""
    from yuqing.settings import ConfigProblem, Contacts, Unit, _cross_check

    units = config.units.model_copy(deep=True)
    office = units.unit("a-gov-office")
    units.units.append(Unit(id="a-it", name="A市大数据中心", kind="大数据中心", level="city", region=office.region,
                            contacts=Contacts(email="ops@a.gov.example")))
    units.operations_receiver = "a-it"
    technical = replace(config, units=units)
    prepare(database, technical)
    rt = Runtime(technical, database, sources.clock, Escalator(technical), source_health=sources.health)
    set_runtime(rt)
    try:
        sources.crawl()
        sources.every_five_minutes(4, failing={"demo_news"})
        sources.every_five_minutes(1, failing=set())
    finally:
        set_runtime(None)
    sent = [(n.payload["title"], n.channel, n.recipient, n.payload["unit_name"]) for n in notifications(database)]
    assert sent == [("数据源无法采集：A市新闻网", "email", "ops@a.gov.example", "A市大数据中心"),
                    ("数据源已恢复采集：A市新闻网", "email", "ops@a.gov.example", "A市大数据中心")]

    units.operations_receiver = "a-nobody"
    problems: list[ConfigProblem] = _cross_check(config.sources, config.taxonomy, units, config.policy)
    assert [(p.key, p.value) for p in problems] == [("operations_receiver", "a-nobody")], problems


def test_a_source_that_works_again_is_logged_as_news_not_as_a_warning(
        runtime: Runtime, sources: Sources, caplog: pytest.LogCaptureFixture) -> None:
    """The line that a source collects again was a WARNING beside the failures it ends."""
    sources.crawl()
    with caplog.at_level(logging.INFO, logger="alerts.scheduler"):
        sources.every_five_minutes(1, failing={"demo_news"})
        sources.every_five_minutes(1, failing=set())
    said = {record.getMessage(): record.levelname for record in caplog.records if record.name == "alerts.scheduler"}
    [failed] = [message for message in said if message.startswith("sources: source demo_news collects nothing")]
    assert said[failed] == "WARNING"
    assert said["sources: source demo_news is ok now"] == "INFO"


def test_the_log_says_a_source_that_never_worked_never_worked(
        runtime: Runtime, sources: Sources, caplog: pytest.LogCaptureFixture) -> None:
    """The log said a source that never collected anything "last worked" at the time of its first failure."""
    with caplog.at_level(logging.INFO, logger="alerts.scheduler"):
        sources.every_five_minutes(1, failing={"demo_news"})  # 09:05: its first run fails
        sources.every_five_minutes(1, failing={"demo_news", "demo_rss"})  # 09:10: demo_rss worked at 09:05
    said = [record.getMessage() for record in caplog.records if record.name == "alerts.scheduler"]
    assert any(message.startswith("sources: source demo_news collects nothing (failing; never worked (failing since "
                                  "2026-03-02T09:05+08:00))") for message in said), said
    assert any(message.startswith("sources: source demo_rss collects nothing (failing; last worked "
                                  "2026-03-02T09:05+08:00)") for message in said), said


def test_the_log_says_a_silent_source_that_never_collected_an_item_never_did(
        runtime: Runtime, sources: Sources, caplog: pytest.LogCaptureFixture) -> None:
    """A review (L1): a new source whose pages fetch but parse nothing was logged as "last worked" at the start of its
    silence, about a source that never collected anything — the alert says 从未采集到信息."""
    with caplog.at_level(logging.INFO, logger="alerts.scheduler"):
        sources.crawl(silent={"demo_forum"})  # 09:00: its first crawl finds nothing
        sources.every_five_minutes(1, failing=set(), silent={"demo_forum"})
    said = [record.getMessage() for record in caplog.records if record.name == "alerts.scheduler"]
    assert any(message.startswith("sources: source demo_forum collects nothing (silent; never collected an item "
                                  "(silent since 2026-03-02T09:00+08:00))") for message in said), said
    assert not any("last worked" in message for message in said), said
