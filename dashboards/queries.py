"""What the dashboards ask Elasticsearch and the workflow database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from yuqing.contract import MAJOR_GRADES, episode, region_label
from yuqing.db.models import BoardMessage, Case, Deadline, UnitRow
from yuqing.es.indices import IndexLayout
from yuqing.evaluation import (
    CaseVerdict,
    WindowTalk,
    deadline_state,
    first_response,
    holder_at,
    holders,
    judge_case,
    judge_message,
    stints,
    stored_aware,
)

Cutter = Callable[[str], str]
# Elasticsearch pages only through its first index.max_result_window hits (10,000 by default).
MAX_RESULT_WINDOW = 10_000
SEARCH_PAGE_SIZE = 50
EVENT_PAGE_SIZE = 100
GRADE_ORDER = {"I": 0, "II": 1, "III": 2, "IV": 3}


def _exists(es: Elasticsearch, alias: str) -> bool:
    return bool(es.indices.exists_alias(name=alias))


def empty_overview(hours: int) -> dict[str, Any]:
    return {"hours": hours, "posts": 0, "negative": 0, "topics": [], "events": [], "events_total": 0,
            "emerging": [], "emerging_total": 0, "latest_post_at": None, "hours_to_latest": None}


def overview(es: Elasticsearch, layout: IndexLayout, now: datetime, hours: int = 24,
             top: int = 20) -> dict[str, Any]:
    """The press office's first screen: volume and sentiment per topic, the riskiest and the emerging events
    (each list its ``top`` first, with the true totals beside them)."""
    since = (now - timedelta(hours=hours)).isoformat()
    result = empty_overview(hours)
    if _exists(es, layout.posts.alias):
        body = es.search(index=layout.posts.alias, size=0, query={"range": {"ts": {"gte": since}}},
                         aggs={"topics": {"terms": {"field": "topic", "size": 20},
                                          "aggs": {"sentiment": {"terms": {"field": "sentiment", "size": 3}}}},
                               "negative": {"filter": {"term": {"sentiment": "negative"}}}},
                         track_total_hits=True)
        result["posts"] = body["hits"]["total"]["value"]
        result["negative"] = body["aggregations"]["negative"]["doc_count"]
        if not result["posts"]:
            # A quiet window (a night, or the state a demo or replay left behind, hours ahead): say when the latest
            # post came, so an empty screen is not read as an empty index.
            latest = es.search(index=layout.posts.alias, size=1, sort=[{"ts": {"order": "desc"}}], source_includes=["ts"])
            if latest["hits"]["hits"]:
                at = datetime.fromisoformat(latest["hits"]["hits"][0]["_source"]["ts"])
                result["latest_post_at"] = at
                result["hours_to_latest"] = max(0.0, (now - at).total_seconds() / 3600)
        for bucket in body["aggregations"]["topics"]["buckets"]:
            mix = {b["key"]: b["doc_count"] for b in bucket["sentiment"]["buckets"]}
            result["topics"].append({"topic": bucket["key"], "posts": bucket["doc_count"],
                                     "negative": mix.get("negative", 0),
                                     "negative_share": mix.get("negative", 0) / bucket["doc_count"]})
    if _exists(es, layout.events.alias):
        recent = {"range": {"last_seen": {"gte": since}}}
        by_risk = [{"risk": {"order": "desc", "missing": "_last"}}]
        events = es.search(index=layout.events.alias, size=top, query=recent, sort=by_risk, track_total_hits=True)
        result["events"] = [hit["_source"] for hit in events["hits"]["hits"]]
        result["events_total"] = events["hits"]["total"]["value"]
        emerging = es.search(index=layout.events.alias, size=top, track_total_hits=True, sort=by_risk,
                             query={"bool": {"filter": [recent, {"term": {"emerging": True}}]}})
        result["emerging"] = [hit["_source"] for hit in emerging["hits"]["hits"]]
        result["emerging_total"] = emerging["hits"]["total"]["value"]
    return result


@dataclass(frozen=True)
class Page:
    """One page of a longer list: its items, the list's total and where the page lies in it."""

    items: list[dict[str, Any]]
    total: int
    number: int
    size: int

    @classmethod
    def empty(cls, number: int = 1, size: int = 50) -> Page:
        return cls([], 0, number, size)

    @property
    def first(self) -> int:
        """1-based position of the first item shown (0 when none is)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0

    @property
    def last_page(self) -> int:
        """The last page that holds items and that Elasticsearch can serve (it pages through its first
        ``MAX_RESULT_WINDOW`` hits only); 1 when there are none."""
        return max(1, min(-(-self.total // self.size), MAX_RESULT_WINDOW // self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.last_page


# The orders a search may list its posts in: newest first, or the best keyword match first (then the newest).
SEARCH_SORTS = {"time": "按时间", "relevance": "按相关度"}


@dataclass(frozen=True)
class RegionChoice:
    """A place posts can be filtered by: a city, or a district of it. ``value`` is what the URL carries
    (``A市`` or ``A市/A5区``), ``label`` how the pages name it (``湖南省A市A5区``)."""

    value: str
    label: str
    posts: int

    @staticmethod
    def filters(value: str) -> list[dict[str, Any]]:
        """The terms a region value keeps: the city, and the district when one is given."""
        city, _, district = value.partition("/")
        terms = [("region.city", city), ("region.district", district)]
        return [{"term": {field: name}} for field, name in terms if name]


def regions_present(es: Elasticsearch, layout: IndexLayout, cities: int = 50, districts: int = 100) -> list[RegionChoice]:
    """The cities and districts the indexed posts carry, each city followed by its districts (the most posts first): a
    search's region choices are places that hold posts, named as the posts name them."""
    if not _exists(es, layout.posts.alias):
        return []
    body = es.search(index=layout.posts.alias, size=0, aggs={"cities": {
        "terms": {"field": "region.city", "size": cities},
        "aggs": {"province": {"terms": {"field": "region.province", "size": 1}},
                 "districts": {"terms": {"field": "region.district", "size": districts}}}}})
    out = []
    for city in body["aggregations"]["cities"]["buckets"]:
        provinces = city["province"]["buckets"]
        province = provinces[0]["key"] if provinces else None
        out.append(RegionChoice(city["key"], region_label({"province": province, "city": city["key"]}),
                                city["doc_count"]))
        out += [RegionChoice(f"{city['key']}/{d['key']}",
                             region_label({"province": province, "city": city["key"], "district": d["key"]}),
                             d["doc_count"]) for d in city["districts"]["buckets"]]
    return out


def search_posts(es: Elasticsearch, layout: IndexLayout, query: str, cut: Cutter, size: int = SEARCH_PAGE_SIZE,
                 topic: str | None = None, sentiment: str | None = None, page: int = 1,
                 since: datetime | None = None, region: str | None = None, sort: str = "relevance") -> Page:
    """Full-text search: the query is cut by the same tokenizer that cut the indexed text; ``since`` keeps the
    posts of a time window (the overview's, when a press officer follows one of its numbers), ``region`` a
    ``RegionChoice.value``. Without a query every post the filters keep is listed; ``sort`` is ``time`` (newest
    first) or ``relevance`` (the best match first, then the newest)."""
    if not _exists(es, layout.posts.alias):
        return Page.empty(page, size)
    must: list[dict[str, Any]] = []
    if query.strip():
        must.append({"multi_match": {"query": cut(query), "fields": ["title_cut^2", "text_cut"],
                                     "operator": "and"}})
    filters: list[dict[str, Any]] = [{"term": {k: v}} for k, v in (("topic", topic), ("sentiment", sentiment)) if v]
    if since is not None:
        filters.append({"range": {"ts": {"gte": since.isoformat()}}})
    if region:
        filters += RegionChoice.filters(region)
    order: list[Any] = [{"ts": "desc"}] if sort == "time" else ["_score", {"ts": "desc"}]
    body = es.search(index=layout.posts.alias, size=size, from_=(page - 1) * size, track_total_hits=True,
                     query={"bool": {"must": must or [{"match_all": {}}], "filter": filters}}, sort=order)
    return Page([hit["_source"] for hit in body["hits"]["hits"]], body["hits"]["total"]["value"], page, size)


def event_detail(es: Elasticsearch, layout: IndexLayout, event_id: str, page: int = 1,
                 size: int = EVENT_PAGE_SIZE) -> tuple[dict | None, Page]:
    """An event and one page of its posts, the earliest first."""
    if not _exists(es, layout.events.alias):
        return None, Page.empty(page, size)
    hits = es.search(index=layout.events.alias, size=1, query={"term": {"id": event_id}})["hits"]["hits"]
    if not hits:
        return None, Page.empty(page, size)
    posts = es.search(index=layout.posts.alias, size=size, from_=(page - 1) * size, track_total_hits=True,
                      query={"term": {"event_id": event_id}}, sort=[{"ts": "asc"}])["hits"]
    return hits[0]["_source"], Page([hit["_source"] for hit in posts["hits"]], posts["total"]["value"], page, size)


def event_exists(es: Elasticsearch, layout: IndexLayout, event_id: str) -> bool:
    """Whether the events index holds this event (a case opened by hand has none)."""
    if not _exists(es, layout.events.alias):
        return False
    return bool(es.count(index=layout.events.alias, query={"term": {"id": event_id}})["count"])


def effect_lookup(es: Elasticsearch, layout: IndexLayout) -> Callable[[str, datetime, datetime], WindowTalk]:
    """An event's posts in a time window (how many, how many negative) and when its first post of all came: how
    the evaluator judges a response's effect."""

    def lookup(event_id: str, start: datetime, end: datetime) -> WindowTalk:
        if not _exists(es, layout.posts.alias):
            return WindowTalk(0, 0)
        body = es.search(index=layout.posts.alias, size=0,
                         query={"bool": {"filter": [{"term": {"event_id": event_id}},
                                                    {"range": {"ts": {"gte": start.isoformat(),
                                                                      "lt": end.isoformat()}}}]}},
                         aggs={"negative": {"filter": {"term": {"sentiment": "negative"}}},
                               # the event's first post of all, not the window's: where talk began
                               "event": {"global": {}, "aggs": {"posts": {
                                   "filter": {"term": {"event_id": event_id}},
                                   "aggs": {"first": {"min": {"field": "ts"}}}}}}})
        first = body["aggregations"]["event"]["posts"]["first"].get("value_as_string")
        return WindowTalk(body["hits"]["total"]["value"], body["aggregations"]["negative"]["doc_count"],
                          datetime.fromisoformat(first) if first else None)

    return lookup


def open_cases(session: Session) -> list[Case]:
    cases = session.scalars(select(Case).options(selectinload(Case.deadlines))
                            .where(Case.state.not_in(["closed"]))).all()
    return sorted(cases, key=lambda c: (GRADE_ORDER.get(c.grade or "IV", 4), c.opened_at))


def case_for_event(session: Session, event_id: str) -> Case | None:
    """The case that handles an event, if one was opened."""
    return session.scalars(select(Case).where(Case.event_id == event_id)).one_or_none()


def unit_names(session: Session, configured: dict[str, str]) -> dict[str, str]:
    """Every unit the workflow knows (the database's and config/units.yaml's) → its name."""
    return {**configured, **{row.id: row.name for row in session.scalars(select(UnitRow))}}


@dataclass(frozen=True)
class UnitCase:
    """One case as a responsible unit sees it: whether it leads or joins, and how long it has left."""

    case: Case
    role: str  # 承办 (the lead unit) or 联动 (a joint unit: publicity, cyberspace, police…)
    next_deadline: Deadline | None
    hours_left: float | None  # negative once the deadline has passed
    # Every deadline of the round missed — still unmet, or met late — with its state in words (已超时 32天21小时,
    # 逾期完成（晚 17小时20分）): the leader page named only the first (向上报告), not that 发布权威信息 was missed too.
    missed: list[tuple[Deadline, str]] = field(default_factory=list)
    ahead: tuple[Deadline, float] | None = None  # the next deadline not yet due
    # Missed deadlines that fell due while another unit held the case (转办): deadline kind → (that unit, when it
    # handed the case on). The leader page listed a predecessor's 28 days late under the unit that took over.
    held_then: dict[str, tuple[str | None, datetime]] = field(default_factory=dict)

    @property
    def overdue(self) -> bool:
        return self.hours_left is not None and self.hours_left < 0


def _unit_case(case: Case, unit_id: str, now: datetime) -> UnitCase:
    pending = [(d, (d.due_at - now).total_seconds() / 3600)
               for d in sorted(case.pending_deadlines(), key=lambda d: d.due_at)]
    first = pending[0] if pending else None
    this_round = sorted((d for d in case.deadlines if episode(d.kind) >= case.reopen_count), key=lambda d: d.due_at)
    missed = [(d, state) for d in this_round for state, late in [deadline_state(case, d, now)] if late]
    periods = stints(case, now)
    held_then = {d.kind: (s.unit_id, s.ended) for d, _ in missed for s in periods
                 if s.ended is not None and s.began <= stored_aware(d.due_at) < s.ended}
    return UnitCase(case, "承办" if case.unit_id == unit_id else "联动", first[0] if first else None,
                    first[1] if first else None, missed=missed, ahead=next(((d, h) for d, h in pending if h >= 0), None),
                    held_then=held_then)


def leader_cases(session: Session, now: datetime) -> list[UnitCase]:
    """What a leader must see: escalated or overdue cases — escalated for a missed deadline too, answered or not (an
    answered case escalated twice for its report upward was left out) — and every open grade I/II case, each with
    the lead unit's next deadline of the current round; the most escalated, then the most overdue, first."""
    shown = [_unit_case(c, c.unit_id or "", now) for c in open_cases(session)
             if c.state in ("escalated", "overdue") or c.highest_escalation() > 0 or c.grade in MAJOR_GRADES]
    return sorted(shown, key=lambda u: (-u.case.highest_escalation(), u.hours_left is None,
                                        u.hours_left if u.hours_left is not None else 0,
                                        GRADE_ORDER.get(u.case.grade or "IV", 4)))


def unit_cases(session: Session, unit_id: str, now: datetime) -> list[UnitCase]:
    """A unit's open cases, led or joined, the most urgent first (overdue, then by the next deadline)."""
    mine = [_unit_case(c, unit_id, now) for c in open_cases(session)
            if c.unit_id == unit_id or unit_id in (c.joint_unit_ids or [])]
    return sorted(mine, key=lambda u: (u.hours_left is None, u.hours_left if u.hours_left is not None else 0,
                                       GRADE_ORDER.get(u.case.grade or "IV", 4)))


@dataclass(frozen=True)
class ClosedCase:
    """A closed case on its unit's page, with what the unit did not do on time while it held the case: deadlines
    met late or never, and board messages answered late or not at all past their due time (each citizen is owed his
    own reply, 皖政办〔2015〕12号: a case answered by one reply said 均按期 while 30 messages were overdue)."""

    case: Case
    missed: int
    messages_late: int = 0
    messages_unanswered: int = 0

    @property
    def on_time(self) -> bool:
        return not (self.missed or self.messages_late or self.messages_unanswered)


def closed_unit_cases(session: Session, unit_id: str, since: datetime, now: datetime) -> list[ClosedCase]:
    """Cases a unit led (or held before a 转办) that were closed since ``since``, the latest first, each with how many
    of its deadlines were met late or never while the unit held the case — judged as the evaluation judges them:
    a deadline the case was closed before is no missed one — and how many of its board messages the unit answered
    late or left unanswered past due (judged at ``now``, whatever became of the case, as the evaluation does)."""
    closed = session.scalars(select(Case).options(selectinload(Case.deadlines), selectinload(Case.events),
                                                  selectinload(Case.board_messages))
                             .where(Case.state == "closed", Case.closed_at >= since)).all()
    rows = [c for c in closed if c.unit_id == unit_id or any(u == unit_id for _, u in holders(c))]
    out = []
    for c in sorted(rows, key=lambda c: c.closed_at or c.opened_at, reverse=True):
        missed = sum(1 for d in c.deadlines if deadline_state(c, d, since)[1] and holder_at(c, d.due_at) == unit_id)
        messages = [v for v in (judge_message(c, m, now) for m in c.board_messages) if v.unit_id == unit_id]
        out.append(ClosedCase(c, missed, messages_late=sum(1 for v in messages if v.answered and not v.on_time),
                              messages_unanswered=sum(1 for v in messages if v.overdue)))
    return out


def unit_workload(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Per unit with open cases: how many it leads and joins, how many wait to be acknowledged, are overdue, or
    fall due within 24 hours — the first thing a unit (and its supervisor) looks at."""
    names = {row.id: row.name for row in session.scalars(select(UnitRow))}
    rows: dict[str, dict[str, Any]] = {}
    for case in open_cases(session):
        for unit_id in [case.unit_id, *(case.joint_unit_ids or [])]:
            if not unit_id:
                continue
            row = rows.setdefault(unit_id, {"unit_id": unit_id, "name": names.get(unit_id, unit_id), "lead": 0,
                                            "joint": 0, "unacknowledged": 0, "overdue": 0, "due_24h": 0})
            seen = _unit_case(case, unit_id, now)
            row["lead" if seen.role == "承办" else "joint"] += 1
            # signed off since the latest alert: a case handed over or reopened waits for its sign-off again
            row["unacknowledged"] += seen.role == "承办" and not case.signed_off()
            row["overdue"] += seen.overdue
            row["due_24h"] += seen.hours_left is not None and 0 <= seen.hours_left <= 24
    return sorted(rows.values(), key=lambda r: (-r["overdue"], -r["due_24h"], -r["lead"], r["unit_id"]))


def case_detail(session: Session, case_id: int) -> Case | None:
    return session.scalars(select(Case).options(selectinload(Case.deadlines), selectinload(Case.events),
                                                  selectinload(Case.assessments), selectinload(Case.board_messages))
                           .where(Case.id == case_id)).one_or_none()


# How long a brief keeps listing a closed case for a citizen's reply it owes past due: the unit page's 近 30 天办结. A
# board page deleted or archived never shows its reply, so without a bound every brief would list such a case forever.
OWED_REPLY_CARRIED = timedelta(days=30)


def _carried_since(now: datetime, since: datetime) -> datetime:
    return min(since, now - OWED_REPLY_CARRIED)


def _owes_reply(now: datetime, due_since: datetime) -> Any:
    """A case owing a citizen a reply past due at ``now``, due since ``due_since``: the brief still lists it."""
    return Case.board_messages.any(and_(BoardMessage.due_at < now, BoardMessage.due_at >= due_since,
                                        or_(BoardMessage.replied_at.is_(None), BoardMessage.replied_at > now)))


def brief_cases(session: Session, now: datetime, since: datetime) -> list[tuple[Case, CaseVerdict]]:
    """The cases a periodic brief lists, each judged as the evaluation judges it: those opened since ``since``, and
    those still open from before, that are major (I/II), missed a deadline, are not answered yet (a closed case
    left unanswered counts only when it missed a deadline) or owe a citizen a reply past its due time (a case answered by
    its first reply with other messages left unanswered) — the major first, then by when they were opened. A closed
    case from before the period is listed while a reply it owes is overdue for less than ``OWED_REPLY_CARRIED`` (or
    the period, when longer); older ones are counted by ``owed_reply_backlog``."""
    owes = _owes_reply(now, _carried_since(now, since))
    found = session.scalars(select(Case).options(selectinload(Case.deadlines), selectinload(Case.events),
                                                 selectinload(Case.assessments), selectinload(Case.board_messages))
                            .where(or_(Case.opened_at >= since, Case.state != "closed", owes))).all()
    listed = []
    for case in found:
        verdict = judge_case(case, now)
        unanswered = first_response(case) is None and case.state != "closed"
        if case.grade in MAJOR_GRADES or verdict.overdue_kinds or unanswered or any(m.overdue for m in verdict.messages):
            listed.append((case, verdict))
    return sorted(listed, key=lambda cv: (GRADE_ORDER.get(cv[0].grade or "IV", 4), cv[0].opened_at, cv[0].id))


def owed_reply_backlog(session: Session, now: datetime, since: datetime) -> tuple[int, int]:
    """The closed cases from before the period that the brief no longer lists, and their replies overdue longer than
    ``OWED_REPLY_CARRIED``: (cases, messages), for one line in the brief instead of a table that grows forever."""
    carried = _carried_since(now, since)
    stale = and_(Case.state == "closed", Case.opened_at < since, ~_owes_reply(now, carried))
    unanswered = and_(BoardMessage.due_at < carried,
                      or_(BoardMessage.replied_at.is_(None), BoardMessage.replied_at > now))
    row = session.execute(select(func.count(func.distinct(BoardMessage.case_id)), func.count(BoardMessage.id))
                          .join(Case, Case.id == BoardMessage.case_id).where(stale, unanswered)).one()
    return int(row[0]), int(row[1])
