"""One `yuqing run` per workflow database, whichever state directory or host it starts from (an operator review: a
second scheduler on the production database opened every case again and alerted the units twice)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.alerts.casekit import REPO, deployment, index_prefix, prepare, shipped_config
from tests.alerts.test_alerts_cli import _start_run, _wait
from yuqing.db.scheduler_lock import SCHEDULER_LOCK_KEY, SchedulerLock
from yuqing.db.session import Database
from yuqing.es.indices import IndexLayout
from yuqing.settings import redact_url


@pytest.fixture
def env(tmp_path: Path, es_node: str, database: Database) -> Iterator[dict[str, str]]:
    """A deployment whose workflow database is the test's (SQLite, or PostgreSQL), outside its state directory."""
    prepare(database, shipped_config())
    deployed = {**deployment(tmp_path, es_node), "YUQING_DATABASE_URL": database.url}
    yield deployed
    IndexLayout(index_prefix(deployed)).delete_all(Elasticsearch(es_node))


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(60)


def _running(log: Path) -> bool:
    return "yuqing is running" in log.read_text(errors="replace")


@pytest.mark.timeout(300)
def test_a_second_service_on_the_same_database_from_another_state_directory_is_refused(
        env: dict[str, str], database: Database, tmp_path: Path) -> None:
    """The second is refused at start and the first runs on; a kill -9 of the first frees the database."""
    elsewhere = {**env, "YUQING_HOME": str(tmp_path / "standby-home")}
    Path(elsewhere["YUQING_HOME"]).mkdir()
    log, standby_log = tmp_path / "run.log", tmp_path / "standby.log"
    first = _start_run(env, log)
    standby = None
    try:
        _wait(lambda: _running(log), 120, log)
        second = subprocess.run([sys.executable, "-m", "yuqing.cli", "run", "--no-crawl", "--stop-after", "60"],
                                env={**os.environ, **elsewhere}, capture_output=True, text=True, timeout=120, cwd=REPO)
        first_ran_on = first.poll() is None
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
        standby = _start_run(elsewhere, standby_log)
        _wait(lambda: _running(standby_log) or standby.poll() is not None, 120, standby_log)
    finally:
        _stop(first)
        if standby is not None:
            _stop(standby)
    assert second.returncode == 1, second.stderr
    assert f"another `yuqing run` (pid {first.pid} on {socket.gethostname()}" in second.stderr
    assert f"holds the workflow database {redact_url(database.url)}" in second.stderr
    assert "a standby host must not run `yuqing run` against the same database" in second.stderr
    assert "yuqing is running" not in second.stdout
    assert first_ran_on
    assert _running(standby_log), standby_log.read_text(errors="replace")


def _lock_backend(admin: Engine, pid: int) -> int | None:
    """The PostgreSQL backend of the connection by which `yuqing run` (process ``pid``) holds the database."""
    with admin.connect() as connection:
        return connection.scalar(text("SELECT pid FROM pg_stat_activity WHERE application_name LIKE :name"),
                                 {"name": f"yuqing run pid {pid} on %"})


def _terminate(admin: Engine, backend: int) -> None:
    """End the backend and wait (up to 30 s) until it has gone with its locks: without a timeout
    pg_terminate_backend returns once the signal is sent, and a lock taken at once could still find it held."""
    with admin.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid, 30000)"), {"pid": backend})


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
@pytest.mark.timeout(300)
def test_a_dropped_lock_connection_is_taken_again_and_a_run_that_lost_it_to_another_stops(
        env: dict[str, str], database: Database, tmp_path: Path) -> None:
    """A database restart drops the connection holding the advisory lock: the run says so at ERROR and takes the lock
    again, its jobs paused while it cannot. If another `yuqing run` took it in between, this one stops instead of the
    two running every job twice."""
    log = tmp_path / "run.log"
    process = _start_run(env, log)
    standby = create_engine(database.url, connect_args={"application_name": "yuqing run pid 4242 on standby"})
    admin = create_engine(os.environ["YUQING_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
    name = make_url(database.url).database
    try:
        _wait(lambda: _running(log), 120, log)
        backend = _lock_backend(admin, process.pid)
        assert backend is not None
        _terminate(admin, backend)
        _wait(lambda: "is held again; jobs resume" in log.read_text(errors="replace"), 120, log)
        assert process.poll() is None
        said = log.read_text(errors="replace")
        assert "ERROR" in said and "the connection holding the scheduler lock on" in said
        assert "Paused scheduler job processing" not in said  # taken again at once: no pause

        # The database refuses new connections for a while: the jobs pause until the lock is taken again.
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        _terminate(admin, _lock_backend(admin, process.pid) or 0)
        _wait(lambda: "Paused scheduler job processing" in log.read_text(errors="replace"), 120, log)
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        _wait(lambda: log.read_text(errors="replace").count("Resumed scheduler job processing") == 2, 120,
              log)  # (the first at the start)
        assert process.poll() is None

        with standby.connect() as connection:
            waiting = threading.Thread(target=connection.scalar,
                                       args=(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY}))
            waiting.start()  # queued behind the run: it gets the lock the moment the run's connection drops
            _wait(lambda: _advisory_waiters(admin) == 1, 60, log)
            backend = _lock_backend(admin, process.pid)
            assert backend is not None
            _terminate(admin, backend)
            waiting.join(60)
            process.wait(120)
    finally:
        _stop(process)
        standby.dispose()
        admin.dispose()
    said = log.read_text(errors="replace")
    assert process.returncode == 1, said[-3000:]
    assert "another `yuqing run` (pid 4242 on standby, from 127.0.0.1) took the workflow database" in said


def _advisory_waiters(admin: Engine) -> int:
    with admin.connect() as connection:
        return int(connection.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                          "AND NOT granted")) or 0)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_lock_connection_asks_the_server_to_drop_a_dead_holder_within_a_minute(database: Database) -> None:
    """A crashed host or a network partition sends no FIN: without keepalives the server kept the dead run's session,
    and the lock, for the operating system's two hours and more, refusing the standby (review3 M1)."""
    lock = SchedulerLock.take(database.url)
    admin = create_engine(os.environ["YUQING_TEST_POSTGRES_URL"])
    try:
        backend = _lock_backend(admin, os.getpid())
        with admin.connect() as connection:  # over TCP, where keepalives apply (a Unix socket has none)
            assert connection.scalar(text("SELECT client_port FROM pg_stat_activity WHERE pid = :pid"),
                                     {"pid": backend}) is not None
        held = lock._connection  # (the lock's own connection: its session's settings are visible only to it)
        assert held is not None
        settings = {name: setting for name, setting in held.execute(text(
            "SELECT name, setting FROM pg_settings WHERE name IN ('tcp_keepalives_idle', 'tcp_keepalives_interval', "
            "'tcp_keepalives_count', 'tcp_user_timeout')"))}
    finally:
        lock.release()
        admin.dispose()
    assert settings == {"tcp_keepalives_idle": "30", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "3",
                        "tcp_user_timeout": "60000"}


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_run_whose_old_session_still_holds_the_lock_waits_for_it_instead_of_stopping(database: Database) -> None:
    """The run's lock connection failed on its side while the server kept the old session (a NAT dropped the
    connection): taking the lock again finds it held under the run's own name. That is not another run: the jobs
    stay paused and the lock is taken at a later check, once the server drops the old session (review3 M1)."""
    lock = SchedulerLock.take(database.url)
    admin = create_engine(os.environ["YUQING_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
    old_session = create_engine(database.url, poolclass=NullPool, connect_args={"application_name": lock.name})
    try:
        _terminate(admin, _lock_backend(admin, os.getpid()) or 0)
        with old_session.connect() as connection:  # the old session, as the server still sees it
            assert connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY})
            assert lock.check() == "lost"
            assert lock.check() == "lost"
        assert lock.check() == "retaken"  # the server dropped it
        assert lock.check() == "held"
    finally:
        lock.release()
        old_session.dispose()
        admin.dispose()
