"""Statutory deadlines: 48 h for ordinary cases, 2/5/24 h for major ones, working days for message boards."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from alerts.calendar import WorkCalendar
from alerts.deadlines import deadline_for, met_by, reminder_times
from analysis.grading import reads_as_complaint
from tests.alerts.casekit import MONDAY_9AM, TZ, shipped_config
from yuqing.contract import Post
from yuqing.settings import Calendar


@pytest.fixture(scope="module")
def policy():  # type: ignore[no-untyped-def]
    return shipped_config().policy


def test_an_ordinary_case_must_be_answered_within_48_hours(policy) -> None:  # type: ignore[no-untyped-def]
    [due] = deadline_for(grade="III", source_type="news", detected_at=MONDAY_9AM, policy=policy, tz=TZ)
    assert (due.kind, due.due_at) == ("response", MONDAY_9AM + timedelta(hours=48))
    assert "国办发〔2016〕61号" in due.basis and "48 小时" in due.basis


def test_a_major_case_reports_in_2_hours_releases_in_5_and_holds_a_press_conference_in_24(policy) -> None:  # type: ignore[no-untyped-def]
    dues = {d.kind: d for d in deadline_for(grade="II", source_type="news", detected_at=MONDAY_9AM, policy=policy,
                                            tz=TZ)}
    assert {k: d.due_at - MONDAY_9AM for k, d in dues.items()} == {
        "report_upward": timedelta(hours=2), "authoritative_release": timedelta(hours=5),
        "press_conference": timedelta(hours=24)}
    assert "国办发〔2016〕80号" in dues["authoritative_release"].basis
    assert "61号" in dues["press_conference"].basis
    assert "response" not in dues


def test_a_message_board_deadline_counts_working_days_across_the_may_day_holiday(policy) -> None:  # type: ignore[no-untyped-def]
    received = datetime(2026, 4, 30, 10, 0, tzinfo=TZ)  # Thursday before 劳动节
    [due] = deadline_for(grade="IV", source_type="message_board", detected_at=received, policy=policy, tz=TZ,
                         text="建议在小区门口增设公交站台")
    # 1 May (holiday), 2–3 May (weekend), 4–5 May (holidays) do not count; Saturday 9 May is a 调休 working day:
    # 6, 7, 8, 9, 11, 12, 13 May are the seven working days, so the reply is due by the end of 13 May.
    assert due.kind == "reply_suggestion"
    assert due.due_at == datetime(2026, 5, 14, 0, 0, tzinfo=TZ)
    assert "2026-05-01" in due.basis and "2026-05-05" in due.basis and "皖政办〔2015〕12号" in due.basis
    plain_weeks = deadline_for(grade="IV", source_type="message_board", detected_at=datetime(2026, 3, 5, 10, tzinfo=TZ),
                               policy=policy, tz=TZ)[0]
    assert plain_weeks.due_at == datetime(2026, 3, 17, 0, 0, tzinfo=TZ)  # Thu + 7 working days, no holiday


def test_a_message_boards_working_days_run_from_receipt_not_from_detection(policy) -> None:  # type: ignore[no-untyped-def]
    """皖政办〔2015〕12号 counts from the day after the message arrived; crawling it two days later changes nothing."""
    received = datetime(2026, 3, 5, 10, tzinfo=TZ)
    [late_found] = deadline_for(grade="IV", source_type="message_board", detected_at=received + timedelta(days=2),
                                policy=policy, tz=TZ, received_at=received)
    assert late_found.due_at == datetime(2026, 3, 17, 0, 0, tzinfo=TZ) and late_found.starts_at == received
    assert "收到于 2026-03-05 10:00" in late_found.basis
    [hours] = deadline_for(grade="III", source_type="news", detected_at=received + timedelta(days=2), policy=policy,
                           tz=TZ, received_at=received)
    assert hours.due_at == received + timedelta(days=2, hours=48)  # hour deadlines run from detection


def test_a_complaint_on_a_message_board_gets_the_longer_complaint_deadline(policy) -> None:  # type: ignore[no-untyped-def]
    [due] = deadline_for(grade="IV", source_type="message_board", detected_at=MONDAY_9AM, policy=policy, tz=TZ,
                         text="投诉某物业公司乱收费")
    assert due.kind == "reply_complaint"
    assert WorkCalendar(policy.calendar).add_working_days(MONDAY_9AM, 15, TZ) == due.due_at
    assert "投诉类" in due.basis


def test_a_message_that_calls_itself_a_suggestion_is_one_whatever_it_is_about(policy) -> None:  # type: ignore[no-untyped-def]
    """建议加强对拖欠工资的监管 is a suggestion (7 working days) though 拖欠 is a complaint word."""
    for text in ("建议加强对拖欠农民工工资问题的监管", "建议开通12345举报热线夜间服务", "关于整治小区乱收费的建议"):
        [due] = deadline_for(grade="IV", source_type="message_board", detected_at=MONDAY_9AM, policy=policy, tz=TZ,
                             text=text)
        assert due.kind == "reply_suggestion", text
        assert "自称建议" in due.basis
    [due] = deadline_for(grade="IV", source_type="message_board", detected_at=MONDAY_9AM, policy=policy, tz=TZ,
                         text="举报某公司拖欠工资，建议严查")
    assert due.kind == "reply_complaint"


def test_a_letter_naming_a_wrong_done_is_a_complaint_as_grading_reads_it(policy) -> None:  # type: ignore[no-untyped-def]
    """A code review: 「…噪音扰民」 counted as a complaint in the case's grade and as 建议咨询类（无投诉、举报等用语） in
    its reply deadline; 378 of 4,326 real board letters were read so (诈骗, 扰民, 坑骗, 暴利 in their titles)."""
    for title in ("A6区景城御苑相约本味饭店噪音扰民", "西地省展星投资有限公司涉嫌诈骗", "A5区明昇壹城二期坑骗业主，请求领导解决业主问题！"):
        [due] = deadline_for(grade="IV", source_type="message_board", detected_at=MONDAY_9AM, policy=policy, tz=TZ,
                             text=title)
        assert due.kind == "reply_complaint" and "投诉类" in due.basis, title
        post = Post(id="p", source="board", source_type="message_board", fetched_at=MONDAY_9AM, title=title, text="",
                    sentiment="neutral")
        assert reads_as_complaint(post), title


def test_a_major_message_board_case_follows_the_major_deadlines(policy) -> None:  # type: ignore[no-untyped-def]
    kinds = [d.kind for d in deadline_for(grade="I", source_type="message_board", detected_at=MONDAY_9AM,
                                          policy=policy, tz=TZ)]
    assert kinds == ["report_upward", "authoritative_release", "press_conference"]


def test_a_year_the_calendar_does_not_list_is_said_so_in_the_basis(policy) -> None:  # type: ignore[no-untyped-def]
    [due] = deadline_for(grade="IV", source_type="message_board", detected_at=datetime(2027, 9, 1, 9, tzinfo=TZ),
                         policy=policy, tz=TZ)
    assert "未列 2027 年的节假日" in due.basis


def test_adjusted_working_weekends_count_and_weekday_holidays_do_not() -> None:
    calendar = WorkCalendar(Calendar(holidays=[date(2026, 10, 1)], workdays=[date(2026, 10, 10)]))
    assert calendar.is_workday(date(2026, 10, 10))  # Saturday 调休
    assert not calendar.is_workday(date(2026, 10, 1))
    assert not calendar.is_workday(date(2026, 10, 11))  # plain Sunday


def test_the_shipped_calendar_has_the_new_year_holiday_and_its_adjusted_sunday(policy) -> None:  # type: ignore[no-untyped-def]
    """2026: 元旦 1月1日至3日放假调休, 1月4日（周日）上班."""
    calendar = WorkCalendar(policy.calendar)
    assert not calendar.is_workday(date(2026, 1, 2)) and calendar.is_workday(date(2026, 1, 4))


def test_a_calendar_that_will_run_out_is_said_so_with_the_fix() -> None:
    calendar = WorkCalendar(Calendar(holidays=[date(2026, 10, 1)], workdays=[]))
    assert calendar.coverage_warning(date(2026, 6, 1)) is None
    warning = calendar.coverage_warning(date(2026, 11, 26))
    assert warning is not None and "no holidays for 2027" in warning and "calendar.holidays" in warning


def test_reminders_fall_at_half_and_four_fifths_of_the_time() -> None:
    start = MONDAY_9AM
    times = reminder_times(start, start + timedelta(hours=48), [0.5, 0.8])
    assert times == [(0.5, start + timedelta(hours=24)), (0.8, start + timedelta(hours=38.4))]


def test_which_response_fulfils_which_deadline() -> None:
    assert not met_by("response", "slack") and met_by("authoritative_release", "release")  # slack: internal
    assert not met_by("press_conference", "release") and met_by("press_conference", "press_conference")
    assert met_by("report_upward", "report_upward") and not met_by("response", "report_upward")
    assert met_by("response#reopen1", "weibo")
    # A citizen's message is answered by its reply on the board, not by a Weibo post about the matter.
    assert not met_by("reply_complaint", "weibo") and not met_by("reply_suggestion", "release")
    # ... and only by the board's own reply, collected with its message: one entered by hand names no message.
    assert met_by("reply_complaint", "message_board", board_reply=True) and met_by("response", "message_board")
    assert not met_by("reply_complaint", "message_board")


def test_a_sensitive_case_below_grade_ii_is_reported_upward_within_2_hours(policy) -> None:  # type: ignore[no-untyped-def]
    """domain.md §2: the report upward is 'commonly 2 hours for major or sensitive cases'; a grade III event with
    deaths got only the 48 h response."""
    dues = {d.kind: d for d in deadline_for(grade="III", source_type="news", detected_at=MONDAY_9AM, policy=policy,
                                            tz=TZ, cues=["deaths", "children"])}
    assert set(dues) == {"report_upward", "response"}
    assert dues["report_upward"].due_at == MONDAY_9AM + timedelta(hours=2)
    assert "敏感舆情（死亡）" in dues["report_upward"].basis
    plain = deadline_for(grade="III", source_type="news", detected_at=MONDAY_9AM, policy=policy, tz=TZ,
                         cues=["children", "school"])
    assert [d.kind for d in plain] == ["response"]
    counted = deadline_for(grade="III", source_type="news", detected_at=MONDAY_9AM, policy=policy, tz=TZ,
                           cues=["deaths:2", "injured:3", "collapse"])  # as an event carries them (the demo's collapse)
    assert {d.kind for d in counted} == {"report_upward", "response"}
    major = deadline_for(grade="II", source_type="news", detected_at=MONDAY_9AM, policy=policy, tz=TZ, cues=["deaths"])
    assert [d.kind for d in major].count("report_upward") == 1


def test_an_unknown_sensitive_cue_is_refused_with_the_ones_there_are(policy) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from alerts.deadlines import DeadlinePolicyError, check_deadline_policy

    broken = policy.model_copy(update={"deadlines": policy.deadlines.model_copy(update={"sensitive_cues": ["death"]})})
    with pytest.raises(DeadlinePolicyError, match="unknown cue\\(s\\) death; use deaths"):
        check_deadline_policy(broken)
    check_deadline_policy(policy)
