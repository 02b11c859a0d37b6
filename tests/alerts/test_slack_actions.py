"""The Slack buttons on an alert act on the case; forged or stale requests are refused and audited.

Real pieces only: the alert is posted through the Slack notifier to the local emulator, the emulator
plays Slack and POSTs signed interaction payloads to the endpoint running under uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from alerts.messages import (
    ACK_ACTION,
    NOTED_ACTION,
    RESPOND_ACTION,
    RESPONSE_CHANNEL_ACTION,
    RESPONSE_CHANNEL_BLOCK,
    RESPONSE_INPUT_ACTION,
    RESPONSE_INPUT_BLOCK,
    RESPONSE_MODAL,
    RESPONSE_TIME_ACTION,
    RESPONSE_TIME_BLOCK,
    slack_message,
)
from alerts.notifiers import SlackNotifier
from alerts.outbox import OutboxWorker, enqueue
from alerts.slack_actions import ACTIONS_PATH, REJECTED, SlackActions, create_app
from alerts.slack_people import SlackPeople
from tests.support.asgi import AsgiServer
from tests.support.locks import wait_until_blocked
from tests.support.payloads import case_payload
from tests.support.slack_emulator import DEFAULT_TOKEN, SlackEmulator, signed_headers
from yuqing.clock import SystemClock
from yuqing.db.models import Case, CaseEvent, Notification, UnitRow, User
from yuqing.db.session import Database, upgrade
from yuqing.db.transfer import copy_workflow
from yuqing.settings import UnitsFile, redact_url

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@dataclass
class Setup:
    database: Database
    slack: SlackEmulator
    endpoint: str
    case_id: int
    channel: str  # the responsible unit's channel, and its copy of the alert
    ts: str
    copies: dict[str, tuple[str, str]]  # every recipient's (channel id, ts): "#a3-edu", "#a-police", "U0A3LEAD01"


# The alert as the case side queues it: the responsible unit's copy, a joint unit's, and a leader's escalation DM.
COPIES = [("#a3-edu", "alert", "a3-edu", "responsible"), ("#a-police", "alert", "a-police", "joint"),
          ("U0A3LEAD01", "escalation", "a3-gov-office", "leader")]


@pytest.fixture
def setup(database: Database) -> Iterator[Setup]:
    """The endpoint without units.yaml: nobody is mapped, the conversation alone decides."""
    with _serve(database, None) as running:
        yield running


@pytest.fixture
def mapped(database: Database) -> Iterator[Setup]:
    """The endpoint with the shipped units.yaml: A3区教育局 lists its director (U0A3EDU01) and two staff (U0A3EDU02,
    U0A3EDU03); A市公安局 its chief (U0APOL001); the default receiver (总值班) A市人民政府办公室 its secretary and a duty
    officer."""
    from tests.alerts.casekit import shipped_config

    with _serve(database, shipped_config().units) as running:
        yield running


@contextmanager
def _serve(database: Database, units: UnitsFile | None) -> Iterator[Setup]:
    clock = SystemClock()
    now = clock.now()
    with database.transaction() as session:
        session.add_all([UnitRow(id="a3-edu", name="A3区教育局", kind="education", level="district"),
                         UnitRow(id="a-police", name="A市公安局", kind="police", level="city")])
        session.flush()
        case = Case(event_id="evt-1", title="A3区某校食堂疑似食物中毒", topic="就学", grade="II", risk=71.5, state="notified",
                    unit_id="a3-edu", joint_unit_ids=["a-police"], opened_at=now, notified_at=now, updated_at=now)
        session.add(case)
        session.flush()
        case_id = case.id
        for recipient, kind, unit, role in COPIES:
            enqueue(session, case_id=case_id, kind=kind, channel="slack", recipient=recipient,
                    payload=case_payload(now, case_id=case_id, kind=kind, recipient_unit=unit, recipient_role=role),
                    idempotency_key=f"k:{recipient}", scheduled_at=now)
    with SlackEmulator() as slack:
        notifier = SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)
        assert OutboxWorker(database, {"slack": notifier}, clock).run_once() == len(COPIES)
        with database.transaction() as session:
            copies = {n.recipient: ((n.external_id or "").partition("/")[0], (n.external_id or "").partition("/")[2])
                      for n in session.scalars(select(Notification))}
        channel, ts = copies["#a3-edu"]
        client = WebClient(token=DEFAULT_TOKEN, base_url=slack.api_url)
        with AsgiServer(create_app(database, SECRET, client=client, clock=clock, units=units)) as server:
            yield Setup(database, slack, server.url + ACTIONS_PATH, case_id, channel, ts, copies)


def case_and_events(setup: Setup) -> tuple[Case, list[CaseEvent]]:
    with setup.database.transaction() as session:
        case = session.get_one(Case, setup.case_id)
        events = list(session.scalars(select(CaseEvent).order_by(CaseEvent.id)))
        return case, events


def rejections(database: Database) -> list[CaseEvent]:
    with database.transaction() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.action == REJECTED)))


def _ack_body(case_id: int) -> str:
    payload = {"type": "block_actions", "user": {"id": "U0EVIL0001"},
               "actions": [{"action_id": ACK_ACTION, "value": str(case_id)}]}
    return urlencode({"payload": json.dumps(payload)})


# ----------------------------------------------------------------------------- refused requests


def test_a_forged_request_gets_401_and_an_audit_entry(setup: Setup):
    body = _ack_body(setup.case_id)
    headers = signed_headers("not-the-secret", body)
    response = httpx.post(setup.endpoint, content=body, headers=headers)
    assert response.status_code == 401
    [entry] = rejections(setup.database)
    assert entry.case_id is None and entry.reason == "signature does not match the signing secret"
    assert entry.details["remote"] == "127.0.0.1" and entry.details["body_bytes"] == len(body)
    case, _ = case_and_events(setup)
    assert case.acknowledged_at is None and case.state == "notified"


def test_a_flood_of_forged_requests_costs_a_few_audit_rows_not_one_each(database: Database):
    """A security review: every forged request wrote a row (300 requests, 300 rows), so a few dozen connections kept
    the workflow database's write lock busy and a real 签收 took 3.09 s, past Slack's 3 s. The first from an address
    in a minute is written at once; the others are counted, written as one summary when the minute is over or the
    endpoint stops."""
    from starlette.testclient import TestClient

    from yuqing.clock import ManualClock

    clock = ManualClock(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    body = _ack_body(1)
    with TestClient(create_app(database, SECRET, clock=clock)) as client:
        for _ in range(50):
            assert client.post(ACTIONS_PATH, content=body, headers=signed_headers("forged", body)).status_code == 401
        [first] = rejections(database)
        assert first.reason == "signature does not match the signing secret" and first.details["remote"] == "testclient"
        clock.advance(timedelta(minutes=1))
        client.post(ACTIONS_PATH, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        entries = rejections(database)
        assert [e.reason for e in entries][2] == "missing X-Slack-Request-Timestamp or X-Slack-Signature header"
        summary = entries[1]
        assert summary.details["count"] == 49 and summary.details["reasons"] == {
            "signature does not match the signing secret": 49}
        assert summary.reason.startswith("49 more rejected request(s) from testclient between 2026-03-04T09:00:00")
        for _ in range(5):
            client.post(ACTIONS_PATH, content=body, headers=signed_headers("forged", body))
        assert len(rejections(database)) == 3
    last = rejections(database)[-1]  # written when the endpoint stopped
    assert last.details["count"] == 5 and last.details["reasons"] == {"signature does not match the signing secret": 5}


def test_the_count_of_a_flood_that_stops_is_written_when_its_minute_is_over_without_another_request(
        database: Database):
    """The code review of the tally: 50 forged requests and then six quiet hours left 49 of them only in memory — a
    crash lost them — since the summary waited for the next rejection or the endpoint's stop. A timer writes it."""
    from yuqing.clock import ManualClock

    clock = ManualClock(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    actions = SlackActions(database, None, clock, SlackPeople(None))
    for _ in range(50):
        actions.reject("signature does not match the signing secret", remote="10.0.0.9", path=ACTIONS_PATH,
                       headers={}, body_bytes=10)
    actions.flush_due_rejections()  # the minute is not over: nothing to write yet
    assert len(rejections(database)) == 1
    clock.advance(timedelta(minutes=1))
    actions.flush_due_rejections()
    first, summary = rejections(database)
    assert summary.details["count"] == 49 and summary.reason.startswith("49 more rejected request(s) from 10.0.0.9")
    actions.flush_rejections()  # nothing counted twice at the stop
    assert len(rejections(database)) == 2


def test_a_stale_request_is_refused_even_with_a_valid_signature(setup: Setup):
    body = _ack_body(setup.case_id)
    response = httpx.post(setup.endpoint, content=body,
                          headers=signed_headers(SECRET, body, timestamp=int(time.time()) - 6 * 60))
    assert response.status_code == 401
    [entry] = rejections(setup.database)
    assert entry.reason.startswith("stale timestamp: 360 s") or entry.reason.startswith("stale timestamp: 361 s")
    assert case_and_events(setup)[0].acknowledged_at is None


def test_a_request_without_signature_headers_is_refused(setup: Setup):
    response = httpx.post(setup.endpoint, content=_ack_body(setup.case_id),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 401
    assert [e.reason for e in rejections(setup.database)] == [
        "missing X-Slack-Request-Timestamp or X-Slack-Signature header"]


def test_a_signed_request_without_a_payload_is_a_bad_request(setup: Setup):
    body = "hello=world"
    response = httpx.post(setup.endpoint, content=body, headers=signed_headers(SECRET, body))
    assert response.status_code == 400 and "payload" in response.text
    assert rejections(setup.database) == []


# ----------------------------------------------------------------------------- buttons


def test_acknowledge_button_acknowledges_the_case_and_updates_the_message(setup: Setup):
    response = setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, ACK_ACTION)
    assert response.status_code == 200
    setup.slack.wait_for("chat.update")

    case, events = case_and_events(setup)
    assert case.state == "acknowledged" and case.acknowledged_at is not None
    assert [(e.action, e.actor) for e in events] == [("acknowledged", "slack:U0TESTUSER1")]
    message = setup.slack.message(setup.channel, setup.ts)
    actions = [b for b in message["blocks"] if b["type"] == "actions"][0]["elements"]
    assert [a["action_id"] for a in actions] == [RESPOND_ACTION, "yuqing_open_case"]
    note = message["blocks"][-1]["elements"][0]["text"]
    assert "<@U0TESTUSER1>" in note and f"签收案件 #{setup.case_id}" in note
    assert rejections(setup.database) == []


def test_a_linked_yuqing_user_is_the_actor(setup: Setup):
    with setup.database.transaction() as session:
        session.add(User(username="zhang.wei", display_name="张伟", role="unit", slack_user="U0A3EDU01"))
    setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, ACK_ACTION, user_id="U0A3EDU01")
    _, events = case_and_events(setup)
    assert [(e.action, e.actor) for e in events] == [("acknowledged", "zhang.wei")]


def test_record_response_opens_a_modal_and_records_the_text(setup: Setup):
    assert setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, RESPOND_ACTION).status_code == 200
    setup.slack.wait_for("views.open")
    [view] = setup.slack.views
    assert view["callback_id"] == RESPONSE_MODAL
    assert json.loads(view["private_metadata"]) == {"case_id": setup.case_id, "channel": setup.channel,
                                                    "ts": setup.ts}

    text = "已于官方微博发布情况通报 <b>并</b> 开通热线"
    response = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                       {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: text}})
    assert response.status_code == 200 and response.content == b""
    setup.slack.wait_for("chat.update")

    case, events = case_and_events(setup)
    assert case.state == "responded" and case.responded_at is not None
    [responded] = [e for e in events if e.action == "responded"]
    assert responded.reason == text and responded.details["channel"] == "release"  # the modal's initial choice
    message = setup.slack.message(setup.channel, setup.ts)
    actions = [b for b in message["blocks"] if b["type"] == "actions"][0]["elements"]
    assert [a["action_id"] for a in actions] == ["yuqing_open_case"]
    note = message["blocks"][-1]["elements"][0]["text"]
    assert "登记了案件" in note and "&lt;b&gt;并&lt;/b&gt;" in note and "<b>" not in note


def test_a_response_from_a_message_deleted_meanwhile_is_recorded_and_no_other_message_is_sent_as_its_update(
        setup: Setup):
    """The alert a form came from was deleted before the form was submitted: the update after the response took the
    channel's message before it — another case's alert — and sent its blocks, with this case's note, as the new
    content of the deleted one (Slack refused: message_not_found). As after a 转办, a message not found is left
    alone; the response is recorded."""
    other_ts = _post_copy(setup, setup.channel, case_id=setup.case_id + 100)
    origin_ts = _post_copy(setup, setup.channel, case_id=setup.case_id)
    assert setup.slack.click(setup.endpoint, SECRET, setup.channel, origin_ts, RESPOND_ACTION).status_code == 200
    setup.slack.wait_for("views.open")
    [view] = setup.slack.views
    with setup.slack.lock:  # someone deletes the alert in Slack while the form is open
        setup.slack.history[setup.channel] = [m for m in setup.slack.history[setup.channel] if m["ts"] != origin_ts]
    actions = SlackActions(setup.database, WebClient(token=DEFAULT_TOKEN, base_url=setup.slack.api_url), SystemClock(),
                           SlackPeople(None))
    state = {"values": {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: {"type": "plain_text_input",
                                                                        "value": "已发布情况通报"}}}}
    response = actions.handle({"type": "view_submission", "user": {"id": "U0TESTUSER1"},
                               "view": {**view, "state": state}})
    assert response.status_code == 200 and response.background is not None
    asyncio.run(response.background())  # the Slack calls made after the answer, here, to their end
    assert case_and_events(setup)[0].state == "responded"
    assert [m for m, _, _ in setup.slack.calls][-1] == "conversations.history"  # and no chat.update after it
    buttons = [e["action_id"] for b in setup.slack.message(setup.channel, other_ts)["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert buttons == [ACK_ACTION, RESPOND_ACTION, "yuqing_open_case"]


def test_the_modal_asks_where_the_response_went_out_and_that_decides_the_deadlines_met(setup: Setup):
    """A response registered in Slack met every deadline as a 'slack' response; Slack is only where it is
    registered. The channel chosen is the one recorded; one that is no public channel is refused in the modal."""
    from datetime import timedelta

    from yuqing.db.models import Deadline

    with setup.database.transaction() as session:
        opened = session.get_one(Case, setup.case_id).opened_at
        session.add_all([Deadline(case_id=setup.case_id, kind=kind, due_at=opened + timedelta(hours=hours), basis="t")
                         for kind, hours in (("report_upward", 2), ("authoritative_release", 5))])
    setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, RESPOND_ACTION)
    setup.slack.wait_for("views.open")
    [view] = setup.slack.views
    select = next(b for b in view["blocks"] if b.get("block_id") == RESPONSE_CHANNEL_BLOCK)["element"]
    assert select["type"] == "static_select" and {o["value"] for o in select["options"]} >= {"weibo", "release"}
    assert "slack" not in {o["value"] for o in select["options"]}
    refused = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                      {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已发布"}},
                                      selected={RESPONSE_CHANNEL_BLOCK: {RESPONSE_CHANNEL_ACTION: "slack"}})
    assert refused.json()["errors"] == {RESPONSE_CHANNEL_BLOCK: "请选择回应的发布渠道。"}
    response = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                       {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已在政务微博发布情况通报"}},
                                       selected={RESPONSE_CHANNEL_BLOCK: {RESPONSE_CHANNEL_ACTION: "weibo"}})
    assert response.status_code == 200
    setup.slack.wait_for("chat.update")
    _, events = case_and_events(setup)
    [responded] = [e for e in events if e.action == "responded"]
    assert responded.details["channel"] == "weibo"
    # a public channel meets the release, not the internal report upward
    assert [d["kind"] for d in responded.details["deadlines_met"]] == ["authoritative_release"]


def test_a_unit_in_slack_reports_upward_and_says_when_it_published(setup: Setup):
    """The form offered public channels only (no 向上报告, so a unit working in Slack was judged 报告不及时) and
    took every response as published when entered. A time in the future is refused on the time field."""
    from yuqing.db.models import Deadline

    with setup.database.transaction() as session:
        case = session.get_one(Case, setup.case_id)
        case.opened_at = opened = case.opened_at - timedelta(hours=3)  # opened 3 h ago, reported after 1 h
        session.add(Deadline(case_id=setup.case_id, kind="report_upward", due_at=opened + timedelta(hours=2), basis="t"))
    setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, RESPOND_ACTION)
    setup.slack.wait_for("views.open")
    [view] = setup.slack.views
    chooser = next(b for b in view["blocks"] if b.get("block_id") == RESPONSE_CHANNEL_BLOCK)["element"]
    assert "report_upward" in {o["value"] for o in chooser["options"]}
    later = int((opened + timedelta(days=1)).timestamp())
    refused = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                      {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已电话报告市政府办公厅"}},
                                      selected={RESPONSE_CHANNEL_BLOCK: {RESPONSE_CHANNEL_ACTION: "report_upward"}},
                                      picked={RESPONSE_TIME_BLOCK: {RESPONSE_TIME_ACTION: later}})
    # The form names the time given, the clock's now and the case's opening, as the command line does (a review).
    [error] = refused.json()["errors"].values()
    assert re.fullmatch(f"回应时间 {_local(later)} 晚于当前时间（现在是 [0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}} [0-9:]{{5}}），"
                        "请填写实际发布时间", error), error
    before = int((opened - timedelta(days=2)).timestamp())
    refused = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                      {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已电话报告市政府办公厅"}},
                                      picked={RESPONSE_TIME_BLOCK: {RESPONSE_TIME_ACTION: before}})
    opening = _local(int(opened.timestamp()))
    assert refused.json()["errors"] == {RESPONSE_TIME_BLOCK: (
        f"回应时间 {_local(before)} 早于案件立案的时间（{opening}），此前发布的按该时间计：请填写 {opening} 或之后的时间")}
    reported = int((opened + timedelta(hours=1)).timestamp())
    response = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                       {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已电话报告市政府办公厅"}},
                                       selected={RESPONSE_CHANNEL_BLOCK: {RESPONSE_CHANNEL_ACTION: "report_upward"}},
                                       picked={RESPONSE_TIME_BLOCK: {RESPONSE_TIME_ACTION: reported}})
    assert response.status_code == 200 and not response.content, response.text
    with setup.database.transaction() as session:
        deadline = session.scalars(select(Deadline).where(Deadline.case_id == setup.case_id)).one()
        met = deadline.met_at if deadline.met_at.tzinfo else deadline.met_at.replace(tzinfo=opened.tzinfo)
        assert int(met.timestamp()) == reported and met <= deadline.due_at.replace(tzinfo=met.tzinfo)
    # The same form sent again (Slack's 3-second error) is recorded once, though its stated time is an hour back.
    again = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                    {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已电话报告市政府办公厅"}},
                                    selected={RESPONSE_CHANNEL_BLOCK: {RESPONSE_CHANNEL_ACTION: "report_upward"}},
                                    picked={RESPONSE_TIME_BLOCK: {RESPONSE_TIME_ACTION: reported}})
    assert again.status_code == 200
    _, events = case_and_events(setup)
    assert [e.action for e in events if e.action in ("reported_upward", "responded")] == ["reported_upward"]
    # The public response is still owed: the alert keeps its 回应 button and says what was registered.
    setup.slack.wait_for("chat.update")
    message = setup.slack.message(setup.channel, setup.ts)
    buttons = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert RESPOND_ACTION in buttons and ACK_ACTION not in buttons
    assert "的向上报告" in message["blocks"][-1]["elements"][0]["text"]
    # The same words then published on Weibo are the public response, not the report sent again
    public = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                     {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已电话报告市政府办公厅"}},
                                     selected={RESPONSE_CHANNEL_BLOCK: {RESPONSE_CHANNEL_ACTION: "weibo"}})
    assert public.status_code == 200
    _, events = case_and_events(setup)
    assert [e.action for e in events if e.action in ("reported_upward", "responded")] == ["reported_upward",
                                                                                        "responded"]


def _local(timestamp: int) -> str:
    """A form's time as the endpoint's clock (China time) writes it."""
    return f"{datetime.fromtimestamp(timestamp, SystemClock().tz):%Y-%m-%d %H:%M}"


def test_an_empty_response_is_refused_inside_the_modal(setup: Setup):
    setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, RESPOND_ACTION)
    setup.slack.wait_for("views.open")
    [view] = setup.slack.views
    response = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                       {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "   "}})
    assert response.status_code == 200
    assert response.json()["response_action"] == "errors" and RESPONSE_INPUT_BLOCK in response.json()["errors"]
    assert case_and_events(setup)[0].state == "notified"


def test_acknowledging_a_closed_case_tells_the_user_why_not(setup: Setup):
    with setup.database.transaction() as session:
        case = session.get_one(Case, setup.case_id)
        case.state, case.closed_at = "closed", datetime.now(case.opened_at.tzinfo) + timedelta(seconds=1)
    response = setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, ACK_ACTION)
    assert response.status_code == 200
    setup.slack.wait_for("chat.postEphemeral")
    [ephemeral] = setup.slack.ephemerals
    assert ephemeral["user"] == "U0TESTUSER1" and "已关闭，需先重新打开" in ephemeral["text"]
    assert setup.slack.updates == []


def test_answering_a_closed_case_is_refused_at_the_press_and_says_whom_to_ask_to_reopen_it(mapped: Setup):
    """登记回应 on a closed case opened the form; only its submit said the case was closed, and nobody in Slack was told
    how to get it reopened without a shell (a review, 2026-11-27)."""
    with mapped.database.transaction() as session:
        case = session.get_one(Case, mapped.case_id)
        case.state, case.closed_at = "closed", datetime.now(case.opened_at.tzinfo) + timedelta(seconds=1)
    for action in (RESPOND_ACTION, ACK_ACTION):
        assert mapped.slack.click(mapped.endpoint, SECRET, mapped.channel, mapped.ts, action,
                                  user_id="U0A3EDU02").status_code == 200
    mapped.slack.wait_for("chat.postEphemeral", count=2)
    assert mapped.slack.views == [] and mapped.slack.updates == []
    respond, ack = (e["text"] for e in mapped.slack.ephemerals)
    assert respond.startswith(f"案件 #{mapped.case_id} 已关闭，需先重新打开才能登记回应。请联系A市人民政府办公室（总值班：")
    assert ack.startswith(f"案件 #{mapped.case_id} 已关闭，需先重新打开才能签收。")
    for said in (respond, ack):
        assert "或A3区人民政府办公室重新打开本案" in said
        assert f"yuqing cases reopen {mapped.case_id} --actor 姓名 --reason 原因" in said


def test_the_modal_shows_the_messages_text_escaped_once(setup: Setup):
    """Slack hands back a message's text with & < > as entities; escaping that again showed "&amp;lt;"."""
    setup.slack.message(setup.channel, setup.ts)["text"] = "住建局 &amp; 街道：&lt;紧急&gt; 案件"
    assert setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, RESPOND_ACTION).status_code == 200
    setup.slack.wait_for("views.open")
    [view] = setup.slack.views
    assert view["blocks"][0]["text"]["text"] == "住建局 &amp; 街道：&lt;紧急&gt; 案件"


# ----------------------------------------------------------------------------- from a review of the endpoint


@pytest.mark.parametrize("timestamp", ["²", "9" * 5000, "-5", "1e9", ""])
def test_a_malformed_timestamp_is_refused_and_audited(setup: Setup, timestamp: str):
    """'²'.isdigit() is True and int('9' * 5000) overflows Python's digit limit: both gave HTTP 500 unaudited."""
    body = _ack_body(setup.case_id)
    headers = {**signed_headers(SECRET, body), "X-Slack-Request-Timestamp": timestamp.encode()}
    response = httpx.post(setup.endpoint, content=body, headers=headers)
    assert response.status_code == 401
    assert len(rejections(setup.database)) == 1
    assert case_and_events(setup)[0].acknowledged_at is None


def test_a_body_declared_larger_than_the_limit_is_refused_before_it_is_read(setup: Setup):
    def chunks() -> Iterator[bytes]:
        yield b"payload="
        for _ in range(3):
            yield b"x" * (1 << 20)

    response = httpx.post(setup.endpoint, content=chunks(), headers={"Content-Length": str(3 << 20 | 8)})
    assert response.status_code == 413
    streamed = httpx.post(setup.endpoint, content=chunks())  # chunked, no length: cut off at the limit
    assert streamed.status_code == 413


def test_a_captured_request_sent_again_is_refused_as_a_replay(setup: Setup):
    """One signed submission posted three times within its five minutes recorded three responses."""
    setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, RESPOND_ACTION)
    setup.slack.wait_for("views.open")
    [view] = setup.slack.views
    state = {"values": {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: {"type": "plain_text_input",
                                                                       "value": "已在政务微博发布通报"}}}}
    payload = {"type": "view_submission", "user": {"id": "U0TESTUSER1"}, "view": {**view, "state": state}}
    body = urlencode({"payload": json.dumps(payload, ensure_ascii=False)})
    headers = signed_headers(SECRET, body)
    assert httpx.post(setup.endpoint, content=body, headers=headers).status_code == 200
    assert httpx.post(setup.endpoint, content=body, headers=headers).status_code == 401
    [entry] = rejections(setup.database)
    assert "replay" in entry.reason
    setup.slack.wait_for("chat.update")
    _, events = case_and_events(setup)
    assert [e.action for e in events].count("responded") == 1


def test_the_same_response_submitted_twice_is_recorded_once(setup: Setup):
    """Slack shows an error after 3 s and users press Submit again: a fresh request, the same text."""
    setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, RESPOND_ACTION)
    setup.slack.wait_for("views.open")
    [view] = setup.slack.views
    for _ in range(2):
        response = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                           {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已在政务微博发布通报"}})
        assert response.status_code == 200
    setup.slack.wait_for("chat.update")
    case, events = case_and_events(setup)
    assert [e.action for e in events].count("responded") == 1
    notes = [b for b in setup.slack.message(setup.channel, setup.ts)["blocks"] if b["type"] == "context"]
    assert len(notes) == 1


def test_a_response_note_posted_to_the_channel_is_de_identified(setup: Setup):
    """The timeline stored the masked text, but the note on the channel's message showed name, phone and ID."""
    setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, RESPOND_ACTION)
    setup.slack.wait_for("views.open")
    [view] = setup.slack.views
    text = "已回访业主王小明，电话13812345678，身份证430102199001011234，问题已解决"
    setup.slack.submit_view(setup.endpoint, SECRET, view["id"], {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: text}})
    setup.slack.wait_for("chat.update")
    note = setup.slack.message(setup.channel, setup.ts)["blocks"][-1]["elements"][0]["text"]
    assert "登记了案件" in note
    for raw in ("王小明", "13812345678", "430102199001011234"):
        assert raw not in note
    assert "138＊＊＊＊5678" in note  # masked, its asterisks full-width: "王**，电话138**" would read bold in mrkdwn


def test_a_second_acknowledgement_tells_the_clicker_who_acknowledged_and_leaves_the_message(setup: Setup):
    setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, ACK_ACTION, user_id="U0FIRST001")
    setup.slack.wait_for("chat.update")
    # The second user's Slack still showed the message as first posted, with its 签收 button.
    payload = {"type": "block_actions", "user": {"id": "U0SECOND01"},
               "container": {"channel_id": setup.channel, "message_ts": setup.ts},
               "message": {"ts": setup.ts, "text": "alert", "blocks": setup.slack.posts[0]["blocks"]},
               "actions": [{"action_id": ACK_ACTION, "value": str(setup.case_id)}]}
    body = urlencode({"payload": json.dumps(payload)})
    assert httpx.post(setup.endpoint, content=body, headers=signed_headers(SECRET, body)).status_code == 200
    setup.slack.wait_for("chat.postEphemeral")
    [ephemeral] = setup.slack.ephemerals
    assert ephemeral["user"] == "U0SECOND01" and "已由 slack:U0FIRST001" in ephemeral["text"]
    assert len(setup.slack.updates) == 1  # only the first click changed the message
    _, events = case_and_events(setup)
    assert [(e.action, e.actor) for e in events] == [("acknowledged", "slack:U0FIRST001")]


def test_the_same_words_after_a_reopening_are_a_new_response(setup: Setup):
    """The duplicate check once swallowed a later, legitimate response: closed, reopened (次生舆情), answered
    again with the same words — Slack said OK, nothing was recorded, and the case went on to escalate."""
    from alerts.cases import close, reopen
    from tests.alerts.casekit import shipped_config

    setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, RESPOND_ACTION)
    setup.slack.wait_for("views.open")
    [view] = setup.slack.views
    values = {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已在政务微博发布通报"}}
    setup.slack.submit_view(setup.endpoint, SECRET, view["id"], values)
    setup.slack.wait_for("chat.update")
    later = datetime.now(case_and_events(setup)[0].opened_at.tzinfo) + timedelta(seconds=1)
    with setup.database.transaction() as session:
        close(session, setup.case_id, "王科长", later)
        reopen(session, setup.case_id, "王科长", later + timedelta(seconds=1), "回应后出现次生舆情", shipped_config())
    response = setup.slack.submit_view(setup.endpoint, SECRET, view["id"], values)
    assert response.status_code == 200
    setup.slack.wait_for("chat.update", count=2)
    case, events = case_and_events(setup)
    assert [e.action for e in events].count("responded") == 2 and case.state == "responded"


def test_a_second_click_after_an_implicit_acknowledgement_says_so(setup: Setup):
    """A response recorded from the command line acknowledges the case; a later 签收 click named nobody."""
    from alerts.cases import record_response

    with setup.database.transaction() as session:
        record_response(session, setup.case_id, "王科长", datetime.now(case_and_events(setup)[0].opened_at.tzinfo),
                        "已在政务微博发布通报", channel="weibo")
    setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, ACK_ACTION)
    setup.slack.wait_for("chat.postEphemeral")
    [ephemeral] = setup.slack.ephemerals
    assert "已签收（登记回应时自动签收）" in ephemeral["text"]


# ----------------------------------------------------------------------------- who may act


def _old_copy_with_buttons(setup: Setup, recipient: str) -> tuple[str, str]:
    """A message as copies to every recipient were before (review2 #1): 签收 / 登记回应 on it, in ``recipient``'s
    conversation, next to the copy the outbox sent there."""
    channel_id = setup.copies[recipient][0]
    text, blocks = slack_message(case_payload(datetime.now().astimezone(), case_id=setup.case_id), SystemClock().now())
    posted = WebClient(token=DEFAULT_TOKEN, base_url=setup.slack.api_url).chat_postMessage(
        channel=channel_id, text=text, blocks=blocks)
    return channel_id, str(posted["ts"])


@pytest.mark.parametrize("recipient", ["#a-police", "U0A3LEAD01"])
def test_a_joint_unit_or_a_leader_cannot_sign_off_or_answer_for_the_responsible_unit(setup: Setup, recipient: str):
    """联动单位 A市公安局's channel and the district head's DM are informed only: pressing 签收 there counted as
    A3区教育局's sign-off and stopped its escalation (review2 #1)."""
    channel_id, ts = _old_copy_with_buttons(setup, recipient)
    for action in (ACK_ACTION, RESPOND_ACTION):
        response = setup.slack.click(setup.endpoint, SECRET, channel_id, ts, action, user_id="U0POLICE99")
        assert response.status_code == 200
    setup.slack.wait_for("chat.postEphemeral", count=2)

    case, events = case_and_events(setup)
    assert case.state == "notified" and case.acknowledged_at is None and events == []
    assert setup.slack.views == [] and setup.slack.updates == []
    ack, respond = setup.slack.ephemerals
    assert ack["channel"] == channel_id and ack["user"] == "U0POLICE99"
    assert ack["text"] == (f"不能在这里签收案件 #{setup.case_id}：本案的承办单位是 A3区教育局，这个会话收到的告警只供知悉"
                           "（联动单位、领导）。请由 A3区教育局 在 #a3-edu 中签收，或在看板打开案件办理。")
    assert respond["text"].startswith(f"不能在这里登记回应案件 #{setup.case_id}")
    # the responsible unit's own copy still works
    assert setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, ACK_ACTION).status_code == 200
    setup.slack.wait_for("chat.update")
    assert case_and_events(setup)[0].state == "acknowledged"


def test_a_response_form_is_refused_once_the_case_went_to_another_unit(setup: Setup):
    """A form opened in A3区教育局's channel and submitted after the case was handed to A市公安局 (转办) would answer
    for the new unit: refused inside the form."""
    assert setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, RESPOND_ACTION).status_code == 200
    setup.slack.wait_for("views.open")
    with setup.database.transaction() as session:
        session.get_one(Case, setup.case_id).unit_id = "a-police"
    [view] = setup.slack.views
    response = setup.slack.submit_view(setup.endpoint, SECRET, view["id"],
                                       {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已发布通报"}})
    errors = response.json()["errors"]
    assert errors[RESPONSE_INPUT_BLOCK].startswith(f"不能在这里登记回应案件 #{setup.case_id}：本案的承办单位是 A市公安局")
    case, events = case_and_events(setup)
    assert case.responded_at is None and events == []


def _hand_over_to_the_city(setup: Setup) -> datetime:
    """The case handed from A3区教育局 to A市教育局 (转办) by the duty officer now, and the outbox run once; when."""
    from alerts.cases import reassign, sync_units
    from tests.alerts.casekit import shipped_config

    config, clock = shipped_config(), SystemClock()
    handed = clock.now()
    with setup.database.transaction() as session:
        sync_units(session, config.units)
        reassign(session, setup.case_id, "市政府办公室舆情值班员", handed, "a-edu", "涉及全市学校，由市教育局牵头", config)
    OutboxWorker(setup.database, {"slack": SlackNotifier(DEFAULT_TOKEN, base_url=setup.slack.api_url, clock=clock)},
                 clock).run_once()
    return handed


def test_a_handed_over_case_tells_the_former_unit_takes_its_buttons_off_and_says_so_at_a_press(setup: Setup):
    """After a 转办 A3区教育局, which held the case, was told nothing: its alert kept 签收 and 登记回应, and a press was
    refused as if its channel were a joint unit's or a leader's; the joint units were not told the new responsible
    unit either (a review, 2026-11-27)."""
    handed = _hand_over_to_the_city(setup)
    when = f"{handed:%Y-%m-%d %H:%M}"
    told = [m for m in setup.slack.history[setup.channel] if m["ts"] != setup.ts]
    assert [m["text"].split("：")[0] for m in told] == ["🟠 已转办"]
    body = json.dumps(told[0]["blocks"], ensure_ascii=False)
    assert (f"案件 #{setup.case_id} 已于 {when} 由 市政府办公室舆情值班员 转办至A市教育局，原因：涉及全市学校，由市教育局牵头；"
            "此后无需你单位处理") in body
    assert ACK_ACTION not in body and RESPOND_ACTION not in body
    # its earlier alert is updated as after a sign-off: the buttons gone, the 转办 said
    old = setup.slack.message(setup.channel, setup.ts)
    buttons = [e["action_id"] for b in old["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["yuqing_open_case"] and "转办至A市教育局" in old["blocks"][-1]["elements"][0]["text"]
    # the joint unit A市公安局 is told who is responsible now
    police = setup.copies["#a-police"][0]
    [change] = [m for m in setup.slack.history[police] if m["ts"] != setup.copies["#a-police"][1]]
    assert "承办单位变更" in json.dumps(change["blocks"], ensure_ascii=False)
    assert "从A3区教育局转办至A市教育局" in json.dumps(change["blocks"], ensure_ascii=False)
    # a press on a copy still showing the buttons (a client not yet refreshed) names the 转办
    channel_id, ts = _old_copy_with_buttons(setup, "#a3-edu")
    assert setup.slack.click(setup.endpoint, SECRET, channel_id, ts, ACK_ACTION).status_code == 200
    setup.slack.wait_for("chat.postEphemeral")
    [refused] = setup.slack.ephemerals
    assert refused["text"] == (f"案件 #{setup.case_id} 已于 {when} 由 市政府办公室舆情值班员 从A3区教育局转办至 A市教育局"
                               "（原因：涉及全市学校，由市教育局牵头），A3区教育局无需再签收或登记回应。"
                               "本案现由 A市教育局 办理（#a-edu）。")
    assert case_and_events(setup)[0].acknowledged_at is None


def test_a_call_to_act_still_queued_at_a_handover_is_cancelled_not_delivered_with_buttons(setup: Setup):
    """A reminder to A3区教育局 still in the outbox (Slack down, say) when the case went to A市教育局 arrived after the
    转办 with 签收 and 登记回应: it is cancelled, its row saying why; the unit gets the 转办 notice alone."""
    clock = SystemClock()
    with setup.database.transaction() as session:
        held = enqueue(session, case_id=setup.case_id, kind="reminder", channel="slack", recipient="#a3-edu",
                       payload=case_payload(clock.now(), case_id=setup.case_id, kind="reminder"),
                       idempotency_key="k:held-reminder", scheduled_at=clock.now())
        assert held is not None
        held_id = held.id
    handed = _hand_over_to_the_city(setup)
    told = [m for m in setup.slack.history[setup.channel] if m["ts"] != setup.ts]
    assert [m["text"].split("：")[0] for m in told] == ["🟠 已转办"]
    with setup.database.transaction() as session:
        row = session.get_one(Notification, held_id)
        assert (row.status, row.sent_at) == ("cancelled", None)
        assert row.last_error == (f"案件已于 {handed:%Y-%m-%d %H:%M} 转办至A市教育局，A3区教育局无需再签收或登记回应，未发出")
    case, events = case_and_events(setup)
    assert "撤销尚未发出的 1 条发给A3区教育局的通知" in events[-1].reason


# ----------------------------------------------------------------------------- people of units.yaml (review 3)


def _post_copy(setup: Setup, channel_id: str, *, case_id: int, role: str = "responsible") -> str:
    """A copy of an alert as the notifier renders it for ``role``, posted in ``channel_id``; its ts."""
    payload = case_payload(datetime.now().astimezone(), case_id=case_id, recipient_role=role)
    text, blocks = slack_message(payload, SystemClock().now())
    client = WebClient(token=DEFAULT_TOKEN, base_url=setup.slack.api_url)
    return str(client.chat_postMessage(channel=channel_id, text=text, blocks=blocks)["ts"])


def test_a_press_is_named_after_the_person_units_yaml_lists(mapped: Setup):
    """The timeline said slack:U0A3EDU02; units.yaml knows U0A3EDU02 as A3区教育局's spokesperson."""
    mapped.slack.click(mapped.endpoint, SECRET, mapped.channel, mapped.ts, ACK_ACTION, user_id="U0A3EDU02")
    mapped.slack.wait_for("chat.update")
    case, events = case_and_events(mapped)
    assert case.state == "acknowledged"
    assert [(e.action, e.actor) for e in events] == [("acknowledged", "A3区教育局新闻发言人（A3区教育局）")]


def test_someone_the_unit_does_not_list_is_refused_and_told_whom_to_contact(mapped: Setup):
    """Anyone in #a3-edu could sign the case off for A3区教育局 once the unit lists its people."""
    for action in (ACK_ACTION, RESPOND_ACTION):
        response = mapped.slack.click(mapped.endpoint, SECRET, mapped.channel, mapped.ts, action, user_id="U0VISITOR1")
        assert response.status_code == 200
    mapped.slack.wait_for("chat.postEphemeral", count=2)

    case, events = case_and_events(mapped)
    assert case.state == "notified" and case.acknowledged_at is None and events == []
    assert mapped.slack.views == [] and mapped.slack.updates == []
    ack, respond = mapped.slack.ephemerals
    assert ack["user"] == "U0VISITOR1" and ack["channel"] == mapped.channel
    assert ack["text"] == (f"您不能签收案件 #{mapped.case_id}：只有 A3区教育局 登记的人员、其上级单位领导和A市人民政府办公室"
                           "可以签收。请联系 A3区教育局局长、A3区教育局新闻发言人、A3区教育局办公室值班员 办理。"
                           "如您是 A3区教育局 的工作人员，请管理员把您的 Slack 成员 ID（U0VISITOR1）加入 "
                           "config/units.yaml 中 a3-edu 的 staff。")
    assert respond["text"].startswith(f"您不能登记回应案件 #{mapped.case_id}：只有 A3区教育局 登记的人员")


def test_leaders_above_the_unit_and_the_default_receiver_may_act_but_another_units_leader_may_not(mapped: Setup):
    """61号: the higher level and the default receiver (总值班) coordinate; a leader of an unrelated unit has no say."""
    mapped.slack.click(mapped.endpoint, SECRET, mapped.channel, mapped.ts, ACK_ACTION, user_id="U0APOL001")
    mapped.slack.wait_for("chat.postEphemeral")
    assert mapped.slack.ephemerals[0]["text"].startswith(f"您不能签收案件 #{mapped.case_id}")
    assert case_and_events(mapped)[1] == []

    mapped.slack.click(mapped.endpoint, SECRET, mapped.channel, mapped.ts, ACK_ACTION, user_id="U0AEDU001")
    mapped.slack.wait_for("chat.update")
    mapped.slack.click(mapped.endpoint, SECRET, mapped.channel, mapped.ts, RESPOND_ACTION, user_id="U0AOFFDUTY")
    mapped.slack.wait_for("views.open")
    [view] = mapped.slack.views
    response = mapped.slack.submit_view(mapped.endpoint, SECRET, view["id"],
                                        {RESPONSE_INPUT_BLOCK: {RESPONSE_INPUT_ACTION: "已在政务微博发布情况通报"}},
                                        user_id="U0AOFFDUTY")
    assert response.status_code == 200 and not response.content, response.text
    case, events = case_and_events(mapped)
    assert case.state == "responded"
    assert [(e.action, e.actor) for e in events] == [("acknowledged", "市教育局局长（A市教育局）"),
                                                     ("responded", "市政府办公室舆情值班员（A市人民政府办公室）")]


def test_a_unit_that_lists_nobody_keeps_the_conversation_rule(database: Database):
    """Deployments that map no one keep working: with A3区教育局's people removed, anyone in #a3-edu signs off."""
    from tests.alerts.casekit import shipped_config

    units = shipped_config().units
    units.unit("a3-edu").leaders, units.unit("a3-edu").staff = [], []
    with _serve(database, units) as running:
        running.slack.click(running.endpoint, SECRET, running.channel, running.ts, ACK_ACTION, user_id="U0ANYONE01")
        running.slack.wait_for("chat.update")
        case, events = case_and_events(running)
    assert case.state == "acknowledged" and [(e.action, e.actor) for e in events] == [("acknowledged", "slack:U0ANYONE01")]


@pytest.mark.parametrize("people", ["unmapped", "mapped"])
def test_a_joint_unit_notes_the_case_once_without_signing_it_off(database: Database, people: str):
    """联动单位 had no button at all: nothing recorded that A市公安局 saw the case. 知悉 is a timeline entry, once per
    unit; the case stays unacknowledged and its escalation for silence goes on."""
    from tests.alerts.casekit import shipped_config

    with _serve(database, None if people == "unmapped" else shipped_config().units) as setup:
        _note_twice(setup, people)


def _note_twice(setup: Setup, people: str) -> None:
    from alerts.cases import is_acknowledged

    channel_id, ts = setup.copies["#a-police"]
    # mapped: A市公安局 lists only its chief, whose second device still showed the button
    first, second = ("U0POLICE01", "U0POLICE02") if people == "unmapped" else ("U0APOL001", "U0APOL001")
    setup.slack.click(setup.endpoint, SECRET, channel_id, ts, NOTED_ACTION, user_id=first)
    setup.slack.wait_for("chat.update")
    message = setup.slack.message(channel_id, ts)
    buttons = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["yuqing_open_case"]
    assert f"<@{first}>" in message["blocks"][-1]["elements"][0]["text"]
    assert "代表 A市公安局 知悉案件" in message["blocks"][-1]["elements"][0]["text"]

    # Another member's Slack still showed the button.
    payload = {"type": "block_actions", "user": {"id": second},
               "container": {"channel_id": channel_id, "message_ts": ts},
               "message": {"ts": ts, "text": "alert", "blocks": setup.slack.posts[1]["blocks"]},
               "actions": [{"action_id": NOTED_ACTION, "value": str(setup.case_id)}]}
    body = urlencode({"payload": json.dumps(payload)})
    assert httpx.post(setup.endpoint, content=body, headers=signed_headers(SECRET, body)).status_code == 200
    setup.slack.wait_for("chat.postEphemeral")

    case, events = case_and_events(setup)
    actor = "slack:U0POLICE01" if people == "unmapped" else "市公安局局长（A市公安局）"
    assert [(e.action, e.actor, e.details) for e in events] == [("noted", actor, {"unit": "a-police"})]
    assert case.state == "notified" and case.acknowledged_at is None and not is_acknowledged(case)
    [ephemeral] = setup.slack.ephemerals
    assert ephemeral["user"] == second
    assert ephemeral["text"].startswith(f"案件 #{setup.case_id} 已由 {actor} 于 ")
    assert ephemeral["text"].endswith(" 代表 A市公安局 知悉，无需重复。")
    assert len(setup.slack.updates) == 1


def test_noted_is_refused_outside_the_joint_units_conversation_and_from_someone_it_does_not_list(mapped: Setup):
    """A 知悉 pressed in the responsible unit's channel or a leader's DM says nothing about a joint unit."""
    for channel_id in (mapped.channel, mapped.copies["U0A3LEAD01"][0]):
        ts = _post_copy(mapped, channel_id, case_id=mapped.case_id, role="joint")
        mapped.slack.click(mapped.endpoint, SECRET, channel_id, ts, NOTED_ACTION, user_id="U0A3EDU01")
    police, ts = mapped.copies["#a-police"]
    mapped.slack.click(mapped.endpoint, SECRET, police, ts, NOTED_ACTION, user_id="U0VISITOR1")
    mapped.slack.wait_for("chat.postEphemeral", count=3)

    assert case_and_events(mapped)[1] == [] and mapped.slack.updates == []
    here, dm, stranger = mapped.slack.ephemerals
    assert here["text"] == (f"不能在这里知悉案件 #{mapped.case_id}：这个会话不是本案联动单位收到告警的会话。"
                            "联动单位请在本单位频道的告警上按“知悉”；承办单位请按“签收”。")
    assert dm["text"] == here["text"]
    assert stranger["text"].startswith(f"您不能知悉案件 #{mapped.case_id}：只有 A市公安局 登记的人员")
    assert "请联系 市公安局局长 办理" in stranger["text"]


def test_noted_is_the_joint_units_own_word_so_a_leader_above_or_the_office_cannot_press_it(mapped: Setup):
    """A review (L2): the city's secretary or the duty officer of A市人民政府办公室 pressing 知悉 in #a-police recorded
    "代表 A市公安局 知悉" — the police never saw the case. They may sign off for the units they coordinate, not this."""
    police, ts = mapped.copies["#a-police"]
    for user_id in ("U0ALEAD001", "U0AOFFDUTY"):
        mapped.slack.click(mapped.endpoint, SECRET, police, ts, NOTED_ACTION, user_id=user_id)
    mapped.slack.wait_for("chat.postEphemeral", count=2)
    assert case_and_events(mapped)[1] == [] and mapped.slack.updates == []
    for ephemeral in mapped.slack.ephemerals:
        assert ephemeral["text"].startswith(f"您不能知悉案件 #{mapped.case_id}：只有 A市公安局 登记的人员可以知悉"
                                            "（知悉是本单位收到告警的确认，上级单位领导和A市人民政府办公室不能代为知悉）。")
        assert "请联系 市公安局局长 办理" in ephemeral["text"]


def test_two_joint_units_sharing_a_channel_are_each_noted_by_their_own_people(mapped: Setup):
    """A review (L9): with A市公安局 and A市卫生健康委员会 alerted in one channel, the first copy's unit was always the one
    noted, so the health commission's director was refused. The presser's unit decides; someone units.yaml does not
    place is asked to be mapped, and nothing is recorded for either unit."""
    police, police_ts = mapped.copies["#a-police"]
    with mapped.database.transaction() as session:
        session.add(UnitRow(id="a-health", name="A市卫生健康委员会", kind="health", level="city"))
        session.flush()
        payload = case_payload(datetime.now().astimezone(), case_id=mapped.case_id, kind="alert",
                               recipient_unit="a-health", recipient_role="joint")
        enqueue(session, case_id=mapped.case_id, kind="alert", channel="slack", recipient="#a-police", payload=payload,
                idempotency_key="k:#a-police:a-health", scheduled_at=datetime.now().astimezone())
    clock = SystemClock()
    assert OutboxWorker(mapped.database, {"slack": SlackNotifier(DEFAULT_TOKEN, base_url=mapped.slack.api_url,
                                                                 clock=clock)}, clock).run_once() == 1
    with mapped.database.transaction() as session:
        [health] = [n for n in session.scalars(select(Notification)) if n.idempotency_key == "k:#a-police:a-health"]
        health_ts = (health.external_id or "").partition("/")[2]

    mapped.slack.click(mapped.endpoint, SECRET, police, police_ts, NOTED_ACTION, user_id="U0VISITOR1")
    mapped.slack.wait_for("chat.postEphemeral")
    assert mapped.slack.ephemerals[0]["text"] == (
        f"不能确定您代表哪个单位知悉案件 #{mapped.case_id}：这个会话收到了 A市卫生健康委员会、A市公安局 的告警。请管理员把您的"
        " Slack 成员 ID（U0VISITOR1）加入 config/units.yaml 中您所在单位的 leaders 或 staff，或为各单位设置各自的 Slack 频道。")
    mapped.slack.click(mapped.endpoint, SECRET, police, health_ts, NOTED_ACTION, user_id="U0AHEA001")
    mapped.slack.wait_for("chat.update")
    mapped.slack.click(mapped.endpoint, SECRET, police, police_ts, NOTED_ACTION, user_id="U0APOL001")
    mapped.slack.wait_for("chat.update", count=2)
    assert [(e.action, e.actor, e.details) for e in case_and_events(mapped)[1]] == [
        ("noted", "市卫生健康委主任（A市卫生健康委员会）", {"unit": "a-health"}),
        ("noted", "市公安局局长（A市公安局）", {"unit": "a-police"})]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
@pytest.mark.timeout(120)
def test_two_presses_of_noted_at_once_record_one(database: Database):
    """A review (L8) feared two endpoint workers noting the same unit at once would both find no entry and both
    record one. The second waits on the case row the first locked, then finds the first's entry. (SQLite's writers
    take the database at BEGIN IMMEDIATE, one after another.)"""
    import threading

    from alerts.cases import note_informed

    now = SystemClock().now()
    with database.transaction() as session:
        session.add(UnitRow(id="a-police", name="A市公安局", kind="police", level="city"))
        case = Case(event_id="evt-1", title="A3区某校食堂疑似食物中毒", topic="就学", grade="II", state="notified",
                    joint_unit_ids=["a-police"], opened_at=now, notified_at=now, updated_at=now)
        session.add(case)
        session.flush()
        case_id = case.id
    second: dict[str, object] = {}

    def press_again() -> None:
        with database.transaction() as session:
            second["new"] = note_informed(session, case_id, "a-police", "市公安局局长（A市公安局）", now)[1]

    with database.transaction() as session:
        assert note_informed(session, case_id, "a-police", "市公安局局长（A市公安局）", now)[1] is True
        thread = threading.Thread(target=press_again)
        thread.start()
        wait_until_blocked(database.engine, thread)
        assert thread.is_alive()  # the second press waits for the first's transaction
    thread.join()
    assert second["new"] is False
    with database.transaction() as session:
        assert len(list(session.scalars(select(CaseEvent).where(CaseEvent.action == "noted")))) == 1


@pytest.mark.parametrize("action", [RESPOND_ACTION, ACK_ACTION])
def test_a_press_about_a_case_that_does_not_exist_is_refused_at_once(setup: Setup, action: str):
    """登记回应 on an unknown case id opened the form, and only its submission failed."""
    ts = _post_copy(setup, setup.channel, case_id=9999)
    assert setup.slack.click(setup.endpoint, SECRET, setup.channel, ts, action).status_code == 200
    setup.slack.wait_for("chat.postEphemeral")
    assert setup.slack.views == [] and setup.slack.updates == []
    [ephemeral] = setup.slack.ephemerals
    what = "登记回应" if action == RESPOND_ACTION else "签收"
    assert ephemeral["text"] == (f"没有编号为 9999 的案件，无法{what}：它可能已被删除，或这条消息来自另一套系统。"
                                 "请在看板查找案件。")
    assert case_and_events(setup)[1] == []


def test_a_sign_off_on_an_endpoint_left_running_after_the_database_moved_is_refused_not_lost(
        setup: Setup, tmp_path: Path) -> None:
    """`yuqing db copy` moved the deployment while this endpoint kept serving the old database: 签收 is refused and
    logged with where to go, instead of being recorded where the new `yuqing run` never sees it (review3 H1)."""
    target_url = f"sqlite:///{tmp_path / 'moved.db'}"
    upgrade(target_url)
    target = Database(target_url)
    copy_workflow(setup.database, target)
    response = setup.slack.click(setup.endpoint, SECRET, setup.channel, setup.ts, ACK_ACTION)
    assert response.status_code == 503
    assert response.text.startswith(f"not recorded: the workflow database {redact_url(setup.database.url)} was "
                                    f"copied to {target_url} at ")
    assert f"`YUQING_DATABASE_URL={redact_url(setup.database.url)} yuqing db unmark-moved`" in response.text
    for database in (setup.database, target):
        with database.sessions() as session:
            assert session.get_one(Case, setup.case_id).acknowledged_at is None
    target.dispose()
