"""Severity cues on real board letters and news headlines: what an analyst reads as harm, and what not.

Sentences quoted (some shortened) from the message board replay (zhengwu/messages_with_votes.csv) and the
THUCNews 社会 headlines of the shared data, as an analyst's review of the casualty floor found them (s22).
"""

from __future__ import annotations

import pytest

from analysis.severity import extract_cues


@pytest.mark.parametrize(("text", "cues"), [
    # a denial and a supposition in one letter (252625): the wall fell, nobody was hurt
    ("围墙垮塌十几米。所幸没有造成人员伤亡。不难想象一旦小区入住率提高，该围墙大面积垮塌将带来多少人员伤亡。",
     {"collapse"}),
    ("该围墙大面积垮塌将带来多少人员伤亡", set()),
    # a bare 如 that states a condition (201312)
    ("如200多台电动车集中充电，发生火灾，此起彼伏烧毁电动车不算，还殃及旁边停放的汽车、居民楼爆炸和火灾", set()),
    ("如今小区发生火灾，3人受伤", {"fire", "injured:3"}),
    # a hazard named in a list (204710), and the other warnings
    ("营利性停车场的存在，具有严重的交通、火灾、触电、噪音的隐患", set()),
    ("小区存在消防安全隐患，存在火灾隐患", set()),
    ("万一哪天不慎引发火灾，楼上的住户无处可逃", set()),
    ("请尽快处理，以免雨季再次发生垮塌造成人员伤亡", set()),
    ("请尽快加固，防止围墙倒塌砸伤路人", set()),
    # what happens again and again (234930), and a firm or a boss that absconds (203812, 200489)
    ("数次业主被困电梯，电梯内无任何信号", set()),
    ("平台现在玩失踪，我们的钱去哪了", set()), ("包工头拒付工钱玩失踪", set()),
    # …while a fire that happened stays one (237755)
    ("今年2月19日凌晨2时许突发一场大火，导致301号房屋全部被烧毁", {"fire"}),
])
def test_suppositions_warnings_and_habits_are_no_incident(text: str, cues: set[str]) -> None:
    assert set(extract_cues(text).as_list()) == cues


@pytest.mark.parametrize(("text", "cues"), [
    ("A5区那座在修的桥塌了！！现场好多人，听说压死了三个工人", {"collapse", "deaths:3"}),
    ("小区3栋楼塌了", {"collapse"}),
    ("天塌了也不怕", set()), ("这下人设塌了", set()),
])
def test_an_eyewitness_saying_it_fell_down_reports_a_collapse(text: str, cues: set[str]) -> None:
    assert set(extract_cues(text).as_list()) == cues
