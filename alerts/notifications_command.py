"""``yuqing notifications``: the outbox — what was (or will be) sent to whom, sending and retrying."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select

from alerts.wiring import (
    ROW_ID,
    deployment_clock,
    deployment_config,
    open_database,
)
from yuqing import paths
from yuqing.settings import Config


@click.group("notifications")
def notifications_group() -> None:
    """The notification outbox: what was (or will be) sent to whom, and when."""


RECORDED = "recorded"  # shown for a message the record notifier kept locally instead of delivering it


def _shown_status(n: Any) -> str:
    from alerts.outbox import SENT

    return RECORDED if n.status == SENT and (n.external_id or "").startswith("record:") else str(n.status)


def notification_dict(n: Any, config: Config) -> dict[str, Any]:
    """A notification as `notifications list` shows it; times in the configured zone. ``next_attempt_at``: when the
    outbox tries a waiting one next (for one being sent, when its claim lapses); None once sent or given up."""
    from alerts.outbox import DUE_STATUSES, FAILED

    tz = config.settings.tz()
    return {"id": n.id, "case_id": n.case_id, "kind": n.kind, "channel": n.channel, "recipient": n.recipient,
            "status": _shown_status(n), "attempts": n.attempts,
            "scheduled_at": n.scheduled_at.astimezone(tz).isoformat(),
            "sent_at": n.sent_at.astimezone(tz).isoformat() if n.sent_at else None,
            "next_attempt_at": n.next_attempt_at.astimezone(tz).isoformat() if n.status in DUE_STATUSES else None,
            "given_up": n.status == FAILED,
            "title": (n.payload or {}).get("title"), "summary": (n.payload or {}).get("summary"),
            "escalation_level": (n.payload or {}).get("escalation_level"),
            "idempotency_key": n.idempotency_key, "last_error": n.last_error}


@notifications_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Every notification as one JSON array, each with its payload.")
@click.option("--case", "case_id", type=ROW_ID, default=None, help="Only this case's notifications.")
@click.option("--kind", type=click.Choice(["alert", "reminder", "escalation", "digest"]), default=None)
@click.option("--status", type=click.Choice(["pending", "sending", "retrying", "sent", RECORDED, "failed",
                                             "cancelled"]),
              default=None, help="pending: not sent yet; sending: being sent; retrying: an attempt failed, tried "
                                 "again later; sent: delivered; recorded: kept in the local file only (no channel "
                                 "secret set); failed: given up; cancelled: no longer to be sent (the last error says "
                                 "why, e.g. the case went to another unit).")
def notifications_list(as_json: bool, case_id: int | None, kind: str | None, status: str | None) -> None:
    """Every notification: case, kind, channel, recipient, scheduled time, status, and when it was sent, when it is
    tried next, or that it was given up (with the last error of one waiting to be retried or given up)."""
    from alerts.outbox import CANCELLED, SENT
    from yuqing.db.models import Notification

    config = deployment_config()
    database = open_database(config, existing=True)
    query = select(Notification).order_by(Notification.scheduled_at, Notification.id)
    if case_id is not None:
        query = query.where(Notification.case_id == case_id)
    if kind:
        query = query.where(Notification.kind == kind)
    if status == RECORDED:
        query = query.where(Notification.status == SENT, Notification.external_id.like("record:%"))
    elif status == SENT:
        query = query.where(Notification.status == SENT, ~Notification.external_id.like("record:%")
                            | Notification.external_id.is_(None))
    elif status:
        query = query.where(Notification.status == status)
    with database.sessions() as session:
        rows = [notification_dict(n, config) for n in session.scalars(query)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        if r["sent_at"]:
            when = f"at {r['sent_at'][:16]}"
        elif r["given_up"]:
            when = f"given up (`{paths.command_here('notifications retry')}` sends it again)"
        elif r["status"] == CANCELLED:
            when = "not to be sent"
        else:
            when = f"next try {r['next_attempt_at'][:16]}"
        click.echo(f"#{r['id']:<5} {r['scheduled_at'][:16]} {r['kind']:10} case {str(r['case_id'] or '-'):4} "
                   f"{r['channel']:8} "
                   f"{r['recipient']:32} {r['status']:8} {when}"
                   + (f"  last error: {r['last_error'][:160]}" if r["last_error"] and r["status"] != SENT else ""))
    click.echo(f"{len(rows)} notification(s)")


@notifications_group.command("send")
def notifications_send() -> None:
    """Send the notifications that are due now, once (the scheduler does this every few seconds)."""
    config = deployment_config()
    _send_due(config, open_database(config))  # (a periodic job: a fresh install has nothing to send)


def _send_due(config: Config, database: Any) -> None:
    """Send what is due now, once, and say what is still waiting or given up."""
    from alerts.notifiers import build_notifiers, delivery_warnings
    from alerts.outbox import FAILED, RETRYING, OutboxWorker, status_counts

    clock = deployment_clock(config, database)
    for warning in delivery_warnings(config):
        click.echo(f"warning: {warning}", err=True)
    handled = OutboxWorker(database, build_notifiers(config, clock=clock), clock).run_once()
    with database.sessions() as session:
        counts = status_counts(session)
    click.echo(f"{handled} notification(s) sent or recorded now")
    if counts.get(RETRYING) or counts.get(FAILED):
        click.echo(f"{counts.get(RETRYING, 0)} waiting to be retried, {counts.get(FAILED, 0)} given up: see "
                   f"`{paths.command_here('notifications list --status retrying')}` (or failed) for the errors; once the cause "
                   f"is fixed, `{paths.command_here('notifications retry')}` sends them again", err=True)


@notifications_group.command("retry")
@click.argument("ids", nargs=-1, type=ROW_ID)
def notifications_retry(ids: tuple[int, ...]) -> None:
    """Send `failed` and `retrying` notifications again, now, with fresh attempts — after fixing what stopped them
    (a Slack token, a channel name, an SMTP password); `pending` ones a paused channel holds back go too. IDS: the
    notifications' ids (`yuqing notifications list --status failed` shows them); none: every such one."""
    from alerts.outbox import requeue
    from yuqing.db.models import Notification

    config = deployment_config()
    database = open_database(config)  # (a periodic job: a fresh install has nothing to send)
    given = list(dict.fromkeys(ids))
    with database.transaction() as session:
        found = {n.id: n for n in session.scalars(select(Notification).where(Notification.id.in_(given)))}
        unknown = [i for i in given if i not in found]
        if unknown:  # (it said "left alone" of a mistyped id, and exited 0)
            raise click.ClickException(
                f"no notification {', '.join(f'#{i}' for i in unknown)} in this outbox, so nothing was sent again; "
                f"`{paths.command_here('notifications list')}` shows the ids (`--status failed` or `--status retrying`: the ones "
                "retry sends)")
        queued = requeue(session, given or None, at=deployment_clock(config, database).now())
        left = {i: _shown_status(found[i]) for i in given if i not in queued}
    if left:
        click.echo(f"left alone, neither failed nor retrying: {', '.join(f'#{i} {s}' for i, s in left.items())}"
                   + (" (a pending one is sent when it is due)" if "pending" in left.values() else ""), err=True)
    click.echo(f"{len(queued)} notification(s) due again")
    if queued:  # it said it sends them, and only queued them (a review, 2026-11-27)
        _send_due(config, database)


