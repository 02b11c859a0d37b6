"""Reminders at 50 % and 80 %, escalation to the unit's leaders and then the parent's, daily digests.

Time is a ManualClock; the database is real SQLite and PostgreSQL. Each tick is recomputed from database
state, so ticking twice sends nothing twice and a tick after a long stop does what fell due, once.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from alerts.cases import acknowledge, close, open_or_update_case, record_response, reopen
from alerts.escalation import Escalator
from tests.alerts.casekit import MONDAY_9AM, make_event, notifications, the_case
from yuqing.clock import ManualClock
from yuqing.contract import Grade
from yuqing.db.session import Database
from yuqing.settings import Config


def open_case(db: Database, config: Config, clock: ManualClock, **event) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return open_or_update_case(session, make_event(**event), "graded_event", config, clock).case.id


def run_until(escalator: Escalator, db: Database, clock: ManualClock, hours: float, step_minutes: float = 10) -> None:
    end = clock.now() + timedelta(hours=hours)
    while clock.now() < end:
        clock.advance(timedelta(minutes=step_minutes))
        escalator.tick(db, clock)


def test_reminders_go_to_the_unit_at_half_and_four_fifths_of_the_deadline_once_each(db: Database,
                                                                                    config: Config) -> None:
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock)
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", MONDAY_9AM + timedelta(minutes=10))
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=47)
    escalator.tick(db, clock)  # a repeated tick sends nothing new
    reminders = notifications(db, kind="reminder", channel="slack")
    assert [(n.recipient, n.payload["fraction"]) for n in reminders] == [("#a3-edu", 0.5), ("#a3-edu", 0.8)]
    # 50 % of 48 h = Tuesday 09:00, 80 % = Tuesday 23:24, held until the quiet hours end at 07:30 (grade III)
    assert reminders[0].scheduled_at == MONDAY_9AM + timedelta(hours=24)
    assert reminders[1].scheduled_at == MONDAY_9AM + timedelta(hours=46.5)
    # in the words of the message's own deadline block (it said 剩余 24.0 小时 beside 还剩 1天0小时, a review)
    assert reminders[0].payload["summary"].startswith("提醒：回应期限已用去 50%，还剩 1天0小时（截止 03-04 09:00")
    assert "夜间免打扰" not in reminders[0].payload["summary"]
    assert reminders[1].payload["summary"].endswith("（夜间免打扰：23:24 到期，顺延至 07:30 发送）")
    # the unit's own copy: its Slack message carries 签收 / 登记回应
    assert {(n.payload["recipient_unit"], n.payload["recipient_role"]) for n in reminders} == {("a3-edu", "responsible")}
    assert notifications(db, kind="escalation") == []  # acknowledged and not yet due: nobody is escalated


def test_an_unacknowledged_case_goes_to_the_units_leaders_then_its_district_government(db: Database,
                                                                                       config: Config) -> None:
    """属地管理: A3区教育局's silence reaches the A3区 head next; it went to 市教育局 and the district never heard."""
    clock = ManualClock(MONDAY_9AM)
    open_case(db, config, clock)
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=0.75)  # 50 minutes
    assert notifications(db, kind="escalation") == []
    run_until(escalator, db, clock, hours=0.2)  # 60 min unacknowledged
    first = notifications(db, kind="escalation")
    assert {n.recipient for n in first} == {"U0A3EDU01", "director@edu.a3.gov.example"}
    assert first[0].payload["escalation_level"] == 1 and first[0].payload["escalated_to"] == "a3-edu"
    assert first[0].payload["state"] == "escalated"  # the message says what happened, not the state before
    assert first[0].payload["recipient_role"] == "leader"  # a leader's copy gets no 签收 button
    run_until(escalator, db, clock, hours=2)  # 120 min more: the district government's leaders
    second = notifications(db, kind="escalation")[2:]
    assert {n.recipient for n in second} == {"U0A3LEAD01", "head@a3.gov.example"}
    assert second[0].payload["escalation_level"] == 2 and second[0].payload["escalated_to"] == "a3-gov-office"
    # addressed to the district head: whose silence, and what to urge by when (not '通知A3区人民政府办公室领导')
    assert second[0].payload["summary"] == ("升级（第 2 级）：A3区教育局 第 1 级升级后 120 分钟仍未签收；"
                                            "请督促其签收本案，并于 03-04 09:00 前完成回应")
    run_until(escalator, db, clock, hours=6)
    assert len(notifications(db, kind="escalation")) == 4  # two steps, as policy.yaml says
    case = the_case(db)
    assert case.state == "escalated"
    assert [e.reason for e in case.events if e.action == "escalated"][0].startswith("第 1 级升级至本单位领导：告警后")


def test_acknowledging_stops_escalation_for_silence(db: Database, config: Config) -> None:
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock)
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=1.5)
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", clock.now())
    run_until(escalator, db, clock, hours=5)
    assert len(notifications(db, kind="escalation")) == 2  # level 1 only, by Slack and e-mail
    assert the_case(db).state == "acknowledged"


def test_a_passed_deadline_escalates_even_when_acknowledged(db: Database, config: Config) -> None:
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock, grade=Grade.II, risk=60)
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", MONDAY_9AM + timedelta(minutes=5))
    with db.transaction() as session:
        record_response(session, case_id, "A3区教育局", MONDAY_9AM + timedelta(hours=1), "已上报区政府",
                        channel="report_upward")
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=5.5)
    overdue = notifications(db, kind="escalation")
    assert {n.payload["reason"].split("自 ")[0] for n in overdue} == {"发布权威信息"}
    case = the_case(db)
    release = [d for d in case.deadlines if d.kind == "authoritative_release"][0]
    assert release.overdue_at == MONDAY_9AM + timedelta(hours=5)
    assert [d.kind for d in case.deadlines if d.met_at is not None] == ["report_upward"]
    assert [e.to_state for e in case.events if e.action == "deadline_overdue"] == ["overdue"]
    # a grade II case's missed deadline reaches every level of its chain at once (policy.yaml all_levels_on_overdue)
    assert [(e.details["level"], e.details["unit"]) for e in case.events if e.action == "escalated"] == [
        (1, "a3-edu"), (2, "a3-gov-office"), (3, "a-edu")]


def test_a_tick_at_the_due_time_itself_does_not_call_the_deadline_missed(db: Database, config: Config) -> None:
    """An answer at the due time is on time (cases, metrics); so a tick at that very moment escalates nothing,
    and the answer recorded then meets the deadline without an overdue mark."""
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock, grade=Grade.II, risk=60)
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", MONDAY_9AM + timedelta(minutes=5))
        record_response(session, case_id, "A3区教育局", MONDAY_9AM + timedelta(hours=1), "已上报区政府",
                        channel="report_upward")
    escalator = Escalator(config)
    clock.set(MONDAY_9AM + timedelta(hours=5))  # the release is due now
    escalator.tick(db, clock)
    assert notifications(db, kind="escalation") == []
    with db.transaction() as session:
        record_response(session, case_id, "A3区教育局", clock.now(), "区政府网站发布情况通报：已送医12人")
    escalator.tick(db, clock)
    release = [d for d in the_case(db).deadlines if d.kind == "authoritative_release"][0]
    assert release.met_at is not None and release.overdue_at is None
    assert notifications(db, kind="escalation") == []
    clock.advance(timedelta(seconds=1))
    escalator.tick(db, clock)
    assert notifications(db, kind="escalation") == []  # it was met; nothing is late


def test_a_stop_over_both_reminder_times_sends_one_reminder_on_the_first_tick(db: Database, config: Config) -> None:
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock)
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", MONDAY_9AM)
    escalator = Escalator(config)
    clock.advance(timedelta(hours=47))  # the process was down past 50 % and 80 % (held until Wednesday 07:30)
    escalator.tick(db, clock)
    escalator.tick(db, clock)
    [reminder] = notifications(db, kind="reminder", channel="slack")
    assert reminder.payload["fraction"] == 0.8
    entry = [e for e in the_case(db).events if e.action == "reminded"][0]
    assert entry.details["covers_missed"] == [0.5]


def test_leaders_get_one_daily_digest_of_their_units_cases(db: Database, config: Config) -> None:
    clock = ManualClock(MONDAY_9AM)
    open_case(db, config, clock)
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=24, step_minutes=30)
    digests = notifications(db, kind="digest", channel="slack")
    # The district bureau's, the district government's (escalated to for its silence, so told in the digest too: a
    # review), the city bureau's and the city's leaders; the province's only read of major cases (分级负责, as
    # escalation: a review found its leaders sent every grade III case of every district).
    assert {n.recipient for n in digests} == {"U0A3EDU01", "U0A3LEAD01", "U0AEDU001", "U0ALEAD001"}
    assert all(n.scheduled_at == MONDAY_9AM + timedelta(hours=23) for n in digests)  # Tuesday 08:00
    assert "1 件" in digests[0].payload["summary"]
    escalator.digest(db, clock)
    assert len(notifications(db, kind="digest", channel="slack")) == 4


def test_the_provinces_leaders_read_of_the_major_cases_below_them(db: Database, config: Config) -> None:
    clock = ManualClock(MONDAY_9AM)
    open_case(db, config, clock)
    open_case(db, config, clock, event_id="ev-a3-major", title="A3区某小学食堂食物中毒 多名学生送医", grade=Grade.II,
              risk=70)
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=24, step_minutes=30)
    province = [n for n in notifications(db, kind="digest", channel="slack") if n.recipient == "U0HNLEAD01"]
    city = [n for n in notifications(db, kind="digest", channel="slack") if n.recipient == "U0ALEAD001"]
    assert len(province) == 1 and [c["grade"] for c in province[0].payload["cases"]] == ["II"]
    assert sorted(c["grade"] for c in city[0].payload["cases"]) == ["II", "III"]


def test_the_digest_as_rendered_lists_the_case(db: Database, config: Config) -> None:
    """What a leader reads, not only the payload: the digest showed "0 件" on every channel."""
    from alerts.messages import plain_text, slack_message

    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock)
    run_until(Escalator(config), db, clock, hours=24, step_minutes=30)
    digest = notifications(db, kind="digest", channel="slack")[0]
    text = plain_text(digest.payload, clock.now())
    assert text.splitlines()[0].endswith("：1 件") and f"#{case_id}" in text and the_case(db).title in text
    headline, blocks = slack_message(digest.payload, clock.now())
    assert headline.endswith("1 件") and any(f"#{case_id}" in b.get("text", {}).get("text", "") for b in blocks)


def test_a_digest_of_many_cases_lists_the_most_urgent_first_and_counts_the_rest(db: Database,
                                                                              config: Config) -> None:
    """A review replayed a year of board messages: cases pile up, and a digest that listed the 50 oldest by id
    would never show a leader a new one (and said "50 件" of 55)."""
    from alerts import escalation
    from alerts.messages import plain_text, slack_message

    clock = ManualClock(MONDAY_9AM)
    ids = [open_case(db, config, clock, event_id=f"ev-{i}", title=f"A3区第{i}起投诉") for i in range(5)]
    clock.advance(timedelta(hours=1))
    newest = open_case(db, config, clock, event_id="ev-new", title="A3区最新一起投诉")
    major = open_case(db, config, clock, event_id="ev-major", title="A3区化工厂爆炸", grade=Grade.II)
    old_listed, escalation.DIGEST_LISTED = escalation.DIGEST_LISTED, 3
    try:
        run_until(Escalator(config), db, clock, hours=23, step_minutes=30)  # to Tuesday 08:00
    finally:
        escalation.DIGEST_LISTED = old_listed
    digest = next(n for n in notifications(db, kind="digest", channel="slack") if n.recipient == "U0A3EDU01")
    listed = [c["case_id"] for c in digest.payload["cases"]]
    assert digest.payload["cases_total"] == 7 and len(listed) == 3
    # The grade II case is overdue by 08:00 (report upward within 2 h): first; then the newest grade III
    assert listed[0] == major and listed[1] == newest and listed[2] == ids[-1]
    text = plain_text(digest.payload, clock.now())
    assert text.splitlines()[0].endswith("：7 件") and text.splitlines()[-1] == "……另有 4 件未列出，请在看板查看"
    assert "已通知" in digest.payload["summary"] or "已升级" in digest.payload["summary"]
    headline, blocks = slack_message(digest.payload, clock.now())
    assert headline.endswith("7 件") and "另有 4 件未列出" in str(blocks)


def test_deadlines_are_shown_in_the_configured_zone_whatever_the_workers_clock() -> None:
    """A worker (or a replay) whose clock runs in UTC showed 01:00 for a deadline due at 09:00 Beijing time."""
    from datetime import UTC, datetime

    from alerts.messages import plain_text
    from tests.support.payloads import case_payload

    now_utc = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    payload = case_payload(now_utc, deadlines=[{"kind": "response", "due_at": "2026-03-04T09:00:00+08:00",
                                                "basis": "国办发〔2016〕61号"}])
    text = plain_text(payload, now_utc)
    assert "2026-03-04 09:00" in text and "2026-03-04 01:00" not in text


def test_reopening_a_case_closed_before_its_deadline_does_not_revive_the_old_deadline(db: Database,
                                                                                      config: Config) -> None:
    """Closed at 10:00 (a rumour cleared up), reopened two days later: only the fresh deadline counts."""
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock)
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", MONDAY_9AM)
        close(session, case_id, "王科长", MONDAY_9AM + timedelta(hours=1), reason="谣言已澄清")
    clock.advance(timedelta(hours=50))
    with db.transaction() as session:
        reopen(session, case_id, "值班员", clock.now(), "又有家长发帖", config)
        acknowledge(session, case_id, "王科长", clock.now())  # the new round is acknowledged at once
    run_until(Escalator(config), db, clock, hours=2)
    assert notifications(db, kind="escalation", channel="slack") == []
    entries = [e for e in the_case(db).events if e.action in ("overdue", "escalated")]
    assert entries == []


def answered_at_3h(db: Database, config: Config) -> tuple[int, ManualClock, Escalator]:
    """A case opened Monday 09:00 and answered by a release at 12:00, with the clock and escalator that run it."""
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock)
    with db.transaction() as session:
        record_response(session, case_id, "王科长", MONDAY_9AM + timedelta(hours=3), "已发布情况通报", channel="release")
    return case_id, clock, Escalator(config)


def test_an_answered_case_with_nothing_new_for_a_week_closes_itself(db: Database, config: Config) -> None:
    """A review's replay of a year of board messages: cases only ever closed by hand, so answered ones sat in
    every digest for months."""
    case_id, clock, escalator = answered_at_3h(db, config)
    run_until(escalator, db, clock, hours=24 * 7 + 2, step_minutes=60)
    assert the_case(db).state == "responded"  # a week from the response is 12:00 next Monday
    run_until(escalator, db, clock, hours=2, step_minutes=60)
    case = the_case(db)
    assert case.state == "closed"
    closing = case.events[-1]
    assert closing.action == "closed" and closing.actor == "system" and closing.reason.startswith("回应后 7 天无新的进展")


def test_a_week_of_nothing_new_counts_from_the_last_change(db: Database, config: Config) -> None:
    """A review: an answered case whose event kept growing (below the re-alert threshold) closed on the 7th day
    after the response "with nothing new"."""
    case_id, clock, escalator = answered_at_3h(db, config)
    run_until(escalator, db, clock, hours=24 * 6, step_minutes=60)
    with db.transaction() as session:  # day 6: the event grows from 12 to 20 posts
        open_or_update_case(session, make_event(volume=20), "graded_event", config, clock)
    run_until(escalator, db, clock, hours=24 * 2, step_minutes=60)
    assert the_case(db).state == "responded"  # day 8: the growth was two days ago
    run_until(escalator, db, clock, hours=24 * 6, step_minutes=60)
    assert the_case(db).state == "closed"


def test_an_evaluators_scoring_does_not_put_off_closing_an_answered_case(db: Database, config: Config) -> None:
    """A review: answered on day 0, scored on day 6, closed on day 13 "answered 7 days ago"."""
    from alerts.cases import assess

    case_id, clock, escalator = answered_at_3h(db, config)
    run_until(escalator, db, clock, hours=24 * 6, step_minutes=60)
    with db.transaction() as session:
        assess(session, case_id, "评估员", clock.now(), {"response": 8, "transparency": 7, "credibility": 7,
                                                        "order": 4, "dynamics": 2, "accountability": 1})
    run_until(escalator, db, clock, hours=28, step_minutes=60)
    case = the_case(db)
    assert case.state == "closed" and case.events[-1].reason.startswith("回应后 7 天无新的进展")


def test_a_late_sign_off_leaves_an_overdue_case_overdue(db: Database, config: Config) -> None:
    """A review: signing off 12 h after the only deadline passed made the case "acknowledged", and
    `cases list --state overdue` lost it."""
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock)
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=60, step_minutes=60)
    assert the_case(db).state in ("overdue", "escalated")
    before = the_case(db).state
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", clock.now())
    case = the_case(db)
    assert case.state == before and case.acknowledged_at is not None


def test_a_city_bureau_without_leaders_escalates_a_grade_iii_case_within_the_city(config: Config) -> None:
    """分级负责: a-market has no leaders; a grade III food case went to the city office and then to the province."""
    escalator = Escalator(config)
    assert [u.id for u in escalator.leader_chain("a-market", "III")] == ["a-gov-office"]
    assert [u.id for u in escalator.leader_chain("a-market", "II")] == ["a-gov-office", "hn-gov-office"]
    # a district bureau: its own leaders, then its district's government (属地管理), before the city's bureau
    assert [u.id for u in escalator.leader_chain("a3-edu", "IV")] == ["a3-edu", "a3-gov-office"]
    assert [u.id for u in escalator.leader_chain("a3-housing", "IV")] == ["a3-gov-office", "a-housing"]


def test_the_unit_a_case_is_handed_to_is_escalated_afresh_for_silence(db: Database, config: Config) -> None:
    """After a 转办 the escalation for silence reused the first unit's key, and the outbox dropped it: the timeline
    said escalated, nobody was told."""
    from alerts.cases import reassign

    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock, event_id="ev-housing", title="A3区某小区电梯困人", topic="住房保障")
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=1.5)
    before = len(notifications(db, kind="escalation"))
    assert before > 0
    with db.transaction() as session:
        reassign(session, case_id, "市政府办公厅", clock.now(), "a-housing", "涉及全市", config)
    run_until(escalator, db, clock, hours=1.5)
    escalated = [e for e in the_case(db, "ev-housing").events if e.action == "escalated"]
    assert len(notifications(db, kind="escalation")) > before
    assert all(e.details.get("recipients") for e in escalated)


def test_the_unit_a_case_is_handed_to_hears_once_of_the_board_messages_already_overdue(
        db: Database, config: Config) -> None:
    """A review (L11): the 留言超期 notice goes once per due time, so after a 转办 the new unit never heard that two
    citizens' replies were overdue — the notice had gone to the unit before it. It is told once, restart or not."""
    from alerts.cases import reassign
    from yuqing.db.models import BoardMessage

    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock, event_id="ev-housing", title="A3区某小区电梯困人", topic="住房保障")
    with db.transaction() as session:
        session.add_all(BoardMessage(case_id=case_id, post_id=f"board-{n}", title=f"电梯困人投诉{n}",
                                     received_at=MONDAY_9AM, kind="reply_complaint",
                                     due_at=MONDAY_9AM + timedelta(hours=2), basis="皖政办〔2015〕12号")
                        for n in (1, 2))
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=3)
    first = the_case(db, "ev-housing").unit_id
    told = [n for n in notifications(db, kind="reminder", channel="slack") if "board_messages" in n.payload]
    assert {n.payload["recipient_unit"] for n in told} == {first}
    with db.transaction() as session:
        reassign(session, case_id, "市政府办公厅", clock.now(), "a-housing", "涉及全市", config)
    run_until(escalator, db, clock, hours=1)
    Escalator(config).tick(db, clock)  # a restarted service tells it no second time
    handed = [n for n in notifications(db, kind="reminder", channel="slack")
              if n.payload.get("recipient_unit") == "a-housing" and "board_messages" in n.payload]
    assert [n.payload["summary"] for n in handed] == [
        "提醒：本案转办前已有 2 条网民留言超期未答复（最早 03-02 11:00 到期），现由本单位承办，请逐条答复（皖政办〔2015〕12号）"]
    assert handed[0].payload["board_messages"]["overdue"] == 2
    entries = [e for e in the_case(db, "ev-housing").events if e.action == "messages_handed_over"]
    assert len(entries) == 1 and entries[0].details["unit"] == "a-housing"


def test_escalations_due_together_reach_the_same_leaders_once(db: Database, config: Config) -> None:
    """A grade II case nobody signed off: after six hours without a tick (a stopped scheduler) its sign-off, its
    2 h report upward and its 5 h release were three ladders, and the same leaders got three escalations. (Climbing
    one level at a time, as a locality may set for every grade.)"""
    escalation = config.policy.escalation.model_copy(update={"all_levels_on_overdue": []})
    config = dataclasses.replace(config, policy=config.policy.model_copy(update={"escalation": escalation}))
    clock = ManualClock(MONDAY_9AM)
    open_case(db, config, clock, grade=Grade.II)
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=6, step_minutes=360)
    first = notifications(db, kind="escalation")
    assert sorted(n.recipient for n in first) == ["U0A3EDU01", "director@edu.a3.gov.example"]
    summary = first[0].payload["summary"]
    assert "未签收" in summary and "超时" in summary and summary.count("超时") == 2
    run_until(escalator, db, clock, hours=2, step_minutes=120)
    second = notifications(db, kind="escalation")[2:]
    assert sorted(n.recipient for n in second) == ["U0A3LEAD01", "head@a3.gov.example"]
    case = the_case(db)
    assert [e.details["level"] for e in case.events if e.action == "escalated"] == [1, 2]
    assert all(d.escalation_level == 2 for d in case.deadlines if d.overdue_at is not None)


def test_a_leader_with_a_long_address_is_escalated_to_and_the_tick_goes_on(db: Database, config: Config) -> None:
    """A review: the outbox refuses keys over 200 characters; the joined keys of steps due together, or a leader's
    long e-mail address, made the tick raise on that case, on every tick, for every case after it."""
    from yuqing.settings import Person

    long_address = "director.of.the.education.bureau." + "a3" * 60 + "@edu.a3.gov.example"
    units = config.units.model_copy(update={"units": [
        u.model_copy(update={"leaders": [Person(name="A3区教育局局长", email=long_address)]}) if u.id == "a3-edu" else u
        for u in config.units.units]})
    config = dataclasses.replace(config, units=units)
    clock = ManualClock(MONDAY_9AM)
    open_case(db, config, clock, grade=Grade.II)
    open_case(db, config, clock, event_id="ev-later", grade=Grade.III)
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=6, step_minutes=360)
    sent = notifications(db, kind="escalation")
    assert long_address in [n.recipient for n in sent]
    assert {n.case_id for n in sent} == {the_case(db).id, the_case(db, "ev-later").id}
    assert all(len(n.idempotency_key) <= 200 for n in sent)
    escalator.tick(db, clock)
    assert len(notifications(db, kind="escalation")) == len(sent)  # the same key again: nothing sent twice


def test_a_case_whose_duties_fail_is_rolled_back_and_the_cases_after_it_go_on(
        db: Database, config: Config, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One case's failure raised out of the tick, on every tick: no case after it got a reminder or escalation."""
    clock = ManualClock(MONDAY_9AM)
    broken = open_case(db, config, clock)
    fine = open_case(db, config, clock, event_id="ev-fine")
    escalator = Escalator(config)
    real = escalator._tick_case

    def tick_case(session, case, now, report):  # type: ignore[no-untyped-def]
        real(session, case, now, report)  # its duties are done, then fail: all of it must roll back
        if case.id == broken:
            raise RuntimeError("a defect in this case's duties")

    monkeypatch.setattr(escalator, "_tick_case", tick_case)
    clock.advance(timedelta(hours=25))
    report = escalator.tick(db, clock, digests=False)
    assert {n.case_id for n in notifications(db, kind="reminder")} == {fine}
    assert report.reminders == 1 and any(f"case {broken}: its duties failed (RuntimeError" in line
                                         for line in report.lines)
    assert not any(e.action == "reminded" for e in the_case(db).events)  # the failed case's reminder rolled back


def test_a_major_district_case_reaches_the_city_government_when_its_report_upward_is_missed(db: Database,
                                                                                             config: Config) -> None:
    """分级负责: a grade II explosion at A3区 (12 dead) escalated only to the district head and 市应急局; 市政府秘书长
    read of it in the next morning's digest. Its chain now reaches the city's government office (II) and the
    province's (I), and the missed 2 h report upward reaches every level at once; a grade III case keeps two levels."""
    escalator = Escalator(config)
    assert [u.id for u in escalator.leader_chain("a3-emergency", "II")] == ["a3-gov-office", "a-emergency",
                                                                           "a-gov-office"]
    assert [u.id for u in escalator.leader_chain("a3-emergency", "I")][-1] == "hn-gov-office"
    assert [u.id for u in escalator.leader_chain("a3-emergency", "III")] == ["a3-gov-office", "a-emergency"]
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock, event_id="ev-boom", title="A3区化工厂爆炸已造成12人死亡", topic="安全生产",
                        grade=Grade.II, keywords=("爆炸", "死亡"))
    with db.transaction() as session:
        acknowledge(session, case_id, "值班员", clock.now())  # signed off: only the missed deadline escalates
    run_until(escalator, db, clock, hours=1.9, step_minutes=5)
    assert notifications(db, kind="escalation") == []
    run_until(escalator, db, clock, hours=0.2, step_minutes=5)  # 2 h: the report upward is missed
    reached = {n.payload["escalated_to"]: n for n in notifications(db, kind="escalation", channel="slack")}
    assert set(reached) == {"a3-gov-office", "a-emergency", "a-gov-office"}
    city = reached["a-gov-office"]
    assert city.recipient == "U0ALEAD001" and city.scheduled_at <= MONDAY_9AM + timedelta(hours=2, minutes=5)
    assert "向上报告自 03-02 11:00 起超时" in city.payload["reason"] and "第 2 级升级后" not in city.payload["reason"]


def test_board_messages_are_reminded_at_half_and_four_fifths_of_their_time_never_late(db: Database,
                                                                                     config: Config) -> None:
    """A review (finding 4): the case's own reminder stood for the messages due with it without saying so, and once
    the case was answered the messages' 50 % reminder went out at 77 %, with the replies. (Without quiet hours,
    which would hold the 80 % one from Tuesday 23:24.)"""
    from yuqing.db.models import BoardMessage

    escalation = config.policy.escalation.model_copy(update={"quiet_hours": None})
    config = dataclasses.replace(config, policy=config.policy.model_copy(update={"escalation": escalation}))

    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock, event_id="ev-housing", title="A3区某小区屋顶漏水", topic="住房保障")
    due = the_case(db, "ev-housing").deadlines[0].due_at  # 48 h: the messages fall due with the case's response
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", clock.now())
        session.add_all(BoardMessage(case_id=case_id, post_id=f"board-{n}", title=f"屋顶漏水投诉{n}",
                                     received_at=MONDAY_9AM, kind="reply_complaint", due_at=due,
                                     basis="皖政办〔2015〕12号") for n in range(12))
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=30)
    (half,) = notifications(db, kind="reminder", channel="slack")
    assert half.payload["fraction"] == 0.5 and half.scheduled_at == MONDAY_9AM + timedelta(hours=24)
    assert half.payload["summary"].endswith("；12 条网民留言尚未答复")
    assert half.payload["board_messages"]["unanswered"] == 12
    with db.transaction() as session:  # the case is answered at 30 h: its deadline is met, the 12 citizens are not
        record_response(session, case_id, "A3区住建局", clock.now(), "已安排维修")
    run_until(escalator, db, clock, hours=8)  # to 38 h: before 80 %
    assert len(notifications(db, kind="reminder", channel="slack")) == 1  # no 50 % again, late
    run_until(escalator, db, clock, hours=1)
    late = notifications(db, kind="reminder", channel="slack")[1:]
    assert [(n.payload["fraction"], n.payload["board_messages"]["unanswered"]) for n in late] == [(0.8, 12)]
    assert MONDAY_9AM + timedelta(hours=38.4) <= late[0].scheduled_at < MONDAY_9AM + timedelta(hours=38.6)


def test_quiet_hours_hold_a_grade_iii_escalation_until_morning_once_but_never_a_grade_ii_one(db: Database,
                                                                                             config: Config) -> None:
    """A review (finding 2): a 48 h complaint opened at 22:10 and unsigned woke 市政府秘书长 at 01:10. Its escalations
    wait for 07:30 (policy.yaml escalation.quiet_hours), saying so, and a restarted scheduler sends them once; a grade
    II case's go at once."""
    evening = MONDAY_9AM + timedelta(hours=13, minutes=10)  # 22:10
    clock = ManualClock(evening)
    open_case(db, config, clock, at=evening)
    open_case(db, config, clock, event_id="ev-boom", title="A3区化工厂爆炸", topic="安全生产", grade=Grade.II, at=evening)
    run_until(Escalator(config), db, clock, hours=9, step_minutes=20)  # to 07:10
    night = notifications(db, kind="escalation", channel="slack")
    assert night and {n.payload["grade"] for n in night} == {"II"}
    assert night[0].scheduled_at == evening + timedelta(minutes=60)  # 23:10: a major case is never held
    clock.advance(timedelta(minutes=20))  # 07:30
    Escalator(config).tick(db, clock)
    Escalator(config).tick(db, clock)  # a restarted scheduler: nothing twice
    held = [n for n in notifications(db, kind="escalation", channel="slack") if n.payload["grade"] == "III"]
    assert [(n.payload["escalation_level"], n.scheduled_at) for n in held] == [(1, evening + timedelta(hours=9, minutes=20))]
    assert held[0].payload["summary"].endswith("（夜间免打扰：23:10 到期，顺延至 07:30 发送）")
    run_until(Escalator(config), db, clock, hours=2, step_minutes=10)  # the next level 120 min after it went: 09:30
    held = [n for n in notifications(db, kind="escalation", channel="slack") if n.payload["grade"] == "III"]
    assert [(n.payload["escalation_level"], n.scheduled_at) for n in held][1:] == [
        (2, evening + timedelta(hours=11, minutes=20))]
    assert "夜间免打扰" not in held[1].payload["summary"]
    response = the_case(db).deadlines[0]
    assert response.due_at == evening + timedelta(hours=48)  # the deadline itself does not move


def test_the_digest_and_the_escalation_name_the_board_messages_owed_not_only_the_case_deadline_met(
        db: Database, config: Config) -> None:
    """A review (finding 3): the digest said 已回应 1 件；逾期 0 件 the morning before 12 citizens' replies fell due, and
    the escalation that night said 12 messages were overdue beside 答复投诉 已按时完成, naming none of them."""
    from alerts.messages import plain_text
    from yuqing.db.models import BoardMessage

    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock, event_id="ev-housing", title="A3区某小区屋顶漏水", topic="住房保障")
    due = MONDAY_9AM + timedelta(hours=63)  # Thursday 00:00
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", clock.now())
        session.add_all(BoardMessage(case_id=case_id, post_id=f"board-{n}", title=f"屋顶漏水投诉{n}",
                                     received_at=MONDAY_9AM, kind="reply_complaint", due_at=due,
                                     basis="皖政办〔2015〕12号") for n in range(12))
        record_response(session, case_id, "A3区住建局", clock.now() + timedelta(hours=1), "已安排维修")
    escalator = Escalator(config)
    run_until(escalator, db, clock, hours=47, step_minutes=60)  # to Wednesday 08:00: the digest
    digest = [n for n in notifications(db, kind="digest", channel="slack") if "2026-03-04" in n.payload["title"]][0]
    assert digest.payload["summary"].endswith("；逾期 0 件；网民留言 12 条待答复（0 条已超期，最早 03-05 00:00 到期）")
    text = plain_text(digest.payload, clock.now())
    assert "12 条网民留言答复 03-05 00:00（还剩 16小时0分）" in text, text
    run_until(escalator, db, clock, hours=24, step_minutes=60)  # Thursday 08:00 (held from 00:00 to 07:30)
    escalation = notifications(db, kind="escalation", channel="slack")[-1]
    owed = escalation.payload["deadlines"][-1]
    assert owed["kind"] == "12 条网民留言答复" and owed["due_at"].startswith("2026-03-05T00:00")
    assert owed["basis"] == "未答复：屋顶漏水投诉0；屋顶漏水投诉1；屋顶漏水投诉2 等 12 条；皖政办〔2015〕12号"
    text = plain_text(escalation.payload, clock.now())
    assert "时限 12 条网民留言答复：2026-03-05 00:00（已超时 8小时0分）" in text, text


def test_a_reminder_due_before_quiet_hours_that_a_stopped_scheduler_finds_at_night_waits_for_morning(
        db: Database, config: Config) -> None:
    """The first tick after a stop, at 23:00, found the 09:00 reminder of a grade III case due: it waits for 07:30 too,
    and the replay's next duty is then, not now (it would spin on a duty the tick holds)."""
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, config, clock)
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", clock.now())
    escalator = Escalator(config)
    clock.advance(timedelta(hours=38))  # down from Monday 09:00 to Tuesday 23:00, past the 50 % reminder (09:00)
    escalator.tick(db, clock)
    assert notifications(db, kind="reminder") == []
    with db.sessions() as session:
        assert escalator.next_due(session, clock.now()) == MONDAY_9AM + timedelta(hours=46.5)  # Wednesday 07:30
    clock.advance(timedelta(hours=8.5))
    escalator.tick(db, clock)
    [reminder] = notifications(db, kind="reminder", channel="slack")
    assert reminder.payload["fraction"] == 0.8  # the 80 % one (23:24) stands for both, as after any stop
    assert reminder.payload["summary"].endswith("（夜间免打扰：23:24 到期，顺延至 07:30 发送）")


def test_quiet_hours_never_hold_a_sensitive_grade_iii_case_with_its_2_h_report(db: Database, config: Config) -> None:
    """A review: a fire with 3 dead at 23:00 is grade III but sensitive — its 2 h report upward is a grade II's — and
    quiet hours held every message of it until 07:30, then dropped its reminders as past their deadline."""
    night = MONDAY_9AM + timedelta(hours=14)  # 23:00
    clock = ManualClock(night)
    fire = make_event("ev-fire", title="A3区某小区火灾致3人死亡", topic="安全生产", at=night).model_copy(
        update={"severity_cues": ["deaths"]})
    with db.transaction() as session:
        open_or_update_case(session, fire, "graded_event", config, clock)
    assert "report_upward" in {d.kind for d in the_case(db, "ev-fire").deadlines}
    run_until(Escalator(config), db, clock, hours=2.5, step_minutes=10)  # to 01:30
    sent = notifications(db, kind="reminder", channel="slack") + notifications(db, kind="escalation", channel="slack")
    assert sent and all(n.scheduled_at < night + timedelta(hours=2.5) for n in sent)
    assert not any("夜间免打扰" in n.payload["summary"] for n in sent)


def test_a_duty_held_from_one_night_waits_again_when_a_stopped_scheduler_comes_back_in_the_next(
        db: Database, config: Config) -> None:
    """A review: held from Monday 23:10 to 07:30, then the scheduler down until Tuesday 23:00 — the escalation went at
    23:00, inside the quiet hours, saying it had been put off to 07:30. It waits for Wednesday 07:30, with the days."""
    evening = MONDAY_9AM + timedelta(hours=13, minutes=10)  # Monday 22:10
    clock = ManualClock(evening)
    open_case(db, config, clock, at=evening)
    escalator = Escalator(config)
    escalator.tick(db, clock)
    clock.advance(timedelta(hours=24, minutes=50))  # Tuesday 23:00: the 23:10 escalation was due at Tuesday 07:30
    escalator.tick(db, clock)
    assert notifications(db, kind="escalation") == []
    clock.advance(timedelta(hours=8, minutes=30))  # Wednesday 07:30
    escalator.tick(db, clock)
    [sent] = notifications(db, kind="escalation", channel="slack")
    assert sent.scheduled_at == evening + timedelta(hours=33, minutes=20)
    assert sent.payload["summary"].endswith("（夜间免打扰：03-02 23:10 到期，顺延至 03-04 07:30 发送）")


def test_an_ungraded_case_is_held_as_a_grade_iv_one(db: Database, config: Config) -> None:
    """Escalation counts a case without a grade as IV; quiet hours let it wake leaders at night (a review)."""
    evening = MONDAY_9AM + timedelta(hours=13, minutes=10)  # 22:10
    clock = ManualClock(evening)
    open_case(db, config, clock, grade=None, at=evening)
    run_until(Escalator(config), db, clock, hours=9, step_minutes=20)  # to 07:10
    assert notifications(db, kind="escalation") == []


def test_a_reminder_held_by_quiet_hours_past_its_deadline_is_recorded_as_held_not_unattended(
        db: Database, config: Config) -> None:
    """A locality's quiet hours until 09:30 hold the 80 % reminder of a 48 h deadline (Tuesday 23:24) past the deadline
    itself (Wednesday 09:00): it is not sent, and the timeline said it fell due 无人值守 — someone was on duty."""
    quiet = config.policy.escalation.quiet_hours
    assert quiet is not None
    late_morning = quiet.model_copy(update={"end": quiet.end.replace(hour=9, minute=30)})
    escalation = config.policy.escalation.model_copy(update={"quiet_hours": late_morning})
    local = dataclasses.replace(config, policy=config.policy.model_copy(update={"escalation": escalation}))
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, local, clock)
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", clock.now())
    run_until(Escalator(local), db, clock, hours=49)  # to Wednesday 10:00
    assert [n.payload["fraction"] for n in notifications(db, kind="reminder", channel="slack")] == [0.5]
    [skipped] = [e for e in the_case(db).events if e.action == "reminder_skipped"]
    assert skipped.reason == ("回应：80% 的提醒于 03-03 23:24 到期，适逢夜间免打扰，顺延至 09:30，"
                              "其时期限（03-04 09:00）已过，不再提醒")
    assert skipped.details["held_until"].startswith("2026-03-04T09:30")


def test_a_reminder_a_stopped_scheduler_finds_past_its_deadline_says_when_it_fell_due(
        db: Database, config: Config) -> None:
    """Down from Tuesday 10:00 to Wednesday 10:00, past the 80 % reminder and the deadline: not sent, and the timeline
    says when it fell due and when it was found, not that it fell due 无人值守."""
    escalation = config.policy.escalation.model_copy(update={"quiet_hours": None})
    local = dataclasses.replace(config, policy=config.policy.model_copy(update={"escalation": escalation}))
    clock = ManualClock(MONDAY_9AM)
    case_id = open_case(db, local, clock)
    with db.transaction() as session:
        acknowledge(session, case_id, "王科长", clock.now())
    run_until(Escalator(local), db, clock, hours=25, step_minutes=60)  # the 50 % reminder, Tuesday 09:00
    clock.advance(timedelta(hours=24))
    Escalator(local).tick(db, clock)
    [skipped] = [e for e in the_case(db).events if e.action == "reminder_skipped"]
    assert skipped.reason == "回应：80% 的提醒于 03-03 23:24 到期时未发出，至 03-04 10:00 期限（03-04 09:00）已过，不再提醒"
    assert "held_until" not in skipped.details
