"""A local Slack Web API emulator: the methods yuqing uses, with Slack's response shapes and programmable outages.

Point slack-sdk at it with ``WebClient(token, base_url=emulator.api_url)``. It keeps channels and
messages (``posts`` in arrival order, ``messages_by_key()`` counts them per idempotency key from the
message metadata), answers ``auth.test``, ``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``,
``conversations.list/open/history`` and ``views.open``, and can play Slack's side of interactivity:
``click()`` and ``submit_view()`` POST signed requests to an app's endpoint.

Outages: ``fail(500, …)`` and ``rate_limit(retry_after, …)`` for N calls or until a time of the
injected clock (so a "five-minute" outage runs in simulated time), optionally after the message was
stored (``after_effect``), the case where the sender cannot know that its post arrived.

No PyPI package offers this offline (the maintained emulators are Node tools), hence this module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.net import Fault, FaultPlan, JsonHandler, LocalHttpServer, real_now

TEAM_ID = "T0YUQING01"
BOT_USER = "U0YUQINGBOT"
BOT_ID = "B0YUQINGBOT"
APP_ID = "A0YUQINGAPP"
DEFAULT_TOKEN = "xoxb-yuqing-test-token"
_TRUE = {"1", "true", "True", True}


def slack_signature(secret: str, timestamp: str | int, body: bytes | str) -> str:
    """Slack's v0 request signature: HMAC-SHA256 over ``v0:{timestamp}:{body}``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + raw, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def signed_headers(secret: str, body: bytes | str, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": slack_signature(secret, ts, body),
            "Content-Type": "application/x-www-form-urlencoded"}


class SlackApiError(Exception):
    """An ok=false answer (HTTP 200, like Slack)."""

    def __init__(self, error: str, **extra: Any):
        super().__init__(error)
        self.error = error
        self.extra = extra


class SlackEmulator(LocalHttpServer):
    def __init__(self, *, clock: Callable[[], datetime] | Any = None, tokens: set[str] | None = None,
                 channels: list[str] | None = None, auto_create_channels: bool = True):
        super().__init__(_Handler)
        self._now: Callable[[], datetime] = (clock.now if hasattr(clock, "now") else clock) or real_now
        self.tokens = tokens if tokens is not None else {DEFAULT_TOKEN}
        self.auto_create_channels = auto_create_channels
        self.faults = FaultPlan(self._now)
        self.lock = threading.RLock()
        self.called = threading.Condition(self.lock)  # notified after every Web API call
        self.channels: dict[str, dict[str, Any]] = {}          # id → channel
        self.history: dict[str, list[dict[str, Any]]] = {}     # channel id → messages, oldest first
        self.posts: list[dict[str, Any]] = []                  # every accepted chat.postMessage, with channel
        self.updates: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []              # POSTs to response_url
        self.calls: list[tuple[str, int, datetime]] = []       # (method, HTTP status, clock time) of every request
        self._triggers: set[str] = set()
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        for name in channels or []:
            self.create_channel(name)

    # --------------------------------------------------------------------- set-up and inspection

    @property
    def api_url(self) -> str:
        """The ``base_url`` for slack-sdk's WebClient."""
        return f"{self.base_url}/api/"

    def create_channel(self, name: str) -> str:
        name = name.lstrip("#")
        with self.lock:
            for channel_id, channel in self.channels.items():
                if channel["name"] == name:
                    return channel_id
            channel_id = f"C{next(self._ids):08d}"
            self.channels[channel_id] = {"id": channel_id, "name": name, "is_channel": True, "is_private": False,
                                         "is_archived": False, "is_member": True, "created": int(self._now().timestamp())}
            self.history[channel_id] = []
            return channel_id

    def channel_id(self, name: str) -> str:
        with self.lock:
            for channel_id, channel in self.channels.items():
                if channel["name"] == name.lstrip("#"):
                    return channel_id
        raise KeyError(f"no channel {name} in the emulator")

    def fail(self, status: int = 500, *, calls: int | None = None, until: datetime | None = None,
             methods: tuple[str, ...] | None = ("chat.postMessage",), after_effect: bool = False) -> Fault:
        """Answer ``status`` (an HTML-ish body like Slack's front end) for N calls and/or until a time."""
        return self.faults.add(Fault(status=status, body=b"<html><body>upstream error</body></html>",
                                     content_type="text/html", calls=calls, until=until, targets=methods,
                                     after_effect=after_effect))

    def rate_limit(self, retry_after: int = 30, *, calls: int | None = None, until: datetime | None = None,
                   methods: tuple[str, ...] | None = ("chat.postMessage",)) -> Fault:
        """Answer HTTP 429 with Retry-After and ``{"ok": false, "error": "ratelimited"}``."""
        return self.faults.add(Fault(status=429, headers={"Retry-After": str(retry_after)},
                                     body=b'{"ok":false,"error":"ratelimited"}', content_type="application/json",
                                     calls=calls, until=until, targets=methods))

    def messages_by_key(self) -> Counter[str]:
        """How many posted messages carry each idempotency key (exactly-once means every count is 1)."""
        with self.lock:
            return Counter(
                ((p.get("metadata") or {}).get("event_payload") or {}).get("idempotency_key", "") for p in self.posts
            )

    def message(self, channel_id: str, ts: str) -> dict[str, Any]:
        with self.lock:
            for message in self.history.get(channel_id, []):
                if message["ts"] == ts:
                    return message
        raise KeyError(f"no message {ts} in {channel_id}")

    def wait_for(self, method: str, count: int = 1, timeout_s: float = 10.0) -> None:
        """Until the app has called ``method`` ``count`` times: the endpoint answers Slack first and makes its
        Slack calls (chat.update, views.open…) afterwards, as Slack's 3-second limit requires."""
        with self.called:
            if not self.called.wait_for(lambda: sum(1 for m, _, _ in self.calls if m == method) >= count, timeout_s):
                raise AssertionError(f"the app did not call {method} {count} time(s) within {timeout_s} s; calls: "
                                     f"{[m for m, _, _ in self.calls]}")

    def status_counts(self, method: str = "chat.postMessage") -> Counter[int]:
        with self.lock:
            return Counter(status for m, status, _ in self.calls if m == method)

    # --------------------------------------------------------------------- Slack's side of interactivity

    def click(self, endpoint: str, signing_secret: str, channel_id: str, ts: str, action_id: str, *,
              user_id: str = "U0TESTUSER1", user_name: str = "tester", timestamp: int | None = None) -> httpx.Response:
        """Press a button of a posted message: POST a signed ``block_actions`` payload to the app."""
        message = self.message(channel_id, ts)
        action = next((dict(e, block_id=b.get("block_id")) for b in message.get("blocks") or []
                       if b.get("type") == "actions" for e in b.get("elements", []) if e.get("action_id") == action_id),
                      None)
        if action is None:
            raise KeyError(f"message {ts} has no button {action_id}")
        trigger = f"{next(self._ids)}.{TEAM_ID}.{hashlib.sha1(ts.encode()).hexdigest()[:16]}"
        with self.lock:
            self._triggers.add(trigger)
        public = {k: v for k, v in message.items() if k != "metadata"}
        payload = {
            "type": "block_actions", "api_app_id": APP_ID, "token": "legacy-verification-token",
            "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID},
            "team": {"id": TEAM_ID, "domain": "yuqing-test"},
            "container": {"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": False},
            "channel": {"id": channel_id, "name": self.channels.get(channel_id, {}).get("name", "")},
            "message": public, "trigger_id": trigger,
            "response_url": f"{self.base_url}/response/{next(self._ids)}",
            "actions": [{"action_id": action_id, "block_id": action.get("block_id"), "text": action.get("text"),
                         "value": action.get("value"), "type": action.get("type", "button"),
                         "action_ts": f"{time.time():.6f}"}],
        }
        return self._deliver(endpoint, signing_secret, payload, timestamp)

    def submit_view(self, endpoint: str, signing_secret: str, view_id: str, values: dict[str, dict[str, str]], *,
                    selected: dict[str, dict[str, str]] | None = None,
                    picked: dict[str, dict[str, int]] | None = None,
                    user_id: str = "U0TESTUSER1", user_name: str = "tester") -> httpx.Response:
        """Submit an opened modal with ``values[block_id][action_id] = text`` typed into its text inputs,
        ``selected[block_id][action_id] = value`` chosen in its selects (as Slack sends them: the option chosen,
        else the select's initial option, else none) and ``picked[block_id][action_id] = unix time`` in its date-time
        pickers (none when left empty)."""
        with self.lock:
            view = next(v for v in self.views if v["id"] == view_id)
        state: dict[str, Any] = {"values": {block: {action: {"type": "plain_text_input", "value": text}
                                                    for action, text in actions.items()}
                                            for block, actions in values.items()}}
        for block in view.get("blocks", []):
            element = block.get("element") or {}
            if element.get("type") == "datetimepicker":
                when = (picked or {}).get(block["block_id"], {}).get(element["action_id"])
                state["values"].setdefault(block["block_id"], {})[element["action_id"]] = {
                    "type": "datetimepicker", "selected_date_time": when}
                continue
            if element.get("type") != "static_select":
                continue
            value = (selected or {}).get(block["block_id"], {}).get(element["action_id"])
            option = ({"text": {"type": "plain_text", "text": value}, "value": value} if value is not None
                      else element.get("initial_option"))
            state["values"].setdefault(block["block_id"], {})[element["action_id"]] = {
                "type": "static_select", "selected_option": option}
        payload = {
            "type": "view_submission", "api_app_id": APP_ID, "team": {"id": TEAM_ID, "domain": "yuqing-test"},
            "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID},
            "view": {**view, "state": state}, "trigger_id": f"{next(self._ids)}.{TEAM_ID}.submit",
        }
        return self._deliver(endpoint, signing_secret, payload, None)

    @staticmethod
    def _deliver(endpoint: str, secret: str, payload: dict[str, Any], timestamp: int | None) -> httpx.Response:
        from urllib.parse import urlencode

        body = urlencode({"payload": json.dumps(payload, ensure_ascii=False)})
        return httpx.post(endpoint, content=body.encode(), headers=signed_headers(secret, body, timestamp), timeout=30)

    # --------------------------------------------------------------------- the Web API

    def call(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Run one Web API method; raises SlackApiError for ok=false answers."""
        if not token:
            raise SlackApiError("not_authed")
        if self.tokens and token not in self.tokens:
            raise SlackApiError("invalid_auth")
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            raise SlackApiError("unknown_method")
        with self.lock:
            return handler(args)

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://yuqing-test.slack.com/", "team": "yuqing-test", "user": "yuqing",
                "team_id": TEAM_ID, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _resolve(self, channel: str) -> str:
        if not channel:
            raise SlackApiError("channel_not_found")
        if channel[0] in "UW":
            dm = "D" + channel[1:]
            if dm not in self.channels:
                self.channels[dm] = {"id": dm, "is_im": True, "user": channel, "name": "", "created": 0}
                self.history[dm] = []
            return dm
        if channel in self.channels:
            return channel
        name = channel.lstrip("#")
        for channel_id, info in self.channels.items():
            if info.get("name") == name:
                return channel_id
        if channel.startswith("#") and self.auto_create_channels:
            return self.create_channel(name)
        raise SlackApiError("channel_not_found")

    def _ts(self) -> str:
        value = max(self._now().timestamp(), self._last_ts + 0.000001)
        self._last_ts = value
        return f"{value:.6f}"

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = self._resolve(str(args.get("channel") or ""))
        blocks = _json_arg(args.get("blocks"))
        text = args.get("text")
        if not text and not blocks and not args.get("attachments"):
            raise SlackApiError("no_text")
        _check_blocks(blocks)
        message: dict[str, Any] = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "app_id": APP_ID,
                                   "text": text or "", "ts": self._ts(), "team": TEAM_ID}
        if blocks:
            message["blocks"] = blocks
        metadata = _json_arg(args.get("metadata"))
        if metadata:
            message["metadata"] = metadata
        self.history[channel_id].append(message)
        self.posts.append({**message, "channel": channel_id})
        return {"ok": True, "channel": channel_id, "ts": message["ts"],
                "message": {k: v for k, v in message.items() if k != "metadata"}}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = self._resolve(str(args.get("channel") or ""))
        ts = str(args.get("ts") or "")
        message = next((m for m in self.history.get(channel_id, []) if m["ts"] == ts), None)
        if message is None:
            raise SlackApiError("message_not_found")
        if message.get("user") != BOT_USER:
            raise SlackApiError("cant_update_message")
        blocks = _json_arg(args.get("blocks"))
        _check_blocks(blocks)
        if "text" in args:
            message["text"] = args["text"]
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"user": BOT_USER, "ts": self._ts()}
        self.updates.append({"channel": channel_id, "ts": ts, "text": message["text"], "blocks": message.get("blocks")})
        return {"ok": True, "channel": channel_id, "ts": ts, "text": message["text"],
                "message": {k: v for k, v in message.items() if k != "metadata"}}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = self._resolve(str(args.get("channel") or ""))
        if not args.get("user"):
            raise SlackApiError("user_not_in_channel")
        ts = self._ts()
        self.ephemerals.append({"channel": channel_id, "user": args["user"], "text": args.get("text", ""),
                                "blocks": _json_arg(args.get("blocks")), "ts": ts})
        return {"ok": True, "message_ts": ts}

    def _m_conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        listed = [c for c in self.channels.values() if c.get("is_channel")]
        if str(args.get("exclude_archived")) in {"1", "true", "True"}:
            listed = [c for c in listed if not c.get("is_archived")]
        page, cursor = _page(listed, args)
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "")
        if not users:
            raise SlackApiError("users_list_not_supplied")
        return {"ok": True, "channel": {"id": self._resolve(users.split(",")[0])}}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = str(args.get("channel") or "")
        if channel_id not in self.history:
            raise SlackApiError("channel_not_found")
        oldest = float(args.get("oldest") or 0)
        latest = float(args.get("latest") or "inf")
        inclusive = args.get("inclusive") in _TRUE
        with_metadata = args.get("include_all_metadata") in _TRUE

        def inside(ts: float) -> bool:
            return (oldest <= ts <= latest) if inclusive else (oldest < ts < latest)

        newest_first = [m for m in reversed(self.history[channel_id]) if inside(float(m["ts"]))]
        page, cursor = _page(newest_first, args)
        messages = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
        return {"ok": True, "messages": messages, "has_more": bool(cursor), "pin_count": 0,
                "response_metadata": {"next_cursor": cursor}}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = str(args.get("trigger_id") or "")
        if trigger not in self._triggers:
            raise SlackApiError("invalid_trigger_id")
        self._triggers.discard(trigger)
        view = _json_arg(args.get("view"))
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackApiError("invalid_arguments")
        stored = {**view, "id": f"V{next(self._ids):08d}", "team_id": TEAM_ID, "app_id": APP_ID,
                  "bot_id": BOT_ID, "state": {"values": {}}, "hash": f"{time.time():.6f}"}
        self.views.append(stored)
        return {"ok": True, "view": stored}


def _json_arg(value: Any) -> Any:
    """Slack takes structured arguments as JSON objects (JSON body) or JSON text (form fields)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise SlackApiError("invalid_arguments") from exc
    return value


def _check_blocks(blocks: Any) -> None:
    """The Block Kit limits Slack enforces with ``invalid_blocks`` that yuqing's messages could hit."""
    if blocks is None:
        return
    if not isinstance(blocks, list) or len(blocks) > 50:
        raise SlackApiError("invalid_blocks", detail="blocks must be a list of at most 50")
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in {"header", "section", "context", "actions", "divider", "input", "image"}:
            raise SlackApiError("invalid_blocks", detail=f"unknown block type {kind!r}")
        text = (block.get("text") or {}).get("text", "")
        if kind == "header" and (len(text) > 150 or block["text"].get("type") != "plain_text"):
            raise SlackApiError("invalid_blocks", detail="header must be plain_text of at most 150 characters")
        if kind == "section" and len(text) > 3000:
            raise SlackApiError("invalid_blocks", detail="section text over 3000 characters")
        if kind == "section" and len(block.get("fields") or []) > 10:
            raise SlackApiError("invalid_blocks", detail="more than 10 fields")
        if kind == "actions":
            ids = [e.get("action_id") for e in block.get("elements", [])]
            if len(ids) != len(set(ids)) or len(ids) > 25:
                raise SlackApiError("invalid_blocks", detail="duplicate action_id in an actions block")
            for element in block.get("elements", []):
                if len(str(element.get("value", ""))) > 2000:
                    raise SlackApiError("invalid_blocks", detail="button value over 2000 characters")


def _page(items: list[dict[str, Any]], args: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Cursor pagination as Slack does it: an opaque cursor, empty when there is nothing more."""
    limit = max(1, min(int(args.get("limit") or 100), 1000))
    cursor = str(args.get("cursor") or "")
    start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
    page = items[start:start + limit]
    more = start + limit < len(items)
    return page, base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""


class _Handler(JsonHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self._handle()

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    def _handle(self) -> None:
        emulator: SlackEmulator = self.owner
        parts = urlsplit(self.path)
        body = self.read_body() if self.command == "POST" else b""
        if parts.path.startswith("/response/"):
            with emulator.lock:
                emulator.responses.append({"path": parts.path, "body": json.loads(body or b"{}")})
            self.reply(200, b"ok", content_type="text/plain")
            return
        if not parts.path.startswith("/api/"):
            self.reply(404, b"not found", content_type="text/plain")
            return
        method = parts.path.removeprefix("/api/")
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        content_type = self.headers.get("Content-Type", "")
        if body and "application/json" in content_type:
            args.update(json.loads(body))
        elif body:
            args.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()})
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else args.pop("token", None)
        fault = emulator.faults.take(method)
        if fault is not None and not fault.after_effect:
            self._record(method, fault.status)
            self.reply_fault(fault)
            return
        try:
            result: dict[str, Any] = emulator.call(method, args, token)
        except SlackApiError as exc:
            result = {"ok": False, "error": exc.error, **({"response_metadata": {"messages": [exc.extra["detail"]]}}
                                                         if "detail" in exc.extra else {})}
        if fault is not None:
            self._record(method, fault.status)
            self.reply_fault(fault)
            return
        self._record(method, 200)
        self.reply(200, result)

    def _record(self, method: str, status: int) -> None:
        emulator: SlackEmulator = self.owner
        with emulator.called:
            emulator.calls.append((method, status, emulator._now()))
            emulator.called.notify_all()
