"""Grading that explains itself: each event gets a level I–IV, a risk score 0–100 and the factors behind them.

No national standard grades public opinion itself (domain.md §5). Local practice weighs the tier of the
media that carry it, public reaction, casualties and mass incidents; commercial heat indices weigh volume,
spread speed and negativity. The score is ``100 × Σ wᵢ·fᵢ / Σ wᵢ`` over factors fᵢ ∈ [0, 1] with the weights
of ``policy.yaml`` (grading.weights); the level is the highest threshold the score reaches; floors then
lift the level for grave cues whatever the score. Every step becomes a sentence in ``grade_reasons``.

Floors follow the emergency levels of 突发事件应对法 and 国家突发公共事件总体应急预案 (特别重大 I … 一般 IV)
and the casualty bands of 生产安全事故报告和调查处理条例 (国务院令第493号, 第三条): ≥30 deaths (the missing counted with
them) or ≥100 seriously injured 特别重大, 10–29 deaths or 50–99 seriously injured 重大, 3–9 deaths or 10–49
seriously injured 较大. The shipped policy puts any incident with casualties at III or higher; posts rarely say
"seriously", so the injury floors count everyone reported injured, or taken to hospital where more were (送医 and 住院
are worded as such, never as 受伤: the press office must not say 20人受伤 of 20 children kept under observation). One floor is not about harm but about
voices: ``stories_ge_N`` (集中反映) lifts an event that N people raised in their own words, reposts not counted.

Negativity counts, besides the posts the sentiment model reads negative, the message-board letters that are plainly
complaints (``reads_as_complaint``): the model, trained on Weibo, read 37 of 56 formal complaints about one estate
(「诈骗钱财」, 「欺压百姓」) as neutral. The sentiment model's grievance rule (analysis.sentiment.GrievanceRule) now reads
the same words in a post's opening, which its sentiment shows; a letter that names its grievance further on is still
counted here only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from analysis.letters import grievance_words
from analysis.severity import CUE_LABELS, VULNERABLE_CUES, SeverityCues
from yuqing.contract import (
    BOARD_SOURCE_TYPE,
    GRADE_COLOUR,
    Event,
    Grade,
    MediaTier,
    Post,
    final_reason,
    floor_reason,
)
from yuqing.settings import GradingPolicy

_ORDER = [Grade.IV, Grade.III, Grade.II, Grade.I]
# In this order a tier is named when two score the same (the known before the unidentified).
_TIER_WORDS = {
    MediaTier.CENTRAL: "央媒报道",
    MediaTier.PORTAL: "主要门户网站报道",
    MediaTier.PROVINCIAL: "省级媒体报道",
    MediaTier.LOCAL: "地方媒体报道",
    MediaTier.SELF_MEDIA: "仅自媒体/网民发帖",
    MediaTier.UNKNOWN: "来源未识别，媒体层级未知",
}
# Self-media at the top beside sources nobody identified: not "only" self-media, as those could be anything.
_SELF_MEDIA_AND_UNKNOWN = "自媒体/网民发帖，另有来源未识别（媒体层级未知）"
# How much each vulnerable-group cue counts: people themselves more than the setting they are in.
_VULNERABLE_WEIGHT = {
    "children": 1.0,
    "students": 1.0,
    "elderly": 0.8,
    "patients": 0.8,
    "school": 0.6,
    "hospital": 0.5,
}
# Independent stories (reposts not counted) from which a negative share counts in full (fewer scale it down linearly).
NEGATIVITY_FULL_AT = 5
_COUNTED_FLOOR = re.compile(r"^(deaths|injured|missing|trapped)_ge_(\d+)$")
_STORIES_FLOOR = re.compile(r"^stories_ge_(\d+)$")
# The least share of negative posts that makes many voices a complaint (stories_ge_N).
COMPLAINT_SHARE = 1 / 3
# The words that open the 集中反映 floor's reason: a regrade finds by them that the floor was met before.
_CONCENTRATED = "集中反映"
# Incidents whose report makes an unnumbered "伤亡" a casualty, not a fear.
_INCIDENT_FLAGS = frozenset({"fire", "explosion", "collapse", "food_poisoning", "mass_incident"})
# A rumour told or rebutted (the cue events.py adds to an event): 国办发〔2016〕61号 names rumours that harm public order
# among what must be answered, their leads passed to 公安 and 网信 (domain.md §3); every grade shows the factors that
# produced it (§5), so the reasons say so.
RUMOUR_CUE = "rumour"
_RUMOUR = re.compile(r"网传|谣言|辟谣|造谣|传谣|谣传|传言|据传|网上流传|都在传|传疯了|听说.{0,60}?(?:是真的吗|是不是真的|真的假的)")
# Saying something is no rumour ("停水不是谣言") tells none (as alerts/routing.py reads it).
_NOT_A_RUMOUR = re.compile(r"(?:不是|并非|并不是|绝非|不属于|不算)(?:什么)?(?:谣言|谣传|造谣|传谣|传言)")
_RUMOUR_WORDS = "涉及网传信息/谣言，需核实回应（国办发〔2016〕61号）"
# A casualty score of 1 at 30 deaths (the 特别重大 band); injuries, missing and trapped count less.
_CASUALTY_POINTS = {"deaths": 1.0, "missing": 0.7, "trapped": 0.3, "injured": 0.2}


class UnknownFloorCue(ValueError):
    """policy.yaml names a floor cue grading cannot evaluate."""


def max_grade(a: Grade, b: Grade) -> Grade:
    """The graver of two levels (I is gravest)."""
    return a if _ORDER.index(a) >= _ORDER.index(b) else b


def _casualty_words(cues: SeverityCues) -> str:
    """伤亡 (伤亡/送医 when people were taken to hospital), or, in an event whose posts tell a rumour, 伤亡（含网传，待核实）:
    a school-death rumour's reasons stated 「伤亡: 1人死亡」 as a fact beside its 辟谣 (re-check of the s22 review)."""
    words = "伤亡/送医" if cues.admitted else "伤亡"
    return f"{words}（含网传，待核实）" if RUMOUR_CUE in cues.flags else words


def _injured_or_admitted(cues: SeverityCues) -> int:
    """Who counts for the injury floors and points: the injured, or those taken to hospital where they are more (the
    hospitalised counted as injured before they had their own cue; most who are hurt are among them, so no sum)."""
    return max(cues.injured, cues.admitted)


def tells_rumour(text: str) -> bool:
    """Whether a post tells or rebuts a rumour (网传…, 听说…是真的吗, 辟谣), leaving out "这不是谣言"."""
    return bool(_RUMOUR.search(_NOT_A_RUMOUR.sub("", text)))


def reads_as_complaint(post: Post) -> bool:
    """A post grading counts as negative: read negative, or a board letter plainly a complaint — one that names a
    grievance in the words of analysis.letters and does not call itself a suggestion (the sentiment model reads formal
    complaint letters as neutral: 37 of 56 about one estate's bundled parking, 4,326 real board messages)."""
    if post.sentiment == "negative":
        return True
    if post.source_type != BOARD_SOURCE_TYPE:
        return False
    return bool(grievance_words(post.title or "", post.text))


@dataclass(frozen=True)
class Factor:
    """One ingredient of the risk score: its value in [0, 1], its weight and the points it adds."""

    name: str
    value: float
    weight: float
    points: float
    reason: str


@dataclass(frozen=True)
class Grading:
    grade: Grade
    risk: float
    reasons: list[str]
    factors: list[Factor]


def _floor_met(cue: str, cues: SeverityCues, event: Event | None = None) -> tuple[bool, str]:
    """Whether an event meets a floor cue, and the words that say so."""
    concentrated = _STORIES_FLOOR.match(cue)
    if concentrated:
        # 集中反映: many people raising one matter, each in their own words (reposts not counted) — on a
        # message board, months of polite complaints about one estate that never reached III on risk alone. A
        # complaint, not a popular story: a third of the posts at least must be negative or board complaints. Once
        # met it stays met: the voices raised are not withdrawn by a neutral post after them (the share crossing 1/3
        # flipped a replayed event III → IV → III, a "grade rises" re-alert each time).
        limit = int(concentrated.group(1))
        stories = event.unique_stories if event is not None else 0
        negative, total, label = _complaint_count(event) if event is not None else (0, 0, "负面")
        share = negative / max(total, 1)
        met_before = event is not None and any(r.startswith(_CONCENTRATED) for r in event.grade_reasons)
        met = stories >= limit and (share >= COMPLAINT_SHARE or met_before)
        held = ", 此前已达到，保持" if met and share < COMPLAINT_SHARE else ""
        return met, f"{_CONCENTRATED}: {stories} 条独立诉求 ≥ {limit}，{label} {share:.0%}{held}"
    if cue == "casualties":
        # Reported with a number, or unnumbered ("造成多人伤亡") in the report of an incident (a fire, a collapse…):
        # a bare "伤亡" in a citizen's letter is often a fear, and adds risk only. Warnings and denials ("以免造成
        # 人员伤亡", "无人员伤亡") never become cues at all (analysis.severity).
        reported = cues.counted_casualties or ("casualties" in cues.flags and bool(cues.flags & _INCIDENT_FLAGS))
        return reported, f"{_casualty_words(cues)}: {cues.describe_casualties()}"
    m = _COUNTED_FLOOR.match(cue)
    if m:
        kind, limit = m.group(1), int(m.group(2))
        if kind == "deaths":  # 国务院令第493号 counts the missing with the dead ("死亡（含失踪）")
            count = cues.deaths + cues.missing
            label = "死亡(含失踪)" if cues.missing else CUE_LABELS[kind]
        elif kind == "injured":
            count = _injured_or_admitted(cues)
            label = f"受伤(含{CUE_LABELS['admitted']})" if cues.admitted > cues.injured else CUE_LABELS[kind]
        else:
            count, label = getattr(cues, kind), CUE_LABELS[kind]
        return count >= limit, f"{label} {count} 人 ≥ {limit}"
    if cue in CUE_LABELS:
        return cue in cues.names(), f"{CUE_LABELS[cue]}"
    raise UnknownFloorCue(
        f"policy.yaml grading.floors: unknown cue {cue!r}; use casualties, deaths_ge_N, injured_ge_N, missing_ge_N, "
        f"trapped_ge_N, stories_ge_N or one of {', '.join(sorted(CUE_LABELS))}"
    )


def check_policy(policy: GradingPolicy) -> None:
    """Fail early, naming the key, when a floor cue in policy.yaml is not understood."""
    empty = SeverityCues()
    for floor in policy.floors:
        _floor_met(floor.cue, empty)


def _complaint_count(event: Event) -> tuple[int, int, str]:
    """The posts grading counts as negative (read negative, or board complaints), all posts, and what to call them."""
    total = sum(event.sentiment_mix.values())
    negative = event.sentiment_mix.get("negative", 0)
    # Events graded before complaints were counted (or built without them) carry 0: their negative posts stand.
    if event.complaints > negative:
        return min(event.complaints, total), total, "负面/投诉"
    return negative, total, "负面"


def raises_a_grievance(event: Event) -> bool:
    """Whether a third of the event's posts at least are negative or board complaints (``COMPLAINT_SHARE``): many
    voices on one matter are a complaint (集中反映), not a popular story — for this floor and for 苗头's accumulation."""
    negative, total, _ = _complaint_count(event)
    return negative / max(total, 1) >= COMPLAINT_SHARE


def _negativity(event: Event) -> tuple[str, float, str]:
    """Share of negative posts, discounted below ``NEGATIVITY_FULL_AT`` independent stories: one angry post is
    not a negative public reaction, nor are its reposts (spread, not new voices: a complaint and 5 reposts read
    100 % negative and lifted one estate's water stoppage to III), and without the discount every single complaint
    would reach level III."""
    negative, total, label = _complaint_count(event)
    if not total:
        return "negativity", 0.0, "负面占比未知"
    share = negative / total
    stories = event.unique_stories or total  # (events written before stories were counted)
    confidence = min(1.0, stories / NEGATIVITY_FULL_AT)
    words = f"{label}占比 {share:.0%} ({negative}/{total})"
    if confidence < 1.0:
        words += f", 仅 {stories} 个独立内容 ×{confidence:g}"
    return "negativity", share * confidence, words


def _media_tier(event: Event, policy: GradingPolicy) -> tuple[str, float, str] | None:
    """The highest-scoring tier among the event's posts, named truly: 「仅自媒体」 only when every source is known to be
    self-media (a source no table names was called self-media: 人民日报 and 新华社 read 「仅自媒体/网民发帖」)."""
    tiers = {MediaTier(t) for t, n in event.media_tiers.items() if n > 0 and t in MediaTier._value2member_map_}
    if not tiers:
        return None
    score = max(policy.media_tier_score.get(t, 0.0) for t in tiers)
    top = next(t for t in _TIER_WORDS if t in tiers and policy.media_tier_score.get(t, 0.0) == score)
    words = _TIER_WORDS[top]
    if top == MediaTier.SELF_MEDIA and MediaTier.UNKNOWN in tiers:
        words = _SELF_MEDIA_AND_UNKNOWN
    return "media_tier", score, words


def _factors(event: Event, cues: SeverityCues, policy: GradingPolicy) -> list[tuple[str, float, str]]:
    volume = max(event.volume, 0)
    out: list[tuple[str, float, str]] = [
        (
            "volume",
            min(1.0, math.log1p(volume) / math.log1p(policy.volume_saturation)),
            f"规模: {volume} 条帖子, {event.unique_stories} 个独立内容",
        ),
        (
            "velocity",
            min(1.0, max(event.velocity, 0.0) / policy.velocity_saturation),
            # posts in the hour up to the grading (analysis.events), not an average over the event's life
            f"传播速度: 最近1小时 {event.velocity:g} 条",
        ),
        _negativity(event),
    ]
    media = _media_tier(event, policy)
    if media is not None:
        out.append(media)
    if cues.has_casualties:
        points = sum(w * (_injured_or_admitted(cues) if k == "injured" else getattr(cues, k))
                     for k, w in _CASUALTY_POINTS.items())
        value = min(1.0, 0.4 + 0.6 * math.log1p(points) / math.log1p(30))
        out.append(("casualties", value, f"{_casualty_words(cues)}: {cues.describe_casualties()}"))
    groups = [g for g in VULNERABLE_CUES if g in cues.flags]
    if groups:
        out.append(
            (
                "vulnerable_groups",
                max(_VULNERABLE_WEIGHT[g] for g in groups),
                "涉及弱势群体: " + "、".join(CUE_LABELS[g] for g in groups),
            )
        )
    if "officials" in cues.flags:
        out.append(("official_involvement", 1.0, "涉及官员或公职人员"))
    # Local grading practice weighs mass incidents on their own (domain.md §5); a petition (上访) is
    # collective action in the making, so it counts part way.
    collective = [(c, v) for c, v in (("mass_incident", 1.0), ("petition", 0.6)) if c in cues.flags]
    if collective:
        out.append(
            (
                "mass_incident",
                max(v for _, v in collective),
                "群体性事件/上访: " + "、".join(CUE_LABELS[c] for c, _ in collective),
            )
        )
    if RUMOUR_CUE in cues.flags:
        # A rumour's gravity is what it claims, and severity.py counts no casualties of a rumour or its rebuttal; its
        # spread is volume and velocity already. What it adds is a duty — answer it (61号) — so the shipped weight is
        # 0: a reason to read, not points (a weight above 0 also rescales every score, which divides by Σ weights).
        out.append((RUMOUR_CUE, 1.0, _RUMOUR_WORDS))
    return out


def grade_event(event: Event, policy: GradingPolicy) -> Grading:
    """Score and level one event from its own fields, so any stage can (re)grade an indexed event."""
    cues = SeverityCues.from_list(event.severity_cues)
    weight_sum = sum(w for w in policy.weights.values() if w > 0) or 1.0
    factors = []
    for name, value, reason in _factors(event, cues, policy):
        weight = policy.weights.get(name, 0.0)
        points = 100.0 * weight * value / weight_sum
        factors.append(Factor(name, round(value, 4), weight, round(points, 2), reason))
    risk = round(min(100.0, sum(f.points for f in factors)), 1)
    grade = Grade.IV
    levels: tuple[tuple[Grade, Literal["I", "II", "III"]], ...] = ((Grade.I, "I"), (Grade.II, "II"), (Grade.III, "III"))
    threshold = policy.thresholds["III"]
    for level, key in levels:
        if risk >= policy.thresholds[key]:
            grade, threshold = level, policy.thresholds[key]
            break
    relation = f"≥ {threshold:g}" if grade != Grade.IV else f"< {threshold:g}"
    reasons = [f"风险分 {risk:g} ({relation}) → {grade.value}级 ({GRADE_COLOUR[grade]})"]
    # A rumour is said even with no weight, next to the score, so the short summaries (grade_summary) show it too.
    reasons += [f.reason for f in factors if f.name == RUMOUR_CUE and f.points <= 0]
    reasons += [
        f"{f.reason} (+{f.points:.1f})" for f in sorted(factors, key=lambda f: -f.points) if f.points > 0
    ]
    score_grade = grade
    for floor in policy.floors:
        met, words = _floor_met(floor.cue, cues, event)
        if met:
            grade = max_grade(grade, floor.min_grade)
            reasons.append(floor_reason(words, floor.min_grade))  # (the key is in policy.yaml floors)
    if grade != score_grade:
        reasons.append(final_reason(grade))
    return Grading(grade, risk, reasons, factors)


def apply_grading(event: Event, policy: GradingPolicy) -> Event:
    """Set ``grade``, ``risk`` and ``grade_reasons`` on the event (in place) and return it."""
    result = grade_event(event, policy)
    event.grade, event.risk, event.grade_reasons = result.grade, result.risk, result.reasons
    return event
