"""Judging responses (domain.md §7) and proposing accountability (国办发〔2018〕23号) from cases and deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yuqing.db.models import Case, Deadline
from yuqing.evaluation import UnitScore, judge_case

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
    one = UnitScore("u")
    one.find("报告不及时", 3, "向上报告超时")
    assert one.accountability == "通报批评（报告不及时：#3 向上报告超时）"
    two = UnitScore("u")
    two.find("处置不得力", 3, "回应超时")
    two.find("处置不得力", 4, "回应后出现次生舆情")
    two.find("处置不得力", 4, "回应后出现次生舆情")  # said once
    assert two.accountability == "约谈整改（处置不得力：#3 回应超时，#4 回应后出现次生舆情）"
    assert two.found("处置不得力") == [3, 4]
    assert UnitScore("u", late=[5]).accountability is None  # a late grade IV case is listed, not proposed
    import pytest

    with pytest.raises(ValueError, match="not one of the findings"):
        one.find("回应不及时", 6, "回应超时")  # 23号 names three findings; a late answer is 处置不得力


def test_a_missed_press_conference_is_late_and_ineffective_handling() -> None:
    """Release at 4 h, no press conference within 24 h: not on time, and 处置不得力 for a grade II case."""
    from yuqing.evaluation import evaluate

    case = _case("II", [("report_upward", 2, 1), ("authoritative_release", 5, 4), ("press_conference", 24, None)],
                 responded_h=4)
    verdict = judge_case(case, T0 + timedelta(hours=30))
    assert verdict.on_time is False and verdict.overdue_kinds == ["press_conference"]
    case.unit_id = "u"

    class OneCase:
        def scalars(self, _query):  # type: ignore[no-untyped-def]
            return [case]

    unit = evaluate(OneCase(), T0 + timedelta(hours=30)).units[0]  # type: ignore[arg-type]
    assert unit.timely_rate == 0.0 and unit.accountability == "通报批评（处置不得力：#1 新闻发布会超时）"
    both = _case("II", [("authoritative_release", 5, None), ("press_conference", 24, None)], responded_h=None)
    both.unit_id = "u"

    class BothLate:
        def scalars(self, _query):  # type: ignore[no-untyped-def]
            return [both]

    one_case = evaluate(BothLate(), T0 + timedelta(hours=30)).units[0]  # type: ignore[arg-type]
    assert one_case.accountability == "通报批评（处置不得力：#1 发布权威信息、新闻发布会超时）"  # one case, one finding


def test_a_response_after_which_talk_died_down_worked() -> None:
    verdict = judge_case(_case("II", [("authoritative_release", 5, 3)], responded_h=3), T0 + timedelta(days=2))
    verdict.effect_window_over = True
    verdict.volume_before, verdict.negative_before = 4, 0.0
    verdict.volume_after, verdict.negative_after = 0, 0.0
    assert verdict.effective is True
    verdict.volume_after, verdict.negative_after = 7, 0.5  # 7 posts in 24 h after 4 before: a second wave
    assert verdict.effective is False and verdict.ineffective_because == "回应后出现次生舆情"
    verdict.effect_window_over = False
    assert verdict.effective is None  # the 24 h after the answer are not over yet


def _judged_by_effect(responded_h: float, before: tuple[int, int, float | None], after: tuple[int, int],
                      now_h: float) -> list:  # type: ignore[type-arg]
    """evaluate() on one grade II case answered at ``responded_h``; the event's talk before the answer as
    (posts, negative, hours from its first post to the answer) and after it as (posts, negative)."""
    from yuqing.evaluation import WindowTalk, evaluate

    case = _case("II", [("authoritative_release", 5, responded_h)], responded_h=responded_h)
    case.unit_id = "u"
    answer = T0 + timedelta(hours=responded_h)

    def lookup(event_id: str, start: datetime, end: datetime) -> WindowTalk:
        if end <= answer:
            first = answer - timedelta(hours=before[2]) if before[2] is not None else None
            return WindowTalk(before[0], before[1], first)
        return WindowTalk(after[0], after[1], answer)

    class OneCase:
        def scalars(self, _query):  # type: ignore[no-untyped-def]
            return [case]

    evaluation = evaluate(OneCase(), T0 + timedelta(hours=now_h), effect=lookup)  # type: ignore[arg-type]
    return [evaluation.verdicts[0], evaluation.units[0]]


def test_no_posts_after_an_answer_show_no_negative_share() -> None:
    """An evaluator review: every case without posts after its answer read "— → 0%", as if talk had turned
    positive; the talk died down, and that is what the effect says."""
    [verdict, _] = _judged_by_effect(3, (4, 2, 10.0), (0, 0), now_h=30)
    assert verdict.negative_before == 0.5 and verdict.negative_after is None and verdict.effective is True


def test_a_fast_answer_to_steady_talk_is_judged_on_the_rate_not_on_a_shorter_window() -> None:
    """10 posts an hour throughout; answered 5 h after the first post (50 before, 240 after) with the negative share
    falling from 60 % to 30 %: it worked. Counting posts, 240 > 50 made it a second wave."""
    verdict, unit = _judged_by_effect(5, (50, 30, 5.0), (240, 72), now_h=40)
    assert verdict.hours_before == 5.0 and not verdict.second_wave and verdict.effective is True
    assert unit.accountability is None
    surge, unit = _judged_by_effect(5, (50, 30, 5.0), (600, 180), now_h=40)  # 25 an hour after 10: a second wave
    assert surge.second_wave and surge.effective is False
    assert unit.accountability == "通报批评（处置不得力：#1 回应后出现次生舆情）"
    waiting, unit = _judged_by_effect(5, (50, 30, 5.0), (100, 30), now_h=20)  # 15 h after the answer
    assert waiting.negative_after == 0.3 and waiting.effective is None and unit.accountability is None
    # talk that began two days before the answer is measured over the full 24 h before it: 2 posts then (one in the
    # last hour) against 30 after is a second wave, however the negative share fell
    old_talk, unit = _judged_by_effect(50, (2, 2, 48.0), (30, 10), now_h=80)
    assert old_talk.hours_before == 24 and old_talk.second_wave and old_talk.effective is False


def test_a_reopened_cases_deadlines_are_judged_by_their_statutory_kind() -> None:
    """report_upward#reopen1 missed is 报告不及时, and response#reopen1 counts for timeliness."""
    from yuqing.evaluation import evaluate

    case = _case("II", [("report_upward#reopen1", 2, None), ("authoritative_release#reopen1", 5, 3)], responded_h=3)
    verdict = judge_case(case, T0 + timedelta(hours=6))
    assert verdict.on_time is True and verdict.hours_to_response == 3.0
    assert verdict.overdue_kinds == ["report_upward#reopen1"]

    class OneCase:  # the session evaluate() reads cases from
        def scalars(self, _query):  # type: ignore[no-untyped-def]
            return [case]

    unit = evaluate(OneCase(), T0 + timedelta(hours=6)).units[0]  # type: ignore[arg-type]
    assert unit.accountability == "通报批评（报告不及时：#1 向上报告（第 1 次重新打开）超时）"


def test_an_answer_published_before_the_case_was_opened_is_no_time_to_response() -> None:
    """A board message found with its reply already there: no time to response (an evaluator review: 0.0 h pulled
    the median down for an answer given before the case existed), but on time."""
    verdict = judge_case(_case("III", [("reply_complaint", 360, -5)], responded_h=-5), T0 + timedelta(days=1))
    assert verdict.hours_to_response is None and verdict.on_time is True and verdict.responded is True


def test_a_case_whose_response_deadline_is_still_ahead_is_not_counted_unanswered() -> None:
    """An evaluator review: a case 30 minutes old dropped the response rate from 100 % to 88 %."""
    case = _case("III", [("report_upward", 2, None), ("response", 48, None)], responded_h=None)
    young = judge_case(case, T0 + timedelta(minutes=30))
    assert young.responded is None and young.awaiting
    late_report = judge_case(case, T0 + timedelta(hours=3))  # its report upward is overdue, not a response
    assert late_report.responded is None and late_report.awaiting
    unanswered = judge_case(case, T0 + timedelta(hours=49))
    assert unanswered.responded is False and not unanswered.awaiting


def _assessed(case: Case, *totals_by: tuple[str, dict[str, float]]) -> Case:
    from yuqing.assessment import total
    from yuqing.db.models import ResponseAssessment

    case.assessments = [ResponseAssessment(assessor=who, at=T0, scores=scores, total=total(scores), note="")
                        for who, scores in totals_by]
    return case


RED = {"response": 2, "transparency": -3, "credibility": 1, "order": 2, "dynamics": 0, "accountability": 0}  # 2
GOOD = {"response": 8, "transparency": 7, "credibility": 6, "order": 3, "dynamics": 1, "accountability": 0}  # 25


def test_the_opinion_labs_levels_and_their_boundaries() -> None:
    """人民网舆情监测室: ≥ 20.00 蓝, 15.00–19.99 黄, 10.00–14.99 橙, below 10 红 (应对严重失当)."""
    from yuqing.assessment import MAX_TOTAL, level

    assert MAX_TOTAL == 41
    assert [level(t).colour for t in (41, 20, 19.99, 15, 14.99, 10, 9.99, -41)] == [
        "蓝", "蓝", "黄", "黄", "橙", "橙", "红", "红"]
    assert level(5).verdict == "应对严重失当，存在重大缺陷"


def test_scores_outside_the_scheme_are_refused_with_every_problem_named() -> None:
    import pytest

    from yuqing.assessment import AssessmentError, check_scores

    with pytest.raises(AssessmentError) as refused:
        check_scores({**GOOD, "order": 6, "dynamics": -4, "mood": 1})
    message = str(refused.value)
    assert "恢复秩序 (order) = 6 is outside -5…5" in message and "动态反应 (dynamics) = -4 is outside -3…3" in message
    assert "unknown indicator(s) mood" in message
    with pytest.raises(AssessmentError, match="政府响应 \\(response\\) = 'five' is not a number"):
        check_scores({**GOOD, "response": "five"})
    with pytest.raises(AssessmentError, match="官员问责 \\(accountability\\) is missing"):
        check_scores({k: v for k, v in GOOD.items() if k != "accountability"})


def test_a_panel_averages_and_a_red_major_case_is_a_finding_of_inappropriate_response() -> None:
    from yuqing.evaluation import evaluate

    class Rows:
        def __init__(self, cases: list[Case]):
            self.cases = cases

        def scalars(self, _query: object) -> list[Case]:
            return self.cases

    major = _assessed(_case("II", [("authoritative_release", 5, 3)], responded_h=3), ("甲", RED), ("乙", RED))
    minor = _assessed(_case("IV", [("response", 48, 10)], responded_h=10), ("甲", RED), ("乙", GOOD))
    minor.id, minor.unit_id, major.unit_id = 2, "u", "u"
    evaluation = evaluate(Rows([major, minor]), T0 + timedelta(days=3))  # type: ignore[arg-type]
    first, second = evaluation.verdicts
    assert first.assessed_total == 2 and first.assessors == 2 and first.inappropriate
    assert second.assessed_total == 13.5 and second.assessed_level is not None and second.assessed_level.colour == "橙"
    [unit] = evaluation.units
    assert unit.found("回应不妥当") == [1]
    assert unit.accountability == "通报批评（回应不妥当：#1 应对评估 2 分（红））"  # the grade IV case is not proposed


def test_an_answer_published_before_the_case_opened_is_no_sign_off() -> None:
    """A board reply found with its message 'acknowledged' the case 3 h before it was opened: the median
    sign-off time read 0.0 h although no unit signed anything off."""
    early = _case("III", [("response", 48, -3)], responded_h=-3)
    early.acknowledged_at = T0 - timedelta(hours=3)
    verdict = judge_case(early, T0 + timedelta(days=3))
    assert verdict.hours_to_ack is None and verdict.hours_to_response is None  # (neither took time)
    signed = _case("III", [("response", 48, 5)], responded_h=5)
    signed.acknowledged_at = T0 + timedelta(hours=2)
    assert judge_case(signed, T0 + timedelta(days=3)).hours_to_ack == 2.0
