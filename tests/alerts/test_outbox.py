"""The outbox never loses a notification and never sends one twice, on SQLite and PostgreSQL.

Outages run in simulated time (a ManualClock shared by the worker and the Slack emulator), so
"five minutes of 500 and 429" take a second of real time.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from alerts.notifiers import EmailNotifier, RecordNotifier, SlackNotifier, WebhookNotifier, WeComNotifier
from alerts.outbox import (
    CANCELLED,
    FAILED,
    PENDING,
    RETRYING,
    SENT,
    OutboxError,
    OutboxWorker,
    as_aware,
    cancel,
    enqueue,
    requeue,
    status_counts,
)
from tests.support.payloads import case_payload, digest_payload
from tests.support.slack_emulator import DEFAULT_TOKEN, SlackEmulator
from tests.support.smtp import SmtpServer
from tests.support.webhooks import WebhookReceiver, WeComRobot
from yuqing.clock import ManualClock
from yuqing.db.models import Notification
from yuqing.db.session import Database
from yuqing.settings import SmtpSettings, load_config

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[SlackEmulator]:
    with SlackEmulator(clock=clock) as emulator:
        yield emulator


def add(database: Database, count: int, *, channel: str = "slack", recipients: tuple[str, ...] = ("#a3-edu",),
        at: datetime = T0, prefix: str = "case") -> list[str]:
    """Enqueue ``count`` alerts spread over the recipients; return their idempotency keys."""
    keys = []
    with database.transaction() as session:
        for i in range(count):
            key = f"{prefix}-{i}:alert:{channel}"
            row = enqueue(session, case_id=None, kind="alert", channel=channel, recipient=recipients[i % len(recipients)],
                          payload=case_payload(at, case_id=i + 1), idempotency_key=key, scheduled_at=at)
            assert row is not None
            keys.append(key)
    return keys


def rows(database: Database) -> list[Notification]:
    with database.transaction() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def drain(worker: OutboxWorker, clock: ManualClock, database: Database, *, step_s: float = 5,
          limit_s: float = 3600) -> float:
    """Run the worker every ``step_s`` simulated seconds until nothing is due; return the simulated time taken."""
    start = clock.now()
    while (clock.now() - start).total_seconds() < limit_s:
        worker.run_once()
        counts = status_counts_of(database)
        if not counts.get("pending") and not counts.get("retrying") and not counts.get("sending"):
            break
        clock.advance(timedelta(seconds=step_s))
    return (clock.now() - start).total_seconds()


def status_counts_of(database: Database) -> dict[str, int]:
    with database.transaction() as session:
        return status_counts(session)


# ----------------------------------------------------------------------------- enqueue


def test_enqueue_of_an_existing_key_adds_no_second_row(database: Database):
    with database.transaction() as session:
        first = enqueue(session, case_id=None, kind="alert", channel="slack", recipient="#a3-edu",
                        payload={"title": "x"}, idempotency_key="case-1:alert:1", scheduled_at=T0)
        again = enqueue(session, case_id=None, kind="alert", channel="slack", recipient="#a3-edu",
                        payload={"title": "x"}, idempotency_key="case-1:alert:1", scheduled_at=T0)
    assert first is not None and first.status == "pending" and again is None
    with database.transaction() as session:
        later = enqueue(session, case_id=None, kind="reminder", channel="email", recipient="x@a.example",
                        payload={}, idempotency_key="case-1:alert:1", scheduled_at=T0 + timedelta(hours=1))
        assert later is None
        assert session.scalar(select(func.count()).select_from(Notification)) == 1


def test_enqueue_commits_or_rolls_back_with_the_callers_transaction(database: Database):
    with pytest.raises(RuntimeError), database.transaction() as session:
        enqueue(session, case_id=None, kind="alert", channel="slack", recipient="#a3-edu", payload={},
                idempotency_key="rolled-back", scheduled_at=T0)
        raise RuntimeError("the case change failed")
    assert rows(database) == []


def test_concurrent_enqueue_of_one_key_leaves_one_row(database: Database):
    barrier = threading.Barrier(4)
    results: list[object] = []
    errors: list[BaseException] = []

    def enqueue_once() -> None:
        try:
            barrier.wait(timeout=10)
            with database.transaction() as session:
                results.append(enqueue(session, case_id=None, kind="alert", channel="slack", recipient="#a3-edu",
                                       payload={}, idempotency_key="race", scheduled_at=T0))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=enqueue_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r is not None for r in results) == 1 and len(rows(database)) == 1


def test_enqueue_rejects_bad_arguments_with_clear_messages(database: Database):
    with database.transaction() as session:
        with pytest.raises(OutboxError, match="no time zone"):
            enqueue(session, case_id=None, kind="alert", channel="slack", recipient="#x", payload={},
                    idempotency_key="k", scheduled_at=datetime(2026, 1, 1))
        with pytest.raises(OutboxError, match="kind 'page'"):
            enqueue(session, case_id=None, kind="page", channel="slack", recipient="#x", payload={},
                    idempotency_key="k", scheduled_at=T0)
        with pytest.raises(OutboxError, match="cannot be stored as JSON"):
            enqueue(session, case_id=None, kind="alert", channel="slack", recipient="#x", payload={"x": object()},
                    idempotency_key="k", scheduled_at=T0)


def test_payload_times_are_stored_as_iso_text(database: Database):
    with database.transaction() as session:
        row = enqueue(session, case_id=None, kind="alert", channel="slack", recipient="#x",
                      payload={"deadlines": [{"kind": "response", "due_at": T0}]}, idempotency_key="t",
                      scheduled_at=T0)
        assert row is not None and row.payload["deadlines"][0]["due_at"] == T0.isoformat()


# ----------------------------------------------------------------------------- delivery


def test_every_channel_is_delivered_through_the_outbox(database: Database, clock: ManualClock, slack: SlackEmulator,
                                                       tmp_path):
    config = load_config()
    units = config.units.model_copy(deep=True)
    units.unit("a3-edu").contacts.wecom_webhook_env = "YQ_TEST_WECOM"
    with SmtpServer() as smtp, WeComRobot() as robot, WebhookReceiver() as hook:
        notifiers = {
            "slack": SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock),
            "email": EmailNotifier(SmtpSettings(host=smtp.host, port=smtp.port), {}, clock),
            "wecom": WeComNotifier(units, {"YQ_TEST_WECOM": robot.webhook_url()}, clock),
            "webhook": WebhookNotifier(units, clock),
            "record": RecordNotifier(tmp_path / "record.jsonl", clock),
        }
        targets = [("slack", "#a3-edu"), ("slack", "U0A3EDU01"), ("email", "edu@a3.gov.example"),
                   ("wecom", "a3-edu"), ("webhook", hook.url), ("record", "demo")]
        with database.transaction() as session:
            for i, (channel, recipient) in enumerate(targets):
                enqueue(session, case_id=None, kind="alert", channel=channel, recipient=recipient,
                        payload=case_payload(T0), idempotency_key=f"all-{i}", scheduled_at=T0)
            enqueue(session, case_id=None, kind="digest", channel="slack", recipient="#a-gov-office",
                    payload=digest_payload(T0), idempotency_key="digest", scheduled_at=T0)
            enqueue(session, case_id=None, kind="reminder", channel="slack", recipient="#a3-edu",
                    payload=case_payload(T0, kind="reminder"), idempotency_key="later",
                    scheduled_at=T0 + timedelta(hours=2))
        worker = OutboxWorker(database, notifiers, clock)
        assert worker.run_once() == 7
        assert len(slack.posts) == 3 and len(smtp.messages) == 1 and len(robot.received) == 1
        assert len(hook.received) == 1
    assert len(notifiers["record"].entries()) == 1
    sent = {r.idempotency_key: r for r in rows(database)}
    assert all(r.status == SENT and r.sent_at == T0 and r.attempts == 1 for k, r in sent.items() if k != "later")
    assert sent["all-0"].external_id == f"{slack.channel_id('#a3-edu')}/{slack.posts[0]['ts']}"
    # Not due yet: a reminder scheduled two hours ahead waits for its time.
    assert sent["later"].status == "pending"
    clock.advance(timedelta(hours=2))
    assert worker.run_once() == 1 and len(slack.posts) == 4


def test_slack_500_then_429_for_five_minutes_delivers_each_notification_exactly_once(
        database: Database, clock: ManualClock, slack: SlackEmulator):
    channels = ("#a3-edu", "#a-edu", "#a-publicity")
    for channel in channels:
        slack.create_channel(channel)
    keys = add(database, 24, recipients=(*channels, "U0A3EDU01"))
    slack.fail(500, until=T0 + timedelta(minutes=2))
    slack.rate_limit(30, until=T0 + timedelta(minutes=5))
    notifier = SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)
    worker = OutboxWorker(database, {"slack": notifier}, clock, rng=random.Random(7))

    took = drain(worker, clock, database, step_s=5)

    assert slack.messages_by_key() == {key: 1 for key in keys}
    assert {r.status for r in rows(database)} == {SENT}
    assert all(r.sent_at >= T0 + timedelta(minutes=5) for r in rows(database))
    posts = [(status, at) for method, status, at in slack.calls if method == "chat.postMessage"]
    answered = {s: sum(1 for status, _ in posts if status == s) for s in (500, 429, 200)}
    assert answered[500] >= 1 and answered[429] >= 1 and answered[200] == 24
    # After each 429 the worker waited at least Retry-After (30 s) before posting again.
    for (status, at), (_, next_at) in zip(posts, posts[1:], strict=False):
        if status == 429:
            assert (next_at - at).total_seconds() >= 30
    # Repeats after a 500 first looked into the channel history instead of posting blindly.
    assert any(method == "conversations.history" for method, _, _ in slack.calls)
    assert took <= 20 * 60
    print(f"\noutage drill: {answered[500]}×500, {answered[429]}×429, {answered[200]}×200 over "
          f"{len(posts)} posts; all 24 delivered once after {took / 60:.1f} simulated minutes")


def test_an_hour_long_slack_outage_delays_alerts_but_loses_none(database: Database, clock: ManualClock,
                                                               slack: SlackEmulator):
    """With the defaults `yuqing run` uses, eight failed attempts took 11 minutes and then the alert was given up."""
    slack.create_channel("#a3-edu")
    keys = add(database, 2)
    slack.fail(500, until=T0 + timedelta(minutes=60))
    worker = OutboxWorker(database, {"slack": SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)}, clock,
                          rng=random.Random(3))
    drain(worker, clock, database, step_s=30, limit_s=3 * 3600)
    assert {r.status for r in rows(database)} == {SENT}
    assert all(r.attempts > 8 for r in rows(database))  # more than the attempt count alone allowed
    assert slack.messages_by_key() == {key: 1 for key in keys}


def test_a_500_after_the_post_arrived_is_not_resent(database: Database, clock: ManualClock, slack: SlackEmulator):
    [key] = add(database, 1)
    slack.fail(500, calls=1, after_effect=True)
    worker = OutboxWorker(database, {"slack": SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)},
                          clock)
    assert worker.run_once() == 0
    [row] = rows(database)
    assert row.status == "retrying" and "HTTP 500" in (row.last_error or "")
    clock.advance(timedelta(minutes=1))
    assert worker.run_once() == 1
    [row] = rows(database)
    assert slack.messages_by_key() == {key: 1}
    assert row.status == SENT and row.external_id == f"{slack.posts[0]['channel']}/{slack.posts[0]['ts']}"


def test_a_worker_that_crashed_after_sending_is_taken_over_without_a_repeat(
        database: Database, clock: ManualClock, slack: SlackEmulator):
    [key] = add(database, 1)
    notifier = SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)
    crashed = OutboxWorker(database, {"slack": notifier}, clock, lease_s=120)
    claimed = crashed.claim(crashed._due(10)[0])
    assert claimed is not None
    notifier.send(claimed)  # … and the process dies before recording "sent".

    survivor = OutboxWorker(database, {"slack": notifier}, clock, lease_s=120)
    clock.advance(timedelta(seconds=60))
    assert survivor.run_once() == 0, "the claim is still leased"
    clock.advance(timedelta(seconds=61))
    assert survivor.run_once() == 1
    [row] = rows(database)
    assert row.status == SENT and row.attempts == 2 and slack.messages_by_key() == {key: 1}


def test_two_workers_racing_over_one_outbox_send_nothing_twice(database: Database, clock: ManualClock,
                                                               slack: SlackEmulator):
    keys = add(database, 40, recipients=("#a3-edu", "#a-edu"))
    errors: list[BaseException] = []
    sent_by: list[int] = []

    def work() -> None:
        notifier = SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)
        worker = OutboxWorker(database, {"slack": notifier}, clock)
        try:
            total = 0
            for _ in range(20):
                total += worker.run_once(limit=10)
            sent_by.append(total)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert slack.messages_by_key() == {key: 1 for key in keys}
    assert sum(sent_by) == 40 and {r.status for r in rows(database)} == {SENT}


def test_a_webhook_answering_garbage_is_retried_then_failed_with_the_reason(
        database: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    """Each failed attempt is a WARNING (an operator filtering the log for warnings did not see that alerts to units
    were not delivered: they were INFO), giving up an ERROR."""
    config = load_config()
    with WebhookReceiver() as hook, caplog.at_level(logging.INFO, logger="alerts.outbox"):
        hook.garbage()
        add(database, 1, channel="webhook", recipients=(hook.url,))
        worker = OutboxWorker(database, {"webhook": WebhookNotifier(config.units, clock)}, clock, max_attempts=4,
                              base_backoff_s=10, rng=random.Random(1), give_up_after_s=0)
        drain(worker, clock, database, step_s=10)
        assert len(hook.received) == 4
    [row] = rows(database)
    said = [(record.levelname, record.getMessage()) for record in caplog.records if record.name == "alerts.outbox"]
    assert [(level, message.split(" (")[0]) for level, message in said] == [
        *(("WARNING", f"notification {row.id} attempt {attempt} failed") for attempt in (1, 2, 3)),
        ("ERROR", f"notification {row.id}")]
    assert "gave up after 4 attempts" in said[-1][1]
    assert row.status == FAILED and row.attempts == 4
    assert "gave up after 4 attempts" in (row.last_error or "")
    assert "answered with an invalid HTTP response" in (row.last_error or "")


def test_a_permanent_error_fails_at_once_and_can_be_requeued(database: Database, clock: ManualClock,
                                                            slack: SlackEmulator):
    slack.auto_create_channels = False
    add(database, 1, recipients=("#no-such-channel",))
    add(database, 1, channel="fax", prefix="fax")
    worker = OutboxWorker(database, {"slack": SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)},
                          clock)
    assert worker.run_once() == 0
    slack_row, fax_row = rows(database)
    assert slack_row.status == FAILED and slack_row.attempts == 1
    assert "channel_not_found" in (slack_row.last_error or "") and "units.yaml" in (slack_row.last_error or "")
    assert fax_row.status == FAILED and "no notifier for channel 'fax'" in (fax_row.last_error or "")

    slack.create_channel("#no-such-channel")
    with database.transaction() as session:
        assert requeue(session, [slack_row.id], at=clock.now()) == [slack_row.id]
    assert worker.run_once() == 1 and len(slack.posts) == 1


def test_a_cancelled_notification_keeps_its_reason_and_is_never_sent_not_even_by_retry(
        database: Database, clock: ManualClock, slack: SlackEmulator):
    """Cancelled is a record, not a deletion: a failed row keeps the error it failed with, and `notifications retry`
    (requeue), which sends failed ones again, leaves it alone; one already sent is not cancelled."""
    slack.create_channel("#a3-edu")
    add(database, 1, channel="fax", prefix="fax")
    add(database, 2)
    worker = OutboxWorker(database, {"slack": SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)},
                          clock)
    with database.transaction() as session:  # the fax fails; one Slack row is sent, the other still waits
        fax, first, second = session.scalars(select(Notification).order_by(Notification.id))
        second.next_attempt_at = T0 + timedelta(hours=1)
    assert worker.run_once() == 1
    with database.transaction() as session:
        assert cancel(session, [fax.id, first.id, second.id], reason="案件已转办") == [fax.id, second.id]
        assert requeue(session, None, at=clock.now() + timedelta(hours=2)) == []
    clock.advance(timedelta(hours=2))
    assert worker.run_once() == 0 and len(slack.posts) == 1
    fax_row, first_row, second_row = rows(database)
    assert (first_row.status, second_row.status, fax_row.status) == (SENT, CANCELLED, CANCELLED)
    assert second_row.last_error == "案件已转办"
    assert fax_row.last_error == "案件已转办（此前：no notifier for channel 'fax' (configured: slack)）"


def test_a_refused_token_holds_every_slack_message_until_it_is_fixed(database: Database, clock: ManualClock,
                                                                    slack: SlackEmulator):
    """invalid_auth once failed each queued alert on its first attempt, and fixing the token sent nothing."""
    slack.create_channel("#a3-edu")
    keys = add(database, 3)
    wrong = OutboxWorker(database, {"slack": SlackNotifier("xoxb-wrong", base_url=slack.api_url, clock=clock)}, clock)
    assert wrong.run_once() == 0
    assert [(r.status, r.attempts) for r in rows(database)] == [(RETRYING, 1), (PENDING, 0), (PENDING, 0)]
    assert "invalid_auth" in (rows(database)[0].last_error or "")
    assert all(as_aware(r.next_attempt_at) >= clock.now() + timedelta(minutes=5) for r in rows(database))
    clock.advance(timedelta(minutes=30))
    wrong.run_once()
    assert FAILED not in {r.status for r in rows(database)} and slack.posts == []

    with database.transaction() as session:  # the admin fixed the token: `yuqing notifications retry`
        assert len(requeue(session, None, at=clock.now())) == 3  # attempted or held back by the pause
    fixed = OutboxWorker(database, {"slack": SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)}, clock)
    drain(fixed, clock, database, limit_s=600)
    assert {r.status for r in rows(database)} == {SENT}
    assert slack.messages_by_key() == {key: 1 for key in keys}


def test_backoff_grows_exponentially_with_jitter_and_honours_retry_after(database: Database, clock: ManualClock):
    worker = OutboxWorker(database, {}, clock, base_backoff_s=5, max_backoff_s=900, jitter=0.2,
                          rng=random.Random(3))
    delays = [worker.backoff_s(attempt) for attempt in range(1, 10)]
    for attempt, delay in enumerate(delays, start=1):
        nominal = min(900, 5 * 2 ** (attempt - 1))
        assert 0.8 * nominal <= delay <= 1.2 * nominal
    assert max(delays) <= 900 * 1.2
    assert all(120 <= worker.backoff_s(1, retry_after_s=120) <= 132 for _ in range(20))


def test_rate_limit_defers_the_rest_of_the_channel_without_counting_attempts(
        database: Database, clock: ManualClock, slack: SlackEmulator):
    add(database, 5)
    slack.rate_limit(45, calls=1)
    worker = OutboxWorker(database, {"slack": SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)},
                          clock)
    assert worker.run_once() == 0
    assert slack.status_counts() == {429: 1}, "one 429, then the channel waits"
    attempts = sorted(r.attempts for r in rows(database))
    assert attempts == [0, 0, 0, 0, 1]
    assert all(r.next_attempt_at >= T0 + timedelta(seconds=45) for r in rows(database))
    clock.advance(timedelta(seconds=50))
    assert worker.run_once() == 5


def test_at_start_a_refused_slack_token_is_a_warning_and_an_accepted_one_sends_what_it_held_at_once(
        database: Database, clock: ManualClock, slack: SlackEmulator, caplog: pytest.LogCaptureFixture) -> None:
    """`yuqing run` started with a wrong token without a word; restarted with the right one, the held messages still
    waited for their 5-minute retry until `yuqing notifications retry` was run by hand."""
    from alerts.run_command import _check_slack_token

    config = load_config()
    slack.create_channel("#a3-edu")
    slack.fail(500, calls=1)
    other = add(database, 1, prefix="unavailable")  # retrying because Slack answered 500: keeps its backoff
    OutboxWorker(database, {"slack": SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)}, clock).run_once()
    held = add(database, 3)
    wrong = {"slack": SlackNotifier("xoxb-wrong", base_url=slack.api_url, clock=clock)}
    OutboxWorker(database, wrong, clock).run_once()
    assert {r.status for r in rows(database)} == {RETRYING, PENDING} and slack.posts == []

    with caplog.at_level("WARNING", logger="alerts.run_command"):
        _check_slack_token(config, wrong, database, clock)
    warning = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.name == "alerts.run_command"]
    assert len(warning) == 1 and warning[0].startswith("YUQING_SLACK_TOKEN: Slack refused the bot token (invalid_auth)")
    assert "auth.test" in [method for method, _status, _at in slack.calls]

    right = {"slack": SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)}
    _check_slack_token(config, right, database, clock)
    OutboxWorker(database, right, clock).run_once()  # at once: no clock advanced
    assert slack.messages_by_key() == {key: 1 for key in held}
    assert [(r.idempotency_key, r.status) for r in rows(database) if r.status != SENT] == [(other[0], RETRYING)]
