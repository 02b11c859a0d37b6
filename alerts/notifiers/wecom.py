"""WeCom (企业微信) group robot: a markdown message POSTed as JSON to the robot's webhook URL."""

from __future__ import annotations

from alerts.messages import robot_markdown, truncate_utf8
from alerts.notifiers._http import json_answer, post_json
from alerts.notifiers.base import Delivery, PermanentError, RetryableError, SendResult
from alerts.notifiers.robots import RobotNotifier, secret_from_env, unit_for

# -1 system busy; 45009 / 45033 frequency limits (a robot takes 20 messages a minute).
_TRANSIENT = {-1, 45009, 45033}


class WeComNotifier(RobotNotifier):
    """Recipients are unit ids; the webhook URL comes from the variable named by contacts.wecom_webhook_env."""

    channel = "wecom"

    def send(self, notification: Delivery) -> SendResult:
        unit = unit_for(self.units, notification.recipient, self.channel)
        url = secret_from_env(self.env, unit, "wecom_webhook_env", "WeCom group robot webhook URL")
        what = f"WeCom robot of {unit.id}"
        _, text = robot_markdown(notification.payload, self.clock.now(), wecom=True)
        body = {"msgtype": "markdown", "markdown": {"content": truncate_utf8(text, 4096)}}
        answer = json_answer(post_json(self.client, url, body, what=what), what=what)
        code = answer.get("errcode")
        if code == 0:
            return SendResult(None)
        reason = f"{what} refused the message: errcode {code} {str(answer.get('errmsg', ''))[:200]}"
        if code in _TRANSIENT:
            raise RetryableError(reason, retry_after_s=60.0 if code in (45009, 45033) else None)
        raise PermanentError(reason)
