"""Every channel delivers to its real local receiver, escapes web text for its syntax, and classifies failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.messages import (
    ACK_ACTION,
    NOTED_ACTION,
    OPEN_ACTION,
    RESPOND_ACTION,
    email_message,
    robot_escape,
    robot_markdown,
    slack_message,
)
from alerts.notifiers import (
    Delivery,
    DingTalkNotifier,
    EmailNotifier,
    PermanentError,
    RecordNotifier,
    RetryableError,
    SlackNotifier,
    WebhookNotifier,
    WeComNotifier,
    build_notifiers,
    person_recipients,
    unit_recipients,
)
from alerts.notifiers.email import message_id
from tests.support.net import Fault
from tests.support.payloads import HOSTILE_TITLE, case_payload, digest_payload
from tests.support.slack_emulator import DEFAULT_TOKEN, SlackEmulator
from tests.support.smtp import SmtpServer
from tests.support.webhooks import DingTalkRobot, WebhookReceiver, WeComRobot
from yuqing.clock import ManualClock
from yuqing.settings import Config, SmtpSettings, UnitsFile

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def units(config: Config) -> UnitsFile:
    """units.yaml with robots configured for A3区教育局 (their URLs and secret come from the environment)."""
    copy = config.units.model_copy(deep=True)
    contacts = copy.unit("a3-edu").contacts
    contacts.wecom_webhook_env = "YQ_TEST_WECOM_A3_EDU"
    contacts.dingtalk_webhook_env = "YQ_TEST_DINGTALK_A3_EDU"
    contacts.dingtalk_secret_env = "YQ_TEST_DINGTALK_SECRET_A3_EDU"
    return copy


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[SlackEmulator]:
    with SlackEmulator(clock=clock) as emulator:
        yield emulator


def delivery(channel: str, recipient: str, payload: dict, key: str = "case-42:alert:1", attempts: int = 1) -> Delivery:
    return Delivery(id=7, case_id=payload.get("case_id"), kind=payload.get("kind", "alert"), channel=channel,
                    recipient=recipient, payload=payload, idempotency_key=key, attempts=attempts,
                    created_at=T0, scheduled_at=T0)


def _mrkdwn_texts(blocks: list[dict]) -> list[str]:
    texts = []
    for block in blocks:
        if (block.get("text") or {}).get("type") == "mrkdwn":
            texts.append(block["text"]["text"])
        texts += [f["text"] for f in block.get("fields") or []]
        texts += [e["text"] for e in block.get("elements") or [] if e.get("type") == "mrkdwn"]
    return texts


def _mrkdwn_nodes(node: object) -> list[dict]:
    """Every mrkdwn text object anywhere in the blocks."""
    if isinstance(node, list):
        return [found for item in node for found in _mrkdwn_nodes(item)]
    if isinstance(node, dict):
        own = [node] if node.get("type") == "mrkdwn" else []
        return own + [found for value in node.values() for found in _mrkdwn_nodes(value)]
    return []


# ----------------------------------------------------------------------------- Slack


def test_slack_posts_block_kit_with_buttons_countdown_and_escaped_text(slack: SlackEmulator, clock: ManualClock):
    notifier = SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)
    result = notifier.send(delivery("slack", "#a3-edu", case_payload(clock.now())))

    post = slack.posts[0]
    assert result.external_id == f"{post['channel']}/{post['ts']}"
    assert post["channel"] == slack.channel_id("#a3-edu")
    buttons = next(b for b in post["blocks"] if b["type"] == "actions")["elements"]
    assert {b["action_id"]: b.get("value") for b in buttons} == {ACK_ACTION: "42", RESPOND_ACTION: "42",
                                                                 OPEN_ACTION: None}
    assert buttons[2]["url"] == "http://127.0.0.1:8600/cases/42"
    mrkdwn = "\n".join(_mrkdwn_texts(post["blocks"])) + post["text"]
    # Web text cannot mention @channel, ping users or forge links: & < > are escaped everywhere.
    assert "<!channel>" not in mrkdwn and "<@U999>" not in mrkdwn and "<http://evil" not in mrkdwn
    assert "&lt;!channel&gt;" in post["text"] and "&lt;@U999&gt;" in mrkdwn and "&amp;" in mrkdwn
    assert "<script>" not in mrkdwn
    assert "II级（橙）" in post["text"]
    assert "发布权威信息" in mrkdwn and "还剩 4小时30分" in mrkdwn and "还剩 23小时0分" in mrkdwn
    assert "涉及未成年人 (+15.0)" in mrkdwn and "A3区教育局" in mrkdwn
    assert post["metadata"]["event_payload"]["idempotency_key"] == "case-42:alert:1"


def test_web_text_cannot_format_itself_in_slack(slack: SlackEmulator, clock: ManualClock):
    """A review (2026-11-27): a post titled "*紧急* …" read bold in the alert and the digest, and _…_, ~…~ and `…`
    would have been italics, strikethrough and code; mrkdwn has no escape for them."""
    payload = case_payload(clock.now())
    payload["title"] = "*紧急* _全体_ ~取消~ `代码` A3区化工厂爆炸"
    SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock).send(delivery("slack", "#a3-edu", payload))
    post = slack.posts[0]
    shown = [post["text"], *_mrkdwn_texts(post["blocks"])]
    assert any("＊紧急＊ ＿全体＿ ～取消～ ｀代码｀ A3区化工厂爆炸" in text for text in shown), shown
    assert not any(mark in text for text in shown for mark in ("*紧急*", "_全体_", "~取消~", "`代码`"))


@pytest.mark.parametrize(("kind", "role", "expected"), [("alert", "joint", [NOTED_ACTION, OPEN_ACTION]),
                                                         ("escalation", "leader", [OPEN_ACTION])])
def test_slack_copies_for_a_joint_unit_or_a_leader_do_not_act_for_the_responsible_unit(
        slack: SlackEmulator, clock: ManualClock, kind: str, role: str, expected: list[str]):
    """签收 / 登记回应 act for the responsible unit: a leader's DM gets 打开案件 alone, a joint unit's channel 知悉 (it saw
    the case: nothing else was on record) and 打开案件."""
    notifier = SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)
    notifier.send(delivery("slack", "#a-police", case_payload(clock.now(), kind=kind, recipient_unit="a-police",
                                                               recipient_role=role)))

    buttons = next(b for b in slack.posts[0]["blocks"] if b["type"] == "actions")["elements"]
    assert [b["action_id"] for b in buttons] == expected
    assert all(b.get("value") == "42" for b in buttons if b["action_id"] == NOTED_ACTION)


def test_web_text_cannot_spoof_ping_or_break_an_entity_in_slack(clock: ManualClock):
    """From a review: a title with a right-to-left override read backwards (正常标题\u202egnp.exe), C1 controls and
    lone surrogates from mis-decoded bytes reached Slack; bare @here in a post could be parsed as a mention; and
    a cut after escaping left half an entity ("&am…")."""
    payload = case_payload(clock.now())
    payload["title"] = "正常标题\u202egnp.exe\u2066隔离\u2069\x9b\udce5"
    payload["summary"] = "@here 请注意 http://evil.example " + "&" * 3000
    text, blocks = slack_message(payload, clock.now())
    everything = json.dumps(blocks, ensure_ascii=False) + text
    for bad in ("\u202e", "\u2066", "\u2069", "\x9b", "\udce5"):
        assert bad not in everything
    assert "正常标题gnp.exe隔离" in text
    texts = _mrkdwn_nodes(blocks)
    assert texts and all(node.get("verbatim") is True for node in texts)
    summary = next(n["text"] for n in texts if n["text"].startswith("@here"))
    assert len(summary) <= 2900 and summary.endswith("&amp;…")


def test_slack_countdown_shows_overdue_and_met_deadlines(clock: ManualClock):
    payload = case_payload(clock.now())
    payload["deadlines"] = [
        {"kind": "report_upward", "due_at": (T0 - timedelta(minutes=75)).isoformat(), "basis": "", "met_at": None},
        {"kind": "authoritative_release", "due_at": (T0 + timedelta(hours=1)).isoformat(), "basis": "",
         "met_at": (T0 - timedelta(minutes=5)).isoformat()},
    ]
    text = "\n".join(_mrkdwn_texts(slack_message(payload, clock.now())[1]))
    assert "⛔ *向上报告*" in text and "已超时 1小时15分" in text
    assert "按时完成" in text and "已按时完成" not in text  # the evaluation's words (yuqing.contract.deadline_status)


def test_slack_failures_are_classified(slack: SlackEmulator, clock: ManualClock):
    notifier = SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)
    payload = case_payload(clock.now())

    slack.rate_limit(17, calls=1)
    with pytest.raises(RetryableError) as limited:
        notifier.send(delivery("slack", "#a3-edu", payload))
    assert limited.value.retry_after_s == 17

    slack.fail(503, calls=1)
    with pytest.raises(RetryableError, match="HTTP 503"):
        notifier.send(delivery("slack", "#a3-edu", payload))

    slack.auto_create_channels = False
    with pytest.raises(PermanentError, match="channel_not_found.*units.yaml"):
        notifier.send(delivery("slack", "#no-such-channel", payload))

    wrong_token = SlackNotifier("xoxb-wrong", base_url=slack.api_url, clock=clock)
    with pytest.raises(RetryableError, match="invalid_auth") as refused:  # holds the channel, loses nothing
        wrong_token.send(delivery("slack", "#a3-edu", payload))
    assert refused.value.retry_after_s == 300
    assert slack.posts == []


def test_slack_cannot_be_reached_is_retryable(clock: ManualClock):
    with SlackEmulator(clock=clock) as gone:
        url = gone.api_url
    notifier = SlackNotifier(DEFAULT_TOKEN, base_url=url, clock=clock, timeout_s=5)
    with pytest.raises(RetryableError, match="cannot reach Slack"):
        notifier.send(delivery("slack", "#a3-edu", case_payload(clock.now())))


def test_slack_finds_an_earlier_delivery_by_its_key(slack: SlackEmulator, clock: ManualClock):
    notifier = SlackNotifier(DEFAULT_TOKEN, base_url=slack.api_url, clock=clock)
    slack.create_channel("#other")
    slack.create_channel("#a3-edu")
    for recipient in ("#a3-edu", "U0A3EDU01"):
        sent = delivery("slack", recipient, case_payload(clock.now()), key=f"k-{recipient}")
        assert notifier.find_delivery(sent) is None
        result = notifier.send(sent)
        clock.advance(timedelta(seconds=1))
        assert notifier.find_delivery(sent) == result
        assert notifier.find_delivery(delivery("slack", recipient, sent.payload, key="never-sent")) is None


def test_slack_digest_lists_cases_with_links(clock: ManualClock):
    text, blocks = slack_message(digest_payload(clock.now(), 3), clock.now())
    assert text.startswith("📋 舆情摘要：3 件")
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == 3 and all(s["accessory"]["url"].startswith("http://127.0.0.1:8600/cases/") for s in sections)
    assert all("&lt;script&gt;" in s["text"]["text"] for s in sections)


def test_a_digest_names_every_missed_deadline_and_the_next_one_ahead(clock: ManualClock):
    """A review (2026-11-27): the leaders' 08:00 digest gave each case its earliest unmet deadline only — 向上报告
    已超时 21小时 — while the press conference was due within the hour."""
    now = clock.now()
    case = case_payload(now, deadlines=[
        {"kind": "report_upward", "due_at": (now - timedelta(hours=21)).isoformat(), "met_at": None},
        {"kind": "authoritative_release", "due_at": (now - timedelta(hours=18)).isoformat(), "met_at": None},
        {"kind": "press_conference", "due_at": (now + timedelta(hours=1)).isoformat(), "met_at": None},
        {"kind": "response", "due_at": (now + timedelta(hours=30)).isoformat(), "met_at": None},
    ])
    digest = {"kind": "digest", "title": "每日舆情摘要", "cases": [case]}
    conference = (now + timedelta(hours=1)).strftime("%m-%d %H:%M")
    expected = f"向上报告 已超时 21小时0分；发布权威信息 已超时 18小时0分；新闻发布会 {conference}（还剩 1小时0分）"
    with SmtpServer() as smtp:
        EmailNotifier(SmtpSettings(host=smtp.host, port=smtp.port, sender="yuqing@press.a.gov.example"), {},
                      clock).send(delivery("email", "leader@a3.gov.example", digest))
        body = smtp.messages[0].get_body(("plain",)).get_content()
    assert expected in body and "回应" not in body.split(expected)[1].split("\n")[0], body
    _, blocks = slack_message(digest, now)
    assert expected in blocks[1]["text"]["text"]


# ----------------------------------------------------------------------------- e-mail


def test_email_arrives_with_text_and_escaped_html(clock: ManualClock):
    with SmtpServer() as smtp:
        notifier = EmailNotifier(SmtpSettings(host=smtp.host, port=smtp.port, sender="yuqing@press.a.gov.example"),
                                 {}, clock)
        result = notifier.send(delivery("email", "edu@a3.gov.example", case_payload(clock.now())))
        assert len(smtp.messages) == 1
        message = smtp.messages[0]
    assert message["To"] == "edu@a3.gov.example"
    assert message["Message-ID"] == result.external_id == message_id("case-42:alert:1", "yuqing@press.a.gov.example")
    assert message["X-Yuqing-Idempotency-Key"] == "case-42:alert:1"
    assert "II级" in message["Subject"] and "食物中毒" in message["Subject"] and "#42" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert HOSTILE_TITLE in text and "还剩 4小时30分" in text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;!channel&gt;" in html and 'href="http://127.0.0.1:8600/cases/42"' in html


def test_email_refusals_are_classified(clock: ManualClock):
    with SmtpServer() as smtp:
        notifier = EmailNotifier(SmtpSettings(host=smtp.host, port=smtp.port), {}, clock)
        smtp.refuse(1)
        with pytest.raises(RetryableError, match="451"):
            notifier.send(delivery("email", "edu@a3.gov.example", case_payload(clock.now())))
        smtp.refuse(1, "554 5.7.1 Message rejected")
        with pytest.raises(PermanentError, match="554"):
            notifier.send(delivery("email", "edu@a3.gov.example", case_payload(clock.now())))
        with pytest.raises(PermanentError, match="not an e-mail address"):
            notifier.send(delivery("email", "edu\r\nBcc: x@evil.example", case_payload(clock.now())))
        assert smtp.messages == []


def test_email_digest(clock: ManualClock):
    subject, text, html = email_message(digest_payload(clock.now(), 2), clock.now())
    assert subject == "[舆情] 舆情摘要：2 件"
    assert text.count("#") >= 2 and "<script>" not in html and html.count("<li>") == 2


# ----------------------------------------------------------------------------- WeCom and DingTalk


def test_wecom_robot_gets_markdown_with_neutralised_markup(units: UnitsFile, clock: ManualClock):
    with WeComRobot() as robot:
        env = {"YQ_TEST_WECOM_A3_EDU": robot.webhook_url()}
        WeComNotifier(units, env, clock).send(delivery("wecom", "a3-edu", case_payload(clock.now())))
        [request] = robot.received
    body = request.json
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert '<font color="warning">II级（橙）</font>' in content
    assert "＜script＞" in content and "<script>" not in content
    assert "［点此］（http://evil.example）" in content and "](http://evil.example)" not in content
    assert "还剩 4小时30分" in content and "[打开案件，签收或登记回应](http://127.0.0.1:8600/cases/42)" in content


def test_robot_and_slack_messages_keep_the_floors_that_set_the_grade(config: Config, units: UnitsFile,
                                                                     clock: ManualClock):
    """An explosion at a school in its first two posts, 30 dead and 100 injured, an official named: eight factors give
    III, five floors lift it to I. The robot message showed the first 8 reasons, Slack the first 12 — "→ III级 (黄)"
    under a grade I alert, and never the floors that set I (a review of the overview's shortened reasons)."""
    from analysis.grading import grade_event
    from yuqing.contract import Event

    graded = grade_event(Event(id="e", title="学校爆炸", first_seen=T0, last_seen=T0, volume=2, unique_stories=2,
                               velocity=1.0, sentiment_mix={"negative": 1, "neutral": 1}, media_tiers={"self-media": 2},
                               severity_cues=["deaths:30", "injured:100", "explosion", "students", "officials",
                                              "petition"]), config.policy.grading)
    assert len(graded.reasons) > 12 and graded.reasons[0].endswith("→ III级 (黄)")
    payload = case_payload(clock.now(), grade="I", grade_colour="红", factors=graded.reasons)
    decisive = ["死亡 30 人 ≥ 30 → 至少I级（定级底线）", "受伤 100 人 ≥ 100 → 至少I级（定级底线）", "最终 I级 (红)"]
    with WeComRobot() as robot:
        WeComNotifier(units, {"YQ_TEST_WECOM_A3_EDU": robot.webhook_url()}, clock).send(
            delivery("wecom", "a3-edu", payload))
        [request] = robot.received
    robot_lines = request.json["markdown"]["content"].split("**研判依据**\n")[1].split("\n\n")[0].splitlines()
    assert robot_lines[0] == f"- {robot_escape(graded.reasons[0])}"
    assert robot_lines[-3:] == [f"- {robot_escape(line)}" for line in decisive]
    _, blocks = slack_message(payload, clock.now())
    factors = next(b["text"]["text"] for b in blocks if b.get("text", {}).get("text", "").startswith("*研判依据*"))
    assert factors.splitlines()[-3:] == [f"• {line}" for line in decisive]


def test_wecom_rate_limit_and_configuration_errors(units: UnitsFile, clock: ManualClock):
    with WeComRobot() as robot:
        robot.errcodes = [45009]
        notifier = WeComNotifier(units, {"YQ_TEST_WECOM_A3_EDU": robot.webhook_url()}, clock)
        with pytest.raises(RetryableError, match="45009") as limited:
            notifier.send(delivery("wecom", "a3-edu", case_payload(clock.now())))
        assert limited.value.retry_after_s == 60
        with pytest.raises(PermanentError, match="93000"):
            WeComNotifier(units, {"YQ_TEST_WECOM_A3_EDU": robot.webhook_url("wrong")}, clock).send(
                delivery("wecom", "a3-edu", case_payload(clock.now())))
    with pytest.raises(PermanentError, match="YQ_TEST_WECOM_A3_EDU is not set"):
        WeComNotifier(units, {}, clock).send(delivery("wecom", "a3-edu", case_payload(clock.now())))
    with pytest.raises(PermanentError, match="a-edu has no contacts.wecom_webhook_env"):
        WeComNotifier(units, {}, clock).send(delivery("wecom", "a-edu", case_payload(clock.now())))
    with pytest.raises(PermanentError, match="not a unit id"):
        WeComNotifier(units, {}, clock).send(delivery("wecom", "#a3-edu", case_payload(clock.now())))


def test_dingtalk_robot_verifies_the_signature(units: UnitsFile, clock: ManualClock):
    with DingTalkRobot({"tok-a3": "SEC0123456789abcdef+/="}) as robot:
        env = {"YQ_TEST_DINGTALK_A3_EDU": robot.webhook_url("tok-a3"),
               "YQ_TEST_DINGTALK_SECRET_A3_EDU": "SEC0123456789abcdef+/="}
        DingTalkNotifier(units, env, clock).send(delivery("dingtalk", "a3-edu", case_payload(clock.now())))
        [request] = robot.received
        assert request.notes["signature_valid"] is True
        markdown = request.json["markdown"]
        assert markdown["title"].startswith("新舆情：") and "＜script＞" in markdown["text"]
        assert "<script>" not in markdown["text"]

        env["YQ_TEST_DINGTALK_SECRET_A3_EDU"] = "SECwrong"
        with pytest.raises(PermanentError, match="310000.*signing secret"):
            DingTalkNotifier(units, env, clock).send(delivery("dingtalk", "a3-edu", case_payload(clock.now())))
        assert robot.received[-1].notes["signature_valid"] is False


# ----------------------------------------------------------------------------- generic webhook


def test_webhook_posts_json_with_the_idempotency_key(units: UnitsFile, clock: ManualClock):
    with WebhookReceiver() as receiver:
        result = WebhookNotifier(units, clock).send(delivery("webhook", receiver.url, case_payload(clock.now())))
        [request] = receiver.received
    assert request.headers["idempotency-key"] == "case-42:alert:1"
    assert request.json["payload"]["title"] == HOSTILE_TITLE
    assert request.json["case_id"] == 42 and request.json["kind"] == "alert"
    assert result.external_id and result.external_id.startswith("hook-")


def test_webhook_garbage_and_errors_are_classified(units: UnitsFile, clock: ManualClock):
    notifier = WebhookNotifier(units, clock)
    with WebhookReceiver() as receiver:
        receiver.garbage(calls=1)
        with pytest.raises(RetryableError, match="invalid HTTP response"):
            notifier.send(delivery("webhook", receiver.url, case_payload(clock.now())))
        receiver.faults.add(Fault(status=503, body=b"<html>maintenance</html>", calls=1))
        with pytest.raises(RetryableError, match="HTTP 503 — <html>maintenance</html>"):
            notifier.send(delivery("webhook", receiver.url, case_payload(clock.now())))
        receiver.faults.add(Fault(status=404, body=b"no such hook", calls=1))
        with pytest.raises(PermanentError, match="HTTP 404"):
            notifier.send(delivery("webhook", receiver.url, case_payload(clock.now())))
    with pytest.raises(PermanentError, match="a3-edu has no contacts.webhook_url"):
        notifier.send(delivery("webhook", "a3-edu", case_payload(clock.now())))


# ----------------------------------------------------------------------------- record and wiring


def test_record_notifier_appends_jsonl_once_per_key(tmp_path: Path, clock: ManualClock):
    recorder = RecordNotifier(tmp_path / "deliveries.jsonl", clock)
    sent = delivery("slack", "#a3-edu", case_payload(clock.now()))
    assert recorder.find_delivery(sent) is None
    recorder.send(sent)
    assert recorder.find_delivery(sent) is not None
    [line] = [json.loads(raw) for raw in (tmp_path / "deliveries.jsonl").read_text(encoding="utf-8").splitlines()]
    assert line["recipient"] == "#a3-edu" and line["idempotency_key"] == "case-42:alert:1"
    assert HOSTILE_TITLE in line["text"]


def test_a_line_torn_by_a_crash_does_not_swallow_the_next_recorded_delivery(tmp_path: Path) -> None:
    """A review tore the file's last line: the next delivery was glued onto it, unreadable, and a retry would have
    recorded it twice (find_delivery could not see it)."""
    clock = ManualClock(T0)
    path = tmp_path / "deliveries.jsonl"
    path.write_text('{"at": "2026-11-27T08:00:00+08:00", "text": "half', encoding="utf-8")
    recorder = RecordNotifier(path, clock)
    sent = delivery("slack", "#a3-edu", case_payload(clock.now()))
    recorder.send(sent)
    assert recorder.find_delivery(sent) is not None
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[-1])["idempotency_key"] == "case-42:alert:1"
    path.write_bytes(path.read_bytes() + "爆炸".encode()[:4])  # torn inside a character: every retry raised
    assert recorder.find_delivery(sent) is not None


def test_build_notifiers_records_slack_without_a_token(config: Config, tmp_path: Path, slack: SlackEmulator):
    without = build_notifiers(config, {}, record_to=tmp_path / "r.jsonl")
    assert isinstance(without["slack"], RecordNotifier) and without["record"] is without["slack"]
    # no mail server in the shipped settings: e-mail is recorded too, not left retrying against a closed port
    assert without["email"] is without["slack"] and isinstance(without["dingtalk"], DingTalkNotifier)

    settings = config.settings.model_copy(deep=True)
    settings.notifications.slack.base_url = slack.api_url
    settings.notifications.smtp.host = "127.0.0.1"
    configured = Config(config.directory, settings, config.sources, config.taxonomy, config.units, config.policy)
    with_token = build_notifiers(configured, {"YUQING_SLACK_TOKEN": DEFAULT_TOKEN}, record_to=tmp_path / "r.jsonl")
    assert isinstance(with_token["slack"], SlackNotifier) and isinstance(with_token["email"], EmailNotifier)
    with_token["slack"].send(delivery("slack", "#a3-edu", case_payload(T0)))
    assert len(slack.posts) == 1

    everything = build_notifiers(config, {"YUQING_SLACK_TOKEN": DEFAULT_TOKEN}, record_to=tmp_path / "r.jsonl",
                                 record_all=True)
    assert {type(n) for n in everything.values()} == {RecordNotifier}


def test_recipients_follow_units_yaml(units: UnitsFile):
    a3 = units.unit("a3-edu")
    assert unit_recipients(a3) == [("slack", "#a3-edu"), ("email", "edu@a3.gov.example"), ("wecom", "a3-edu"),
                                   ("dingtalk", "a3-edu")]
    assert person_recipients(a3.leaders[0]) == [("slack", "U0A3EDU01"), ("email", "director@edu.a3.gov.example")]


def test_robot_digest(clock: ManualClock):
    title, text = robot_markdown(digest_payload(clock.now(), 2), clock.now(), wecom=True)
    assert title == "舆情摘要：2 件" and text.count("\n- ") == 2 and "<script>" not in text
