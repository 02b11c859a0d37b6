"""A local SMTP server (aiosmtpd) that keeps every message it accepts, and can refuse for a while."""

from __future__ import annotations

import email
import threading
from email.message import EmailMessage
from email.policy import default
from typing import Any, Self

from aiosmtpd.controller import Controller

from tests.support.net import free_port


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        with self.server.lock:
            if self.server.refuse_next > 0:
                self.server.refuse_next -= 1
                self.server.refused += 1
                return self.server.refuse_reply
            raw = envelope.original_content or envelope.content
            message = email.message_from_bytes(raw, policy=default)
            self.server.messages.append(message)  # type: ignore[arg-type]
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """``with SmtpServer() as smtp:`` then send to ``smtp.host:smtp.port``; read ``smtp.messages``."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()
        self.refuse_next = 0
        self.refused = 0
        self.refuse_reply = "451 4.3.0 Temporary local problem, try again later"
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)

    def refuse(self, count: int, reply: str = "451 4.3.0 Temporary local problem, try again later") -> None:
        """Answer the next ``count`` messages with ``reply`` (4xx: try later; 5xx: never)."""
        with self.lock:
            self.refuse_next, self.refuse_reply = count, reply

    def start(self) -> Self:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
