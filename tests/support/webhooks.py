"""Local group robots (WeCom, DingTalk with signature checking) and a generic webhook receiver.

Each keeps what it received and can misbehave on cue: ``faults.add(Fault(...))`` answers a status,
or bytes that are not HTTP at all (``garbage=True``), for N calls or until a time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from tests.support.net import Fault, FaultPlan, JsonHandler, LocalHttpServer, real_now


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    notes: dict[str, Any] = field(default_factory=dict)


class _Receiver(LocalHttpServer):
    def __init__(self, clock: Callable[[], datetime] | None = None):
        super().__init__(_Handler)
        self.faults = FaultPlan(clock or real_now)
        self.received: list[Received] = []
        self.lock = threading.Lock()

    def garbage(self, calls: int | None = None) -> Fault:
        """Answer bytes that are not an HTTP response, then close the connection."""
        return self.faults.add(Fault(garbage=True, calls=calls))

    def answer(self, request: Received) -> tuple[int, Any]:
        raise NotImplementedError


class WebhookReceiver(_Receiver):
    """A generic webhook endpoint (``url``); it accepts JSON and acts once per Idempotency-Key."""

    @property
    def url(self) -> str:
        return f"{self.base_url}/hook"

    def keys(self) -> Counter[str]:
        """Requests per Idempotency-Key (repeats are what a receiver must drop)."""
        with self.lock:
            return Counter(r.headers.get("idempotency-key", "") for r in self.received)

    def answer(self, request: Received) -> tuple[int, Any]:
        key = request.headers.get("idempotency-key", "")
        with self.lock:
            repeat = sum(1 for r in self.received if r.headers.get("idempotency-key") == key) > 1
        return (200, {"id": f"hook-{hashlib.sha1(key.encode()).hexdigest()[:12]}", "duplicate": repeat})


class WeComRobot(_Receiver):
    """WeCom group robot: ``/cgi-bin/webhook/send?key=K`` with ``{"msgtype": "markdown", …}``."""

    def __init__(self, keys: set[str] | None = None, clock: Callable[[], datetime] | None = None):
        super().__init__(clock)
        self.keys = keys if keys is not None else {"wecom-test-key"}
        self.errcodes: list[int] = []

    def webhook_url(self, key: str = "wecom-test-key") -> str:
        return f"{self.base_url}/cgi-bin/webhook/send?key={key}"

    def answer(self, request: Received) -> tuple[int, Any]:
        if request.query.get("key") not in self.keys:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        body = request.json if isinstance(request.json, dict) else {}
        if self.errcodes:
            code = self.errcodes.pop(0)
            return 200, {"errcode": code, "errmsg": "api freq out of limit" if code == 45009 else "error"}
        content = ((body.get("markdown") or {}).get("content")) if body.get("msgtype") == "markdown" else None
        if not content:
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        if len(content.encode("utf-8")) > 4096:
            return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
        return 200, {"errcode": 0, "errmsg": "ok"}


def dingtalk_expected_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkRobot(_Receiver):
    """DingTalk custom robot: ``/robot/send?access_token=T[&timestamp=&sign=]``, verifying 加签 like DingTalk.

    ``robots`` maps access token → signing secret (None: keyword security, no signature).
    """

    def __init__(self, robots: dict[str, str | None] | None = None, clock: Callable[[], datetime] | None = None):
        super().__init__(clock)
        self.robots = robots if robots is not None else {"dingtalk-test-token": "SECtest-secret"}

    def webhook_url(self, token: str = "dingtalk-test-token") -> str:
        return f"{self.base_url}/robot/send?access_token={token}"

    def answer(self, request: Received) -> tuple[int, Any]:
        token = request.query.get("access_token", "")
        if token not in self.robots:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        secret = self.robots[token]
        if secret is not None:
            timestamp, sign = request.query.get("timestamp", ""), request.query.get("sign", "")
            fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3600_000
            valid = fresh and hmac.compare_digest(sign, dingtalk_expected_sign(secret, timestamp))
            request.notes["signature_valid"] = valid
            if not valid:
                return 200, {"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/]"}
        body = request.json if isinstance(request.json, dict) else {}
        markdown = body.get("markdown") or {}
        if body.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}
        return 200, {"errcode": 0, "errmsg": "ok"}


class _Handler(JsonHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        receiver: _Receiver = self.owner
        parts = urlsplit(self.path)
        body = self.read_body()
        # parse_qs would turn '+' in the base64 signature into a space: split by hand, unquote once.
        query = {}
        for pair in parts.query.split("&"):
            if "=" in pair:
                name, value = pair.split("=", 1)
                query[name] = unquote_plus(value)
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None
        request = Received(parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body, data)
        fault = receiver.faults.take(parts.path)
        with receiver.lock:
            receiver.received.append(request)
        if fault is not None:
            self.reply_fault(fault)
            return
        status, answer = receiver.answer(request)
        self.reply(status, answer)

