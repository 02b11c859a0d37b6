"""The Slack interactivity endpoint: the buttons on an alert acknowledge a case or record a response.

Slack signs every request (v0: HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the app's signing
secret). A request with a wrong signature, a timestamp more than five minutes off, or a signature already
seen (a captured request sent again) is answered 401 and written to the audit trail (a ``CaseEvent``
without a case, action ``slack_request_rejected``), so forged traffic is visible to admins — cheaply: the first
rejection from an address in a minute is written at once, the others from it are counted in memory and written as one
summary row when the minute is over, on a timer (``RejectionTally``), so a flood of forged requests costs a few writes a minute
and does not hold the database's write lock from the real presses. Valid clicks
call ``alerts.cases.acknowledge`` / ``record_response`` and are answered at once — Slack waits 3 s and then
shows the user an error, inviting a second submission — and the original message is updated afterwards;
"record response" opens a modal that collects the text.
Only the case's responsible unit acts on it: a click or a form from a conversation in which that unit was not sent this
case (a joint unit's channel, a leader's DM, an old message with buttons) is refused ephemerally — the Slack
channel id of each delivered message is kept with its outbox row (``external_id`` = ``channel/ts``), so the check
needs no Slack call and follows a hand-over (转办) at once. Who may press is decided by config/units.yaml
(alerts/slack_people.py): when the unit lists leaders or staff with Slack member IDs, only they, the leaders above and
the default receiver's people (总值班); when it lists nobody, anyone in its conversation. A joint unit's copy carries
知悉 (noted) instead: a timeline entry once per unit, no sign-off, by that unit's own people. A press about a case that does not exist is refused at once.
The server binds 127.0.0.1: put a TLS reverse proxy in front of it for Slack to reach it. The address a rejection
names is the client's as uvicorn gives it: behind a proxy on the same host, the one the proxy puts in
X-Forwarded-For (uvicorn trusts that header from 127.0.0.1 and ::1 only, its default).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import click
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from alerts import cases
from alerts.deadlines import REPORT_CHANNEL, RESPONSE_CHANNELS
from alerts.messages import (
    ACK_ACTION,
    JOINT_ROLE,
    NOTED_ACTION,
    RESPOND_ACTION,
    RESPONSE_CHANNEL_ACTION,
    RESPONSE_CHANNEL_BLOCK,
    RESPONSE_INPUT_ACTION,
    RESPONSE_INPUT_BLOCK,
    RESPONSE_MODAL,
    RESPONSE_TIME_ACTION,
    RESPONSE_TIME_BLOCK,
    RESPONSIBLE_ROLE,
    slack_escape,
    slack_response_modal,
    slack_text,
    slack_unescape,
    slack_updated_blocks,
)
from alerts.notifiers.slack import update_posted_message
from alerts.slack_people import SlackPeople
from analysis.deidentify import deidentify
from yuqing import paths
from yuqing.clock import Clock, SystemClock
from yuqing.db.models import Case, CaseEvent, Notification, UnitRow, User
from yuqing.db.session import Database, DatabaseMoved
from yuqing.settings import UnitsFile

log = logging.getLogger(__name__)

ACTIONS_PATH = "/slack/actions"
MAX_AGE_S = 300
RESUBMIT_WINDOW = timedelta(minutes=10)
MAX_BODY_BYTES = 1 << 20
REJECTED = "slack_request_rejected"
REJECTION_INTERVAL = timedelta(minutes=1)
# Addresses counted apart in one interval; beyond them, one tally for all the others (a bound on memory and rows).
MAX_REJECTING_ADDRESSES = 256
OTHER_ADDRESSES = "other addresses"
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_TIMESTAMP = re.compile(r"[0-9]{1,11}")


class SeenSignatures:
    """Signatures of the requests accepted in the last ``MAX_AGE_S`` seconds: a captured request sent again
    within its five minutes carries the same signature and is refused (older ones fail the age check)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def first_time(self, signature: str, now: float) -> bool:
        if len(self._until) > 10_000 or any(t < now for t in list(self._until.values())[:16]):
            self._until = {k: t for k, t in self._until.items() if t >= now}
        if signature in self._until:
            return False
        self._until[signature] = now + 2 * MAX_AGE_S
        return True


def verify_request(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> str | None:
    """None when Slack signed this request recently; otherwise why it is rejected (for the audit trail)."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        return "missing X-Slack-Request-Timestamp or X-Slack-Signature header"
    if not _TIMESTAMP.fullmatch(timestamp.strip()):
        return f"malformed timestamp {timestamp[:40]!r}"
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > MAX_AGE_S:
        return f"stale timestamp: {age:.0f} s from now (limit {MAX_AGE_S} s); a replayed or delayed request"
    if not SignatureVerifier(secret).is_valid(body, timestamp, signature):
        return "signature does not match the signing secret"
    return None


@dataclass
class _Rejections:
    """The rejections from one address after the first of an interval (which is written at once)."""

    first: datetime
    last: datetime
    count: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def entry(self, remote: str) -> CaseEvent:
        """The summary row: how many, between when, why."""
        why = "; ".join(f"{n} × {reason}" for reason, n in self.reasons.most_common())
        return CaseEvent(case_id=None, at=self.last, actor=f"slack-endpoint ({remote})"[:200], action=REJECTED,
                         reason=f"{self.count} more rejected request(s) from {remote} between "
                                f"{self.first.isoformat(timespec='seconds')} and "
                                f"{self.last.isoformat(timespec='seconds')}: {why}"[:2000],
                         details={"remote": remote, "count": self.count, "first": self.first.isoformat(),
                                  "last": self.last.isoformat(), "reasons": dict(self.reasons)})


class RejectionTally:
    """Rejected requests per address and interval, in memory: ``note`` says whether this one is the address's first
    in the interval (to be written and logged) and hands back the summaries of an interval that is over."""

    def __init__(self, interval: timedelta = REJECTION_INTERVAL) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._began: datetime | None = None
        self._seen: dict[str, _Rejections | None] = {}  # None: only the first, already written

    def note(self, remote: str, reason: str, now: datetime) -> tuple[str | None, list[CaseEvent]]:
        """(the address to write this rejection under when it is its first in the interval, else None; the summary
        rows of the interval just over)."""
        with self._lock:
            over = self._drained() if self._began is not None and now >= self._began + self.interval else []
            if self._began is None:
                self._began = now
            if remote not in self._seen and len(self._seen) >= MAX_REJECTING_ADDRESSES:
                remote = OTHER_ADDRESSES
            if remote not in self._seen:
                self._seen[remote] = None
                return remote, over
            tally = self._seen[remote] or _Rejections(now, now)
            tally.count += 1
            tally.last = now
            tally.reasons[reason] += 1
            self._seen[remote] = tally
            return None, over

    def due(self, now: datetime) -> list[CaseEvent]:
        """The summaries of an interval that is over, with no rejection since to hand them back (the flood stopped)."""
        with self._lock:
            return self._drained() if self._began is not None and now >= self._began + self.interval else []

    def drain(self) -> list[CaseEvent]:
        """The summaries counted so far (at shutdown)."""
        with self._lock:
            return self._drained()

    def _drained(self) -> list[CaseEvent]:
        rows = [tally.entry(remote) for remote, tally in self._seen.items() if tally is not None]
        self._seen, self._began = {}, None
        return rows


class SlackActions:
    """What a verified interaction does; separated from HTTP so the logic reads on its own."""

    def __init__(self, database: Database, client: WebClient | None, clock: Clock, people: SlackPeople):
        self.database = database
        self.client = client
        self.clock = clock
        self.people = people
        self.rejections = RejectionTally()

    def reject(self, reason: str, *, remote: str, path: str, headers: dict[str, str], body_bytes: int) -> None:
        """Audit a rejection: who tried, when, and why it failed — the first from an address in an interval as its
        own row, the rest counted (``RejectionTally``). No database write for most of a flood."""
        now = self.clock.now()
        first, over = self.rejections.note(remote, reason, now)
        rows = list(over)
        if first is not None:
            log.warning("rejected Slack request from %s: %s (more from it in the next %s are counted, not logged)",
                        remote, reason, self.rejections.interval)
            details = {"remote": remote, "path": path, "body_bytes": body_bytes,
                       "timestamp": headers.get("x-slack-request-timestamp", "")[:40],
                       "user_agent": headers.get("user-agent", "")[:200]}
            rows.append(CaseEvent(case_id=None, at=now, actor=f"slack-endpoint ({first})"[:200],
                                  action=REJECTED, reason=reason, details=details))
        self._write_rejections(rows)

    def flush_rejections(self) -> None:
        """Write the rejections counted but not yet written (the endpoint is stopping)."""
        self._write_rejections(self.rejections.drain())

    def flush_due_rejections(self) -> None:
        """Write the summaries of an interval that is over (a timer calls this: a flood that stops leaves its count in
        memory no longer than an interval)."""
        self._write_rejections(self.rejections.due(self.clock.now()))

    def _write_rejections(self, rows: list[CaseEvent]) -> None:
        if not rows:
            return
        for row in rows:
            if row.details and "count" in row.details:
                log.warning("%s", row.reason)
        with self.database.transaction() as session:
            session.add_all(rows)

    def handle(self, payload: dict[str, Any]) -> Response:
        kind = payload.get("type")
        if kind == "block_actions":
            return self._block_actions(payload)
        if kind == "view_submission" and (payload.get("view") or {}).get("callback_id") == RESPONSE_MODAL:
            return self._response_submitted(payload)
        return Response(status_code=200)

    # --------------------------------------------------------------------- buttons

    def _block_actions(self, payload: dict[str, Any]) -> Response:
        actions = payload.get("actions") or []
        action = actions[0] if actions else {}
        action_id = str(action.get("action_id") or "")
        if action_id not in (ACK_ACTION, RESPOND_ACTION, NOTED_ACTION):
            return Response(status_code=200)  # link buttons (OPEN_ACTION…) also report clicks; nothing to do
        user_id = _user_id(payload)
        container = payload.get("container") or {}
        channel_id = str(container.get("channel_id") or (payload.get("channel") or {}).get("id") or "")
        message = payload.get("message") or {}
        message_ts = str(container.get("message_ts") or message.get("ts") or "")
        case_id = _case_id(action.get("value"))
        if case_id is None:
            return _then(self._tell, channel_id, user_id, "这个按钮没有带案件编号，无法处理。")
        if action_id == NOTED_ACTION:
            return self._noted(case_id, channel_id, user_id, message, message_ts)
        what = "签收" if action_id == ACK_ACTION else "登记回应"
        refusal = self._refusal(case_id, channel_id, user_id, what)
        if refusal:
            return _then(self._tell, channel_id, user_id, refusal)
        if action_id == RESPOND_ACTION:
            trigger = payload.get("trigger_id")
            title = slack_unescape(str(message.get("text") or "")) or f"案件 #{case_id}"
            view = slack_response_modal(case_id, channel_id, message_ts, title)
            return _then(self._slack, "views_open", trigger_id=trigger, view=view)
        actor = self._actor(user_id)
        now = self.clock.now()
        try:
            with self.database.transaction() as session:
                case = cases.acknowledge(session, case_id, actor, now, reason="")
                if case.acknowledged_at != now:
                    # A second click (the clicker's Slack still showed the button) changes nothing: say so to
                    # the clicker alone, and leave the message as it is.
                    # Who acknowledged this round (a reopened case is acknowledged afresh); a response recorded
                    # without a click acknowledged it implicitly.
                    earlier = _latest(session, case_id, ("acknowledged",), _round_start(case))
                    said = (f"案件 #{case_id} 已由 {earlier.actor} 于 {earlier.at.astimezone(now.tzinfo):%m-%d %H:%M} "
                            "签收，无需重复签收。" if earlier is not None
                            else f"案件 #{case_id} 已签收（登记回应时自动签收），无需重复签收。")
                    return _then(self._tell, channel_id, user_id, said)
        except cases.CaseError as exc:
            return _then(self._tell, channel_id, user_id, f"未能签收：{exc.chinese}")
        note = f"✅ {_mention(user_id)} 于 {now:%m-%d %H:%M} 签收案件 #{case_id}"
        blocks = slack_updated_blocks(message.get("blocks") or [], note, drop_actions={ACK_ACTION})
        return _then(self._slack, "chat_update", channel=channel_id, ts=message_ts, text=message.get("text") or note,
                     blocks=blocks)

    # --------------------------------------------------------------------- the response modal

    def _response_submitted(self, payload: dict[str, Any]) -> Response:
        view = payload.get("view") or {}
        try:
            origin = json.loads(view.get("private_metadata") or "{}")
            case_id = int(origin["case_id"])
        except (ValueError, KeyError, TypeError):
            return _modal_error("表单缺少案件编号，请从告警消息重新打开。")
        state = (view.get("state") or {}).get("values") or {}
        values = state.get(RESPONSE_INPUT_BLOCK) or {}
        text = str((values.get(RESPONSE_INPUT_ACTION) or {}).get("value") or "").strip()
        if not text:
            return _modal_error("请填写回应内容（要点：问题成因、解决方案、制约因素）。")
        user_id = _user_id(payload)
        refusal = self._refusal(case_id, str(origin.get("channel") or ""), user_id, "登记回应")
        if refusal:
            return _modal_error(refusal)
        chosen = ((state.get(RESPONSE_CHANNEL_BLOCK) or {}).get(RESPONSE_CHANNEL_ACTION) or {}).get("selected_option")
        # A modal opened before the channel choice existed has none: an authoritative release, as the CLI assumes.
        channel = str((chosen or {}).get("value") or "release")
        if channel not in RESPONSE_CHANNELS:
            return _modal_error("请选择回应的发布渠道。", RESPONSE_CHANNEL_BLOCK)
        picked = ((state.get(RESPONSE_TIME_BLOCK) or {}).get(RESPONSE_TIME_ACTION) or {}).get("selected_date_time")
        # Names and numbers in the response are masked before anything is stored or posted (domain.md §6).
        masked = deidentify(text).text
        actor = self._actor(user_id)
        now = self.clock.now()
        published = (datetime.fromtimestamp(picked, now.tzinfo) if isinstance(picked, int | float)
                     and not isinstance(picked, bool) and 0 < picked < 2**33 else now)
        try:
            with self.database.transaction() as session:
                # The same form submitted again (Slack showed an error after 3 s and the user pressed again):
                # the same person, the same text, this round, minutes ago — recorded once. After a reopening,
                # or later, the same words are a new response.
                case = session.get(Case, case_id)
                since = max(now - RESUBMIT_WINDOW, _round_start(case)) if case is not None else now
                # (the entry's time is when the answer was published, which may lie hours back: see _recorded_at)
                last = _latest(session, case_id, ("responded", "reported_upward"))
                if (last is not None and last.actor == actor and last.reason == masked
                        and (last.details or {}).get("channel") == channel and _recorded_at(last) >= since):
                    return Response(status_code=200)
                cases.record_response(session, case_id, actor, published, masked, channel=channel,
                                      recorded_at=now if published != now else None)
        except cases.CaseError as exc:
            block = RESPONSE_TIME_BLOCK if published != now else RESPONSE_INPUT_BLOCK
            return _modal_error(exc.chinese, block)
        return _then(self._mark_responded, origin, case_id, user_id, masked, now, channel)

    def _mark_responded(self, origin: dict[str, Any], case_id: int, user_id: str, text: str, now: Any,
                        channel_used: str = "release") -> None:
        """Fetch the alert the modal came from and show on it that the case was answered (or reported upward: then
        the 回应 button stays, the public response is still owed)."""
        channel, ts = str(origin.get("channel") or ""), str(origin.get("ts") or "")
        upward = channel_used == REPORT_CHANNEL
        what = "向上报告" if upward else "回应"
        note = f"📝 {_mention(user_id)} 于 {now:%m-%d %H:%M} 登记了案件 #{case_id} 的{what}：{slack_text(text, 300)}"
        dropped = {ACK_ACTION} if upward else {ACK_ACTION, RESPOND_ACTION}
        if not update_posted_message(self._slack, channel, ts, note, drop_actions=dropped):
            log.info("case %s: the message the response form came from (%s/%s) is gone; nothing to update",
                     case_id, channel, ts)

    # --------------------------------------------------------------------- helpers

    def _refusal(self, case_id: int, channel_id: str, user_id: str, what: str) -> str | None:
        """None when this Slack user may ``what`` (签收, 登记回应) the case here: the case exists, its alert for the
        responsible unit was delivered in this conversation, and the user is one of the unit's people (when it lists
        any; see alerts/slack_people.py). Otherwise the refusal to show."""
        with self.database.transaction() as session:
            case = session.get(Case, case_id)
            if case is None:
                return _no_such_case(case_id, what)
            if case.unit_id is None:
                return (f"案件 #{case_id} 尚未分派承办单位，不能在 Slack {what}；请先用 "
                        f"{paths.command_here(f'cases reassign {case_id} --unit 单位')} 分派。")
            unit_id = case.unit_id
            name = _unit_name(session, unit_id)
            own = _copies(session, case_id, unit_id, RESPONSIBLE_ROLE)
            closed = case.state == cases.CLOSED
            handed = self._handed_away(session, case_id, unit_id, channel_id) if channel_id else None
        if handed is not None:
            return handed
        if not (channel_id and any(_channel_of(n) == channel_id for n in own)):
            where = "、".join(sorted({n.recipient for n in own})) or "其 Slack 频道"
            return (f"不能在这里{what}案件 #{case_id}：本案的承办单位是 {name}，这个会话收到的告警只供知悉"
                    f"（联动单位、领导）。请由 {name} 在 {where} 中{what}，或在看板打开案件办理。")
        if closed:
            # Said at the press: the 登记回应 form opened, and only its submit said the case was closed.
            return f"案件 #{case_id} 已关闭，需先重新打开才能{what}。" + self.people.reopening(unit_id, case_id)
        return self.people.refusal(unit_id, name, user_id, what, case_id)

    def _handed_away(self, session: Session, case_id: int, unit_id: str, channel_id: str) -> str | None:
        """When this conversation held the case for a unit it was handed away from (转办) and not for the unit that
        holds it now: the refusal naming the 转办 — to whom, when, by whom, why. It said "只供知悉（联动单位、领导）"."""
        held = _copies(session, case_id, None, RESPONSIBLE_ROLE)
        here = {str((n.payload or {}).get("recipient_unit") or "") for n in held if _channel_of(n) == channel_id}
        if not here or unit_id in here:
            return None
        handovers = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                            CaseEvent.action == "reassigned")
                                    .order_by(CaseEvent.id.desc()))
        handover = next((e for e in handovers if (e.details or {}).get("from") in here), None)
        if handover is None:
            return None
        former = _unit_name(session, str((handover.details or {}).get("from")))
        now = self.clock.now()
        where = "、".join(sorted({n.recipient for n in held if (n.payload or {}).get("recipient_unit") == unit_id}))
        return (f"案件 #{case_id} 已于 {handover.at.astimezone(now.tzinfo):%Y-%m-%d %H:%M} 由 {cases.actor_name(handover.actor)} 从{former}"
                f"转办至 {_unit_name(session, unit_id)}（原因：{handover.reason}），{former}无需再签收或登记回应。"
                f"本案现由 {_unit_name(session, unit_id)} 办理" + (f"（{where}）" if where else "") + "。")

    def _noted(self, case_id: int, channel_id: str, user_id: str, message: dict[str, Any], message_ts: str
               ) -> Response:
        """知悉 on a joint unit's copy: recorded once per unit, from that unit's conversation, by its own people. In a
        conversation two joint units share, the presser's unit (units.yaml) says which of them saw the case."""
        with self.database.transaction() as session:
            case = session.get(Case, case_id)
            if case is None:
                return _then(self._tell, channel_id, user_id, _no_such_case(case_id, "知悉"))
            here = sorted({str((n.payload or {}).get("recipient_unit") or "")
                           for n in _copies(session, case_id, None, JOINT_ROLE)
                           if channel_id and _channel_of(n) == channel_id} - {""})
            person = self.people.person(user_id)
            unit_id = here[0] if len(here) == 1 else person.unit_id if person and person.unit_id in here else ""
            names = {u: _unit_name(session, u) for u in here}
        if not here:
            return _then(self._tell, channel_id, user_id,
                         f"不能在这里知悉案件 #{case_id}：这个会话不是本案联动单位收到告警的会话。联动单位请在本单位频道的"
                         "告警上按“知悉”；承办单位请按“签收”。")
        if not unit_id:
            return _then(self._tell, channel_id, user_id,
                         f"不能确定您代表哪个单位知悉案件 #{case_id}：这个会话收到了 {'、'.join(names.values())} 的告警。"
                         f"请管理员把您的 Slack 成员 ID（{user_id or '未知'}）加入 config/units.yaml 中您所在单位的 "
                         "leaders 或 staff，或为各单位设置各自的 Slack 频道。")
        name = names[unit_id]
        refusal = self.people.noting_refusal(unit_id, name, user_id, case_id)
        if refusal:
            return _then(self._tell, channel_id, user_id, refusal)
        now = self.clock.now()
        try:
            with self.database.transaction() as session:
                entry, new = cases.note_informed(session, case_id, unit_id, self._actor(user_id), now)
                said = (f"案件 #{case_id} 已由 {entry.actor} 于 {entry.at.astimezone(now.tzinfo):%m-%d %H:%M} 代表 {name} "
                        "知悉，无需重复。")
        except cases.CaseError as exc:
            return _then(self._tell, channel_id, user_id, f"未能知悉：{exc.chinese}")
        if not new:
            return _then(self._tell, channel_id, user_id, said)
        note = f"👁 {_mention(user_id)} 于 {now:%m-%d %H:%M} 代表 {slack_escape(name)} 知悉案件 #{case_id}"
        blocks = slack_updated_blocks(message.get("blocks") or [], note, drop_actions={NOTED_ACTION})
        return _then(self._slack, "chat_update", channel=channel_id, ts=message_ts, text=message.get("text") or note,
                     blocks=blocks)

    def _actor(self, user_id: str) -> str:
        """How the timeline names this Slack user: "name（unit）" from units.yaml; else the yuqing user linked to it
        (users.slack_user); else ``slack:<id>``."""
        if not user_id:
            return "slack:unknown"
        person = self.people.person(user_id)
        if person is not None:
            return person.label
        with self.database.transaction() as session:
            username = session.scalar(select(User.username).where(User.slack_user == user_id))
        return username or f"slack:{user_id}"

    def _tell(self, channel_id: str, user_id: str, text: str) -> None:
        if channel_id and user_id:
            self._slack("chat_postEphemeral", channel=channel_id, user=user_id, text=slack_escape(text))

    def _slack(self, method: str, **kwargs: Any) -> Any:
        """Call Slack; the case change is already committed, so a failure here is logged, not raised."""
        if self.client is None:
            log.warning("no Slack bot token: cannot %s (the case change itself is saved)", method)
            return None
        try:
            return getattr(self.client, method)(**kwargs)
        except (SlackApiError, OSError) as exc:
            log.warning("Slack %s failed: %s (the case change itself is saved)", method, exc)
            return None


def _copies(session: Session, case_id: int, unit_id: str | None, role: str) -> list[Notification]:
    """The case's delivered Slack messages to ``unit_id`` (any unit when None) in ``role``."""
    sent = session.scalars(select(Notification).where(
        Notification.case_id == case_id, Notification.channel == "slack", Notification.external_id.is_not(None)))
    return [n for n in sent if (n.payload or {}).get("recipient_role") == role
            and (unit_id is None or (n.payload or {}).get("recipient_unit") == unit_id)]


def _channel_of(notification: Notification) -> str:
    """The Slack conversation a delivered message is in (``external_id`` is ``channel/ts``)."""
    return (notification.external_id or "").split("/")[0]


def _unit_name(session: Session, unit_id: str) -> str:
    unit = session.get(UnitRow, unit_id) if unit_id else None
    return unit.name if unit is not None else unit_id


def _no_such_case(case_id: int, what: str) -> str:
    return (f"没有编号为 {case_id} 的案件，无法{what}：它可能已被删除，或这条消息来自另一套系统。"
            "请在看板查找案件。")


def _round_start(case: Case) -> datetime:
    """When the case's current round began: its latest notification (a reopened case starts afresh)."""
    return case.notified_at or case.opened_at


def _recorded_at(entry: CaseEvent) -> datetime:
    """When an answer was entered: its publication time unless it was entered later (details' recorded_at)."""
    stated = (entry.details or {}).get("recorded_at")
    try:
        return datetime.fromisoformat(stated) if isinstance(stated, str) else entry.at
    except ValueError:
        return entry.at


def _latest(session: Session, case_id: int, actions: tuple[str, ...],
            since: datetime | None = None) -> CaseEvent | None:
    """The case's latest entry of one of ``actions`` (at ``since`` or after, when given)."""
    query = select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action.in_(actions))
    if since is not None:
        query = query.where(CaseEvent.at >= since)
    return session.scalars(query.order_by(CaseEvent.id.desc()).limit(1)).first()


def _user_id(payload: dict[str, Any]) -> str:
    user_id = str((payload.get("user") or {}).get("id") or "")
    return user_id if _SLACK_ID.match(user_id) else ""


def _mention(user_id: str) -> str:
    return f"<@{user_id}>" if user_id else "某用户"


def _case_id(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _then(call: Any, *args: Any, **kwargs: Any) -> Response:
    """Answer Slack now (it gives up after 3 s) and make the Slack call that shows the outcome afterwards."""
    return Response(status_code=200, background=BackgroundTask(call, *args, **kwargs))


def _modal_error(message: str, block: str = RESPONSE_INPUT_BLOCK) -> JSONResponse:
    return JSONResponse({"response_action": "errors", "errors": {block: message[:150]}})


def create_app(database: Database, signing_secret: str, *, client: WebClient | None = None,
               clock: Clock | None = None, units: UnitsFile | None = None) -> Starlette:
    """The ASGI app: ``POST /slack/actions`` (Slack's Request URL for interactivity) and ``GET /healthz``. ``units``
    (config/units.yaml) names who pressed and says who may; without it, the conversation alone decides."""
    if not signing_secret:
        raise ValueError("the Slack signing secret is empty; set the variable named by "
                         "notifications.slack.signing_secret_env")
    actions = SlackActions(database, client, clock or SystemClock(), SlackPeople(units))
    seen = SeenSignatures()

    async def interact(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return PlainTextResponse("request too large", status_code=413)
        received = bytearray()
        try:
            async for chunk in request.stream():  # never more than the limit in memory, whatever is declared
                received += chunk
                if len(received) > MAX_BODY_BYTES:
                    return PlainTextResponse("request too large", status_code=413)
        except ClientDisconnect:
            return PlainTextResponse("client went away", status_code=400)
        body = bytes(received)
        headers = {k.lower(): v for k, v in request.headers.items()}
        problem = verify_request(signing_secret, headers, body)
        if problem is None and not seen.first_time(headers["x-slack-signature"], time.time()):
            problem = "signature already used: the same signed request sent again (a replay)"
        if problem:
            remote = request.client.host if request.client else "unknown"
            await run_in_threadpool(actions.reject, problem, remote=remote, path=request.url.path,
                                    headers=headers, body_bytes=len(body))
            return PlainTextResponse("invalid Slack request signature", status_code=401)
        try:
            payload = json.loads(parse_qs(body.decode("utf-8"))["payload"][0])
        except (KeyError, IndexError, ValueError, UnicodeDecodeError):
            return PlainTextResponse("expected a form field `payload` holding Slack's JSON", status_code=400)
        if not isinstance(payload, dict):
            return PlainTextResponse("the payload is not a JSON object", status_code=400)
        try:
            return await run_in_threadpool(actions.handle, payload)
        except DatabaseMoved as exc:  # an endpoint left running after `yuqing db copy`: refused, not lost
            log.error("a Slack action was not recorded: %s", exc)
            return PlainTextResponse(f"not recorded: {exc}", status_code=503)

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def write_counted_rejections() -> None:
        while True:
            await asyncio.sleep(actions.rejections.interval.total_seconds())
            try:
                await run_in_threadpool(actions.flush_due_rejections)
            except Exception:  # the database away for a moment: the timer goes on; the counts are in the log above
                log.exception("could not write the counted Slack rejections to the audit trail (logged above)")

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        timer = asyncio.create_task(write_counted_rejections())
        try:
            yield
        finally:
            timer.cancel()
            await run_in_threadpool(actions.flush_rejections)

    return Starlette(routes=[Route(ACTIONS_PATH, interact, methods=["POST"]), Route("/healthz", healthz)],
                     lifespan=lifespan)


@click.command("slack-endpoint")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (keep it local; "
              "expose it through a TLS reverse proxy).")
@click.option("--port", default=8601, show_default=True, type=click.IntRange(1, 65535))
def slack_endpoint_command(host: str, port: int) -> None:
    """Serve Slack's interactivity requests (buttons on alerts) at POST /slack/actions."""
    import uvicorn

    from yuqing.cli import load_or_exit
    from yuqing.db.session import DatabaseUnavailable
    from yuqing.sandbox_clock import clock_for

    cfg = load_or_exit()
    slack = cfg.settings.notifications.slack
    secret = os.environ.get(slack.signing_secret_env)
    if not secret:
        raise click.ClickException(f"environment variable {slack.signing_secret_env} is not set; it must hold the "
                                   "Slack app's signing secret (notifications.slack.signing_secret_env)")
    token = os.environ.get(slack.token_env)
    client = None
    if token:
        base_url = slack.base_url or WebClient.BASE_URL
        client = WebClient(token=token, base_url=base_url if base_url.endswith("/") else base_url + "/")
    else:
        click.echo(f"warning: {slack.token_env} is not set; clicks are recorded but messages are not updated",
                   err=True)
    database = Database(cfg.settings.database.effective_url())
    try:
        database.check_schema()
    except DatabaseUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    # In a sandbox, a click is timed by the sandbox's clock, as its dashboards and commands are (read at start).
    app = create_app(database, secret, client=client, clock=clock_for(cfg.settings.tz(), database), units=cfg.units)
    click.echo(f"Slack interactivity endpoint on http://{host}:{port}{ACTIONS_PATH}")
    uvicorn.run(app, host=host, port=port, log_level="info")
