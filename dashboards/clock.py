"""The dashboards' clock in a sandbox: real time, unless the sandbox's database holds records from later.

``yuqing demo`` fast-forwards its simulated clock 50 hours so escalations happen, and ``yuqing replay`` runs a
simulated clock over a stream's own dates; both write to a sandbox of their own (``yuqing.paths.sandbox``). Read
with the system clock, such records show a case escalated "because its deadline passed" beside a deadline 48 hours
away, and work finished next week under "the last 30 days". So a sandbox's dashboards take as "now" the later of
the system time and the latest recorded case event, and say so on every page (a dashboard review found these
contradictions on 2026-11-26). The deployment's own dashboards run on real time: when this clock served them too,
a case opened by hand was shown 46 h overdue the moment it was opened, after a demo (a review, 2026-11-27).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from yuqing.clock import Clock
from yuqing.db.models import CaseEvent
from yuqing.db.session import Database

log = logging.getLogger(__name__)


def _as_datetime(value: object) -> datetime | None:
    """SQLite hands a DATETIME back as text; PostgreSQL as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


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
        """Look the latest record up (at most every ``CACHE_S``, failures included): called as a request starts,
        before the page opens its own session. The read goes through the driver's own connection, outside a
        transaction, so it never waits for a writer's lock; a database that does not answer leaves the system
        clock (and the pages that need the database say so themselves)."""
        if time.monotonic() - self._read_at <= CACHE_S:
            return
        self._read_at = time.monotonic()
        try:
            with self.database.engine.connect() as connection:
                raw = connection.connection.dbapi_connection
                assert raw is not None
                cursor = raw.cursor()
                cursor.execute(str(select(func.max(CaseEvent.at)).compile(self.database.engine)))
                row = cursor.fetchone()
                latest = _as_datetime(row[0] if row else None)
                cursor.close()
        except Exception as exc:  # any driver's error: the pages fall back to the system clock
            log.warning("latest case event not read (%s); the dashboards use the system clock", exc)
            self._latest = None
            return
        self._latest = latest.replace(tzinfo=UTC) if latest is not None and latest.tzinfo is None else latest

    def ahead(self) -> datetime | None:
        """The latest record's time when it lies ahead of the real clock (a simulated run wrote it), else None."""
        real = self.base.now()
        latest = self._latest
        return latest.astimezone(real.tzinfo) if latest is not None and latest - real > SKEW else None

    def now(self) -> datetime:
        return self.ahead() or self.base.now()
