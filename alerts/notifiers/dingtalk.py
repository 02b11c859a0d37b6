"""DingTalk (钉钉) custom robot: markdown POSTed to the webhook, signed with HMAC-SHA256 when a secret is set.

Signing (DingTalk 加签): ``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))``
with ``timestamp`` in milliseconds of real time; DingTalk rejects timestamps more than an hour off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse

from alerts.messages import robot_markdown
from alerts.notifiers._http import json_answer, post_json
from alerts.notifiers.base import Delivery, PermanentError, RetryableError, SendResult
from alerts.notifiers.robots import RobotNotifier, secret_from_env, unit_for

# -1 busy; 130101 sending too fast (20 a minute per robot, then a 10-minute limit).
_TRANSIENT = {-1, 130101}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value, already URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(webhook: str, secret: str, timestamp_ms: int) -> str:
    separator = "&" if "?" in webhook else "?"
    return f"{webhook}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


class DingTalkNotifier(RobotNotifier):
    """Recipients are unit ids; contacts.dingtalk_webhook_env and (optionally) dingtalk_secret_env name variables."""

    channel = "dingtalk"

    def send(self, notification: Delivery) -> SendResult:
        unit = unit_for(self.units, notification.recipient, self.channel)
        url = secret_from_env(self.env, unit, "dingtalk_webhook_env", "DingTalk robot webhook URL")
        if unit.contacts.dingtalk_secret_env:
            secret = secret_from_env(self.env, unit, "dingtalk_secret_env", "DingTalk robot signing secret (SEC…)")
            # Real time, not the injected clock: DingTalk compares it with its own clock.
            url = signed_url(url, secret, int(time.time() * 1000))
        what = f"DingTalk robot of {unit.id}"
        title, text = robot_markdown(notification.payload, self.clock.now(), wecom=False)
        body = {"msgtype": "markdown", "markdown": {"title": title[:64], "text": text[:15000]}}
        answer = json_answer(post_json(self.client, url, body, what=what), what=what)
        code = answer.get("errcode")
        if code == 0:
            return SendResult(None)
        reason = f"{what} refused the message: errcode {code} {str(answer.get('errmsg', ''))[:200]}"
        if code in _TRANSIENT:
            raise RetryableError(reason, retry_after_s=60.0 if code == 130101 else None)
        if code == 310000:
            reason += " — check the signing secret, keywords and IP allow-list of the robot"
        raise PermanentError(reason)
