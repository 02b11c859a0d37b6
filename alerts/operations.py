"""Operational notifications: faults of the system itself (search unreachable, sources not collecting) told to the
operations receiver (units.yaml ``operations_receiver``, else the press office: the default receiver), and the
all-clear when a fault it was told of is over.

They are no case: no grade, no deadlines, nothing to sign off. ``"operational": True`` makes every channel render
them so (alerts.messages); ``"recovered": True`` marks the all-clear (运行恢复).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from alerts.cases import queue
from alerts.notifiers import unit_recipients
from alerts.routing import Router
from yuqing.contract import duration_text
from yuqing.settings import Config


def tell_operations(session: Session, config: Config, router: Router, *, title: str, summary: str, rule: str,
                    page: str, key: str, at: datetime, recovered: bool = False, **extra: Any) -> int:
    """Queue one operational notification to the operations receiver in the caller's transaction; ``page`` is the
    dashboard path it links to (``/sources`` for sources, ``/`` for the system). Returns how many were queued."""
    default = router.by_id[config.units.operations_receiver or config.units.route.receiver or ""]
    payload: dict[str, Any] = {
        "title": title, "summary": summary, "kind": "alert", "operational": True, "recovered": recovered,
        "case_id": None, "state": None, "grade": None, "grade_colour": None, "risk": None, "topic": None,
        "region": None, "unit": default.id, "unit_name": default.name, "joint_units": [], "deadlines": [],
        "factors": [], "links": {"case": f"{config.settings.dashboard.public_url.rstrip('/')}{page}"},
        "escalation_level": 0, "rule": rule, "source": None, **extra}
    return len(queue(session, case=None, kind="alert", recipients=unit_recipients(default), payload=payload, key=key,
                     at=at))


def down_for(config: Config, since: datetime, until: datetime) -> str:
    """``自 03-02 09:00 至 09:40，中断 40分钟`` in the configured zone: what an all-clear says of the fault."""
    tz = config.settings.tz()
    start, end = since.astimezone(tz), until.astimezone(tz)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%m-%d %H:%M}"
    return f"自 {start:%Y-%m-%d %H:%M} 至 {end_text}，中断 {duration_text((until - since).total_seconds())}"
