"""``yuqing demo``: the main job, end to end, on the bundled local demo web.

Elasticsearch (the local node unless a cluster is configured) → the demo web on 127.0.0.1 → Scrapy
crawls every enabled demo source → analysis enriches each post → events → rules → cases routed to the
responsible units with statutory deadlines → alerts to local receivers. Then the clock is fast-forwarded
with nobody answering, so reminders, overdue deadlines and escalations to leaders can be seen too.
This module is CLI wiring: it may import every stage.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import signal
import sys
import time
from collections import Counter
from datetime import datetime, timedelta

import click

from yuqing import paths
from yuqing.clock import ManualClock
from yuqing.settings import Config


def _demo_sources(config: Config) -> list[str]:
    return [s.name for s in config.sources.sources if s.enabled and s.name.startswith("demo_")]


def _demo_port(config: Config, names: list[str]) -> int:
    from crawler.config import demo_web_port

    try:
        return demo_web_port(config, names)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _wipe_local_state(config: Config, es, layout) -> None:  # type: ignore[no-untyped-def]
    """--fresh: forget what earlier demo runs crawled, indexed and opened (only the local state)."""
    layout.delete_all(es)
    layout.ensure(es)
    for sub in ("crawler", "analysis", "spool"):
        shutil.rmtree(paths.state_dir() / sub, ignore_errors=True)
    url = config.settings.database.effective_url()
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            (paths.state_dir() / f"{url.removeprefix('sqlite:///').rsplit('/', 1)[-1]}{suffix}").unlink(missing_ok=True)
    (paths.state_dir() / "notifications.jsonl").unlink(missing_ok=True)


@click.command("demo")
@click.option("--fresh", is_flag=True, help="Forget earlier demo runs (local indices, database, crawl state).")
@click.option("--hours", default=50, show_default=True, type=click.IntRange(0, 24 * 30),
              help="Hours to fast-forward after the crawl with nobody answering (0: none).")
def demo_command(fresh: bool, hours: int) -> None:
    """Run the whole pipeline on the bundled demo web and say what happened and where to look.

    It runs in the sandbox 'demo' (or the one `yuqing --sandbox NAME` names): its own database, indices and state,
    so its cases, timed on a clock 50 hours ahead, never mix with the deployment's real ones."""
    sandbox = os.environ.get(paths.SANDBOX_ENV) or "demo"
    try:
        _run_demo(sandbox, fresh, hours)
    except KeyboardInterrupt:  # after the crawl: Scrapy's handler is gone, Python's raises here
        click.echo(f"\ndemo interrupted (Ctrl-C); what it had indexed and opened is kept in its sandbox. "
                   f"{_finish_hint(sandbox)}", err=True)
        sys.exit(130)


def _finish_hint(sandbox: str) -> str:
    """How to go on after Ctrl-C: a plain rerun in the same sandbox resumes (posts seen before are skipped); it said
    `yuqing demo --fresh`, which wipes the sandbox 'demo' whichever one was interrupted (a review, 2026-11-27)."""
    return f"Run `{paths.command('demo', sandbox)}` to finish (add --fresh to start over)"


def _run_demo(sandbox: str, fresh: bool, hours: int) -> None:
    from alerts.cases import record_simulated_run_end
    from alerts.notifiers import build_notifiers
    from alerts.outbox import OutboxWorker
    from alerts.wiring import build_pipeline, checked_config, open_database, open_elasticsearch
    from analysis.entry import save_state
    from crawler.demo_web import start_demo_web
    from crawler.runner import run_crawls
    from yuqing.cli import load_or_exit
    from yuqing.db.models import Case, Notification
    from yuqing.es.client import shown_es_url

    started = time.monotonic()
    click.get_current_context().with_resource(paths.in_sandbox(sandbox))
    config = load_or_exit()
    checked_config(config)
    sources = _demo_sources(config)
    if not sources:
        raise click.ClickException(f"no enabled demo_* source in {paths.config_file('sources.yaml')}; enable demo_news or another")
    port = _demo_port(config, sources)

    click.echo("1. Elasticsearch")
    es, layout = open_elasticsearch(config, start_local=True)
    if fresh:
        _wipe_local_state(config, es, layout)
    click.echo(f"   {shown_es_url(config.settings.elasticsearch)} healthy; posts → alias {layout.posts.alias}, "
               f"events → {layout.events.alias}")
    database = open_database(config)

    click.echo(f"2. Demo web on 127.0.0.1:{port}")
    try:
        web = start_demo_web(port=port, scenario="static")
    except OSError as exc:
        raise click.ClickException(f"{exc}; stop what uses it (perhaps `yuqing demo-web`) and run the demo again, "
                                   f"or point the demo_* sources' start_urls in {paths.config_file('sources.yaml')} at a free "
                                   "port") from None

    click.echo(f"3. Crawling {len(sources)} sources: {', '.join(sources)}")
    try:
        runs = run_crawls(config, sources, {"LOG_LEVEL": "WARNING"})
        save_state()
    finally:
        web.stop()
        # Scrapy's Ctrl-C handler outlives the crawl and ignored every Ctrl-C after it: Python's again.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    for run in runs:
        click.echo(f"   {run.summary()}")
    if any(r.interrupted for r in runs):  # Ctrl-C: no cases from half a crawl (they went to other units)
        click.echo("demo interrupted during the crawl: the posts indexed so far are kept, no case was opened. "
                   f"{_finish_hint(sandbox)}", err=True)
        sys.exit(130)

    click.echo("4. Events, rules and cases")
    clock = ManualClock(time_now(config))
    simulated_from = clock.now()
    pipeline = build_pipeline(config, database, es, layout, clock, live=True, state_dir=paths.state_dir())
    # The crawl's last batch may not be searchable yet (Elasticsearch refreshes every second): without this the
    # count below missed the last source's posts in about half the runs (they joined events a step later).
    es.indices.refresh(index=layout.posts.alias)
    clustered = pipeline.cluster_indexed()
    report = pipeline.evaluate()
    _quiet_logs()
    # Every channel (Slack, e-mail, WeCom, DingTalk, webhooks) is delivered to the local record file.
    worker = OutboxWorker(database, build_notifiers(config, clock=clock, record_all=True), clock)
    sent = _drain(worker)
    click.echo(f"   {clustered} posts clustered into events; {len(report.opened)} case(s) opened, "
               f"{len(report.grew)} grew; {sent} alert(s) recorded locally (the demo delivers nothing; one per "
               "recipient and channel)")
    for line in report.lines:
        click.echo(f"   {line}")

    if hours:
        click.echo(f"5. Fast-forward {hours} h with nobody acknowledging")
        totals: Counter[str] = Counter()
        for _ in range(hours * 4):
            clock.advance(timedelta(minutes=15))
            tick = pipeline.tick()
            totals.update(reminders=tick.reminders, overdue=tick.overdue, escalations=tick.escalations,
                          digests=tick.digests)
            totals["delivered"] += _drain(worker)
        click.echo(f"   {totals['reminders']} reminder(s), {totals['overdue']} overdue deadline(s), "
                   f"{totals['escalations']} escalation(s), {totals['digests']} digest(s); "
                   f"{totals['delivered']} notification(s) recorded locally (one per recipient and channel)")
    pipeline.close()
    with database.transaction() as session:  # the sandbox's clock runs on from the demo's end (yuqing.sandbox_clock)
        record_simulated_run_end(session, started=simulated_from, ended=clock.now(), real=time_now(config),
                                 by="yuqing demo")

    es.indices.refresh(index=[layout.posts.alias, layout.events.alias])
    posts = es.count(index=layout.posts.alias)["count"]
    events = es.count(index=layout.events.alias)["count"]
    with database.sessions() as session:
        cases = session.query(Case).order_by(Case.id).all()
        kinds = Counter(n.kind for n in session.query(Notification).filter(Notification.status == "sent"))  # recorded
        click.echo("")
        click.echo(f"Indexed {posts} posts and {events} events in Elasticsearch; {len(cases)} case(s); "
                   "notifications recorded (one per recipient and channel): "
                   + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "none"))
        for case in cases:
            due = ", ".join(f"{d.kind} {d.due_at.astimezone(config.settings.tz()):%m-%d %H:%M}"
                            for d in case.deadlines)
            click.echo(f"  case {case.id} [{case.grade or '-'}] {case.title[:40]} → {case.unit_id} "
                       f"({case.state}; {due})")
    click.echo("")
    click.echo("Where to look:")
    click.echo(f"  Elasticsearch       {shown_es_url(config.settings.elasticsearch)}/{layout.posts.alias}/_search")
    window = _window_hours(es, layout, clock.now())
    click.echo(f"  dashboards          .venv/bin/yuqing --sandbox {sandbox} dashboard   → "
               f"{config.settings.dashboard.public_url.rstrip('/')}/" + (f"?hours={window}" if window else ""))
    if window:  # the default 24 h of a clock 50 h ahead showed zeros (a review, 2026-11-28)
        click.echo(f"                      (the last {window} h reach back to the demo's first post from the sandbox's "
                   f"clock{f', {hours} h ahead of real time' if hours else ''}; the default window is 24 h)")
    overdue = _sources_overdue(config, clock.now()) if hours else []
    if overdue:  # the overview's red 采集中断 banner, read as a failed collection (a review, 2026-11-28)
        click.echo(f"                      its banner 采集中断 (or 无法采集) and /sources' 逾期未采集 ({', '.join(overdue)}) "
                   f"come from the fast-forward: nothing has crawled the demo web since step 3, {hours} h back on the "
                   "sandbox's clock, as the demo stopped the demo web after its crawl")
    click.echo(f"  cases, alerts       .venv/bin/yuqing --sandbox {sandbox} cases list   ·   "
               f".venv/bin/yuqing --sandbox {sandbox} notifications list")
    click.echo(f"  (the sandbox '{sandbox}' keeps the demo's database, indices and state apart from the deployment's)")
    click.echo(f"  recorded messages   {paths.state_dir() / 'notifications.jsonl'} (every channel; `yuqing run` "
               "delivers to the channels whose secrets are set)")
    click.echo(f"  source links        the posts on the event and search pages link to the demo web on 127.0.0.1:{port}, "
               "stopped with the demo: .venv/bin/yuqing demo-web serves it again")
    click.echo(f"demo finished in {time.monotonic() - started:.0f} s")
    database.dispose()


def _window_hours(es, layout, now) -> int | None:  # type: ignore[no-untyped-def]
    """The dashboard's window that shows every post of the demo: from its first post to the clock's end, whole hours
    and a day to spare (the sandbox's clock runs on at real speed). None without posts."""
    first = es.search(index=layout.posts.alias, size=1, sort=[{"ts": {"order": "asc"}}], source_includes=["ts"])
    if not first["hits"]["hits"]:
        return None
    since = datetime.fromisoformat(first["hits"]["hits"][0]["_source"]["ts"])
    return math.ceil(max(0.0, (now - since).total_seconds()) / 3600) + 24


def _sources_overdue(config: Config, now) -> list[str]:  # type: ignore[no-untyped-def]
    """The demo sources the sandbox's dashboards show as overdue at ``now`` (as /sources reads them): crawled in
    step 3 and not since, judged by the clock the fast-forward left ahead."""
    from crawler.health import recorded_health

    return [h.source for h in recorded_health(config, now) or []
            if h.enabled and h.source.startswith("demo_") and h.status == "overdue"]


def _quiet_logs() -> None:
    """After Scrapy has set up logging: keep the demo's output to what it says itself."""
    for name in ("elastic_transport", "elasticsearch", "alerts", "analysis", "apscheduler", "scrapy"):
        logging.getLogger(name).setLevel(logging.WARNING)


def time_now(config: Config):  # type: ignore[no-untyped-def]
    return datetime.now(config.settings.tz())


def _drain(worker) -> int:  # type: ignore[no-untyped-def]
    total = 0
    while True:
        sent = worker.run_once()
        total += sent
        if sent == 0:
            return total
