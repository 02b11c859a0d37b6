"""Concurrency tests on PostgreSQL: wait until another thread's transaction is blocked on a lock."""

from __future__ import annotations

import threading

from sqlalchemy import text
from sqlalchemy.engine import Engine


def wait_until_blocked(engine: Engine, thread: threading.Thread, wait_event: str | None = None) -> None:
    """Return once some session of this database waits on a lock (of kind ``wait_event`` — ``transactionid``,
    ``relation`` … — if given), or ``thread`` has ended; the caller asserts which.

    Each look is its own transaction: within one, PostgreSQL keeps the pg_stat_activity it read first, and a look
    taken before the other thread reached its lock saw it "not waiting" for ever (a test hung when the machine was
    busy)."""
    waiting = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
               "AND wait_event_type = 'Lock'" + (" AND wait_event = :event" if wait_event else ""))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
        while thread.is_alive() and not watcher.execute(text(waiting), {"event": wait_event}).scalar():
            thread.join(0.05)
