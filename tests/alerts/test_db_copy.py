"""`yuqing db copy`: a deployment moved from its SQLite trial to another database (PostgreSQL) keeps its cases, their
timelines, deadlines, messages and outbox, and opens and alerts nothing again; `yuqing run` on an empty database
beside indices that already hold graded events says so at start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch
from sqlalchemy import func, insert, inspect, select

from alerts.cases import acknowledge, assess, close, open_or_update_case, record_response, reopen
from alerts.wiring import build_pipeline
from tests.alerts.casekit import REPO, deployment, index_prefix, make_event, prepare, shipped_config
from tests.alerts.test_replay import BLAST, START, _board_case, _index_as_the_crawler_does, line
from tests.support.locks import wait_until_blocked
from yuqing import paths
from yuqing.cli import main
from yuqing.clock import ManualClock
from yuqing.contract import Post
from yuqing.db.models import Case, Notification, User
from yuqing.db.scheduler_lock import SchedulerLock
from yuqing.db.session import Database, DatabaseMoved, upgrade
from yuqing.db.transfer import SCHEDULER_JOBS, WORKFLOW_TABLES, copy_workflow
from yuqing.es.indices import IndexLayout
from yuqing.settings import redact_url


def _rows(database: Database) -> dict[str, list[dict[str, Any]]]:
    with database.engine.connect() as connection:
        return {table.name: [dict(row._mapping) for row in
                             connection.execute(select(table).order_by(*table.primary_key.columns))]
                for table in WORKFLOW_TABLES}


def _cases_in_every_state(database: Database, es: Elasticsearch, layout: IndexLayout, state_dir: Path) -> Any:
    """The trial: board messages, an event the pipeline graded and opened with their alerts and deadlines, and cases
    signed off, answered, closed, reopened, assessed and escalated; the pipeline that made them."""
    config = shipped_config()
    clock = ManualClock(START + timedelta(hours=1))
    pipeline = build_pipeline(config, database, es, layout, clock, live=False, state_dir=state_dir)
    _board_case(pipeline, state_dir / "spool")
    clock.set(START + timedelta(hours=4))
    posts = [line(f"blast-{i}", START + timedelta(hours=3, minutes=5 * i), BLAST[i % len(BLAST)] + f"（{i}）",
                   tier="provincial") for i in range(6)]
    _index_as_the_crawler_does(pipeline, [Post.model_validate_json(p) for p in posts], state_dir / "spool")
    assert len(pipeline.evaluate().opened) == 1
    now = clock.now()
    with database.transaction() as session:
        session.add(User(username="zhang.wei", display_name="张伟", role="unit", unit_id="a3-edu"))
        ids = [open_or_update_case(session, make_event(f"ev-hand-{n}", at=now), "graded_event", config, clock).case.id
               for n in range(4)]
        acknowledge(session, ids[0], "a3-edu", now)
        record_response(session, ids[1], "a3-edu", now, "已回应：校车已整改", channel="weibo")
        record_response(session, ids[2], "a3-edu", now, "已回应", channel="weibo")
        close(session, ids[2], "市政府新闻办", now + timedelta(minutes=5))
        assess(session, ids[2], "评估员", now + timedelta(minutes=10), {
            "response": 6, "transparency": 5, "credibility": 4, "order": 3, "dynamics": 1, "accountability": 0})
    clock.advance(timedelta(hours=3))
    pipeline.tick()  # the unsigned cases escalate, reminders fall due
    now = clock.now()
    with database.transaction() as session:
        close(session, ids[3], "市政府新闻办", now, "误报")
        reopen(session, ids[3], "市政府新闻办", now + timedelta(minutes=20), "再次发酵", config)
        open_or_update_case(session, make_event("ev-hand-late", at=now), "graded_event", config, clock)
    with database.engine.begin() as connection:  # a job as the scheduler stores it
        connection.execute(insert(SCHEDULER_JOBS), {"id": "tick", "next_run_time": clock.now().timestamp(),
                                                    "job_state": b"\x80\x05pickled job"})
    return pipeline


@pytest.fixture
def trial(es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'trial.db'}"
    upgrade(url)
    source = Database(url)
    prepare(source, shipped_config())
    try:
        yield _cases_in_every_state(source, es_client, es_layout, tmp_path / "state")
    finally:
        source.dispose()


def copy(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, ["db", "copy", *args], env=env, catch_exceptions=False)


@pytest.mark.timeout(600)
def test_a_copied_database_keeps_every_case_and_opens_and_alerts_nothing_again(
        trial: Any, database: Database, tmp_path: Path, es_node: str) -> None:
    """SQLite → SQLite and SQLite → PostgreSQL (the `database` fixture's two targets)."""
    source = trial.database
    before = _rows(source)
    assert all(before.values()), {name: len(rows) for name, rows in before.items()}
    states = {row["state"] for row in before["cases"]}
    assert {"notified", "acknowledged", "responded", "closed", "reopened", "escalated"} <= states, states
    env = {**deployment(tmp_path / "cli", es_node), "YUQING_DATABASE_URL": source.url}

    result = copy(env, "--to", database.url)

    assert result.exit_code == 0, result.output
    for name, rows in before.items():
        assert f"{name}: {len(rows)} row(s)\n" in result.output
    after = _rows(database)
    assert after == before  # every row, its id and its times
    opened = after["cases"][0]["opened_at"]
    assert opened.tzinfo is not None and opened == before["cases"][0]["opened_at"]

    alerts = select(func.count()).select_from(Notification).where(Notification.kind == "alert")
    with database.sessions() as session:
        alerted = session.scalar(alerts)
    moved = build_pipeline(trial.config, database, trial.es, trial.layout, trial.clock, live=False,
                           state_dir=tmp_path / "state")
    report = moved.evaluate()
    assert report.matches and report.opened == []  # the events match again: their cases are found, not reopened
    with database.transaction() as session:
        assert session.scalar(alerts) == alerted
        new = open_or_update_case(session, make_event("ev-after-the-move", at=trial.clock.now()), "graded_event",
                                  trial.config, trial.clock).case
        assert new.id == max(row["id"] for row in before["cases"]) + 1  # the ids go on past the copied ones


def test_a_target_that_holds_cases_is_refused_and_left_as_it_was(trial: Any, tmp_path: Path, es_node: str) -> None:
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    upgrade(target_url)
    target = Database(target_url)
    prepare(target, shipped_config())
    with target.transaction() as session:
        open_or_update_case(session, make_event(at=trial.clock.now()), "graded_event", trial.config, trial.clock)
    held = _rows(target)
    env = {**deployment(tmp_path / "cli", es_node), "YUQING_DATABASE_URL": trial.database.url}

    result = copy(env, "--to", target_url)

    assert result.exit_code == 1
    assert f"the target database {target_url} already holds rows (" in result.output and "1 cases" in result.output
    assert "copy only into an empty database" in result.output and "yuqing db upgrade" in result.output
    assert _rows(target) == held
    target.dispose()


def test_copying_a_database_onto_itself_or_into_one_not_upgraded_is_refused(trial: Any, tmp_path: Path,
                                                                            es_node: str) -> None:
    env = {**deployment(tmp_path / "cli", es_node), "YUQING_DATABASE_URL": trial.database.url}
    same = f"sqlite:///{tmp_path}/../{tmp_path.name}/trial.db"  # the same file, written another way
    result = copy(env, "--to", same)
    assert result.exit_code == 1 and "is both the source and the target" in result.output

    bare = f"sqlite:///{tmp_path / 'bare.db'}"
    result = copy(env, "--to", bare)
    assert result.exit_code == 1
    assert f"no workflow database at {tmp_path / 'bare.db'} ({bare}); make it with `YUQING_DATABASE_URL={bare} " \
           "yuqing db upgrade`" in result.output
    assert not (tmp_path / "bare.db").exists()
    (tmp_path / "bare.db").touch()  # a file, but no schema
    result = copy(env, "--to", bare)
    assert result.exit_code == 1
    assert f"--to: database {bare} is at schema revision none" in result.output
    assert f"run `YUQING_DATABASE_URL={bare} yuqing db upgrade`" in result.output


def test_a_copy_while_yuqing_run_holds_the_state_directory_is_refused(trial: Any, tmp_path: Path,
                                                                     es_node: str) -> None:
    env = {**deployment(tmp_path / "cli", es_node), "YUQING_DATABASE_URL": trial.database.url}
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    upgrade(target_url)
    with paths.hold_run_lock(Path(env["YUQING_HOME"])):  # as `yuqing run` holds it
        result = copy(env, "--to", target_url)
    assert result.exit_code == 1
    assert f"a `yuqing run` (pid {os.getpid()}) is running on the state directory {env['YUQING_HOME']}" in result.output
    assert "stop it first" in result.output
    assert copy(env, "--to", target_url).exit_code == 0  # once it stopped


def test_every_table_the_migrations_create_is_copied(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    database = Database(url)
    tables = set(inspect(database.engine).get_table_names()) - {"alembic_version"}
    database.dispose()
    assert tables == {table.name for table in WORKFLOW_TABLES}


@pytest.mark.timeout(300)
def test_run_on_an_empty_database_beside_graded_events_warns_that_units_will_be_alerted_again(
        tmp_path: Path, es_node: str) -> None:
    env = deployment(tmp_path, es_node)
    es = Elasticsearch(es_node)
    layout = IndexLayout(index_prefix(env))
    layout.ensure(es)
    try:
        es.index(index=layout.events.alias, id="ev-known", document={"title": "A3区某小学食堂食物中毒", "grade": "III"},
                 refresh=True)
        upgrade(env["YUQING_DATABASE_URL"])
        run = [sys.executable, "-m", "yuqing.cli", "run", "--no-crawl", "--stop-after", "1"]
        said = subprocess.run(run, env={**os.environ, **env}, capture_output=True, text=True, timeout=240, cwd=REPO)
        assert said.returncode == 0, said.stderr[-3000:]
        assert (f"warning: the workflow database {env['YUQING_DATABASE_URL']} holds no case, but the indices "
                f"{layout.prefix}-* already hold 1 graded event(s): the rules will open their cases again, alert the "
                "units again") in said.stderr
        assert "yuqing db copy" in said.stderr
    finally:
        layout.delete_all(es)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.timeout(600)
def test_after_a_copy_every_process_refuses_the_old_database_until_the_move_is_undone(
        trial: Any, database: Database, tmp_path: Path, es_node: str) -> None:
    """`yuqing run`, `yuqing slack-endpoint`, `yuqing dashboard` and the case commands started on the old database
    after the copy are refused, saying where the deployment went and how to undo the move; nothing is written there
    (review3 H1: a sign-off or an assessment made there was lost to the new database)."""
    source = trial.database
    env = {**deployment(tmp_path / "cli", es_node), "YUQING_DATABASE_URL": source.url,
           "YUQING_SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5"}
    result = copy(env, "--to", database.url)
    assert result.exit_code == 0, result.output
    target = redact_url(database.url)
    assert (f"marked {source.url} as moved: yuqing refuses to write it from now on. Set YUQING_DATABASE_URL={target} "
            "(or database.url in settings.yaml) for `yuqing run`, `yuqing slack-endpoint` and `yuqing dashboard`"
            in " ".join(result.output.split()))
    before = _rows(source)
    unsigned = next(row["id"] for row in before["cases"] if row["acknowledged_at"] is None)
    runner = CliRunner()
    upgrade(again := f"sqlite:///{tmp_path / 'again.db'}")
    for command in (["cases", "ack", str(unsigned), "--actor", "张伟"], ["dashboard", "--port", str(_free_port())],
                    ["slack-endpoint", "--port", str(_free_port())], ["db", "copy", "--to", again],
                    ["run", "--no-crawl", "--stop-after", "1"]):  # (last: a refused run keeps run.lock till it exits)
        refused = runner.invoke(main, command, env=env)
        said = " ".join(refused.output.split())
        assert refused.exit_code == 1, (command, refused.output)
        assert f"the workflow database {source.url} was copied to {target} at " in said, (command, said)
        assert f"Set YUQING_DATABASE_URL (or database.url in settings.yaml) to {target} and start `yuqing run`, " \
               "`yuqing slack-endpoint` and `yuqing dashboard` with it" in said
        assert f"run `YUQING_DATABASE_URL={source.url} yuqing db unmark-moved`" in said
    with pytest.raises(DatabaseMoved):
        with source.transaction() as session:  # a process started before the copy
            acknowledge(session, unsigned, "a3-edu", trial.clock.now())
    assert _rows(source) == before and _rows(database)["cases"] == before["cases"]  # in neither: refused, not lost

    undone = runner.invoke(main, ["db", "unmark-moved"], env=env)
    assert undone.exit_code == 0, undone.output
    assert f"{source.url} is in use again (it was copied to {target} at " in undone.output
    assert runner.invoke(main, ["cases", "ack", str(unsigned), "--actor", "张伟"], env=env).exit_code == 0
    assert "is not marked as moved" in runner.invoke(main, ["db", "unmark-moved"], env=env).output


def test_a_copy_while_a_run_holds_either_database_from_elsewhere_is_refused(
        trial: Any, database: Database, tmp_path: Path, es_node: str) -> None:
    """A `yuqing run` from another state directory or host holds the source or the target database (its scheduler
    lock): the copy is refused naming it, and neither database is changed (review3 M2)."""
    source = trial.database
    env = {**deployment(tmp_path / "cli", es_node), "YUQING_DATABASE_URL": source.url}
    before = _rows(source)
    for url, which in ((source.url, "--from"), (database.url, "--to")):
        run = SchedulerLock.take(url)  # as `yuqing run` takes it
        try:
            result = copy(env, "--to", database.url)
        finally:
            run.release()
        said = " ".join(result.output.split())
        assert result.exit_code == 1, result.output
        assert f"{which}: another `yuqing run` (pid {os.getpid()} on {socket.gethostname()}" in said
        assert f"holds the workflow database {redact_url(url)}" in said and "Stop the other one first" in said
        assert _rows(source) == before and not any(_rows(database).values())
        source.check_schema()  # not marked as moved
    assert copy(env, "--to", database.url).exit_code == 0  # once it stopped


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_sign_off_in_flight_on_a_postgresql_source_is_copied_and_a_later_one_refused(database: Database,
                                                                                      tmp_path: Path) -> None:
    """A slack-endpoint still writing a PostgreSQL source while it is copied: the sign-off in flight is waited for and
    copied, and the next write finds the source moved (review3 H1)."""
    config, clock = shipped_config(), ManualClock(START)
    prepare(database, config)
    with database.transaction() as session:
        case_id = open_or_update_case(session, make_event(at=clock.now()), "graded_event", config, clock).case.id
    target_url = f"sqlite:///{tmp_path / 'moved.db'}"
    upgrade(target_url)
    target = Database(target_url)
    copied: dict[str, Any] = {}
    with database.transaction() as session:
        acknowledge(session, case_id, "a3-edu", clock.now())
        session.flush()  # the endpoint's sign-off, not yet committed
        copying = threading.Thread(target=lambda: copied.update(copy_workflow(database, target)))
        copying.start()
        wait_until_blocked(database.engine, copying, "relation")
        assert copying.is_alive()  # the copy waits for the sign-off
    copying.join()
    assert copied["cases"] == 1
    with target.sessions() as session:
        assert session.get_one(Case, case_id).acknowledged_at == clock.now()
    with pytest.raises(DatabaseMoved, match="was copied to"):
        with database.transaction() as session:
            record_response(session, case_id, "a3-edu", clock.now(), "已回应", channel="weibo")
    target.dispose()
