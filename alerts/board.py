"""A case's citizen messages on government message boards, each with its own reply deadline (皖政办〔2015〕12号).

A case is answered by its first response, but an event can gather many messages — a year of real messages put 56
complaints about one estate's parking in one cluster — and every citizen is owed a reply to his own message by its
own deadline. Each message of a case is kept as a row (``BoardMessage``): when it came, complaint or suggestion and
why, when its reply is due, and when the official reply came. The rows live in the database, so a restart loses none
and a reply collected later still finds its message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.cases import CLOSED
from alerts.deadlines import message_reply_deadline
from yuqing.contract import BOARD_SOURCE_TYPE, Post, Reply
from yuqing.db.models import BoardMessage, Case
from yuqing.db.session import insert_new
from yuqing.es.indices import IndexLayout
from yuqing.settings import Config

# Messages read from Elasticsearch per case and pass. The recorded ones are left out of the query, so a larger cluster
# is recorded over the next passes; 56 was the largest cluster of a year of real messages.
MESSAGES_PER_PASS = 500
# Open cases whose board messages are counted in one search (Elasticsearch takes at most 65,536 terms and buckets).
CASES_PER_COUNT = 10_000
_READ = ["id", "source", "source_type", "published_at", "fetched_at", "title", "text", "deidentified", "reply"]


def official(reply: Reply | None) -> bool:
    """Whether a post carries an official reply that answers it: dated and saying something."""
    return reply is not None and reply.replied_at is not None and bool(reply.text.strip())


def lacking_messages(session: Session, es: Elasticsearch, layout: IndexLayout) -> list[tuple[int, int]]:
    """The open cases whose events have more board messages in Elasticsearch than rows, oldest case first, each with
    how many its event has: a case from before the board feature, or from before its messages were indexed, had them
    recorded only at its next action, and a quiet case never. (A message in two indices after a rollover is counted
    twice: its case is looked at again, and nothing is recorded twice.)"""
    cases: dict[str, int] = {e: c for e, c in session.execute(select(Case.event_id, Case.id).where(Case.state != CLOSED))}
    recorded: dict[int, int] = {c: n for c, n in session.execute(select(BoardMessage.case_id, func.count()).join(Case)
                                                                 .where(Case.state != CLOSED)
                                                                 .group_by(BoardMessage.case_id))}
    events = sorted(cases)
    indexed: dict[str, int] = {}
    for start in range(0, len(events), CASES_PER_COUNT):
        chunk = events[start:start + CASES_PER_COUNT]
        body = es.search(index=layout.posts.alias, size=0,
                         query={"bool": {"filter": [{"term": {"source_type": BOARD_SOURCE_TYPE}},
                                                    {"terms": {"event_id": chunk}}]}},
                         aggs={"events": {"terms": {"field": "event_id", "size": len(chunk)}}})
        indexed.update((b["key"], b["doc_count"]) for b in body["aggregations"]["events"]["buckets"])
    return sorted((cases[event], n) for event, n in indexed.items() if n > recorded.get(cases[event], 0))


def record_messages(session: Session, es: Elasticsearch, layout: IndexLayout, case: Case, config: Config,
                    now: datetime, expected: int | None = None, limit: int = MESSAGES_PER_PASS) -> list[BoardMessage]:
    """Add the rows of the case's board messages not recorded yet (at most ``limit``), each with its reply deadline;
    ``expected``: how many board messages the event has (its profile), so that a case with all of them recorded asks
    nothing more.

    A reply the post already carries is noted when it is dated by now (a replay's reply of weeks later waits for the
    clock, as ``Pipeline.record_replies`` does): a message answered before its row existed still counts as answered.
    """
    if not config.policy.deadlines.message_board:  # policy.yaml sets none: no message is owed a reply of its own
        return []
    known = set(session.scalars(select(BoardMessage.post_id).where(BoardMessage.case_id == case.id)))
    if expected is not None and len(known) >= expected:
        return []
    query = {"bool": {"filter": [{"term": {"event_id": case.event_id}}, {"term": {"source_type": BOARD_SOURCE_TYPE}}],
                      "must_not": [{"terms": {"id": sorted(known)}}]}}
    body = es.search(index=layout.posts.alias, query=query, size=min(limit, MESSAGES_PER_PASS),
                     sort=[{"ts": "asc"}, {"id": "asc"}], source_includes=_READ)
    tz = config.settings.tz()
    rows: list[dict[str, Any]] = []
    for hit in body["hits"]["hits"]:
        post = Post.model_validate(hit["_source"])
        received = post.timestamp()
        due = message_reply_deadline(policy=config.policy, tz=tz, text=post.title or post.text, received_at=received)
        assert due is not None  # (policy.yaml sets message-board deadlines: checked above)
        reply = post.reply if official(post.reply) and post.reply and (post.reply.replied_at or now) <= now else None
        rows.append({"case_id": case.id, "post_id": post.id, "title": (post.title or "") if post.deidentified else "",
                     "received_at": received, "kind": due.kind, "due_at": due.due_at, "basis": due.basis,
                     "replied_at": reply.replied_at if reply else None,
                     "replied_precision": reply.replied_precision if reply else None,
                     "replier": reply.replier if reply else None})
    # Another process may record the same message meanwhile (`yuqing run` and a command), and a message indexed again
    # after a rollover is in two indices: the row already there stays, and the transaction goes on.
    added = insert_new(session, BoardMessage, rows, key=["case_id", "post_id"])
    if added:
        session.expire(case, ["board_messages"])  # (read again with the rows just inserted)
    return added


def record_reply(session: Session, es: Elasticsearch, layout: IndexLayout, case: Case, config: Config,
                 now: datetime, post_id: str, reply: Reply) -> bool:
    """Note an official reply on its message's row — whatever became of the case (answered by another message's
    reply, or closed): each message is judged by its own reply. A message not recorded yet is recorded first; the
    first reply noted stays. Returns whether the reply was new to the row."""
    row = _row(session, case.id, post_id)
    if row is None:
        fresh = {r.post_id: r for r in record_messages(session, es, layout, case, config, now)}
        row = fresh.get(post_id) or _row(session, case.id, post_id)  # (or recorded by another process meanwhile)
        if row is None:
            return False  # not among the event's messages in Elasticsearch
        if post_id in fresh and row.replied_at is not None:
            return True  # recorded now, with the reply its post carries
    if row.replied_at is not None:
        return False
    row.replied_at, row.replied_precision, row.replier = reply.replied_at, reply.replied_precision, reply.replier
    return True


def _row(session: Session, case_id: int, post_id: str) -> BoardMessage | None:
    return session.scalars(select(BoardMessage).where(BoardMessage.case_id == case_id,
                                                      BoardMessage.post_id == post_id)).one_or_none()
