"""Engines, sessions and migrations for the workflow database (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event, literal, select
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from yuqing.db.models import ScheduleMark
from yuqing.paths import command_here, config_file
from yuqing.settings import redact_url

MIGRATIONS = Path(__file__).parent / "migrations"
Row = TypeVar("Row", bound=DeclarativeBase)


class DatabaseUnavailable(RuntimeError):
    """The database URL does not answer; the message names it and says how to fix it."""


class DatabaseMoved(DatabaseUnavailable):
    """`yuqing db copy` moved this database's workflow elsewhere: what is written here now is lost to the new one."""


# The schedule_marks row `yuqing db copy` leaves in the database it copied: details {"to": the target, password
# masked}, at: when. Every transaction and every start looks for it.
MOVED_MARK = "database-moved"


def _url_problem(url: str, exc: Exception) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"the database URL {redact_url(url)!r} cannot be used ({type(exc).__name__}: {exc}); "
                               f"set database.url in {config_file('settings.yaml')} or YUQING_DATABASE_URL to a SQLite or "
                               "PostgreSQL URL, e.g. sqlite:////path/yuqing.db or "
                               "postgresql+psycopg://user@127.0.0.1:5432/yuqing")


def make_engine(url: str) -> Engine:
    try:
        return _make_engine(url)
    except (ArgumentError, ImportError, ValueError) as exc:  # unparsable URL, unknown driver, bad port
        raise _url_problem(url, exc) from exc


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # The driver's own transaction handling would commit at a savepoint's release; turn it off
            # and let SQLAlchemy emit BEGIN, so a case change and its notifications commit together.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):  # type: ignore[no-untyped-def]
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to the newest migration (idempotent)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        command.upgrade(alembic_config(url), revision)
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot reach the database at {redact_url(url)}: {exc.orig}; check "
                                  f"database.url in {config_file('settings.yaml')} or YUQING_DATABASE_URL") from exc
    except DatabaseError as exc:
        raise database_refused(url, exc) from exc
    except CommandError as exc:
        raise _unknown_revision(url, exc) from exc
    except (ArgumentError, ImportError, ValueError) as exc:
        raise _url_problem(url, exc) from exc


def moved_refusal(url: str, target: str, at: datetime) -> DatabaseMoved:
    return DatabaseMoved(
        f"the workflow database {redact_url(url)} was copied to {target} at {at.isoformat(timespec='seconds')} "
        f"(`yuqing db copy`) and is no longer in use: what is written here would be lost to the new one. Set "
        f"YUQING_DATABASE_URL (or database.url in settings.yaml) to {target} and start `yuqing run`, "
        "`yuqing slack-endpoint` and `yuqing dashboard` with it; if the move was abandoned and this database is to "
        f"be used again, run `YUQING_DATABASE_URL={redact_url(url)} yuqing db unmark-moved`")


def database_refused(url: str, exc: DatabaseError) -> DatabaseUnavailable:
    """A database that answers but refuses (not a database file, read-only, permissions)."""
    return DatabaseUnavailable(f"the database at {redact_url(url)} refused: {exc.orig}; if it is a SQLite file, "
                               "check that it is yuqing's database and that you may write it (or point "
                               "YUQING_DATABASE_URL / YUQING_HOME elsewhere)")


def _unknown_revision(url: str, exc: CommandError) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"the database at {redact_url(url)} has a schema this yuqing does not know ({exc}); "
                               "a newer yuqing probably wrote it: use that version, or a fresh database")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


# SQLAlchemy logs "Error closing cursor" (and a pool's failed reset) with a traceback when Ctrl-C lands in the middle
# of a fetch: the interrupt is the user's, said once by the command that stops, and no database error.
_SQLALCHEMY_LOGGERS = ("sqlalchemy.engine.Engine", "sqlalchemy.pool.impl.QueuePool", "sqlalchemy.pool.impl.NullPool",
                       "sqlalchemy.pool.impl.SingletonThreadPool", "sqlalchemy.pool.impl.StaticPool")


def _not_an_interrupt(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    while error is not None:
        if isinstance(error, KeyboardInterrupt):
            return False
        error = error.__context__
    return True


for _name in _SQLALCHEMY_LOGGERS:
    logging.getLogger(_name).addFilter(_not_an_interrupt)


def insert_new(session: Session, model: type[Row], rows: Sequence[Mapping[str, Any]], key: Sequence[str]) -> list[Row]:
    """Insert the rows whose ``key`` (a unique constraint of ``model``) no row holds yet, and return those inserted.

    INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL: a row another process inserted meanwhile (``yuqing run``
    and a command at once), or a duplicate among ``rows``, is left alone instead of failing the whole transaction on
    the constraint; no savepoint, which on SQLite would commit the transaction's earlier work at its release.
    Elsewhere each row is looked for first and inserted within a savepoint, so a racing insert costs only that row."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    else:  # neither of the two databases yuqing is tested on
        return _insert_checking_first(session, model, rows, key)
    statement = insert(model).on_conflict_do_nothing(index_elements=list(key)).returning(model)
    return list(session.scalars(statement, [dict(row) for row in rows]))


def _insert_checking_first(session: Session, model: type[Row], rows: Sequence[Mapping[str, Any]],
                           key: Sequence[str]) -> list[Row]:
    """``insert_new`` without ON CONFLICT: skip a key already stored, and a key the constraint refuses (inserted by
    another transaction between the look and the insert) rolls back its savepoint alone."""
    added = []
    for row in rows:
        held = select(literal(1)).select_from(model).where(*(getattr(model, column) == row[column] for column in key))
        if session.scalar(held.limit(1)) is not None:
            continue
        new = model(**row)
        try:
            with session.begin_nested():
                session.add(new)
        except IntegrityError:
            continue
        added.append(new)
    return added


class Database:
    """One database: an engine and a session factory."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together or not at all; refused on a database `yuqing db copy` moved away
        (a `yuqing slack-endpoint` or dashboard left running on it would record sign-offs the new database never
        sees). Looked for last, within the transaction: a write the copy missed waited for the copy's locks (SQLite's
        BEGIN IMMEDIATE, PostgreSQL's SHARE), so its look comes after the copy committed its mark; looked for first,
        every transaction would begin at once, and on SQLite one opened within another would wait for it."""
        with self.sessions() as session, session.begin():
            yield session
            if session.in_transaction():  # (not when the work was rolled back: nothing is written)
                session.flush()  # (writes still pending would otherwise reach PostgreSQL after the look)
                self._refuse_if_moved(session)

    def _refuse_if_moved(self, session: Session) -> None:
        mark = session.get(ScheduleMark, MOVED_MARK)
        if mark is not None:
            raise moved_refusal(self.url, mark.details.get("to", "another database"), mark.at)

    def check_moved(self) -> None:
        """Refuse a database `yuqing db copy` moved away (at a process's start, before it serves anything)."""
        try:
            with self.sessions() as session:
                self._refuse_if_moved(session)
        except DatabaseError as exc:
            raise database_refused(self.url, exc) from exc

    def check_schema(self, upgrade_command: str | None = None) -> None:
        """Refuse to run on a schema older than the code; say which command brings it up to date (in this sandbox,
        unless ``upgrade_command`` is given)."""
        try:
            current, head = current_revision(self.engine), head_revision(self.url)
        except DatabaseError as exc:
            raise database_refused(self.url, exc) from exc
        if current is not None and current != head:
            try:
                ScriptDirectory.from_config(alembic_config(self.url)).get_revision(current)
            except CommandError as exc:
                raise _unknown_revision(self.url, exc) from exc
        if current != head:
            raise DatabaseUnavailable(f"database {redact_url(self.url)} is at schema revision {current or 'none'}, "
                                      f"this yuqing needs {head}; run `{upgrade_command or command_here('db upgrade')}`")
        self.check_moved()

    def dispose(self) -> None:
        self.engine.dispose()
