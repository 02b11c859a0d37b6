"""Whose a response, its effect, a red assessment and a sign-off are after a 转办, and an unconfirmed 补录's time,
judged by evaluate() over cases the workflow wrote (real SQLite and PostgreSQL). An evaluator review (session 24):
the effect of a district bureau's release, judged before the case was handed to the city bureau, proposed the city
bureau for 通报批评; a case held 46 days unsigned showed the 5 s its new unit took; a 补录's claimed time fed the
medians while it counted late."""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.cases import (
    acknowledge,
    assess,
    confirm_late_entry,
    open_or_update_case,
    reassign,
    record_response,
)
from tests.alerts.casekit import MONDAY_9AM, make_event
from yuqing.clock import ManualClock
from yuqing.contract import Grade
from yuqing.db.session import Database
from yuqing.evaluation import Evaluation, WindowTalk, evaluate
from yuqing.settings import Config

HOUR = timedelta(hours=1)
RED = {"response": 2, "transparency": -3, "credibility": 1, "order": 2, "dynamics": 0, "accountability": 0}  # 2 分


def _open(db: Database, config: Config, event_id: str, grade: Grade = Grade.II) -> int:
    with db.transaction() as session:
        event = make_event(event_id, grade=grade, risk=61 if grade == Grade.II else 42)
        return open_or_update_case(session, event, config.policy.rule("graded_event"), config,
                                   ManualClock(MONDAY_9AM)).case.id


def _evaluated(db: Database, now: datetime, effect=None) -> Evaluation:  # type: ignore[no-untyped-def]
    with db.sessions() as session:
        return evaluate(session, now, effect=effect)


def test_a_responses_effect_and_a_red_assessment_stay_with_the_unit_that_gave_it(db: Database,
                                                                                  config: Config) -> None:
    """A3区教育局 published at 1 h; negative talk rose in the 24 h after; the case went to 市教育局 at 30 h, after that
    window had closed. The effect (回应后负面占比未下降), the panel's red score and the response rate are A3's."""
    case_id = _open(db, config, "ev-a3-school")
    answered = MONDAY_9AM + HOUR
    with db.transaction() as session:
        record_response(session, case_id, "A3区教育局", answered, "情况通报", channel="release")
        reassign(session, case_id, "市政府办公厅", MONDAY_9AM + 30 * HOUR, "a-edu", "涉及全市多所学校", config)
        assess(session, case_id, "评估组甲", MONDAY_9AM + 40 * HOUR, RED)

    def talk(_event_id: str, start: datetime, end: datetime) -> WindowTalk:
        return WindowTalk(posts=10, negative=5) if end <= answered else WindowTalk(posts=10, negative=8)

    evaluation = _evaluated(db, MONDAY_9AM + 40 * HOUR, effect=talk)
    [verdict] = evaluation.verdicts
    assert verdict.ineffective_because == "回应后负面占比未下降" and verdict.inappropriate
    units = {u.unit_id: u for u in evaluation.units}
    a3, city = units["a3-edu"], units["a-edu"]
    assert "回应后负面占比未下降" in a3.findings["处置不得力"][case_id]
    assert a3.found("回应不妥当") == [case_id] and a3.accountability is not None
    assert city.findings == {} and city.accountability is None
    assert (a3.cases, a3.response_rate) == (1, 1.0) and (city.cases, city.response_rate) == (1, None)
    assert {unit for unit, _, _ in evaluation.findings_on(case_id)} == {"a3-edu"}


def test_a_unit_that_held_a_case_past_its_deadline_unanswered_owed_the_answer(db: Database, config: Config) -> None:
    """Grade III, 48 h to answer: A3 held it 60 h unanswered, 市教育局 answered at 61 h. A3 owed the answer and
    gave none; the city bureau gave it."""
    case_id = _open(db, config, "ev-late-a3", grade=Grade.III)
    with db.transaction() as session:
        reassign(session, case_id, "市政府办公厅", MONDAY_9AM + 60 * HOUR, "a-edu", "涉及全市", config)
        record_response(session, case_id, "市教育局", MONDAY_9AM + 61 * HOUR, "情况通报", channel="website")
    units = {u.unit_id: u for u in _evaluated(db, MONDAY_9AM + 70 * HOUR).units}
    assert (units["a3-edu"].owed, units["a3-edu"].responded) == (1, 0)
    assert (units["a-edu"].owed, units["a-edu"].responded) == (1, 1)


def test_an_unconfirmed_late_entry_is_timed_at_its_entry_in_every_figure(db: Database, config: Config) -> None:
    """A release "at 3 h" entered at 30 h, after its 5 h deadline, nobody having signed off: until an evaluator
    confirms it, the first response, the sign-off and the effect window count from 30 h, as the deadline does."""
    case_id = _open(db, config, "ev-late-entry")
    entered = MONDAY_9AM + 30 * HOUR
    with db.transaction() as session:
        record_response(session, case_id, "A3区教育局", MONDAY_9AM + 3 * HOUR, "情况通报", channel="release",
                        recorded_at=entered)
    windows: list[datetime] = []

    def talk(_event_id: str, start: datetime, end: datetime) -> WindowTalk:
        windows.append(start)
        return WindowTalk(posts=0, negative=0)

    evaluation = _evaluated(db, MONDAY_9AM + 31 * HOUR, effect=talk)
    [verdict] = evaluation.verdicts
    assert verdict.unconfirmed_entries and verdict.on_time is False
    assert verdict.hours_to_response == 30.0 and verdict.hours_to_ack == 30.0
    assert evaluation.median_hours_to_response == 30.0 and evaluation.median_hours_to_ack == 30.0
    assert windows[-1] == entered and not verdict.effect_window_over  # after-window from the entry
    with db.transaction() as session:
        confirm_late_entry(session, case_id, "市政府办公厅评估组", MONDAY_9AM + 31 * HOUR, "政务微博发布记录")
    windows.clear()
    [verdict] = _evaluated(db, MONDAY_9AM + 31 * HOUR, effect=talk).verdicts
    assert not verdict.unconfirmed_entries and verdict.hours_to_response == 3.0 and verdict.hours_to_ack == 3.0
    assert windows[-1] == MONDAY_9AM + 3 * HOUR and verdict.effect_window_over


def test_each_unit_answers_for_its_own_sign_off_after_a_hand_over(db: Database, config: Config) -> None:
    """One case A3 held 20 h unsigned and the city bureau signed off 5 s after it got it; another A3 signed off in
    30 min before it was handed on and the city bureau never did. The case figures count from the alert to the
    first sign-off; each unit's own, and its silence, are its."""
    silent = _open(db, config, "ev-silent")
    signed = _open(db, config, "ev-signed")
    handed = MONDAY_9AM + 20 * HOUR
    with db.transaction() as session:
        acknowledge(session, signed, "王科长", MONDAY_9AM + timedelta(minutes=30))
        reassign(session, silent, "市政府办公厅", handed, "a-edu", "涉及全市", config)
        reassign(session, signed, "市政府办公厅", handed, "a-edu", "涉及全市", config)
        acknowledge(session, silent, "李科长", handed + timedelta(seconds=5))
    now = MONDAY_9AM + 26 * HOUR
    evaluation = _evaluated(db, now)
    verdicts = {v.case_id: v for v in evaluation.verdicts}
    assert abs(verdicts[silent].hours_to_ack - (20 + 5 / 3600)) < 1e-9  # type: ignore[operator]
    assert verdicts[signed].hours_to_ack == 0.5
    units = {u.unit_id: u for u in evaluation.units}
    assert units["a3-edu"].unsigned == {silent: 20.0} and units["a3-edu"].sign_off_hours == [0.5]
    assert units["a-edu"].unsigned == {signed: 6.0} and units["a-edu"].sign_off_hours == [5 / 3600]
    figures = {u["unit"]: u for u in evaluation.as_dict(config.settings.tz())["units"]}
    assert figures["a3-edu"]["median_hours_to_ack"] == 0.5
    assert figures["a3-edu"]["unsigned"] == [{"case": silent, "hours_silent": 20.0}]
