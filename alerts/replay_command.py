"""``yuqing replay``: the whole pipeline over time-stamped posts on a simulated clock, in its own sandbox."""

from __future__ import annotations

import logging
import math
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from alerts.wiring import (
    build_pipeline,
    checked_config,
    deployment_config,
    local_text,
    open_database,
    open_elasticsearch,
    parse_when,
)
from yuqing import paths
from yuqing.settings import Config

# A replay evaluates the rules at least this often (simulated minutes).
MAX_EVALUATE_MINUTES = 366 * 24 * 60.0


def _reset(config: Config, database: Any, es: Any, layout: Any) -> None:
    """Empty this deployment's cases, outbox and indices so a replay starts from nothing."""
    from sqlalchemy import delete

    from yuqing.db.models import (
        BoardMessage,
        Case,
        CaseEvent,
        Deadline,
        Notification,
        ResponseAssessment,
        ScheduleMark,
    )

    with database.transaction() as session:
        for model in (Notification, CaseEvent, Deadline, ResponseAssessment, BoardMessage, Case, ScheduleMark):
            session.execute(delete(model))
    layout.delete_all(es)
    layout.ensure(es)


@click.command("replay")
@click.option("--posts", "posts_path", required=True, type=click.Path(path_type=Path),
              help="JSON-lines file of posts; published_at drives the clock.")
@click.option("--speed", type=float, default=3600.0, show_default=True,
              help="Simulated seconds per real second between steps (a step waits at most 0.5 s).")
@click.option("--start", "start_text", default=None,
              help="When the clock starts (2019-12-13, 2019/12/13 08:00, ISO time; default: the first post).")
@click.option("--evaluate-minutes", type=float, default=15.0, show_default=True,
              help="Simulated minutes between rule evaluations while posts flow.")
@click.option("--reset", is_flag=True, help="Empty the sandbox's cases, notifications and indices first.")
@click.option("--send", is_flag=True, help="Send through the configured channels instead of recording deliveries.")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
def replay_command(posts_path: Path, speed: float, start_text: str | None, evaluate_minutes: float, reset: bool,
                   send: bool, quiet: bool) -> None:
    """Run the whole pipeline over time-stamped posts with a simulated clock; then let every deadline pass.

    It runs in the sandbox 'replay' (or the one `yuqing --sandbox NAME` names): its own database, indices and
    state, never the deployment's."""
    from alerts.cases import record_simulated_run_end
    from alerts.notifiers import build_notifiers
    from alerts.outbox import OutboxWorker
    from alerts.replay import Replay, ReplayInputError, read_posts
    from analysis.media_outlets import MediaOutlets, MediaOutletsError
    from analysis.region import resolve_region
    from yuqing.clock import ManualClock
    from yuqing.db.models import Case

    # Every argument is checked before anything is touched: --reset empties the database and the indices.
    if not (speed > 0 and math.isfinite(speed)):
        raise click.BadParameter(f"{speed} is not a positive number; give simulated seconds per real second, e.g. "
                                 "3600", param_hint="--speed")
    if not 0 < evaluate_minutes <= MAX_EVALUATE_MINUTES:
        raise click.BadParameter(f"{evaluate_minutes} is not between 0 and {MAX_EVALUATE_MINUTES:g} (a year); give "
                                 "simulated minutes, e.g. 15", param_hint="--evaluate-minutes")
    sandbox = click.get_current_context().with_resource(paths.in_sandbox(os.environ.get(paths.SANDBOX_ENV) or "replay"))
    config = deployment_config()
    checked_config(config)
    tz = config.settings.tz()
    notes: list[str] = []
    try:  # a post without media_tier takes its source's (sources.yaml, else the outlet table), as `analyze` does
        outlets = MediaOutlets.for_config(config.directory, config.sources.sources)
        posts = read_posts(posts_path, tz, resolve_region, warnings=notes, resolve_tier=outlets.tier_of)
    except (ReplayInputError, MediaOutletsError) as exc:
        raise click.ClickException(str(exc)) from exc
    for note in notes[:20]:
        click.echo(f"note: {note}", err=True)
    if len(notes) > 20:
        click.echo(f"note: {len(notes) - 20} more repeated id(s)", err=True)
    start = parse_when(start_text, datetime.now(tz), "--start") if start_text else posts[0].timestamp()
    if start > (last := posts[-1].timestamp()):
        click.echo(f"note: --start {start_text} is after the last post ({last.astimezone(tz):%Y-%m-%d %H:%M}); "
                   "every post is fed at the start", err=True)
    database = open_database(config)
    es, layout = open_elasticsearch(config, start_local=True)
    record_to = paths.state_dir() / "replay-deliveries.jsonl"
    if reset:
        _reset(config, database, es, layout)
        record_to.unlink(missing_ok=True)  # the deliveries of the replays before belong to what was emptied
    with database.sessions() as session:
        existing = session.scalar(select(Case.id).limit(1))
    if existing is not None and not reset:
        click.echo("note: the database already holds cases; they take part in this replay "
                   "(--reset starts from nothing)", err=True)
    clock = ManualClock(start.astimezone(tz))  # times in messages and the record read in the configured zone
    state_dir = paths.state_dir()
    notifiers = build_notifiers(config, clock=clock, record_to=record_to, record_all=not send)
    outbox = OutboxWorker(database, notifiers, clock)
    logging.getLogger("analysis").setLevel(logging.WARNING)
    pipeline = build_pipeline(config, database, es, layout, clock, live=False, state_dir=state_dir / "replay")
    replay = Replay(pipeline, outbox, clock, speed=speed, evaluate_every=timedelta(minutes=evaluate_minutes),
                    echo=None if quiet else click.echo)
    report = replay.run(posts)
    pipeline.close()
    with database.transaction() as session:  # the sandbox's clock runs on from the replay's end
        record_simulated_run_end(session, started=start, ended=clock.now(), real=datetime.now(tz), by="yuqing replay")
    click.echo(f"replayed {report.posts} posts from {local_text(report.started_at, config)} to "
               f"{local_text(report.ended_at, config)} in {report.wall_seconds:.1f} s: "
               f"{len(report.cases_opened)} case(s) opened, {report.reminders} reminder(s), "
               f"{report.overdue} overdue deadline(s), {report.escalations} escalation(s), {report.digests} digest(s), "
               + (f"{report.delivered} notification(s) delivered" if send
                  else f"{report.delivered} notification(s) recorded in {record_to} (none delivered)"))
    click.echo(f"see `yuqing --sandbox {sandbox} cases list --json`, `yuqing --sandbox {sandbox} notifications list "
               f"--json` and `yuqing --sandbox {sandbox} dashboard` (the sandbox '{sandbox}' keeps the replay apart "
               "from the deployment's own cases)")
    if not report.complete:
        raise click.ClickException("the replay stopped before every duty was done (see the last line above)")


