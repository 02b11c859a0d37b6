"""Slack via slack-sdk's WebClient: Block Kit alerts with acknowledge / record-response buttons.

Each message carries its idempotency key in Slack message metadata, so before a repeat attempt the
worker can look in the channel's history and find a message an earlier, unconfirmed attempt posted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts.messages import ACK_ACTION, RESPOND_ACTION, slack_message, slack_text, slack_updated_blocks
from alerts.notifiers.base import Delivery, DeliveryError, PermanentError, RetryableError, SendResult
from yuqing.clock import Clock, SystemClock
from yuqing.paths import command_here, config_file

log = logging.getLogger(__name__)

METADATA_EVENT = "yuqing_notification"
# Errors Slack documents as transient; everything else with ok=false will not change on its own.
_TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
              "team_added_to_org"}
# Errors about the app's credentials: no message can go out until an admin fixes the token, and then all of them
# should. (missing_scope is not one: a missing history scope only stops the check for an earlier delivery.) They pause the whole Slack channel and keep every row (a bad token once failed every queued alert).
_CREDENTIALS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
CREDENTIALS_PAUSE_S = 300.0
# How a notification held by a refused token says so in its last error (slack_error below).
REFUSED_TOKEN_ERRORS = tuple(f"Slack refused with {error}" for error in sorted(_CREDENTIALS))
_HINTS = {
    "invalid_auth": "the bot token is not accepted; check the environment variable named by "
                    "notifications.slack.token_env",
    "not_authed": "no bot token was sent; set the environment variable named by notifications.slack.token_env",
    "token_revoked": "the bot token was revoked; install the app again and update the token",
    "account_inactive": "the bot token belongs to a deactivated app or user",
    "channel_not_found": "no such channel; check slack_channel in {units}",
    "not_in_channel": "the bot is not a member; invite it to the channel (/invite @yuqing)",
    "is_archived": "the channel is archived; name a live channel in {units}",
    "missing_scope": "the app lacks an OAuth scope (chat:write, channels:history, channels:read, im:write)",
    "token_expired": "the bot token expired; refresh it (token rotation) and update the variable",
    "invalid_blocks": "Slack rejected the message layout (a bug: please report it with the payload)",
    "msg_too_long": "the message is too long for Slack",
}


def _hint(error: str) -> str | None:
    """What to do about a Slack error, naming the units file this process reads ({units} in ``_HINTS``)."""
    hint = _HINTS.get(error)
    return hint.replace("{units}", str(config_file("units.yaml"))) if hint else None


def slack_error(exc: SlackApiError, what: str) -> DeliveryError:
    """Map a Slack API failure to retry or give up; 429 carries Slack's Retry-After."""
    response = exc.response
    status = getattr(response, "status_code", 0) or 0
    data = response.data if isinstance(response.data, dict) else {}
    error = str(data.get("error") or "")
    headers = {k.lower(): v for k, v in (response.headers or {}).items()}
    if status == 429 or error == "ratelimited":
        raw = headers.get("retry-after")
        retry_after = float(raw) if raw and str(raw).strip().isdigit() else None
        return RetryableError(f"{what}: rate limited by Slack (HTTP {status}, Retry-After {raw})", retry_after)
    if status >= 500 or error in _TRANSIENT:
        return RetryableError(f"{what}: Slack answered HTTP {status} {error[:200]}".rstrip())
    hint = _hint(error)
    if error in _CREDENTIALS:
        log.error("%s: Slack refused the app's credentials (%s) — %s; Slack messages wait (retried every %.0f s, "
                  "or at once by `%s` once fixed)", what, error, hint, CREDENTIALS_PAUSE_S,
                  command_here("notifications retry"))
        return RetryableError(f"{what}: Slack refused with {error} — {hint}", CREDENTIALS_PAUSE_S)
    return PermanentError(f"{what}: Slack refused with {error or f'HTTP {status}'}" + (f" — {hint}" if hint else ""))


def update_posted_message(call: Callable[..., Any], channel: str, ts: str, note: str, *,
                          drop_actions: set[str]) -> bool:
    """Update a message already posted (``channel``, ``ts``) to say what became of its case: ``drop_actions``' buttons
    removed, ``note`` (escaped mrkdwn) added — after a sign-off, a response, a 转办. ``call(method, **args)`` calls
    the Web API the caller's way. False when there is no such message (deleted, or not a channel message): history up
    to ``ts`` then ends in an earlier message, another case's alert, which must not be taken for it."""
    if not channel or not ts:
        return False
    history = call("conversations_history", channel=channel, latest=ts, inclusive=True, limit=1)
    found = [m for m in (history or {}).get("messages") or [] if m.get("ts") == ts]
    if not found:
        return False
    blocks = slack_updated_blocks(found[0].get("blocks") or [], note, drop_actions=drop_actions)
    call("chat_update", channel=channel, ts=ts, text=found[0].get("text") or note, blocks=blocks)
    return True


class SlackNotifier:
    """Posts to a channel (``#name`` or ``C…``) or a person (``U…``, a direct message)."""

    channel = "slack"

    def __init__(self, token: str, *, base_url: str | None = None, clock: Clock | None = None,
                 timeout_s: float = 30.0):
        # retry_handlers=[]: the outbox owns retries; a hidden retry inside the client could post twice.
        kwargs: dict[str, Any] = {"token": token, "timeout": int(timeout_s), "retry_handlers": []}
        if base_url:
            kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
        self.client = WebClient(**kwargs)
        self.clock = clock or SystemClock()
        self._channel_ids: dict[str, str] = {}

    def send(self, notification: Delivery) -> SendResult:
        text, blocks = slack_message(notification.payload, self.clock.now())
        event_payload: dict[str, Any] = {"idempotency_key": notification.idempotency_key,
                                         "notification_id": notification.id, "kind": notification.kind}
        if notification.case_id is not None:
            event_payload["case_id"] = notification.case_id
        response = self._call("chat_postMessage", f"Slack post to {notification.recipient}",
                              channel=notification.recipient, text=text, blocks=blocks,
                              metadata={"event_type": METADATA_EVENT, "event_payload": event_payload},
                              unfurl_links=False, unfurl_media=False)
        self._retire(notification.payload)
        return SendResult(f"{response.get('channel')}/{response.get('ts')}")

    def _retire(self, payload: dict[str, Any]) -> None:
        """A case handed to another unit (转办): the former unit's earlier messages (``retire``: ``channel/ts``) lose
        签收/登记回应 and say why, as a message is updated after a sign-off. The notice itself is out by now, so a
        message that cannot be updated is logged, not retried."""
        note = f"🔀 {slack_text(payload.get('reason') or '本案已转办', 600)}"
        for held in payload.get("retire") or []:
            channel, _, ts = str(held).partition("/")
            try:
                if not update_posted_message(self._calls(f"of {held}"), channel, ts, note,
                                             drop_actions={ACK_ACTION, RESPOND_ACTION}):
                    log.warning("the handed-over case's message %s is gone from Slack; nothing to update", held)
            except DeliveryError as exc:
                log.warning("could not take the buttons off %s after the case was handed over: %s", held, exc)

    def _calls(self, about: str) -> Callable[..., Any]:
        """``_call`` as ``update_posted_message`` calls it, its failures saying which message they were about."""
        return lambda method, **kwargs: self._call(method, f"Slack {method} {about}", **kwargs)

    def token_problem(self) -> str | None:
        """Why Slack does not accept the bot token (``auth.test``), or None when it does: checked at start, as a
        refused token otherwise shows only when an alert is already due."""
        try:
            self.client.auth_test()
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            error = str(data.get("error") or f"HTTP {getattr(exc.response, 'status_code', '?')}")
            hint = _hint(error)
            return f"Slack refused the bot token ({error})" + (f" — {hint}" if hint else "")
        except (URLError, TimeoutError, ConnectionError) as exc:
            return f"cannot reach Slack to check the bot token ({type(exc).__name__}: {exc})"
        return None

    def find_delivery(self, notification: Delivery) -> SendResult | None:
        """Look for our metadata in the recipient's recent history (since shortly before the row was created)."""
        what = f"Slack history of {notification.recipient}"
        channel_id = self._channel_id(notification.recipient)
        oldest = (notification.created_at - timedelta(minutes=10)).timestamp()
        cursor: str | None = None
        for _page in range(20):
            response = self._call("conversations_history", what, channel=channel_id, oldest=f"{oldest:.6f}",
                                  include_all_metadata=True, limit=200, cursor=cursor)
            for message in response.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if (metadata.get("event_type") == METADATA_EVENT
                        and payload.get("idempotency_key") == notification.idempotency_key):
                    return SendResult(f"{channel_id}/{message.get('ts')}")
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not response.get("has_more") or not cursor:
                return None
        log.warning("%s: stopped looking for %s after 20 pages", what, notification.idempotency_key)
        return None

    def _channel_id(self, recipient: str) -> str:
        """conversations.history needs an id: resolve ``#name`` by listing, ``U…`` by opening the DM."""
        if recipient in self._channel_ids:
            return self._channel_ids[recipient]
        what = f"Slack lookup of {recipient}"
        if recipient.startswith("#"):
            name = recipient[1:]
            cursor: str | None = None
            found: str | None = None
            while found is None:
                response = self._call("conversations_list", what, types="public_channel,private_channel",
                                      exclude_archived=True, limit=1000, cursor=cursor)
                found = next((c["id"] for c in response.get("channels") or [] if c.get("name") == name), None)
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
            if found is None:
                raise PermanentError(f"{what}: no channel named {recipient}; check slack_channel in {config_file('units.yaml')}")
            channel_id = found
        elif recipient[:1] in ("U", "W"):
            channel_id = self._call("conversations_open", what, users=recipient)["channel"]["id"]
        else:
            channel_id = recipient
        self._channel_ids[recipient] = channel_id
        return channel_id

    def _call(self, method: str, what: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(**{k: v for k, v in kwargs.items() if v is not None})
        except SlackApiError as exc:
            raise slack_error(exc, what) from exc
        except (URLError, TimeoutError, ConnectionError) as exc:
            raise RetryableError(f"{what}: cannot reach Slack ({type(exc).__name__}: {exc})") from exc
