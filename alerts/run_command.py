"""``yuqing run``: the live service — crawls, analysis, rules, escalation and the outbox on their schedules."""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import select

from alerts.wiring import (
    SearchUnavailable,
    build_pipeline,
    checked_config,
    deployment_clock,
    deployment_config,
    local_text,
    open_database,
    open_elasticsearch,
)
from yuqing import paths
from yuqing.settings import Config, redact_url

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

    from alerts.sources import SourceStatus
    from yuqing.es.indices import IndexLayout


def _log_in_zone(tz: Any) -> None:
    """`yuqing run`'s log: times in settings.yaml's zone (they were UTC beside the scheduler's local times), and
    not apscheduler's two lines per job run (every 5 s: half of a quiet minute's log)."""
    from yuqing.logs import log_in_zone

    log_in_zone(tz)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


def _crawl_hook(config: Config, reactor: Any, stopping: threading.Event) -> tuple[Callable[[str], Any] | None, str]:
    """A function that crawls one source inside the shared reactor, or None and the reason. ``stopping`` is set when
    the service shuts down: a crawl job then stops waiting for a crawl the stopped reactor will never finish."""
    try:
        from scrapy.crawler import CrawlerRunner
        from scrapy.spiderloader import SpiderLoader
        from scrapy.utils.project import get_project_settings
        from twisted.internet.defer import Deferred
        from twisted.python.failure import Failure
    except ImportError as exc:
        return None, f"Scrapy is not installed ({exc})"

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    try:
        settings = get_project_settings()
        spiders = set(SpiderLoader.from_settings(settings).list())
    except (ImportError, KeyError) as exc:
        return None, f"the crawler project cannot be loaded ({exc})"
    missing = sorted({s.type for s in config.sources.sources if s.enabled and s.type not in spiders})
    if missing:
        return None, f"no spider for source type(s) {', '.join(missing)} (spiders: {', '.join(sorted(spiders))})"
    runner = CrawlerRunner(settings)

    def start_crawl(spider: str, source: str) -> Deferred[None]:
        return runner.crawl(spider, source=source)

    def crawl(source: str) -> None:
        """Runs in a job thread; the crawl itself runs in the reactor, and this waits for it to end — or for the
        service to stop: waiting without end (blockingCallFromThread) kept the process alive after SIGTERM or
        Ctrl-C during a crawl, until a kill -9 (an operator review)."""
        finished: queue.Queue[Any] = queue.Queue(maxsize=1)

        def start() -> None:
            started = start_crawl(config.sources.get(source).type, source)
            started.addBoth(finished.put)

        reactor.callFromThread(start)
        while True:
            try:
                outcome = finished.get(timeout=1.0)
            except queue.Empty:
                if stopping.is_set():
                    logging.getLogger(__name__).warning("crawl of %s left unfinished: the service is stopping (it resumes on the next run)",
                                source)
                    return
                continue
            if isinstance(outcome, Failure):
                outcome.raiseException()
            return

    return crawl, f"spiders {', '.join(sorted(spiders))}"


def _only_instance(state_dir: Path) -> Any:
    """Hold ``run.lock`` in the state directory for as long as this process runs; refuse when another `yuqing run`
    holds it. Two services on one state directory ran every job twice, wrote the event tracker's file over each
    other and deleted each other's crawl queues (an operator review)."""
    try:
        return paths.hold_run_lock(state_dir)
    except paths.RunLockHeld as held:
        raise click.ClickException(f"another `yuqing run` (pid {held.holder}) is already running on the state "
                                   f"directory {state_dir}; stop it first, or give this one its own YUQING_HOME") from None


def _known_events_without_cases(database: Any, es: Elasticsearch, layout: IndexLayout) -> list[str]:
    """A workflow database with no case beside indices that hold graded events: most likely a move to a new database
    (SQLite → PostgreSQL) without its cases, and the rules would open every case again, alert every unit again and
    restart the statutory clocks (a review). Said at start; the events may be meant to be alerted again."""
    from sqlalchemy import func

    from yuqing.db.models import Case

    with database.sessions() as session:
        if session.scalar(select(func.count()).select_from(Case)):
            return []
    graded = es.count(index=layout.events.alias, query={"exists": {"field": "grade"}}, ignore_unavailable=True,
                      allow_no_indices=True)["count"]
    if not graded:
        return []
    earlier = paths.state_dir() / "yuqing.db"
    source = f"--from sqlite:///{earlier} " if earlier.is_file() and database.url != f"sqlite:///{earlier}" else ""
    return [f"the workflow database {redact_url(database.url)} holds no case, but the indices {layout.prefix}-* "
            f"already hold {graded} graded event(s): the rules will open their cases again, alert the units again "
            "for events already known and restart their deadlines. If the cases are in another database (the SQLite "
            f"file of a trial), stop now and carry them over: `yuqing db copy {source}--to URL_OF_THIS_DATABASE`"]


def _sole_scheduler(url: str) -> Any:
    """Hold the workflow database for this `yuqing run` (``yuqing.db.scheduler_lock``): ``run.lock`` guards only the
    state directory, and a second scheduler on the same database from elsewhere opened every case again."""
    from yuqing.db.scheduler_lock import SchedulerLock, SchedulerLockHeld

    try:
        return SchedulerLock.take(url)
    except SchedulerLockHeld as exc:
        raise click.ClickException(str(exc)) from None


def _keep_scheduler_lock(lock: Any, every: float, scheduler: Any, reactor: Any, stopping: threading.Event,
                         taken_by: list[str]) -> None:
    """Check the database lock every tick. Its connection dropped (a database restart): the jobs pause until it is
    taken again. Another `yuqing run` took it meanwhile: this one stops, leaving the database to that one, rather
    than the two running every job twice."""
    log = logging.getLogger(__name__)
    paused = False

    def switch(pause: bool) -> None:  # in the reactor, unless the service stopped meanwhile
        if not stopping.is_set():
            scheduler.pause() if pause else scheduler.resume()

    while not stopping.wait(every):
        status = lock.check()
        if status == "lost" and not paused:
            reactor.callFromThread(switch, True)
            paused = True
        elif status == "retaken":
            log.info("the scheduler lock on %s is held again; jobs resume", redact_url(lock.url))
            if paused:
                reactor.callFromThread(switch, False)
                paused = False
        elif status == "taken":
            taken_by.append(f"another {lock.holder()} took the workflow database {redact_url(lock.url)} while "
                            "this one's connection was down; it runs the jobs now")
            log.error("%s; this one stops", taken_by[0])
            reactor.callFromThread(reactor.stop)
            return


def _check_slack_token(config: Config, notifiers: Mapping[str, Any], database: Any, clock: Any) -> None:
    """At start, ask Slack whether it accepts the bot token (``auth.test``): a refused token is a WARNING naming the
    variable (the service still starts: the other channels work); an accepted one makes the Slack messages a refused
    token held back due now, instead of at the next 5-minute retry."""
    from alerts.notifiers import SlackNotifier
    from alerts.notifiers.slack import REFUSED_TOKEN_ERRORS
    from alerts.outbox import release_held

    slack = notifiers.get("slack")
    if not isinstance(slack, SlackNotifier):
        return  # no token: delivery_warnings says so
    log = logging.getLogger(__name__)
    token_env = config.settings.notifications.slack.token_env
    problem = slack.token_problem()
    if problem is not None:
        log.warning("%s: %s. Slack messages wait in the outbox (retried every 5 min) until it is fixed; other "
                    "channels are sent. Set %s to the app's bot token (xoxb-…) and restart, or run `yuqing "
                    "notifications retry`", token_env, problem, token_env)
        return
    with database.transaction() as session:
        released = release_held(session, channel="slack", at=clock.now(), errors=REFUSED_TOKEN_ERRORS)
    if released:
        log.info("Slack accepts the bot token (%s): %d Slack message(s) held by a refused token are sent now",
                 token_env, len(released))


def _source_health(config: Config) -> Callable[[datetime], Sequence[SourceStatus]]:
    """Every source's health as of a time, from the state file the service's own crawls write."""
    from crawler.health import source_health
    from crawler.state import default_path

    state_file = default_path()
    return lambda now: source_health(config, now, state_file)


def _refuse_a_simulated_sandbox(config: Config, database: Any) -> None:
    """A live service records on the real clock and judges live posts by it: in a sandbox whose clock a simulated run
    left ahead (or behind), its records would land before (or after) what is there, as hand actions did."""
    from yuqing.sandbox_clock import SandboxClock

    clock = deployment_clock(config, database)
    simulated = clock.simulated() if isinstance(clock, SandboxClock) else None
    if simulated is not None:
        off = (clock.now() - datetime.now(UTC)).total_seconds() / 3600
        raise click.ClickException(
            f"the sandbox {paths.sandbox()!r} keeps the clock a simulated run (yuqing demo or replay) left: it reads "
            f"{local_text(clock.now(), config)}, {abs(off):.1f} h {'ahead of' if off > 0 else 'behind'} real time, and a "
            "live run would record on the real clock among its records. Run the service in the deployment "
            "(`yuqing run`) or in a sandbox no simulated run used (`yuqing --sandbox live run`)")


@click.command("run")
@click.option("--tick-seconds", type=float, default=30.0, show_default=True,
              help="How often reminders and escalations are checked.")
@click.option("--evaluate-seconds", type=float, default=60.0, show_default=True, help="How often the rules run.")
@click.option("--outbox-seconds", type=float, default=5.0, show_default=True, help="How often due messages are sent.")
@click.option("--no-crawl", is_flag=True, help="Do not crawl (posts arrive some other way).")
@click.option("--stop-after", type=float, default=None, help="Stop after this many seconds (tests, benchmarks).")
def run_command(tick_seconds: float, evaluate_seconds: float, outbox_seconds: float, no_crawl: bool,
                stop_after: float | None) -> None:
    """Run the monitoring service: crawls, rules, cases, reminders, escalations, outbox and digests."""
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor as installed

    reactor: Any = installed

    from alerts.escalation import Escalator
    from alerts.notifiers import build_notifiers, delivery_warnings
    from alerts.outbox import OutboxWorker
    from alerts.scheduler import Runtime, job_specs, make_scheduler, set_runtime, start
    from yuqing.clock import SystemClock
    from yuqing.logs import FORMAT

    logging.basicConfig(level=logging.INFO, format=FORMAT)  # (times in the configured zone once it is read)
    from crawler.runner import quiet_network_tracebacks

    quiet_network_tracebacks()
    config = deployment_config()
    _log_in_zone(config.settings.tz())
    checked_config(config)
    instance = _only_instance(paths.state_dir())  # held until the process ends
    database = open_database(config)
    database_lock = _sole_scheduler(database.url)
    _refuse_a_simulated_sandbox(config, database)
    try:
        es, layout = open_elasticsearch(config, start_local=True)
        indices_ready = True
    except SearchUnavailable as exc:
        from yuqing.es.client import client_for
        from yuqing.es.indices import IndexLayout

        click.echo(f"warning: {exc.message}. Starting anyway: reminders, escalations and the outbox need only the "
                   "database; crawls and rules start working when Elasticsearch answers.", err=True)
        es, layout = client_for(config.settings.elasticsearch), IndexLayout(config.settings.elasticsearch.index_prefix)
        indices_ready = False
    clock = SystemClock(config.settings.tz())
    state_dir = paths.state_dir()
    pipeline = build_pipeline(config, database, es, layout, clock, live=True, state_dir=state_dir)
    stopping = threading.Event()
    crawl, why = (None, "disabled with --no-crawl") if no_crawl else _crawl_hook(config, reactor, stopping)
    click.echo(f"crawling: {'on, ' + why if crawl else 'off (' + why + ')'}")
    from alerts.cases import orphaned_cases

    with database.sessions() as session:
        orphaned = orphaned_cases(session, config.units)
    # A topic model that disagrees with taxonomy.yaml is said once, by the enricher when it loads the model.
    known = _known_events_without_cases(database, es, layout) if indices_ready else []
    for warning in [*delivery_warnings(config), *orphaned, *known]:
        click.echo(f"warning: {warning}", err=True)
    notifiers = build_notifiers(config, clock=clock)
    _check_slack_token(config, notifiers, database, clock)
    runtime = Runtime(config, database, clock, Escalator(config, pipeline.router),
                      OutboxWorker(database, notifiers, clock), pipeline, crawl,
                      source_health=_source_health(config) if crawl is not None else None,
                      indices_ready=indices_ready)
    set_runtime(runtime)
    scheduler = make_scheduler(database, config, "twisted", reactor)
    specs = job_specs(config, tick_seconds=tick_seconds, evaluate_seconds=evaluate_seconds,
                      outbox_seconds=outbox_seconds, crawl=crawl is not None)
    for job_id, what in start(scheduler, specs).items():
        click.echo(f"job {job_id}: {what}")

    def stop() -> None:
        stopping.set()
        scheduler.shutdown(wait=False)
        pipeline.close()

    reactor.addSystemEventTrigger("before", "shutdown", stop)
    if stop_after is not None:
        reactor.callLater(stop_after, reactor.stop)
    taken_by: list[str] = []
    threading.Thread(target=_keep_scheduler_lock, args=(database_lock, tick_seconds, scheduler, reactor, stopping,
                                                        taken_by), name="scheduler-lock", daemon=True).start()
    click.echo("yuqing is running; Ctrl-C stops it (jobs and their next run times are kept in the database)")
    reactor.run()
    database_lock.release()
    instance.close()  # (the lock goes with it)
    if taken_by:
        raise click.ClickException(f"stopped: {taken_by[0]}")
