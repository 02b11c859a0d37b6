"""The dashboards' clock: real time, unless the database holds records from later.

``yuqing demo`` fast-forwards its simulated clock 50 hours so escalations happen, and ``yuqing replay`` runs a
simulated clock over a stream's own dates; both write to the configured database. Read with the system clock, such
records show a case escalated "because its deadline passed" beside a deadline 48 hours away, and work finished
next week under "the last 30 days". So the dashboards take as "now" the later of the system time and the latest
recorded case event, and say so on every page (a dashboard review found these contradictions on 2026-11-26).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from yuqing.clock import Clock
from yuqing.db.models import CaseEvent
from yuqing.db.session import Database

# Records less than this far ahead are clock skew between machines, not a simulation.
SKEW = timedelta(minutes=5)
# The latest record is looked up at most this often (a page asks for "now" several times).
CACHE_S = 5.0


class RecordedTimeClock:
    """``base``'s time, or the time of the latest case event when that is later (see the module docstring)."""

    def __init__(self, base: Clock, database: Database) -> None:
        self.base = base
        self.database = database
        self._latest: datetime | None = None
        self._read_at = float("-inf")

    @property
    def tz(self) -> object:
        return getattr(self.base, "tz", None)

    def refresh(self) -> None:
        """Look the latest record up (at most every ``CACHE_S``): called as a request starts, before the page opens
        its own session — a second session inside it would wait for the first's SQLite lock."""
        if time.monotonic() - self._read_at > CACHE_S:
            with self.database.sessions() as session:
                latest = session.scalar(select(func.max(CaseEvent.at)))
            self._latest = latest.replace(tzinfo=UTC) if latest is not None and latest.tzinfo is None else latest
            self._read_at = time.monotonic()

    def ahead(self) -> datetime | None:
        """The latest record's time when it lies ahead of the real clock (a simulated run wrote it), else None."""
        real = self.base.now()
        latest = self._latest
        return latest.astimezone(real.tzinfo) if latest is not None and latest - real > SKEW else None

    def now(self) -> datetime:
        return self.ahead() or self.base.now()
