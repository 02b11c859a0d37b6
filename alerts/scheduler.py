"""The periodic jobs of ``yuqing run``: APScheduler 3.x in one process, jobs persisted in the workflow DB.

Crawls, rule evaluation, the sources' health check, the reminder/escalation tick, the outbox and the daily digest
are jobs of one ``TwistedScheduler`` that shares Scrapy's reactor (jobs run in the reactor's thread pool). Jobs live in
the SQLAlchemy job store (table ``apscheduler_jobs``, created by migration 0003), so after a restart the
stored next run times still count: a job that fell due while the process was down runs once on start
(``coalesce=True``, ``misfire_grace_time=None``), never once per missed period. A source's crawl job, new in the
store, runs within FIRST_CRAWL_WITHIN of the start (each source at its own offset), not an interval later; a job whose
interval changed runs next at its last run plus the new interval, or at once when that has passed.

What a job *does* never depends on the job having run before: the tick recomputes due reminders and
escalations from database state and writes each one down with its notification in one transaction, so
a kill -9 between two ticks loses nothing and a tick run twice sends nothing twice.

Jobs are stored by reference (``alerts.scheduler:tick_job``); the objects they work with (database,
clock, pipeline, outbox worker) are the process's ``Runtime``, installed with ``set_runtime``.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts.escalation import Escalator
from alerts.outbox import OutboxWorker
from alerts.pipeline import EvaluationReport, Pipeline
from alerts.sources import SourceStatus, check_sources
from yuqing.clock import Clock
from yuqing.db.models import ScheduleMark
from yuqing.db.session import Database
from yuqing.es.client import ES_ERRORS
from yuqing.settings import Config

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
# How long Elasticsearch may be unreachable before the press office gets an operational alert.
OUTAGE_ALERT_AFTER = timedelta(minutes=10)
# The schedule mark of an Elasticsearch outage: since when the rules wait, and when the press office was told. In the
# database, not in the process: a restart during the outage neither starts its clock again nor tells twice.
SEARCH_OUTAGE_MARK = "search:unreachable"
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
# A new source's first crawl: within this of the start, not an interval later (a go-live collects at once), spread
# by the source's name so that the sources do not all start in the same second.
FIRST_CRAWL_WITHIN = timedelta(minutes=1)


@dataclass
class Runtime:
    """What the jobs of this process work with."""

    config: Config
    database: Database
    clock: Clock
    escalator: Escalator
    outbox: OutboxWorker | None = None
    pipeline: Pipeline | None = None
    crawl: Callable[[str], Any] | None = None
    # Every source's health as of a time, from the crawler's state (crawler.health.source_health, wired by the CLI)
    source_health: Callable[[datetime], Sequence[SourceStatus]] | None = None
    runs: dict[str, int] = field(default_factory=dict)
    indices_ready: bool = True  # False when `yuqing run` started without Elasticsearch

    def count(self, job: str) -> None:
        self.runs[job] = self.runs.get(job, 0) + 1


_runtime: Runtime | None = None


def set_runtime(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def current_runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("scheduler jobs run only inside a process that called alerts.scheduler.set_runtime "
                           "(`yuqing run`)")
    return _runtime


# ----------------------------------------------------------------------------- the jobs


def tick_job() -> str:
    """Reminders, overdue deadlines and escalations due by now."""
    rt = current_runtime()
    rt.count("tick")
    report = rt.escalator.tick(rt.database, rt.clock, digests=False)
    for line in report.lines:
        log.info("tick: %s", line)
    return f"{report.reminders} reminders, {report.overdue} overdue, {report.escalations} escalations"


def digest_job() -> str:
    """The leaders' daily digest."""
    rt = current_runtime()
    rt.count("digest")
    report = rt.escalator.digest(rt.database, rt.clock)
    return f"{report.notifications} digest notifications"


def evaluate_job() -> str:
    """Rules over the posts and events indices → cases. While Elasticsearch does not answer the rules wait (the
    tick and the outbox need only the database and go on); after OUTAGE_ALERT_AFTER the press office is told."""
    rt = current_runtime()
    rt.count("evaluate")
    if rt.pipeline is None:
        return "no pipeline"
    report = _evaluate(rt, rt.pipeline)
    if report is None:
        return "Elasticsearch unreachable; rules wait"
    return f"{len(report.matches)} matches, {len(report.opened)} cases opened"


def _evaluate(rt: Runtime, pipeline: Pipeline) -> EvaluationReport | None:
    """One evaluation, with the outage noted when Elasticsearch does not answer (None) and cleared when it does."""
    try:
        if not rt.indices_ready:
            pipeline.layout.ensure(pipeline.es)
            rt.indices_ready = True
        report = pipeline.evaluate()
    except ES_ERRORS as exc:
        _search_unreachable(rt, pipeline, exc)
        return None
    with rt.database.transaction() as session:
        mark = session.get(ScheduleMark, SEARCH_OUTAGE_MARK)
        if mark is not None:  # the outage is over; the next one has its own clock and alert
            log.info("Elasticsearch answers again (unreachable since %s); the rules run",
                     mark.at.astimezone(rt.config.settings.tz()).isoformat(timespec="seconds"))
            if mark.details.get("alerted_at"):  # the press office heard of it: it hears it is over (a blip, not)
                pipeline.tell_search_recovered(session, mark.at.astimezone(rt.config.settings.tz()))
            session.delete(mark)
    for line in report.lines:
        log.info("rules: %s", line)
    return report


def _search_unreachable(rt: Runtime, pipeline: Pipeline, exc: Exception) -> None:
    """Note when Elasticsearch stopped answering (the first evaluation that failed, in any process) and, once it has
    been down for OUTAGE_ALERT_AFTER, tell the press office — once per outage: the alert's key is the outage's start,
    so an alert queued by a process killed before it noted it is not queued twice."""
    now = rt.clock.now()
    with rt.database.transaction() as session:
        mark = session.get(ScheduleMark, SEARCH_OUTAGE_MARK)
        if mark is None:
            mark = ScheduleMark(key=SEARCH_OUTAGE_MARK, at=now, details={})
            session.add(mark)
        since, alerted = mark.at.astimezone(now.tzinfo), mark.details.get("alerted_at")
    log.warning("rules wait: Elasticsearch does not answer (%s) since %s", exc, since)
    if alerted or now - since < OUTAGE_ALERT_AFTER:
        return
    pipeline.alert_search_outage(since)
    with rt.database.transaction() as session:
        mark = session.get(ScheduleMark, SEARCH_OUTAGE_MARK)
        if mark is not None:
            mark.details = {**mark.details, "alerted_at": now.isoformat()}


def outbox_job() -> str:
    """Send the notifications that are due."""
    rt = current_runtime()
    rt.count("outbox")
    if rt.outbox is None:
        return "no outbox worker"
    return f"{rt.outbox.run_once()} sent"


def source_health_job() -> str:
    """Sources that collect nothing (failing, overdue) are told to the press office once they have been so for a
    while (alerts.sources): a failed collection otherwise looks like a quiet day."""
    rt = current_runtime()
    rt.count("sources")
    if rt.source_health is None:
        return "no source health (not crawling)"
    now = rt.clock.now()
    try:
        health = rt.source_health(now)
    except OSError as exc:  # the crawler's state file cannot be used: the message says how to go on
        log.warning("source health unknown: %s", exc)
        return "source health unknown"
    report = check_sources(rt.database, rt.config, rt.escalator.router, health, now)
    for line in report.lines:
        log.warning("sources: %s", line)
    for line in report.recoveries:
        log.info("sources: %s", line)
    if report.stopped:
        return f"collection stopped: none of the {len(report.down)} enabled sources collects; {len(report.told)} told"
    return f"{len(report.down)} source(s) not collecting, {len(report.told)} told"


def crawl_job(source: str) -> str:
    """Crawl one source (the crawler enriches and indexes what it finds), then evaluate and send at once,
    so a new post does not also wait for the next evaluation and outbox period."""
    rt = current_runtime()
    rt.count(f"crawl:{source}")
    if rt.crawl is None:
        return "crawling unavailable"
    rt.crawl(source)
    # An outage is noted as evaluate_job notes it (a crawl job's evaluation raised, and the outbox waited for its
    # own period): the crawl has spooled what it found, and the rules wait.
    report = _evaluate(rt, rt.pipeline) if rt.pipeline is not None else None
    sent = rt.outbox.run_once() if rt.outbox is not None else 0
    opened = f"{len(report.opened)} cases opened" if report is not None else "rules wait (Elasticsearch unreachable)"
    return f"crawled {source}; {opened}, {sent} notifications sent"


# ----------------------------------------------------------------------------- the schedule


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    trigger: BaseTrigger
    kwargs: dict[str, Any] = field(default_factory=dict)
    first_run_after: timedelta | None = None  # when new in the store: this long after the start (None: one period)


def first_crawl_after(source: str, interval: timedelta) -> timedelta:
    """The same offset for a source on every start, within FIRST_CRAWL_WITHIN (and its own interval): crc32, not
    hash(), whose value changes from process to process."""
    window_ms = int(min(FIRST_CRAWL_WITHIN, interval) / timedelta(milliseconds=1))
    return timedelta(milliseconds=zlib.crc32(source.encode("utf-8")) % max(window_ms, 1))


def job_specs(config: Config, *, tick_seconds: float = 30, evaluate_seconds: float = 60, outbox_seconds: float = 5,
              health_seconds: float = 60, crawl: bool = True) -> list[JobSpec]:
    """The jobs of one deployment: fixed ids, so a restart finds its stored jobs again."""
    tz = config.settings.tz()
    specs = [
        JobSpec("tick", "alerts.scheduler:tick_job", IntervalTrigger(seconds=tick_seconds, timezone=tz)),
        JobSpec("evaluate", "alerts.scheduler:evaluate_job", IntervalTrigger(seconds=evaluate_seconds, timezone=tz)),
        JobSpec("outbox", "alerts.scheduler:outbox_job", IntervalTrigger(seconds=outbox_seconds, timezone=tz)),
        JobSpec("digest", "alerts.scheduler:digest_job",
                CronTrigger.from_crontab(config.policy.escalation.digest_cron, timezone=tz)),
    ]
    if crawl:  # (posts that arrive some other way leave the sources' health unjudged)
        specs.append(JobSpec("sources", "alerts.scheduler:source_health_job",
                             IntervalTrigger(seconds=health_seconds, timezone=tz)))
        for source in config.sources.sources:
            if source.enabled:
                interval = timedelta(minutes=source.interval_minutes)
                specs.append(JobSpec(f"crawl:{source.name}", "alerts.scheduler:crawl_job",
                                     IntervalTrigger(minutes=source.interval_minutes, timezone=tz),
                                     {"source": source.name}, first_crawl_after(source.name, interval)))
    return specs


def make_scheduler(database: Database, config: Config, kind: Literal["twisted", "background"] = "twisted",
                   reactor: Any = None) -> BaseScheduler:
    """A scheduler whose jobs live in the workflow database."""
    options: dict[str, Any] = {
        "jobstores": {"default": SQLAlchemyJobStore(engine=database.engine, tablename=JOBSTORE_TABLE)},
        "job_defaults": dict(JOB_DEFAULTS),
        "timezone": config.settings.tz(),
    }
    if kind == "twisted":
        from apscheduler.schedulers.twisted import TwistedScheduler

        if reactor is not None:
            options["reactor"] = reactor
        return TwistedScheduler(**options)
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler(**options)


def install_jobs(scheduler: BaseScheduler, specs: list[JobSpec], now: datetime | None = None) -> dict[str, str]:
    """Put the jobs in the (started, paused) scheduler, keeping the stored run times of jobs it already has.

    A job whose trigger changed in the configuration is rescheduled, from its last run when both triggers are
    intervals (``rescheduled_run``); a stored job no longer wanted (a source disabled) is removed. ``now`` is the
    scheduler's time (the wall clock unless given). Returns what happened to each job id.
    """
    now = now if now is not None else datetime.now(scheduler.timezone)
    done: dict[str, str] = {}
    wanted = {spec.id for spec in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
            done[job.id] = "removed"
    for spec in specs:
        existing = scheduler.get_job(spec.id)
        if existing is None:
            first = {} if spec.first_run_after is None else {"next_run_time": now + spec.first_run_after}
            scheduler.add_job(spec.func, spec.trigger, id=spec.id, name=spec.id, kwargs=spec.kwargs,
                              replace_existing=True, **first, **JOB_DEFAULTS)
            done[spec.id] = "added"
        elif str(existing.trigger) != str(spec.trigger) or existing.kwargs != spec.kwargs:
            scheduler.modify_job(spec.id, func=spec.func, kwargs=spec.kwargs)
            resumes = rescheduled_run(existing.trigger, existing.next_run_time, spec.trigger, now)
            if resumes is None:
                scheduler.reschedule_job(spec.id, trigger=spec.trigger)
            else:  # (an interval trigger's next run is the previous one plus its interval: the cadence follows)
                scheduler.modify_job(spec.id, trigger=spec.trigger, next_run_time=resumes)
            done[spec.id] = "rescheduled"
        else:
            next_run = existing.next_run_time.isoformat() if existing.next_run_time else "paused"
            done[spec.id] = f"kept (next run {next_run})"
    return done


def rescheduled_run(stored: BaseTrigger, stored_next: datetime | None, wanted: BaseTrigger,
                    now: datetime) -> datetime | None:
    """The next run of an interval job whose interval changed: its last run (the stored next run less the stored
    interval) plus the new interval, or now when that has passed; None (one new period from now) for other triggers.
    Changing a source's interval from 60 to 30 minutes then brings its next crawl nearer, never an hour out."""
    if not (isinstance(stored, IntervalTrigger) and isinstance(wanted, IntervalTrigger) and stored_next is not None):
        return None
    last_run = stored_next - stored.interval
    return max(last_run + wanted.interval, now)


def start(scheduler: BaseScheduler, specs: list[JobSpec]) -> dict[str, str]:
    """Start paused, reconcile the stored jobs with ``specs``, then resume: due jobs run once now."""
    scheduler.start(paused=True)
    done = install_jobs(scheduler, specs)
    scheduler.resume()
    return done
