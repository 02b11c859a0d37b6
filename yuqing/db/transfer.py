"""Carry the workflow from one database to another (SQLite trial → PostgreSQL), ids, times and all.

Started empty instead, the new database would open every case again, alert every unit again and restart the
statutory clocks for events Elasticsearch already holds (a review moved a deployment that way).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Unicode,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from yuqing.db.models import Base, ScheduleMark
from yuqing.db.session import MOVED_MARK, Database
from yuqing.settings import redact_url

# APScheduler's job store (migration 0003): not a model, but a job's next run is workflow state like any other.
SCHEDULER_JOBS = Table("apscheduler_jobs", MetaData(),
                       Column("id", Unicode(191), primary_key=True),
                       Column("next_run_time", Float(25)),
                       Column("job_state", LargeBinary, nullable=False),
                       Index("ix_apscheduler_jobs_next_run_time", "next_run_time"))
WORKFLOW_TABLES: list[Table] = [*Base.metadata.sorted_tables, SCHEDULER_JOBS]  # parents before children
BATCH = 1000


class CopyRefused(ValueError):
    """The copy cannot go ahead as asked; the message says why and how to fix it."""


def same_database(a: str, b: str) -> bool:
    """Two URLs naming one database: one SQLite file (however the path is written), or one server's database."""
    first, second = make_url(a), make_url(b)
    if first.get_backend_name() != second.get_backend_name():
        return False
    if first.get_backend_name() == "sqlite":
        return Path(first.database or "").resolve() == Path(second.database or "").resolve()
    return ((first.host or "localhost", first.port, first.database)
            == (second.host or "localhost", second.port, second.database))


def refuse_same(source_url: str, target_url: str) -> None:
    """Copying a database onto itself would be refused only later, as a target that holds rows."""
    if same_database(source_url, target_url):
        raise CopyRefused(f"{redact_url(source_url)} is both the source and the target; give --to the new, empty "
                          "database (created and brought up with `YUQING_DATABASE_URL=URL yuqing db upgrade`)")


def copy_workflow(source: Database, target: Database) -> dict[str, int]:
    """Copy every workflow table from ``source`` into ``target`` (migrated, and empty) in one transaction, keeping
    ids, and mark ``source`` as moved to ``target`` (``MOVED_MARK``); PostgreSQL's id sequences are moved past the
    copied ids. Returns the rows copied per table."""
    refuse_same(source.url, target.url)
    with source.engine.connect() as reading:
        if reading.dialect.name == "postgresql":
            _hold_writers(reading)
        with target.engine.begin() as writing:
            counts = _copy_tables(reading, writing, target.url)
            # The source is marked in its reading transaction (on SQLite, BEGIN IMMEDIATE: writers wait for it), and
            # that commits only after the copy did: every later write there is refused (`Database.transaction`).
            reading.execute(insert(ScheduleMark), {
                "key": MOVED_MARK, "at": datetime.now(UTC), "details": {"to": redact_url(target.url)}})
        try:
            reading.commit()
        except DBAPIError as exc:
            raise CopyRefused(f"the copy into {redact_url(target.url)} is complete, but marking "
                              f"{redact_url(source.url)} as moved failed ({exc.orig}): stop every yuqing process "
                              "still using it before starting them on the new database") from exc
    return counts


def _hold_writers(reading: Connection) -> None:
    """On a PostgreSQL source, what SQLite's BEGIN IMMEDIATE does: a writer in flight finishes first (SHARE waits for
    it) and is copied; a later one waits for the copy at its first write, and its look for the mark at the end
    (``Database.transaction``) then finds the source moved. Without them a sign-off committed while the tables were
    read was in neither database's future (review3 H1)."""
    reading.execute(text(f"LOCK TABLE {', '.join(table.name for table in WORKFLOW_TABLES)} IN SHARE MODE"))


def _copy_tables(reading: Connection, writing: Connection, target_url: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    held = {table.name: n for table in WORKFLOW_TABLES if (n := _count(writing, table))}
    if held:
        listed = ", ".join(f"{n} {name}" for name, n in held.items())
        raise CopyRefused(f"the target database {redact_url(target_url)} already holds rows ({listed}); copy only "
                          "into an empty database: create a new one (e.g. `createdb yuqing2`), run "
                          "`YUQING_DATABASE_URL=URL yuqing db upgrade` on it and copy there, or drop this one's "
                          "tables first if what it holds may go")
    for table in WORKFLOW_TABLES:
        rows = reading.execute(select(table).order_by(*table.primary_key.columns)
                               .execution_options(yield_per=BATCH))
        counts[table.name] = 0
        for batch in rows.partitions():
            writing.execute(insert(table), [dict(row._mapping) for row in batch])
            counts[table.name] += len(batch)
    if writing.dialect.name == "postgresql":
        _move_sequences(writing)
    return counts


def _count(connection: Connection, table: Table) -> int:
    return int(connection.scalar(select(func.count()).select_from(table)) or 0)


def _move_sequences(connection: Connection) -> None:
    """Point each serial id's sequence past the copied ids, so the next case is not given case 1's id again."""
    for table in WORKFLOW_TABLES:
        for column in table.primary_key.columns:
            if column.autoincrement is True:
                connection.execute(select(func.setval(
                    func.pg_get_serial_sequence(table.name, column.name),
                    select(func.coalesce(func.max(column), 0) + 1).scalar_subquery(), False)))
