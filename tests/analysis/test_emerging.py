"""Emerging issues: bursts against an hour-of-day baseline, new terms, grave first posts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analysis.emerging import EmergingDetector, robust_z
from analysis.events import EventTracker
from yuqing.contract import Event, Post

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 0, 0, tzinfo=TZ)  # a Monday


def _daily_rhythm(detector: EmergingDetector, days: int, topic: str = "就医") -> None:
    """A topic that is busy in office hours and quiet at night, the same every day."""
    for day in range(days):
        for hour in range(24):
            n = 6 if 9 <= hour < 18 else 1
            at = START + timedelta(days=day, hours=hour, minutes=10)
            for _ in range(n):
                detector.observe(at, topic=topic, region="A市A3区", terms=["医院", "挂号"])


def test_robust_z_ignores_one_old_spike() -> None:
    z, median, _ = robust_z(5, [2, 2, 3, 2, 40, 3, 2])
    assert median == 2
    assert z > 2
    assert robust_z(3, [2, 2, 3, 2, 40, 3, 2])[0] < 1


def test_spike_at_night_is_a_burst_but_office_hours_are_not() -> None:
    detector = EmergingDetector(TZ)
    _daily_rhythm(detector, days=14)
    noon = START + timedelta(days=14, hours=12, minutes=30)
    night = START + timedelta(days=14, hours=3, minutes=30)
    for _ in range(6):  # an ordinary noon
        detector.observe(noon, topic="就医")
    for _ in range(9):  # nine posts at 3 a.m., where one is usual
        detector.observe(night, topic="就医")
    assert detector.burst("topic", "就医", noon) is None
    burst = detector.burst("topic", "就医", night)
    assert burst is not None and burst.count == 9 and burst.median == 1
    assert burst.describe().startswith("话题「就医」突增: 近1小时 9 条, 同期基线中位数 1")
    assert [b.key for b in detector.bursts(night, kinds=["topic"])] == ["就医"]


def test_weekend_baseline_is_kept_apart_from_weekdays() -> None:
    detector = EmergingDetector(TZ)
    for day in range(28):
        at0 = START + timedelta(days=day)
        busy = at0.weekday() >= 5  # this topic lives at weekends
        for _ in range(12 if busy else 1):
            detector.observe(at0 + timedelta(hours=15), topic="交通出行")
    saturday = START + timedelta(days=33, hours=15)  # the 5th Saturday
    assert saturday.weekday() == 5
    for _ in range(12):
        detector.observe(saturday, topic="交通出行")
    assert detector.burst("topic", "交通出行", saturday) is None
    wednesday = START + timedelta(days=30, hours=15)
    for _ in range(12):
        detector.observe(wednesday, topic="交通出行")
    assert detector.burst("topic", "交通出行", wednesday) is not None


def test_a_weekly_rush_is_learnt_once_three_weeks_are_known() -> None:
    """30 posts every Monday at 8 o'clock on a quiet topic: a burst the first weeks, part of the rhythm after."""
    detector = EmergingDetector(TZ)

    def week(n: int) -> datetime:
        for day in range(7):
            for hour in range(24):
                at = START + timedelta(weeks=n, days=day, hours=hour, minutes=5)
                rush = day == 0 and hour == 8
                for _ in range(30 if rush else 2):
                    detector.observe(at, topic="就业社保")
        return START + timedelta(weeks=n, hours=8, minutes=5)

    mondays = [week(n) for n in range(5)]
    flagged = [detector.burst("topic", "就业社保", at) is not None for at in mondays]
    assert flagged[1] and flagged[2]  # weekdays against weekdays: Monday 8:00 stands out
    assert not flagged[3] and not flagged[4]  # three Mondays known: the same weekday is the baseline


def test_no_burst_before_a_baseline_exists() -> None:
    detector = EmergingDetector(TZ)
    for _ in range(50):
        detector.observe(START, topic="就医")
    assert detector.burst("topic", "就医", START) is None


def test_new_term_in_several_posts_is_flagged_old_terms_are_not() -> None:
    detector = EmergingDetector(TZ, new_term_min_posts=5)
    _daily_rhythm(detector, days=8)
    today = START + timedelta(days=8, hours=10)
    for i in range(5):
        detector.observe(today + timedelta(minutes=i), topic="住房保障", terms=["捆绑车位", "医院"])
    new = detector.new_term("捆绑车位", today + timedelta(minutes=10))
    assert new is not None and new.recent == 5 and new.baseline == 0
    assert new.describe() == "新词「捆绑车位」: 近24小时 5 条, 此前7天 0 条"
    assert detector.new_term("医院", today) is None
    assert [n.term for n in detector.new_terms(today + timedelta(minutes=10))] == ["捆绑车位"]


def test_a_term_seen_once_is_not_yet_new() -> None:
    detector = EmergingDetector(TZ, new_term_min_posts=5)
    _daily_rhythm(detector, days=3)
    at = START + timedelta(days=3, hours=9)
    for _ in range(4):
        detector.observe(at, terms=["搅拌站"])
    assert detector.new_term("搅拌站", at) is None


def _event(volume: int, cues: list[str], keywords: list[str] | None = None, negative: int = 0) -> Event:
    at = START + timedelta(days=10)
    return Event(id="ev", title="t", first_seen=at, last_seen=at, volume=volume, severity_cues=cues,
                 keywords=keywords or [], sentiment_mix={"negative": negative, "neutral": volume - negative})


@pytest.mark.parametrize(("volume", "cues", "flagged"), [
    (1, ["deaths:3", "explosion"], True),
    (3, ["food_poisoning", "students"], True),
    (40, ["deaths:3"], False),  # no longer an early warning: grading takes it from here
    (2, ["school", "officials"], False),  # a setting without negative posts: a school's open day
])
def test_early_warning_on_first_posts_with_incident_cues(volume: int, cues: list[str], flagged: bool) -> None:
    detector = EmergingDetector(TZ)
    reasons = detector.check_event(_event(volume, cues), START + timedelta(days=10))
    assert bool(reasons) is flagged
    if flagged:
        assert reasons["early"].startswith(f"首批 {volume} 条即出现严重线索")


@pytest.mark.parametrize(("cues", "negative", "expected"), [
    (["children", "school"], 2, "首批 2 条即涉及儿童、学校，且以负面为主 (2/2)"),  # 幼儿园虐童
    (["officials"], 2, "首批 2 条即涉及官员，且以负面为主 (2/2)"),  # 局长醉驾撞人
    (["children", "school"], 1, None),  # one of two negative: not mostly
])
def test_children_schools_hospitals_and_officials_warn_early_when_the_posts_are_negative(
    cues: list[str], negative: int, expected: str | None
) -> None:
    """Issue 4 §7 lists children, schools, hospitals and officials named among the early-warning cues."""
    reasons = EmergingDetector(TZ).check_event(_event(2, cues, negative=negative), START)
    assert reasons.get("early") == expected


def test_early_warning_says_what_was_found() -> None:
    reasons = EmergingDetector(TZ).check_event(_event(1, ["deaths:3", "explosion"]), START)
    assert reasons == {"early": "首批 1 条即出现严重线索: 3人死亡、爆炸"}


def test_state_round_trip_keeps_the_baseline() -> None:
    detector = EmergingDetector(TZ)
    _daily_rhythm(detector, days=10)
    copy = EmergingDetector(TZ)
    copy.load_state(detector.to_state())
    night = START + timedelta(days=10, hours=3)
    for d in (detector, copy):
        for _ in range(9):
            d.observe(night, topic="就医")
    assert copy.burst("topic", "就医", night) == detector.burst("topic", "就医", night) is not None


def test_old_buckets_are_pruned() -> None:
    detector = EmergingDetector(TZ, baseline_days=7, term_window_days=2)
    _daily_rhythm(detector, days=20)
    oldest_topic = min(detector.series["topic"]["就医"])
    oldest_term = min(detector.series["term"]["医院"])
    last = detector.last_hour or 0
    assert last - oldest_topic <= 9 * 24
    assert last - oldest_term <= 5 * 24


def _quiet_fortnight(tracker: EventTracker, every_hours: int) -> None:
    """Fourteen days of one ordinary 就医 complaint every ``every_hours`` hours: the topic's quiet baseline."""
    quiet = ["医院挂号排队时间太长，希望增加窗口", "社区卫生院医生态度不好，看病难", "医保报销流程复杂，跑了好几趟"]
    for day in range(14):
        for hour in range(0, 24, every_hours):
            at = START + timedelta(days=day, hours=hour, minutes=5)
            tracker.add(Post(id=f"q-{day}-{hour}", source="board", fetched_at=at, topic="就医",
                             text=f"{quiet[(day + hour) % 3]}（第{day}天{hour}时）"))


def test_tracker_flags_an_event_that_bursts_out_of_its_topic_baseline() -> None:
    tracker = EventTracker(tz=TZ)
    _quiet_fortnight(tracker, every_hours=1)
    burst_at = START + timedelta(days=14, hours=3)
    event = None
    for i in range(8):
        event = tracker.add(Post(
            id=f"b-{i}", source="weibo", fetched_at=burst_at + timedelta(minutes=3 * i), topic="就医",
            text=f"市第三医院输液后多名患者出现寒战高热不良反应，家属质疑药品批次有问题（网友{i}）"))
    assert event is not None and event.volume == 8 and event.emerging
    topic, new_terms = event.emerging_reasons  # one sentence per signal, in its latest wording
    assert topic == "话题「就医」突增: 近1小时 8 条, 同期基线中位数 1 (稳健 z=7.0)"
    assert new_terms.startswith("新词") and "「不良反应」(8)" in new_terms


def test_new_terms_are_shown_as_the_posts_write_them() -> None:
    """A review: the demo's school poisoning said 新词「a3」(6) where every post wrote A3区 — the tokens are
    lower-cased for counting and search, the reasons showed the token. Terms are shown as most posts write them,
    and the detector's saved state keeps how."""
    import json

    tracker = EventTracker(tz=TZ)
    _quiet_fortnight(tracker, every_hours=2)
    burst_at = START + timedelta(days=14, hours=3)
    event = None
    for i in range(8):
        writing = "hpv" if i == 7 else "HPV"  # one careless post does not change how the term is shown
        event = tracker.add(Post(
            id=f"h-{i}", source="weibo", fetched_at=burst_at + timedelta(minutes=3 * i), topic="就医",
            text=f"Ａ３区社区医院{writing}疫苗预约系统崩溃，九价名额被黄牛抢光（网友{i}）"))
    assert event is not None and event.emerging
    [new_terms] = [r for r in event.emerging_reasons if r.startswith("新词")]
    assert "「HPV」(8)" in new_terms and "「A3」(8)" in new_terms
    assert "hpv" not in new_terms and "a3" not in new_terms
    restored = EmergingDetector(TZ)
    restored.load_state(json.loads(json.dumps(tracker.detector.to_state())))
    assert (restored.written("hpv"), restored.written("a3"), restored.written("疫苗")) == ("HPV", "A3", "疫苗")
