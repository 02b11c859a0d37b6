"""The one scheduler per workflow database: `yuqing run` holds a lock in (or beside) the database for its whole life.

``run.lock`` in the state directory stops a second service on one state directory, but the production database lives
outside it: a standby host or a colleague's workstation on the same PostgreSQL database ran every job again, opened a
second case for every incident and alerted the units twice (an operator review).

On PostgreSQL the lock is a session-level advisory lock, key ``SCHEDULER_LOCK_KEY``, on a connection of its own kept
open by the run: a process that dies loses it with its connection. Its connection names the holder
(``application_name``), which the refused run reads back from ``pg_stat_activity``. On SQLite it is an exclusive
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


def _holder_here() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def _refusal(url: str, holder: str | None) -> SchedulerLockHeld:
    return SchedulerLockHeld(
        f"another `yuqing run` ({holder or 'holder unknown'}) holds the workflow database {redact_url(url)}: two "
        "schedulers on one database run every job twice, opening every case again and alerting the units twice. "
        "Stop the other one first; a standby host must not run `yuqing run` against the same database until the "
        "running one is stopped")


class SchedulerLock:
    """Held from ``take`` until ``release`` (or the process's end)."""

    def __init__(self, url: str):
        self.url = url
        self._file: IO[str] | None = None
        self._engine: Engine | None = None
        self._connection: Connection | None = None

    @classmethod
    def take(cls, url: str) -> SchedulerLock:
        """Take the lock, or raise ``SchedulerLockHeld`` when another `yuqing run` has it."""
        lock = cls(url)
        if url.startswith("postgresql"):
            lock._engine = create_engine(url, poolclass=NullPool,
                                         connect_args={"application_name": f"yuqing run {_holder_here()}"[:63]})
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
        assert self._engine is not None
        # A bigint key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
        query = text("SELECT a.application_name, a.client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                     "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = :high "
                     "AND l.objid = :low AND l.database = (SELECT oid FROM pg_database WHERE datname = "
                     "current_database())")
        with self._engine.connect() as connection:
            row = connection.execute(query, {"high": SCHEDULER_LOCK_KEY >> 32,
                                             "low": SCHEDULER_LOCK_KEY & 0xFFFFFFFF}).first()
        if row is None:
            return None
        name, address = row
        name = name.removeprefix("yuqing run ") if name else "a connection not named by yuqing"
        return f"{name}{f', from {address}' if address else ''}"

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
        handle.write(f"{_holder_here()}\n")
        handle.flush()
        self._file = handle

    def check(self) -> str:
        """Whether the lock is still held, re-taking it after a dropped connection (a database restart, an
        administrator's pg_terminate_backend): ``"held"``, ``"retaken"``, ``"lost"`` (the database does not answer:
        try again later) or ``"taken"`` (another `yuqing run` took it meanwhile). A file lock cannot be lost."""
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
            return "retaken" if self._take_advisory() else "taken"
        except DBAPIError as exc:
            log.debug("the scheduler lock cannot be taken again yet: %s", _first_line(exc))
            return "lost"

    def holder(self) -> str | None:
        """Who holds the lock now (after ``check`` said ``"taken"``)."""
        return self._advisory_holder() if self._engine is not None else None

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
