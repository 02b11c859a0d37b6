"""E-mail over SMTP (smtplib): a text part and an HTML part in which every payload value is escaped.

The Message-ID is derived from the idempotency key, so a repeat after an unconfirmed attempt carries
the same id and mail clients and archives can recognise the duplicate.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from alerts.messages import email_message
from alerts.notifiers.base import Delivery, PermanentError, RetryableError, SendResult
from yuqing.clock import Clock, SystemClock
from yuqing.paths import config_file
from yuqing.settings import SmtpSettings


def message_id(idempotency_key: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1] or "localhost"
    return f"<yuqing.{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@{domain}>"


class EmailNotifier:
    channel = "email"

    def __init__(self, smtp: SmtpSettings, env: Mapping[str, str], clock: Clock | None = None,
                 timeout_s: float = 30.0):
        if not smtp.host:
            raise ValueError("an e-mail notifier needs settings.yaml notifications.smtp.host (without it, e-mail is "
                             "recorded: see build_notifiers)")
        self.smtp = smtp
        self.host = smtp.host
        self.env = env
        self.clock = clock or SystemClock()
        self.timeout_s = timeout_s

    def send(self, notification: Delivery) -> SendResult:
        address = notification.recipient.strip()
        _, parsed = parseaddr(address)
        if not parsed or "@" not in parsed or any(c in address for c in "\r\n"):
            raise PermanentError(f"{address!r} is not an e-mail address; check email in {config_file('units.yaml')}")
        now = self.clock.now()
        subject, text, html = email_message(notification.payload, now)
        msg = EmailMessage()
        msg["From"] = self.smtp.sender
        msg["To"] = address
        msg["Subject"] = subject
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = message_id(notification.idempotency_key, self.smtp.sender)
        msg["X-Yuqing-Idempotency-Key"] = notification.idempotency_key
        if notification.case_id is not None:
            msg["X-Yuqing-Case"] = str(notification.case_id)
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        self._deliver(msg, address)
        return SendResult(msg["Message-ID"])

    def _deliver(self, msg: EmailMessage, address: str) -> None:
        where = f"SMTP server {self.host}:{self.smtp.port}"
        try:
            with smtplib.SMTP(self.host, self.smtp.port, timeout=self.timeout_s) as server:
                if self.smtp.starttls:
                    server.starttls(context=ssl.create_default_context())
                credentials = self._credentials()
                if credentials:
                    server.login(*credentials)
                server.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients.get(address, (550, b"refused"))
            reason = f"{where} refused {address}: {code} {_text(reply)}"
            raise (RetryableError(reason) if 400 <= code < 500 else PermanentError(reason)) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"{where} refused the login ({exc.smtp_code}); check the variables named by "
                                 "notifications.smtp.username_env / password_env") from exc
        except smtplib.SMTPResponseException as exc:
            reason = f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}"
            raise (RetryableError(reason) if 400 <= exc.smtp_code < 500 else PermanentError(reason)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(f"{where}: {type(exc).__name__}: {exc}") from exc

    def _credentials(self) -> tuple[str, str] | None:
        user = self.env.get(self.smtp.username_env) if self.smtp.username_env else None
        password = self.env.get(self.smtp.password_env) if self.smtp.password_env else None
        return (user, password) if user and password else None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
