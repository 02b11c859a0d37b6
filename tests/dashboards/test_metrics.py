"""Judging responses (domain.md §7) and proposing accountability (国办发〔2018〕23号) from cases and deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboards.metrics import UnitScore, judge_case
from yuqing.db.models import Case, Deadline

T0 = datetime(2026, 4, 8, 9, 0, tzinfo=UTC)


def _case(grade: str, deadlines: list[tuple[str, float, float | None]], responded_h: float | None) -> Case:
    """Deadlines as (kind, due after opening in hours, met after opening in hours or None)."""
    case = Case(id=1, event_id="e", title="t", grade=grade, opened_at=T0, updated_at=T0,
                responded_at=T0 + timedelta(hours=responded_h) if responded_h is not None else None)
    case.deadlines = [Deadline(kind=kind, due_at=T0 + timedelta(hours=due),
                               met_at=T0 + timedelta(hours=met) if met is not None else None)
                      for kind, due, met in deadlines]
    return case


def test_a_follow_up_days_later_does_not_make_an_answer_on_time_late() -> None:
    """Grade III answered at 10 h (48 h deadline), a follow-up at 60 h: on time, first response at 10 h."""
    verdict = judge_case(_case("III", [("response", 48, 10)], responded_h=60), T0 + timedelta(days=5))
    assert verdict.on_time is True and verdict.hours_to_response == 10.0


def test_a_major_case_with_every_deadline_met_is_on_time() -> None:
    case = _case("II", [("report_upward", 2, 1), ("authoritative_release", 5, 3), ("press_conference", 24, 20)],
                 responded_h=20)
    verdict = judge_case(case, T0 + timedelta(days=2))
    assert verdict.on_time is True and verdict.overdue_kinds == [] and verdict.hours_to_response == 3.0


def test_a_deadline_not_yet_due_is_not_judged_and_a_passed_one_is() -> None:
    case = _case("III", [("response", 48, None)], responded_h=None)
    assert judge_case(case, T0 + timedelta(hours=47)).on_time is None
    late = judge_case(case, T0 + timedelta(hours=49))
    assert late.on_time is False and late.overdue_kinds == ["response"]


def test_accountability_names_the_findings_of_the_key_points() -> None:
    one = UnitScore("u", findings={"报告不及时": [3]})
    assert one.accountability == "通报批评（报告不及时）"
    two = UnitScore("u", findings={"回应不及时": [3], "处置不得力": [4]})
    assert two.accountability == "约谈整改（处置不得力、回应不及时）"
    assert UnitScore("u", late=[5]).accountability is None  # a late grade IV case is listed, not proposed


def test_a_response_after_which_talk_died_down_worked() -> None:
    verdict = judge_case(_case("II", [("authoritative_release", 5, 3)], responded_h=3), T0 + timedelta(days=2))
    verdict.volume_before, verdict.negative_before = 4, 0.0
    verdict.volume_after, verdict.negative_after = 0, 0.0
    assert verdict.effective is True
    verdict.volume_after, verdict.negative_after = 6, 0.5
    assert verdict.effective is False  # more talk after than before: 次生舆情


def test_a_reopened_cases_deadlines_are_judged_by_their_statutory_kind() -> None:
    """report_upward#reopen1 missed is 报告不及时, and response#reopen1 counts for timeliness."""
    from dashboards.metrics import evaluate

    case = _case("II", [("report_upward#reopen1", 2, None), ("authoritative_release#reopen1", 5, 3)], responded_h=3)
    verdict = judge_case(case, T0 + timedelta(hours=6))
    assert verdict.on_time is True and verdict.hours_to_response == 3.0
    assert verdict.overdue_kinds == ["report_upward#reopen1"]

    class OneCase:  # the session evaluate() reads cases from
        def scalars(self, _query):  # type: ignore[no-untyped-def]
            return [case]

    unit = evaluate(OneCase(), T0 + timedelta(hours=6)).units[0]  # type: ignore[arg-type]
    assert unit.accountability == "通报批评（报告不及时）"


def test_an_answer_published_before_the_case_was_opened_took_no_time() -> None:
    """A board message found with its reply already there: 0 h, not a negative time."""
    verdict = judge_case(_case("III", [("reply_complaint", 360, -5)], responded_h=-5), T0 + timedelta(days=1))
    assert verdict.hours_to_response == 0.0 and verdict.on_time is True
