"""Posts to cases: enrich → Elasticsearch → events → rules → cases (routing, deadlines, alerts) → reminders.

The same object serves ``yuqing run`` (driven by the scheduler on the system clock) and ``yuqing replay``
(driven by a simulated clock), so what a replay shows is what production does. Each step is safe to
repeat: posts and events carry their own ids, cases are unique per event, notifications per key.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from elasticsearch import Elasticsearch, NotFoundError, helpers
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.board import MESSAGES_PER_PASS, lacking_messages, official, record_messages, record_reply
from alerts.cases import CLOSED, open_or_update_case, record_response, sync_units
from alerts.escalation import Escalator, TickReport
from alerts.operations import down_for, tell_operations
from alerts.routing import Router
from alerts.rules import RuleEngine, RuleMatch
from yuqing.clock import Clock
from yuqing.contract import BOARD_SOURCE_TYPE, Event, Post, Reply
from yuqing.db.models import BoardMessage, Case, ScheduleMark
from yuqing.db.session import Database
from yuqing.es.indices import IndexLayout
from yuqing.es.writer import BulkWriter, post_document
from yuqing.settings import Config, RuleSpec

log = logging.getLogger(__name__)

# The grade rule looks back this far before its last run: an event can be regraded a little after its
# last post (late posts, velocity decay).
GRADE_OVERLAP = timedelta(hours=1)
# Posts indexed by the crawler are clustered from this watermark (minus a margin for late refreshes).
CLUSTER_MARK = "events:clustered"
CLUSTER_OVERLAP = timedelta(minutes=10)
CLUSTER_MEMORY = 50_000
FIRST_RUN_LOOKBACK = timedelta(hours=24)
# Replies waiting for a case are kept for the last this many posts that carried one.
REPLY_MEMORY = 5_000
# How far back a restart looks for board replies still waiting for their case.
REPLY_LOOKBACK = timedelta(days=30)
# Rule types that can fire while no post arrives (the others need new posts to find something new).
ABSENCE_RULES = frozenset({"flatline"})

Enrich = Callable[[Sequence[Post]], list[Post]]
Cut = Callable[[str], str]


class EventTracking(Protocol):
    """What the pipeline needs from event clustering (``analysis.events.EventTracker`` provides it).

    Injected by the command line, which wires the stages; alerts itself reads analysis results only
    through Elasticsearch.
    """

    def add(self, post: Post) -> Event | None: ...

    def refresh(self, now: datetime) -> list[Event]: ...

    def flush(self) -> int: ...


@dataclass
class EvaluationReport:
    """What one evaluation of the rules did."""

    at: datetime
    matches: list[RuleMatch] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    grew: list[int] = field(default_factory=list)
    without_event: list[RuleMatch] = field(default_factory=list)
    notifications: int = 0
    lines: list[str] = field(default_factory=list)


class Pipeline:
    """One deployment's pipeline: its config, database, Elasticsearch indices and clock."""

    def __init__(self, config: Config, database: Database, es: Elasticsearch, layout: IndexLayout, clock: Clock, *,
                 enrich: Enrich, tracker: EventTracking, cut: Cut, spool_dir: Path):
        self.config = config
        self.database = database
        self.es = es
        self.layout = layout
        self.clock = clock
        self.router = Router(config.units)
        self.engine = RuleEngine(es, layout, config.policy, config.sources.labels())
        self.escalator = Escalator(config, self.router)
        self.cut = cut
        # No wait_for refresh per batch: evaluate() refreshes both indices once before it reads them.
        self.posts = BulkWriter(es, layout.posts, spool_dir, flush_interval_s=1e9)
        self.enrich = enrich
        self.tracker = tracker
        self._touched: set[str] = set()
        self._clustered: OrderedDict[str, None] = OrderedDict()
        # Official replies collected from message boards, waiting for their event's case (post id → event, reply).
        self._replies: OrderedDict[str, tuple[str, Reply]] = OrderedDict()
        self._replies_restored = False
        self._outside_reported: set[str] = set()  # events outside the jurisdiction already said, once each
        self._messages_lacking = False  # the last pass left open cases' board messages for the next (its budget spent)
        # The scheduler may run a crawl's evaluation and the periodic one at once; the tracker is not
        # thread-safe, so one pass at a time.
        self._lock = threading.RLock()
        with database.transaction() as session:
            sync_units(session, config.units)

    # ----------------------------------------------------------------------------- posts in

    def ingest(self, posts: Sequence[Post]) -> int:
        """Enrich, cluster into events, and index a batch of posts; return how many were indexed."""
        if not posts:
            return 0
        with self._lock:
            return self._ingest(posts)

    def _ingest(self, posts: Sequence[Post]) -> int:
        enriched = self.enrich(list(posts))
        for post in enriched:
            event = self.tracker.add(post)
            if event is not None:
                self._touched.add(event.id)
            if post.event_id is not None:
                self._note_reply(post, post.event_id)
            else:  # no content to cluster: do not offer it to the tracker again from the index
                self._clustered[post.id] = None
        # The events and the tracker's state first: a post indexed with an event id is never offered to the
        # tracker again, so a crash between the two must leave the event stored, not the post marked.
        self.tracker.flush()
        self.posts.add_many(post_document(p, self.cut) for p in enriched)
        self.posts.flush()
        return len(enriched)

    def cluster_indexed(self, batch: int = 500) -> int:
        """Put posts that others indexed (the crawler) into events: the posts without an event yet.

        A watermark on ``fetched_at`` in the database bounds the search; repeating it is harmless (the
        tracker knows the posts it has seen, and the update writes the same event id). Each page's events and the
        tracker's state are stored before the posts are marked with them.
        """
        with self.database.sessions() as session:
            mark = session.get(ScheduleMark, CLUSTER_MARK)
        since = (mark.at - CLUSTER_OVERLAP) if mark is not None else None
        query: dict[str, Any] = {"bool": {"must_not": [{"exists": {"field": "event_id"}}]}}
        if since is not None:
            query["bool"]["filter"] = [{"range": {"fetched_at": {"gte": since.isoformat()}}}]
        known = set(Post.model_fields)
        done = 0
        newest: datetime | None = None
        after: list[Any] | None = None
        while True:
            body = self.es.search(index=self.layout.posts.alias, query=query, size=batch,
                                  sort=[{"fetched_at": "asc"}, {"id": "asc"}], search_after=after,
                                  source_excludes=["title_cut", "text_cut", "ts"])
            hits = body["hits"]["hits"]
            if not hits:
                break
            actions = []
            for hit in hits:
                if hit["_id"] in self._clustered:
                    continue  # no content to cluster: offered once
                post = Post.model_validate({k: v for k, v in hit["_source"].items() if k in known})
                # A post seen before comes back without its event when the crawler indexes it again (a board
                # message revisited for its reply): the tracker knows it and counts it once.
                event = self.tracker.add(post)
                newest = post.fetched_at if newest is None else max(newest, post.fetched_at)
                event_id = event.id if event is not None else post.event_id  # a retired event keeps its posts
                if event_id is None:
                    self._clustered[hit["_id"]] = None
                    continue
                if event is not None:
                    self._touched.add(event.id)
                self._note_reply(post, event_id)
                actions.append({"_op_type": "update", "_index": hit["_index"], "_id": hit["_id"],
                                "doc": {"event_id": event_id}})
            if actions:
                # Events and tracker state before the posts' event ids (see _ingest): a crash in between offers
                # the posts again, and the tracker, which knows them, counts them once.
                self.tracker.flush()
                helpers.bulk(self.es, actions, raise_on_error=True)
                done += len(actions)
            after = hits[-1]["sort"]
        while len(self._clustered) > CLUSTER_MEMORY:
            self._clustered.popitem(last=False)
        if newest is not None:
            with self.database.transaction() as session:
                row = session.get(ScheduleMark, CLUSTER_MARK)
                if row is None:
                    session.add(ScheduleMark(key=CLUSTER_MARK, at=newest, details={}))
                elif newest > row.at:
                    row.at = newest
        return done

    # ----------------------------------------------------------------------------- rules to cases

    def evaluate(self, quiet: bool = False) -> EvaluationReport:
        """Run every enabled rule as of now and open or update the cases they call for.

        ``quiet``: no post has arrived since the last evaluation (a replay's clock running on between posts).
        Counts can then only fall, so only the rules that fire on absence (flatline) can find anything new; the
        others, and the refreshes and clustering, are skipped. A replay of a year of board messages made 6,352
        evaluations of every rule for 300 posts.
        """
        with self._lock:
            return self._evaluate(quiet)

    def _evaluate(self, quiet: bool = False) -> EvaluationReport:
        now = self.clock.now()
        report = EvaluationReport(now)
        if not self._replies_restored:
            self._restore_replies(now)
        if not quiet:
            self.es.indices.refresh(index=self.layout.posts.alias)
            clustered = self.cluster_indexed()
            if clustered:
                report.lines.append(f"{clustered} indexed post(s) put into events")
            refreshed = self.tracker.refresh(now)
            if refreshed:
                self.tracker.flush()
            self.es.indices.refresh(index=[self.layout.posts.alias, self.layout.events.alias])
        touched, self._touched = self._touched, set()
        for rule in self.config.policy.rules:
            if not rule.enabled or (quiet and rule.type not in ABSENCE_RULES):
                continue
            mark = f"rules:{rule.name}"
            with self.database.sessions() as session:
                last = session.get(ScheduleMark, mark)
            since = (last.at - GRADE_OVERLAP) if last is not None else now - FIRST_RUN_LOOKBACK
            matches = self.engine.evaluate(rule, now, since=since)
            if rule.type == "grade":
                matches += self._touched_matches(rule, touched, {m.key for m in matches}, now)
            for match in matches:
                report.matches.append(match)
                self._act(rule, match, report)
            with self.database.transaction() as session:
                row = session.get(ScheduleMark, mark)
                if row is None:
                    session.add(ScheduleMark(key=mark, at=now, details={}))
                else:
                    row.at = now
        if not quiet or self._messages_lacking:  # (a quiet pass: nothing was indexed since, so only what is left)
            self.record_lacking_messages(report)
        self.record_replies(report)
        return report

    def record_lacking_messages(self, report: EvaluationReport) -> None:
        """The board messages of open cases that have no row yet, whether or not a rule acted on the case: a case from
        before the board feature, or one whose messages were indexed after its last action, waited for its event to
        change and showed its citizens' messages nowhere until then. At most MESSAGES_PER_PASS a pass, the oldest
        cases first; the rest on the next passes."""
        if not self.config.policy.deadlines.message_board:  # no message is owed a reply of its own
            return
        now = self.clock.now()
        with self.database.sessions() as session:
            lacking = lacking_messages(session, self.es, self.layout)
        budget = MESSAGES_PER_PASS
        for case_id, indexed in lacking:
            if budget == 0:
                break
            with self.database.transaction() as session:
                added = record_messages(session, self.es, self.layout, session.get_one(Case, case_id), self.config,
                                        now, expected=indexed, limit=budget)
            budget -= len(added)
            if added:
                report.lines.append(self._recorded(case_id, added))
        self._messages_lacking = budget == 0

    def _recorded(self, case_id: int, added: list[BoardMessage]) -> str:
        """The report's line for messages just recorded; the rows come back from the database in UTC."""
        first_due = min(m.due_at for m in added).astimezone(self.config.settings.tz())
        return (f"case {case_id}: {len(added)} board message(s) recorded, each with its reply deadline (the first due "
                f"{first_due:%m-%d %H:%M})")

    # ----------------------------------------------------------------------------- official replies

    def _restore_replies(self, now: datetime) -> None:
        """After a restart, the replies still waiting for their case, from the posts that carry them: a message is
        not fetched again once answered, so a reply held only in memory was lost, and its case, opened later,
        ran overdue and was escalated though the unit had answered. (record_replies skips those already recorded.)"""
        self._replies_restored = True
        query = {"bool": {"filter": [{"exists": {"field": "reply.replied_at"}}, {"exists": {"field": "event_id"}},
                                     {"range": {"ts": {"gte": (now - REPLY_LOOKBACK).isoformat()}}}]}}
        try:
            body = self.es.search(index=self.layout.posts.alias, query=query, size=REPLY_MEMORY,
                                  sort=[{"ts": "desc"}], source_includes=["id", "event_id", "reply"])
        except NotFoundError:
            return  # no posts index yet: nothing was collected
        for hit in reversed(body["hits"]["hits"]):
            src = hit["_source"]
            if src["id"] not in self._replies:
                self._replies[src["id"]] = (src["event_id"], Reply.model_validate(src["reply"]))

    def _note_reply(self, post: Post, event_id: str) -> None:
        if post.reply is not None and official(post.reply):
            self._replies[post.id] = (event_id, post.reply)
            while len(self._replies) > REPLY_MEMORY:
                self._replies.popitem(last=False)

    def next_reply(self) -> datetime | None:
        """When the earliest official reply still in the future is dated, among replies to messages whose event
        has a case (a replay waits for it; a reply with no case to answer does not keep the clock running)."""
        now = self.clock.now()
        future: dict[str, datetime] = {}
        for event_id, reply in self._replies.values():
            if reply.replied_at is not None and reply.replied_at > now:
                future[event_id] = min(reply.replied_at, future.get(event_id, reply.replied_at))
        if not future:
            return None
        with self.database.sessions() as session:
            with_case = set(session.scalars(select(Case.event_id).where(Case.event_id.in_(list(future)))))
        return min((at for event_id, at in future.items() if event_id in with_case), default=None)

    def record_replies(self, report: EvaluationReport) -> None:
        """A message board's official reply is the response to its case, at the reply's own time: the deadlines
        it meets are judged on when the unit answered, not on when the crawler saw the answer. A reply dated after
        now (a replay feeds a message together with its answer of weeks later) waits until the clock gets there:
        until then the case is unanswered, and is reminded and escalated like any other. Every reply also answers its
        own message (alerts/board.py), after the case's first reply too and in a closed case."""
        now = self.clock.now()
        for post_id, (event_id, reply) in list(self._replies.items()):
            assert reply.replied_at is not None
            if reply.replied_at > now:
                continue
            with self.database.transaction() as session:
                case = session.scalars(select(Case).where(Case.event_id == event_id)).one_or_none()
                if case is None:
                    continue  # no case (yet): kept while the event may still open one
                recorded = any(e.action == "responded" and (e.details or {}).get("reply_post") == post_id
                               for e in case.events)
                if not recorded and case.state != CLOSED:
                    # An answer published before the case's round began counts as given when it began, as one entered
                    # by hand does (record_response): the case cannot be answered before it was opened.
                    at = max(reply.replied_at, case.round_began())
                    record_response(session, case.id, f"留言板答复：{reply.replier or '答复单位'}", at, reply.text,
                                    channel=BOARD_SOURCE_TYPE,
                                    details={"reply_post": post_id, "published_at": reply.replied_at.isoformat()})
                    tz = self.config.settings.tz()
                    report.lines.append(f"case {case.id}: official reply of {reply.replied_at.astimezone(tz):%m-%d %H:%M} "
                                        "recorded as its response"
                                        + (f" (counted from {at.astimezone(tz):%m-%d %H:%M}, when the case began)"
                                           if at > reply.replied_at else ""))
                if record_reply(session, self.es, self.layout, case, self.config, now, post_id, reply):
                    report.lines.append(f"case {case.id}: board message {post_id} answered "
                                        f"{reply.replied_at.astimezone(self.config.settings.tz()):%m-%d %H:%M}")
            del self._replies[post_id]

    def _touched_matches(self, rule: RuleSpec, touched: set[str], found: set[str | None],
                         now: datetime) -> list[RuleMatch]:
        """Events changed since the last run that the time-window query may miss (a late post)."""
        return self.engine.graded_among(rule, sorted(touched - {k for k in found if k}), now)

    def _act(self, rule: RuleSpec, match: RuleMatch, report: EvaluationReport) -> None:
        if rule.type == "flatline":
            with self.database.transaction() as session:
                report.notifications += self._source_silent(session, match)
            return
        event: Event | None = None
        for event_id in match.event_ids:
            event = self.engine.load_event(event_id)
            if event is not None:
                break
        if event is None:
            report.without_event.append(match)
            return
        profile = self.engine.event_profile(event.id, self.config.units.rumour.cues)
        elsewhere = self.router.outside(event.region)
        with self.database.transaction() as session:
            if elsewhere and session.scalar(select(Case.id).where(Case.event_id == event.id)) is None:
                # 属地管理: another city's matter is not for these units to answer. It stays on the dashboards,
                # and a press officer can still open a case by hand (`yuqing cases open`).
                if event.id not in self._outside_reported:
                    self._outside_reported.add(event.id)
                    report.lines.append(f"no case for {event.title} ({rule.name}): outside the jurisdiction — "
                                        f"{elsewhere}")
                return
            update = open_or_update_case(session, event, rule, self.config, self.clock, districts=profile.districts,
                                         source_type=profile.source_type,
                                         source=event.sources[0] if event.sources else None,
                                         reason=f"{match.reason}（{rule.description.rstrip('。') or rule.name}）",
                                         router=self.router, rumour_cues=profile.rumour_cues)
            case_id = update.case.id
        report.notifications += len(update.notifications)
        if profile.board_messages:
            with self.database.transaction() as session:
                added = record_messages(session, self.es, self.layout, session.get_one(Case, case_id), self.config,
                                        self.clock.now(), expected=profile.board_messages)
            if added:
                report.lines.append(self._recorded(case_id, added))
        if update.opened:
            report.opened.append(case_id)
            report.lines.append(f"case {case_id} opened by {rule.name}: {event.title} → {update.case.unit_id}")
        elif update.grew:
            report.grew.append(case_id)
            report.lines.append(f"case {case_id} grew ({rule.name}): {[e for e in update.case.events if e.action == 'grew'][-1].reason}")
        report.lines += [f"case {case_id} {change}" for change in update.rerouted]

    def _source_silent(self, session: Session, match: RuleMatch) -> int:
        """A silent source is an operational alert to the press office (the default receiver), not a case."""
        last = match.details.get("last_fetched_at") or match.window_start.isoformat()
        return tell_operations(session, self.config, self.router, title=f"数据源静默: {match.key}",
                               summary=match.reason, rule=match.rule, page="/", source=match.key,
                               key=f"flatline:{match.key}:{last}", at=self.clock.now())

    def alert_search_outage(self, since: datetime) -> int:
        """Elasticsearch has not answered since ``since``: the rules cannot run, so nothing new is caught. An
        operational alert to the press office (the default receiver), once per outage."""
        local = since.astimezone(self.config.settings.tz())
        with self.database.transaction() as session:
            return tell_operations(
                session, self.config, self.router, title="舆情检索服务中断", rule="search_outage", page="/",
                summary=f"Elasticsearch 自 {local:%Y-%m-%d %H:%M} 起无法连接：规则暂停，新的舆情不会被发现；"
                        "案件期限提醒和升级照常进行。请检查 Elasticsearch（yuqing es status）。",
                key=f"search-outage:{since.isoformat()}", at=self.clock.now())

    def tell_search_recovered(self, session: Session, since: datetime) -> int:
        """The all-clear of an outage the press office was told of (alert_search_outage), in the caller's
        transaction (the one that clears the outage), once per outage: its key is the outage's start."""
        now = self.clock.now()
        return tell_operations(
            session, self.config, self.router, title="舆情检索服务已恢复", rule="search_recovered", page="/",
            recovered=True, key=f"search-recovered:{since.isoformat()}", at=now,
            summary=f"Elasticsearch 已恢复连接（{down_for(self.config, since, now)}）：规则已恢复运行；"
                    "中断期间采集并暂存的信息随下一次采集写入检索库，并参与研判。")

    # ----------------------------------------------------------------------------- time passing

    def tick(self) -> TickReport:
        """Reminders, overdue deadlines, escalations and digests due by now."""
        return self.escalator.tick(self.database, self.clock)

    def next_due(self) -> datetime | None:
        with self.database.sessions() as session:
            return self.escalator.next_due(session, self.clock.now())

    def next_digest(self) -> datetime | None:
        with self.database.sessions() as session:
            return self.escalator.next_digest(session, self.clock.now())

    def close(self) -> None:
        self.posts.close()
        self.tracker.flush()

