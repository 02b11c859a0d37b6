"""Source health for dashboards and alerts: is each source being crawled, and does it still yield?

A source is *failing* when its fetches fail, *silent* when pages come back but nothing is found on
them (a changed layout), *overdue* when no run finished for a while, each judged against the
source's own ``interval_minutes``. Failing and silent spells are recorded as health events in the
crawler's state database when a run ends; ``source_health()`` reads them back with the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.logs import shown
from crawler.state import CrawlState, HealthEvent, default_path
from yuqing.settings import Config, load_config

# A run may come a little late without being a problem: overdue only after this many intervals.
OVERDUE_INTERVALS = 3
# The statuses of a source that collects nothing at all: its fetches fail, or its runs stopped finishing (and silent,
# for a source that never collected an item: SourceHealth.down_since).
NOT_COLLECTING = frozenset({"failing", "overdue"})


def overdue_since(since: datetime | None, now: datetime, interval_minutes: float) -> bool:
    """Whether a condition that began at ``since`` (None: it never held) has lasted an interval or more."""
    return since is None or now - since >= timedelta(minutes=interval_minutes)


@dataclass(frozen=True)
class SourceHealth:
    source: str
    type: str
    enabled: bool
    status: str  # ok, failing, silent, overdue, never_run, disabled
    interval_minutes: float
    last_run_finished: datetime | None = None
    last_ok_at: datetime | None = None
    last_item_at: datetime | None = None
    items_total: int = 0
    items_last_run: int = 0
    errors_last_run: int = 0
    last_error: str | None = None
    open_events: list[HealthEvent] = field(default_factory=list)

    @property
    def never_collected(self) -> bool:
        """No item has ever come from this source: one wrong from its first day, the usual case of a deployer's own
        new site (the flatline rule, which needs days of its history, cannot tell)."""
        return self.items_total == 0 and self.last_item_at is None

    @property
    def down_since(self) -> datetime | None:
        """Since when a source that collects nothing (failing, overdue; silent too when it never collected an item)
        has not worked: its last success, or, never successful, its first recorded failure; for a source that never
        collected an item, the start of its open failing or silent spell (its fetches may succeed). The same through a
        whole spell, failing, silent or overdue by turns, so an alert about it can be told once (None for a source
        that works, or is not judged)."""
        if self.status not in NOT_COLLECTING and not (self.status == "silent" and self.never_collected):
            return None
        kinds = {"failing", "silent"} if self.never_collected else {"failing"}
        spell = min((e.at for e in self.open_events if e.kind in kinds), default=None)
        if self.never_collected and spell is not None:
            return spell
        return self.last_ok_at or spell or self.last_run_finished

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "source": self.source,
            "type": self.type,
            "enabled": self.enabled,
            "status": self.status,
            "interval_minutes": self.interval_minutes,
            "last_run_finished": iso(self.last_run_finished),
            "last_ok_at": iso(self.last_ok_at),
            "last_item_at": iso(self.last_item_at),
            "items_total": self.items_total,
            "items_last_run": self.items_last_run,
            "errors_last_run": self.errors_last_run,
            "last_error": self.last_error,
            "open_events": [e.to_dict() for e in self.open_events],
        }


def source_health(
    config: Config | None = None, now: datetime | None = None, state_path: Path | None = None
) -> list[SourceHealth]:
    """The health of every configured source, worst first; times in the configured zone (stored in UTC), as every
    other view shows them."""
    config = config or load_config()
    tz = config.settings.tz()
    now = now or datetime.now(tz)

    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(tz) if value else None

    store = CrawlState(state_path)
    try:
        out = []
        for spec in config.sources.sources:
            state = store.source_state(spec.name)
            events = [replace(e, at=e.at.astimezone(tz), resolved_at=local(e.resolved_at))
                      for e in store.events(spec.name, open_only=True)]
            if not spec.enabled:
                status = "disabled"
            elif state is None or state.last_run_finished is None:
                status = "never_run"
            elif any(e.kind == "failing" for e in events):
                status = "failing"
            elif any(e.kind == "silent" for e in events):
                status = "silent"
            elif now - state.last_run_finished > timedelta(minutes=spec.interval_minutes * OVERDUE_INTERVALS):
                status = "overdue"
            else:
                status = "ok"
            out.append(
                SourceHealth(
                    source=spec.name,
                    type=spec.type,
                    enabled=spec.enabled,
                    status=status,
                    interval_minutes=spec.interval_minutes,
                    open_events=events,
                    last_run_finished=local(state.last_run_finished) if state else None,
                    last_ok_at=local(state.last_ok_at) if state else None,
                    last_item_at=local(state.last_item_at) if state else None,
                    items_total=state.items_total if state else 0,
                    items_last_run=state.items_last_run if state else 0,
                    errors_last_run=state.errors_last_run if state else 0,
                    # masked again as it is read: a state file written before the crawler masked the URLs in
                    # its errors still holds them raw, and this is shown on the dashboards and sent in alerts
                    last_error=shown(state.last_error) if state and state.last_error else None,
                )
            )
    finally:
        store.close()
    order = {"failing": 0, "silent": 1, "overdue": 2, "never_run": 3, "ok": 4, "disabled": 5}
    return sorted(out, key=lambda h: (order[h.status], h.source))


def recorded_health(config: Config, now: datetime, state_path: Path | None = None) -> list[SourceHealth] | None:
    """``source_health``, or None while no crawl has written the state file yet: a reader (the dashboards) must not
    create the crawler's state file, which another user may own."""
    path = state_path or default_path()
    if not path.exists():
        return None
    return source_health(config, now, path)
