"""The one scheduler per workflow database: `yuqing run` holds a lock in (or beside) the database for its whole life.

``run.lock`` in the state directory stops a second service on one state directory, but the production database lives
outside it: a standby host or a colleague's workstation on the same PostgreSQL database ran every job again, opened a
second case for every incident and alerted the units twice (an operator review).

On PostgreSQL the lock is a session-level advisory lock, key ``SCHEDULER_LOCK_KEY``, on a connection of its own kept
open by the run: a process that dies loses it when the server notices its connection is gone. A process killed on a
live host closes its socket at once; a crashed host or a network partition sends nothing, so the lock connection
asks the server for TCP keepalives (``SERVER_KEEPALIVES``: a silent peer is dropped after about a minute, instead
of the operating system's default of over two hours) and keeps libpq's own on its side. ``idle_session_timeout``
would not do: it ends a live holder's idle session too. Its connection names the holder (``application_name``),
which the refused run reads back from ``pg_stat_activity``. When the run's own lock connection failed on its side
while the server still holds the old session, re-taking finds the lock held under its own name: that is its old
session not yet reaped, so it waits for the next tick ("lost") instead of stopping as if another run took it.
`yuqing db copy` takes the same lock, named as the copy, on both databases while it copies. On SQLite it is an exclusive
``flock`` on ``<database file>-run.lock`` beside the file (the file may live outside the state directory, by
YUQING_DATABASE_URL), holding the holder's pid and host.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from yuqing.settings import redact_url

# pg_try_advisory_lock's key: the bytes of "yuqingrn" (yuqing run) read as a big-endian bigint. Any other program
# that takes this advisory lock on the database is taken for a `yuqing run`.
SCHEDULER_LOCK_KEY = int.from_bytes(b"yuqingrn", "big")

log = logging.getLogger(__name__)


class SchedulerLockHeld(RuntimeError):
    """Another `yuqing run` holds the database; the message names it, the database and what to do."""


# The lock connection's keepalives, asked of the server (it is the server that must drop a dead holder's session)
# and of libpq: a peer silent for 30 s is probed every 10 s and dropped after 3 unanswered probes; data left
# unacknowledged (the answer to a tick's check) gives up after 60 s.
KEEPALIVE_IDLE_S, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT, USER_TIMEOUT_MS = 30, 10, 3, 60_000
SERVER_KEEPALIVES = (f"-c tcp_keepalives_idle={KEEPALIVE_IDLE_S} -c tcp_keepalives_interval={KEEPALIVE_INTERVAL_S} "
                     f"-c tcp_keepalives_count={KEEPALIVE_COUNT} -c tcp_user_timeout={USER_TIMEOUT_MS}")
RUN, COPY = "yuqing run", "yuqing db copy"


def _holder_here(by: str = RUN) -> str:
    return f"{by} pid {os.getpid()} on {socket.gethostname()}"


def _named(holder: str | None) -> str:
    """``yuqing run (pid …)`` or ``yuqing db copy (pid …)`` from a holder's name."""
    if holder and holder.startswith(COPY):
        return f"`{COPY}` ({holder.removeprefix(COPY).strip()})"
    return f"`{RUN}` ({holder.removeprefix(RUN).strip() if holder else 'holder unknown'})"


def _refusal(url: str, holder: str | None) -> SchedulerLockHeld:
    return SchedulerLockHeld(
        f"another {_named(holder)} holds the workflow database {redact_url(url)}: two "
        "schedulers on one database run every job twice, opening every case again and alerting the units twice. "
        "Stop the other one first; a standby host must not run `yuqing run` against the same database until the "
        "running one is stopped")


class SchedulerLock:
    """Held from ``take`` until ``release`` (or the process's end)."""

    def __init__(self, url: str, by: str = RUN):
        self.url = url
        self.name = _holder_here(by)[:63]  # (PostgreSQL's limit for application_name)
        self._file: IO[str] | None = None
        self._engine: Engine | None = None
        self._connection: Connection | None = None

    @classmethod
    def take(cls, url: str, by: str = RUN) -> SchedulerLock:
        """Take the lock for ``by`` (`yuqing run`, `yuqing db copy`), or raise ``SchedulerLockHeld`` when another
        process has it."""
        lock = cls(url, by)
        if url.startswith("postgresql"):
            lock._engine = create_engine(url, poolclass=NullPool, connect_args={
                "application_name": lock.name, "options": SERVER_KEEPALIVES, "keepalives": 1,
                "keepalives_idle": KEEPALIVE_IDLE_S, "keepalives_interval": KEEPALIVE_INTERVAL_S,
                "keepalives_count": KEEPALIVE_COUNT, "tcp_user_timeout": USER_TIMEOUT_MS})
            if not lock._take_advisory():
                holder = lock._advisory_holder()
                lock.release()
                raise _refusal(url, holder)
        elif url.startswith("sqlite"):
            database = make_url(url).database
            if database and database != ":memory:":
                lock._take_file(Path(f"{database}-run.lock"))
        return lock

    def _take_advisory(self) -> bool:
        assert self._engine is not None
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY}))
        except BaseException:
            connection.close()
            raise
        if taken:
            self._connection = connection
        else:
            connection.close()
        return taken

    def _advisory_holder(self) -> str | None:
        """The holder's connection name (set by its `yuqing run`) and client address, as PostgreSQL shows them."""
        row = self._holder_row()
        if row is None:
            return None
        name, address = row
        return f"{name or 'a connection not named by yuqing'}{f', from {address}' if address else ''}"

    def _holder_row(self) -> tuple[str | None, str | None] | None:
        assert self._engine is not None
        # A bigint key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
        query = text("SELECT a.application_name, a.client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                     "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = :high "
                     "AND l.objid = :low AND l.database = (SELECT oid FROM pg_database WHERE datname = "
                     "current_database())")
        with self._engine.connect() as connection:
            row = connection.execute(query, {"high": SCHEDULER_LOCK_KEY >> 32,
                                             "low": SCHEDULER_LOCK_KEY & 0xFFFFFFFF}).first()
        return None if row is None else (row[0], row[1])

    def _take_file(self, path: Path) -> None:
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise _refusal(self.url, f"{holder}; lock file {path}" if holder else f"lock file {path}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{self.name}\n")
        handle.flush()
        self._file = handle

    def check(self) -> str:
        """Whether the lock is still held, re-taking it after a dropped connection (a database restart, an
        administrator's pg_terminate_backend): ``"held"``, ``"retaken"``, ``"lost"`` (the database does not answer,
        or still holds this run's old session: try again later) or ``"taken"`` (another `yuqing run` took it
        meanwhile). A file lock cannot be lost."""
        if self._engine is None:
            return "held"
        if self._connection is not None:
            try:
                self._connection.scalar(text("SELECT 1"))
                return "held"
            except DBAPIError as exc:
                log.error("the connection holding the scheduler lock on %s dropped (%s); taking it again (the jobs "
                          "pause until it is held)", redact_url(self.url), _first_line(exc))
                self._drop_connection()
        try:
            if self._take_advisory():
                return "retaken"
            held_by = self._holder_row()
        except DBAPIError as exc:
            log.debug("the scheduler lock cannot be taken again yet: %s", _first_line(exc))
            return "lost"
        if held_by is not None and held_by[0] == self.name:
            log.warning("the scheduler lock on %s is still held by this run's old connection (%s), which the server "
                        "has not dropped yet; taking it again at the next check", redact_url(self.url), self.name)
            return "lost"
        return "taken"

    def holder(self) -> str:
        """Who holds the lock now (after ``check`` said ``"taken"``): "`yuqing run` (pid … on …, from …)"."""
        return _named(self._advisory_holder() if self._engine is not None else None)

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except DBAPIError as exc:
                log.debug("closing the dropped lock connection: %s", _first_line(exc))

    def release(self) -> None:
        """Give the lock up (closing its connection ends the advisory lock; closing the file, the flock)."""
        self._drop_connection()
        if self._engine is not None:
            self._engine.dispose()
        if self._file is not None:
            self._file.close()
            self._file = None


def _first_line(exc: BaseException) -> str:
    orig: Any = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
