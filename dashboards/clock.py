"""The dashboards' clock in a sandbox: the time its simulated run stopped, or real time.

``yuqing demo`` fast-forwards its simulated clock 50 hours so escalations happen, and ``yuqing replay`` runs a
simulated clock over a stream's own dates; both write to a sandbox of their own (``yuqing.paths.sandbox``). Read
with the system clock, such records show a case escalated "because its deadline passed" beside a deadline 48 hours
away, and work finished next week under "the last 30 days" (a dashboard review, 2026-11-26); a replay of last
week's posts showed 近 168 小时没有新信息 and 超时 178.2 h, days after the replay ended. So each simulated run writes
down where its clock stopped (``alerts.cases.record_simulated_run_end``), and a sandbox's dashboards take that as
"now" while it is the latest record; otherwise (something recorded after it, by hand or by a live run, or records
from before the runs wrote it down) the later of the system time and the latest record. Every page says so. The
deployment's own dashboards run on real time: when this clock served them too, a case opened by hand was shown
46 h overdue the moment it was opened, after a demo (a review, 2026-11-27).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from yuqing.clock import Clock
from yuqing.contract import SIMULATED_RUN_ENDED
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


@dataclass(frozen=True)
class SimulatedTime:
    """The time a sandbox's pages are shown at instead of the real one, and why."""

    at: datetime
    ended: bool  # where a simulated run stopped; else the latest record, ahead of the real clock


class RecordedTimeClock:
    """``base``'s time, or the time the sandbox's records were written at (see the module docstring)."""

    def __init__(self, base: Clock, database: Database) -> None:
        self.base = base
        self.database = database
        self._latest: datetime | None = None
        self._ended = False
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
                latest_first = (select(CaseEvent.at, CaseEvent.action)
                                .order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(1))
                cursor.execute(str(latest_first.compile(self.database.engine,
                                                        compile_kwargs={"literal_binds": True})))
                row = cursor.fetchone()
                latest = _as_datetime(row[0] if row else None)
                cursor.close()
        except Exception as exc:  # any driver's error: the pages fall back to the system clock
            log.warning("latest case event not read (%s); the dashboards use the system clock", exc)
            self._latest, self._ended = None, False
            return
        self._latest = latest.replace(tzinfo=UTC) if latest is not None and latest.tzinfo is None else latest
        self._ended = row is not None and row[1] == SIMULATED_RUN_ENDED

    def simulated(self) -> SimulatedTime | None:
        """Where the sandbox's simulated run stopped, when nothing was recorded after it; else the latest record's
        time when it lies ahead of the real clock; else None (real time)."""
        real = self.base.now()
        latest = self._latest
        if latest is None or not (self._ended or latest - real > SKEW):
            return None
        return SimulatedTime(latest.astimezone(real.tzinfo), self._ended)

    def now(self) -> datetime:
        simulated = self.simulated()
        return simulated.at if simulated is not None else self.base.now()
