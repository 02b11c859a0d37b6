"""Scoring a government's handling of public opinion by hand (domain.md §7).

The scheme of the People's Daily opinion lab (人民网舆情监测室, 地方应对网络舆情能力排行榜, 2009): analysts score
three regular indicators — 政府响应, 信息透明度, 政府公信力, each −10…10 — and three special ones — 恢复秩序 −5…5,
动态反应 −3…3, 官员问责 −3…3. The total (at most 41) gives the alert colour of the *response*, not of the event:
20.00 and above 蓝 (应对总体较为得体), 15.00–19.99 黄 (有待进一步加强), 10.00–14.99 橙 (存在明显问题), below 10 红
(应对严重失当，存在重大缺陷). The lab averaged several analysts (a Delphi panel); a case scored by several
evaluators takes the mean of their latest totals. A red total is the 2018 key points' 回应不妥当.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import mean
from typing import Any


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    low: int
    high: int


DIMENSIONS = (
    Dimension("response", "政府响应", -10, 10),
    Dimension("transparency", "信息透明度", -10, 10),
    Dimension("credibility", "政府公信力", -10, 10),
    Dimension("order", "恢复秩序", -5, 5),
    Dimension("dynamics", "动态反应", -3, 3),
    Dimension("accountability", "官员问责", -3, 3),
)
MAX_TOTAL = sum(d.high for d in DIMENSIONS)


@dataclass(frozen=True)
class Level:
    colour: str
    at_least: float
    verdict: str


# Highest first: a total takes the first level it reaches.
LEVELS = (
    Level("蓝", 20.0, "应对总体较为得体"),
    Level("黄", 15.0, "应对有待进一步加强"),
    Level("橙", 10.0, "应对存在明显问题"),
    Level("红", float("-inf"), "应对严重失当，存在重大缺陷"),
)
INAPPROPRIATE = "红"


# A note beside the scores: a paragraph or two (the page's form says the same).
MAX_NOTE_CHARS = 2000
# A score as people type one: digits, a sign, a decimal point. Not 1e1, 1_0, full-width ５ or other scripts' digits,
# which Python's float() reads but nobody means as a score.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # (7, -2.5, .5 and 5. as a browser may send)


class AssessmentError(ValueError):
    """Scores outside the scheme; the message names each problem and the fix, in English and (``chinese``) in
    Chinese for the evaluators' form."""

    def __init__(self, message: str, chinese: str = "") -> None:
        super().__init__(message)
        self.chinese = chinese or message


def _value(raw: Any) -> float | None:
    """The score, or None when it is not a plain number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw) if math.isfinite(raw) else None
    text = str(raw).strip()
    return float(text) if _PLAIN_NUMBER.fullmatch(text) else None


def check_scores(scores: Mapping[str, Any]) -> dict[str, float]:
    """The six scores, each a plain number within its range in whole or half points, or an error naming every
    problem."""
    problems: list[str] = []
    chinese: list[str] = []
    checked: dict[str, float] = {}
    for d in DIMENSIONS:
        raw = scores.get(d.key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            problems.append(f"{d.name} ({d.key}) is missing: score it from {d.low} to {d.high}")
            chinese.append(f"{d.name}未评分（{d.low} 至 {d.high} 分）")
            continue
        value = _value(raw)
        if value is None:
            problems.append(f"{d.name} ({d.key}) = {raw!r} is not a number; write digits, e.g. 7 or -2.5")
            chinese.append(f"{d.name}“{raw}”不是数字，请填写如 7 或 -2.5 的数")
        elif not d.low <= value <= d.high:
            problems.append(f"{d.name} ({d.key}) = {value:g} is outside {d.low}…{d.high}")
            chinese.append(f"{d.name} {value:g} 超出范围（{d.low} 至 {d.high} 分）")
        elif value * 2 != round(value * 2):
            problems.append(f"{d.name} ({d.key}) = {value:g}: score in whole or half points")
            chinese.append(f"{d.name} {value:g}：请按整分或半分评分")
        else:
            checked[d.key] = value + 0.0  # (+ 0.0: -0 is 0)
    unknown = sorted(set(scores) - {d.key for d in DIMENSIONS})
    if unknown:
        problems.append(f"unknown indicator(s) {', '.join(unknown)}; the scheme has "
                        f"{', '.join(d.key for d in DIMENSIONS)}")
        chinese.append(f"未知指标 {', '.join(unknown)}")
    if problems:
        raise AssessmentError("; ".join(problems), "；".join(chinese))
    return checked


def total(scores: dict[str, float]) -> float:
    return round(sum(float(scores[d.key]) for d in DIMENSIONS), 2)


def level(value: float) -> Level:
    return next(lv for lv in LEVELS if value >= lv.at_least)


def panel_total(totals: list[float]) -> float | None:
    """The mean of several evaluators' totals (the lab's panel), or None when nobody scored."""
    return round(mean(totals), 2) if totals else None
