"""The workflow database on real SQLite and PostgreSQL: migrations, the outbox transaction, uniqueness."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from yuqing.db.models import BoardMessage, Case, CaseEvent, Deadline, Notification, UnitRow
from yuqing.db.session import (
    Database,
    DatabaseUnavailable,
    current_revision,
    head_revision,
    insert_new,
    upgrade,
)

NOW = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def new_case(event_id: str = "evt-1") -> Case:
    return Case(event_id=event_id, title="A3区某小学食堂疑似食物中毒", topic="食品药品安全", grade="II",
                opened_at=NOW, updated_at=NOW, region={"city": "A市", "district": "A3区"})


def outbox_row(case: Case, key: str) -> Notification:
    return Notification(case_id=case.id, kind="alert", channel="slack", recipient="#a3-edu", payload={"t": 1},
                        idempotency_key=key, created_at=NOW, scheduled_at=NOW, next_attempt_at=NOW)


def test_migrations_create_the_schema_and_are_idempotent(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert {"units", "users", "cases", "case_events", "deadlines", "notifications", "alembic_version"} <= tables
    upgrade(database.url)
    assert current_revision(database.engine) == head_revision(database.url)
    database.check_schema()


def test_a_case_change_and_its_notification_commit_together(database: Database) -> None:
    with database.transaction() as session:
        session.add(UnitRow(id="a3-edu", name="A3区教育局", kind="教育局", level="district"))
        session.flush()
        case = new_case()
        case.unit_id = "a3-edu"
        session.add(case)
        session.flush()
        session.add(CaseEvent(case_id=case.id, at=NOW, actor="system", action="opened", to_state="new",
                              reason="rule graded_event"))
        session.add(Deadline(case_id=case.id, kind="response", due_at=NOW, basis="国办发〔2016〕61号"))
        session.add(outbox_row(case, "alert:evt-1"))
    with pytest.raises(RuntimeError), database.transaction() as session:
        stored = session.scalars(select(Case)).one()
        stored.state = "notified"
        session.add(outbox_row(stored, "alert:evt-1:again"))
        session.flush()
        raise RuntimeError("the sender crashed before commit")
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.state == "new"
        assert session.scalar(select(func.count()).select_from(Notification)) == 1
        assert case.events[0].reason == "rule graded_event"
        assert case.deadlines[0].due_at.replace(tzinfo=UTC) == NOW
        assert case.region["district"] == "A3区"


def test_one_event_never_opens_two_cases(database: Database) -> None:
    with database.transaction() as session:
        session.add(new_case("evt-7"))
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(new_case("evt-7"))


def test_an_idempotency_key_is_sent_once(database: Database) -> None:
    with database.transaction() as session:
        case = new_case()
        session.add(case)
        session.flush()
        session.add(outbox_row(case, "alert:evt-1"))
    with pytest.raises(IntegrityError), database.transaction() as session:
        case = session.scalars(select(Case)).one()
        session.add(outbox_row(case, "alert:evt-1"))


def notification(key: str) -> dict[str, object]:
    return {"case_id": None, "kind": "alert", "channel": "slack", "recipient": "#a3-edu", "payload": {"t": 1},
            "idempotency_key": key, "status": "pending", "attempts": 0, "created_at": NOW, "scheduled_at": NOW,
            "next_attempt_at": NOW}


def test_on_a_database_without_on_conflict_a_stored_key_is_skipped_and_the_transaction_goes_on(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database.engine.dialect, "name", "unknown")  # the look-then-savepoint path, on a real database
    with database.transaction() as session:
        first = insert_new(session, Notification, [notification("a"), notification("b"), notification("a")],
                           ["idempotency_key"])
    assert [row.idempotency_key for row in first] == ["a", "b"]
    with database.transaction() as session:
        session.add(Notification(**notification("earlier work")))
        again = insert_new(session, Notification, [notification("a"), notification("c")], ["idempotency_key"])
    assert [row.idempotency_key for row in again] == ["c"]
    with database.sessions() as session:
        assert sorted(session.scalars(select(Notification.idempotency_key))) == ["a", "b", "c", "earlier work"]


def test_on_a_database_without_on_conflict_racing_inserts_of_one_key_leave_one_row(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database.engine.dialect, "name", "unknown")
    barrier = threading.Barrier(4)
    inserted: list[int] = []
    errors: list[BaseException] = []

    def insert_once() -> None:
        try:
            barrier.wait(timeout=10)
            with database.transaction() as session:
                inserted.append(len(insert_new(session, Notification, [notification("race")], ["idempotency_key"])))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=insert_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sorted(inserted) == [0, 0, 0, 1]
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 1


def test_an_unreachable_database_is_named_with_the_fix() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none"
    with pytest.raises(DatabaseUnavailable, match=r"(?s)127\.0\.0\.1:9.*YUQING_DATABASE_URL"):
        upgrade(url)


def test_an_old_schema_is_refused_with_the_upgrade_command(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    Database(url).engine.connect().close()
    with pytest.raises(DatabaseUnavailable, match="yuqing db upgrade"):
        Database(url).check_schema()


def test_a_savepoint_inside_a_transaction_does_not_commit_it_early(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        with session.begin_nested():
            session.add(new_case("evt-sp"))
        raise RuntimeError("crash after the savepoint was released")
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_ctrl_c_in_the_middle_of_a_fetch_logs_no_database_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """The fresh-clone CI saw the demo's Ctrl-C test fail once: SQLAlchemy logged "Error closing cursor" with a
    traceback when the interrupt landed inside a fetch."""
    import logging

    import yuqing.db.session  # noqa: F401  (installs the filter)

    engine_log = logging.getLogger("sqlalchemy.engine.Engine")
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("cannot close the cursor") from None
    except RuntimeError:
        with caplog.at_level(logging.ERROR, logger="sqlalchemy.engine.Engine"):
            engine_log.error("Error closing cursor", exc_info=True)
            engine_log.error("a real database error")
    assert [r.getMessage() for r in caplog.records] == ["a real database error"]


def test_the_reply_precision_migration_keeps_the_board_messages_recorded_before_it(tmp_path) -> None:
    """0006 adds board_messages.replied_precision: rows recorded before it stay, their replies taken as written."""
    url = f"sqlite:///{tmp_path / 'before-0006.db'}"
    upgrade(url, "0005")
    database = Database(url)
    try:
        with database.transaction() as session:
            session.add(new_case())  # (the cases table is as it was at 0005)
        with database.engine.begin() as connection:
            connection.execute(text("INSERT INTO board_messages (case_id, post_id, title, received_at, kind, due_at, "
                                    "basis, replied_at, replier) VALUES (1, 'board-1', '', '2026-05-01 09:30:00', "
                                    "'reply_complaint', '2026-05-20 16:00:00', '', '2026-05-02 15:59:59', 'A3区卫健委')"))
        upgrade(url)
        assert current_revision(database.engine) == head_revision(url)
        with database.sessions() as session:
            [message] = session.scalars(select(BoardMessage))
        assert (message.post_id, message.replier, message.replied_precision) == ("board-1", "A3区卫健委", None)
    finally:
        database.dispose()
