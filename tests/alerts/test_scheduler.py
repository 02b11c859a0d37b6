"""The scheduler's jobs live in the workflow database: a restart keeps them, a job that fell due while the
process was down runs once on start, and escalation across the restart is neither repeated nor missed."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from alerts.cases import open_or_update_case
from alerts.escalation import Escalator
from alerts.scheduler import Runtime, install_jobs, job_specs, make_scheduler, set_runtime, start, tick_job
from tests.alerts.casekit import MONDAY_9AM, TZ, make_event, notifications, prepare
from yuqing.clock import ManualClock
from yuqing.db.session import Database
from yuqing.settings import Config


@pytest.fixture
def runtime(database: Database, config: Config):  # type: ignore[no-untyped-def]
    prepare(database, config)
    clock = ManualClock(MONDAY_9AM)
    rt = Runtime(config, database, clock, Escalator(config))
    set_runtime(rt)
    yield rt
    set_runtime(None)


def wait_for(condition, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def escalation_levels(database: Database) -> list[int]:
    return [n.payload["escalation_level"] for n in notifications(database, kind="escalation", channel="slack")]


def test_a_restart_mid_escalation_neither_repeats_nor_misses_a_step(runtime: Runtime, config: Config) -> None:
    database, clock = runtime.database, runtime.clock
    assert isinstance(clock, ManualClock)
    with database.transaction() as session:
        open_or_update_case(session, make_event(), "graded_event", config, clock)
    specs = job_specs(config, tick_seconds=3600, crawl=False)

    first = make_scheduler(database, config, "background")
    assert start(first, specs)["tick"] == "added"
    clock.advance(timedelta(minutes=61))  # unacknowledged for an hour: level 1 is due
    first.modify_job("tick", next_run_time=datetime.now(TZ))
    wait_for(lambda: runtime.runs.get("tick") == 1)
    wait_for(lambda: escalation_levels(database) == [1])
    first.shutdown(wait=True)  # the process stops; its jobs stay in the database

    clock.advance(timedelta(minutes=125))  # while it was down, level 2 fell due
    second = make_scheduler(database, config, "background")
    second.start(paused=True)
    stored = second.get_job("tick")
    assert stored is not None and str(stored.trigger) == "interval[1:00:00]"
    assert install_jobs(second, specs)["tick"].startswith("kept")
    # The stored run time passed three periods ago: the job runs once on start, not three times.
    second.modify_job("tick", next_run_time=datetime.now(TZ) - timedelta(hours=3))
    second.resume()
    wait_for(lambda: runtime.runs.get("tick") == 2)
    time.sleep(0.5)
    second.shutdown(wait=True)
    assert runtime.runs["tick"] == 2
    assert escalation_levels(database) == [1, 2]
    tick_job()  # a tick repeated by mistake sends nothing again
    assert escalation_levels(database) == [1, 2]


def test_stored_jobs_follow_the_configuration_on_start(runtime: Runtime, config: Config) -> None:
    database = runtime.database
    first = make_scheduler(database, config, "background")
    first.start(paused=True)
    install_jobs(first, job_specs(config, tick_seconds=30, crawl=True))
    ids = {job.id for job in first.get_jobs()}
    assert {"tick", "evaluate", "outbox", "digest"} <= ids
    assert any(job_id.startswith("crawl:") for job_id in ids)
    first.shutdown(wait=False)

    second = make_scheduler(database, config, "background")
    second.start(paused=True)
    done = install_jobs(second, job_specs(config, tick_seconds=10, crawl=False))
    assert done["tick"] == "rescheduled"
    assert all(what == "removed" for job_id, what in done.items() if job_id.startswith("crawl:"))
    assert done["digest"].startswith("kept")
    digest = second.get_job("digest")
    assert digest is not None and digest.next_run_time.hour == 8
    second.shutdown(wait=False)


def test_while_elasticsearch_is_down_the_rules_wait_and_the_press_office_is_told_once(
        runtime: Runtime, config: Config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from elasticsearch import Elasticsearch

    from alerts.scheduler import OUTAGE_ALERT_AFTER, evaluate_job
    from alerts.wiring import build_pipeline
    from yuqing.es.indices import IndexLayout

    down = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)  # nothing listens on port 9
    runtime.pipeline = build_pipeline(config, runtime.database, down, IndexLayout("yuqing-down"), runtime.clock,
                                      live=False, state_dir=tmp_path)
    runtime.indices_ready = False  # as `yuqing run` starts without Elasticsearch
    assert evaluate_job() == "Elasticsearch unreachable; rules wait"
    assert not [n for n in notifications(runtime.database) if n.idempotency_key.startswith("search-outage:")]
    runtime.clock.advance(OUTAGE_ALERT_AFTER)
    evaluate_job()
    runtime.clock.advance(timedelta(minutes=30))
    evaluate_job()
    told = [n for n in notifications(runtime.database) if n.idempotency_key.startswith("search-outage:")]
    assert {(n.channel, n.recipient) for n in told} == {("slack", "#a-gov-office"), ("email", "office@a.gov.example")}
    assert "Elasticsearch 自 2026-03-02 09:00 起无法连接" in told[0].payload["summary"]
    assert tick_job().endswith("escalations")  # the database's jobs go on


def test_the_run_log_is_in_the_configured_zone_without_apschedulers_per_job_lines() -> None:
    """Nor elastic_transport's line per request (yuqing.logs.CHATTER, a filter on the handler), its warnings kept."""
    import io
    import logging
    from zoneinfo import ZoneInfo

    from alerts.run_command import _log_in_zone

    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    saved, root.handlers = root.handlers, [handler]  # only this handler gets the zone formatter
    executors = logging.getLogger("apscheduler.executors")
    transport = logging.getLogger("elastic_transport.transport")
    before, level = executors.level, root.level
    root.setLevel(logging.INFO)  # as `yuqing run`'s basicConfig sets it
    try:
        _log_in_zone(ZoneInfo("Asia/Shanghai"))
        handler.handle(logging.LogRecord("alerts", logging.INFO, __file__, 1, "tick", None, None))
        assert "+08:00 INFO alerts: tick" in stream.getvalue()
        assert not executors.isEnabledFor(logging.INFO)
        assert transport.isEnabledFor(logging.INFO)  # (its level untouched: the handler leaves the line out)
        transport.info("POST http://127.0.0.1:9200/_bulk [status:200 duration:0.010s]")
        transport.warning("Node <Urllib3HttpNode(http://127.0.0.1:9200)> has failed for 1 times in a row")
        assert "_bulk" not in stream.getvalue()
        assert "WARNING elastic_transport.transport: Node" in stream.getvalue()
    finally:
        root.handlers = saved
        root.setLevel(level)
        executors.setLevel(before)


def test_restarts_during_an_elasticsearch_outage_neither_start_its_clock_again_nor_tell_twice(
        runtime: Runtime, config: Config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The outage's start lived in the process: restarted every few minutes, `yuqing run` never told the press office
    (each restart started the 10 minutes again), and a restart after it had told made it tell again."""
    from elasticsearch import Elasticsearch

    from alerts.scheduler import evaluate_job
    from alerts.wiring import build_pipeline
    from yuqing.es.indices import IndexLayout

    down = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)  # nothing listens on port 9
    clock = runtime.clock
    assert isinstance(clock, ManualClock)
    databases: list[Database] = []

    def restarted() -> None:
        """A new `yuqing run` process: nothing of the last one's memory, the same database file."""
        database = Database(runtime.database.url)
        databases.append(database)
        rt = Runtime(config, database, clock, Escalator(config), indices_ready=False)
        rt.pipeline = build_pipeline(config, database, down, IndexLayout("yuqing-down"), clock, live=False,
                                     state_dir=tmp_path)
        set_runtime(rt)

    def told() -> list[tuple[str, str, str]]:
        return [(n.channel, n.recipient, n.payload["summary"].split("：")[0]) for n in notifications(runtime.database)
                if n.idempotency_key.startswith("search-outage:")]

    since = "Elasticsearch 自 2026-03-02 09:00 起无法连接"  # the outage's start, before the first restart
    try:
        # Three processes one after the other, evaluating every 6 minutes: 09:00 and 09:06; 09:12 and 09:18;
        # 09:24, 09:30 and 09:36.
        for evaluations in (2, 2, 3):
            restarted()
            for _ in range(evaluations):
                assert evaluate_job() == "Elasticsearch unreachable; rules wait"
                clock.advance(timedelta(minutes=6))
            if clock.now() == MONDAY_9AM + timedelta(minutes=24):
                # told at 09:12 of the outage's start, though no process had seen 10 minutes of it
                assert sorted(told()) == [("email", "office@a.gov.example", since), ("slack", "#a-gov-office", since)]
    finally:
        for database in databases:
            database.dispose()
    # and the third process, down for 12 minutes by its own count at 09:36, does not tell again
    assert sorted(told()) == [("email", "office@a.gov.example", since), ("slack", "#a-gov-office", since)]


def test_a_crawl_job_during_an_outage_counts_toward_it_and_still_sends(
        runtime: Runtime, config: Config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A crawl job's evaluation raised when Elasticsearch was down: the job failed with a traceback, its outbox run
    was skipped, and the outage was never noted — with crawls every few minutes and no evaluate job between them,
    the press office was not told."""
    from elasticsearch import Elasticsearch

    from alerts.scheduler import OUTAGE_ALERT_AFTER, crawl_job
    from alerts.wiring import build_pipeline
    from yuqing.es.indices import IndexLayout

    down = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)  # nothing listens on port 9
    runtime.pipeline = build_pipeline(config, runtime.database, down, IndexLayout("yuqing-down"), runtime.clock,
                                      live=False, state_dir=tmp_path)
    crawled: list[str] = []
    runtime.crawl = crawled.append
    assert crawl_job("demo_news") == ("crawled demo_news; rules wait (Elasticsearch unreachable), "
                                      "0 notifications sent")
    runtime.clock.advance(OUTAGE_ALERT_AFTER)
    crawl_job("demo_news")
    told = [n for n in notifications(runtime.database) if n.idempotency_key.startswith("search-outage:")]
    assert {(n.channel, n.recipient) for n in told} == {("slack", "#a-gov-office"), ("email", "office@a.gov.example")}
    assert crawled == ["demo_news", "demo_news"]


def test_when_elasticsearch_answers_again_the_press_office_told_of_the_outage_hears_it_is_over(
        runtime: Runtime, config: Config, tmp_path, es_client, es_layout) -> None:  # type: ignore[no-untyped-def]
    """The outage alert said 新的舆情不会被发现 and nothing ever said otherwise: the press office hears the all-clear
    once, on the channels that had the alert, with how long it lasted; a blip nobody was told of ends silently."""
    from elasticsearch import Elasticsearch

    from alerts.messages import email_message, slack_message
    from alerts.scheduler import OUTAGE_ALERT_AFTER, evaluate_job
    from alerts.wiring import build_pipeline
    from yuqing.es.indices import IndexLayout

    down = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)  # nothing listens on port 9
    broken = build_pipeline(config, runtime.database, down, IndexLayout("yuqing-down"), runtime.clock, live=False,
                            state_dir=tmp_path / "down")
    working = build_pipeline(config, runtime.database, es_client, es_layout, runtime.clock, live=False,
                             state_dir=tmp_path / "up")

    def all_clear() -> list:  # type: ignore[type-arg]
        return [n for n in notifications(runtime.database) if n.idempotency_key.startswith("search-recovered:")]

    runtime.pipeline = broken  # 09:00 – 09:05: a blip
    evaluate_job()
    runtime.clock.advance(timedelta(minutes=5))
    evaluate_job()
    runtime.pipeline = working
    assert evaluate_job().endswith("cases opened") and all_clear() == []

    runtime.pipeline = broken  # 09:05 – 09:47: told at 09:15
    evaluate_job()
    runtime.clock.advance(OUTAGE_ALERT_AFTER)
    evaluate_job()
    runtime.clock.advance(timedelta(minutes=32))
    runtime.pipeline = working
    evaluate_job()
    evaluate_job()
    told = all_clear()
    assert {(n.channel, n.recipient) for n in told} == {("slack", "#a-gov-office"), ("email", "office@a.gov.example")}
    payload = told[0].payload
    assert payload["title"] == "舆情检索服务已恢复" and payload["operational"] and payload["recovered"]
    assert "自 2026-03-02 09:05 至 09:47，中断 42分钟" in payload["summary"] and "规则已恢复运行" in payload["summary"]
    subject, text, _html = email_message(payload, runtime.clock.now())
    assert subject == "[舆情] 运行恢复：舆情检索服务已恢复" and text.startswith("【运行恢复】")
    assert slack_message(payload, runtime.clock.now())[0].startswith("✅ 运行恢复：舆情检索服务已恢复")


# The scheduler's time in these tests (install_jobs' now), a day ahead of the wall clock: a background scheduler shut
# down runs through its due jobs once more, and none may fall due by the wall clock meanwhile.
AHEAD = timedelta(days=1)


def with_interval(config: Config, source: str, minutes: float) -> Config:
    """The configuration with one source's interval changed, as an operator edits sources.yaml between runs."""
    from dataclasses import replace

    changed = [s.model_copy(update={"interval_minutes": minutes}) if s.name == source else s
               for s in config.sources.sources]
    return replace(config, sources=config.sources.model_copy(update={"sources": changed}))


def test_a_new_sources_first_crawl_runs_within_a_minute_of_the_start_each_source_at_its_own_time(
        runtime: Runtime, config: Config) -> None:
    """The first crawl waited a whole interval (an hour for interval_minutes: 60), so a go-live collected nothing
    for that long, and every source fired in the same second."""
    database = runtime.database
    started = datetime.now(TZ) + AHEAD
    first = make_scheduler(database, config, "background")
    first.start(paused=True)
    install_jobs(first, job_specs(config, crawl=True), now=started)
    crawls = {job.id: job for job in first.get_jobs() if job.id.startswith("crawl:")}
    first.shutdown(wait=False)
    assert len(crawls) >= 3
    firsts = {job_id: job.next_run_time for job_id, job in crawls.items()}
    assert all(started <= at < started + timedelta(minutes=1) for at in firsts.values()), firsts
    assert len({at.replace(microsecond=0) for at in firsts.values()}) == len(firsts)  # not all in the same second
    news = crawls["crawl:demo_news"]  # then every interval, counted from the first crawl
    assert news.trigger.get_next_fire_time(firsts["crawl:demo_news"], firsts["crawl:demo_news"]) == \
        firsts["crawl:demo_news"] + timedelta(minutes=5)

    # Restarted three minutes later: the stored runs stand (no crawl storm, and a source that already ran keeps
    # its cadence); a new start does not move them to new offsets.
    second = make_scheduler(database, config, "background")
    second.start(paused=True)
    done = install_jobs(second, job_specs(config, crawl=True), now=started + timedelta(minutes=3))
    assert all(done[job_id].startswith("kept") for job_id in crawls)
    assert {job.id: job.next_run_time for job in second.get_jobs() if job.id.startswith("crawl:")} == firsts
    second.shutdown(wait=False)


def test_a_changed_interval_counts_from_the_sources_last_crawl(runtime: Runtime, config: Config) -> None:
    """A changed interval put the next crawl a whole new interval after the restart, however long ago the last
    crawl was."""
    database = runtime.database
    last_crawl = datetime.now(TZ).replace(microsecond=0) + AHEAD

    def restart(minutes: float, at: datetime) -> tuple[str, datetime]:
        scheduler = make_scheduler(database, config, "background")
        scheduler.start(paused=True)
        done = install_jobs(scheduler, job_specs(with_interval(config, "demo_news", minutes), crawl=True), now=at)
        job = scheduler.get_job("crawl:demo_news")
        scheduler.shutdown(wait=False)
        return done["crawl:demo_news"], job.next_run_time

    restart(60, last_crawl)
    scheduler = make_scheduler(database, config, "background")
    scheduler.start(paused=True)
    scheduler.modify_job("crawl:demo_news", next_run_time=last_crawl + timedelta(minutes=60))  # it crawled then
    scheduler.shutdown(wait=False)

    # 10 minutes after the last crawl, every 30 minutes: the next crawl is 30 minutes after the last, not 40
    assert restart(30, last_crawl + timedelta(minutes=10)) == ("rescheduled", last_crawl + timedelta(minutes=30))
    # back to every 2 hours at minute 20: two hours after the last crawl
    assert restart(120, last_crawl + timedelta(minutes=20)) == ("rescheduled", last_crawl + timedelta(minutes=120))
    # every 15 minutes, changed at minute 50: the next crawl is past due, so it runs at once
    at = last_crawl + timedelta(minutes=50)
    assert restart(15, at) == ("rescheduled", at)
