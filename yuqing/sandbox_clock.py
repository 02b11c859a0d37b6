"""A sandbox's clock: real time, carried on from where the sandbox's last simulated run stopped.

``yuqing demo`` fast-forwards its clock 50 hours so escalations happen, and ``yuqing replay`` runs one over a
stream's own dates; both work in a sandbox of their own (``yuqing.paths.sandbox``) and write down where their clock
stopped and the real time it was then (``alerts.cases.record_simulated_run_end``). From then on the sandbox's time
is that point plus the real time elapsed since, and every command in the sandbox reads it through ``clock_for``:
the dashboards, and the CLI's case actions, listings and notifications; ``crawl --health`` and ``rules test``, which
need no database of their own, through ``clock_of_records``. So all judge at the same "now", and
what a person records lands after what the simulated run recorded. With the system clock, a sign-off after the demo
stood at 23:05 before the escalations "for no sign-off" of the next days, `respond --at` a time within the demo was
refused as in the future, and `cases list` showed on time a hand-opened case its dashboard showed 2 h overdue (a
review, 2026-11-27); a replay of last week's posts was shown 超时 178 h. A sandbox whose records run ahead of real
time without saying where a run stopped (written before runs said so, or a run killed) stands at its latest record.
The deployment runs on real time.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import make_url

from yuqing import paths
from yuqing.clock import Clock, SystemClock
from yuqing.contract import SIMULATED_RUN_ENDED
from yuqing.db.models import CaseEvent
from yuqing.db.session import Database

log = logging.getLogger(__name__)

# A simulated run that ended less than this far from real time left real time (clock skew, or a demo with --hours 0).
SKEW = timedelta(minutes=5)
# The records are looked up at most this often (a page asks for "now" several times).
CACHE_S = 5.0


@dataclass(frozen=True)
class SimulatedTime:
    """Where a simulated run left a sandbox's clock."""

    ended: datetime  # where the run stopped; or, when no run said so, the latest record
    ahead: timedelta | None  # how far that was ahead of real time then (negative: behind); None: not known

    @property
    def hours_ahead(self) -> float | None:
        return self.ahead.total_seconds() / 3600 if self.ahead is not None else None

    def at(self, real: datetime) -> datetime:
        """The sandbox's time when the real clock reads ``real``: it runs on from the run's end, or, the run's real
        end not known, stands there."""
        return real + self.ahead if self.ahead is not None else self.ended.astimezone(real.tzinfo)


class SandboxClock:
    """``base``'s time carried on from where the sandbox's last simulated run stopped (see the module docstring)."""

    def __init__(self, base: Clock, database: Database) -> None:
        self.base = base
        self.database = database
        self._simulated: SimulatedTime | None = None
        self._read_at = float("-inf")

    @property
    def tz(self) -> object:
        return getattr(self.base, "tz", None)

    def refresh(self) -> None:
        """Look the records up (at most every ``CACHE_S``, failures included): the dashboards call it as a request
        starts, before the page opens its own session; a command, once. The read goes through the driver's own
        connection, outside a transaction, so it never waits for a writer's lock; a database that does not answer
        leaves real time (and the pages and commands that need the database say so themselves)."""
        if time.monotonic() - self._read_at <= CACHE_S:
            return
        self._read_at = time.monotonic()
        latest_end = (select(CaseEvent.at, CaseEvent.details).where(CaseEvent.action == SIMULATED_RUN_ENDED)
                      .order_by(CaseEvent.id.desc()).limit(1))
        latest = select(CaseEvent.at, CaseEvent.details).order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(1)
        try:
            end, last = self._row(latest_end), self._row(latest)
        except Exception as exc:  # any driver's error: real time
            log.warning("the sandbox's records were not read (%s); its clock is the system clock", exc)
            self._simulated = None
            return
        self._simulated = self._judge(end, last)

    def _row(self, query: Select[Any]) -> tuple[datetime, dict[str, Any]] | None:
        with self.database.engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            cursor = raw.cursor()
            try:
                cursor.execute(str(query.compile(self.database.engine, compile_kwargs={"literal_binds": True})))
                row = cursor.fetchone()
            finally:
                cursor.close()
        if row is None:
            return None
        # SQLite hands a DATETIME and a JSON column back as text; PostgreSQL as a datetime and a dict.
        at = row[0] if isinstance(row[0], datetime) else datetime.fromisoformat(str(row[0]))
        details = json.loads(row[1]) if isinstance(row[1], str) else (row[1] or {})
        return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)), details

    def _judge(self, end: tuple[datetime, dict[str, Any]] | None,
               last: tuple[datetime, dict[str, Any]] | None) -> SimulatedTime | None:
        if end is not None and end[1].get("real_ended_at"):
            ahead = end[0] - datetime.fromisoformat(end[1]["real_ended_at"])
            return SimulatedTime(end[0], ahead) if abs(ahead) > SKEW else None
        if last is not None and last[0] - self.base.now() > SKEW:
            return SimulatedTime(last[0], None)
        return None

    def simulated(self) -> SimulatedTime | None:
        """Where a simulated run left the sandbox's clock; None: it runs on real time."""
        return self._simulated

    def now(self) -> datetime:
        real = self.base.now()
        return self._simulated.at(real) if self._simulated is not None else real


def clock_for(tz: Any, database: Database) -> Clock:
    """The clock a command works by: real time for the deployment; in a sandbox, the sandbox's clock, read now."""
    if paths.sandbox() is None:
        return SystemClock(tz)
    clock = SandboxClock(SystemClock(tz), database)
    clock.refresh()
    return clock


def clock_of_records(tz: Any, database_url: str) -> Clock:
    """``clock_for``, for a command that otherwise needs no workflow database (``crawl --health``, ``rules test``):
    they read the real clock, and in a sandbox the demo left 50 h ahead said every source was fine while its
    dashboard showed all five overdue (a review, 2026-11-28). A sandbox whose database was never made holds no
    simulated run, so it runs on real time, and no database is made for asking."""
    if paths.sandbox() is None:
        return SystemClock(tz)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return SystemClock(tz)
    database = Database(database_url)
    try:
        return clock_for(tz, database)  # (read once: a command asks for "now" within seconds)
    finally:
        database.dispose()
