"""One JSON POST for the webhook channels, with every way it can go wrong turned into a retry decision."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Any

import httpx

from alerts.notifiers.base import PermanentError, RetryableError

# 408 Request Timeout, 425 Too Early, 429 Too Many Requests and every 5xx may succeed later.
RETRYABLE_STATUS = {408, 425, 429}


def post_json(client: httpx.Client, url: str, body: dict[str, Any], *, what: str,
              headers: dict[str, str] | None = None) -> httpx.Response:
    """POST ``body``; return a 2xx response or raise Retryable/PermanentError naming ``what`` and the cause."""
    try:
        response = client.post(url, json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise RetryableError(f"{what}: no answer in time ({type(exc).__name__})") from exc
    except httpx.RemoteProtocolError as exc:
        raise RetryableError(f"{what}: answered with an invalid HTTP response ({exc})") from exc
    except httpx.TransportError as exc:
        raise RetryableError(f"{what}: cannot connect ({type(exc).__name__}: {exc})") from exc
    if 200 <= response.status_code < 300:
        return response
    snippet = " ".join(response.text[:200].split())
    reason = f"{what}: HTTP {response.status_code}" + (f" — {snippet}" if snippet else "")
    if response.status_code in RETRYABLE_STATUS or response.status_code >= 500:
        raise RetryableError(reason, retry_after_s=retry_after(response.headers.get("Retry-After")))
    raise PermanentError(reason)


def retry_after(value: str | None) -> float | None:
    """Parse a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def json_answer(response: httpx.Response, *, what: str) -> dict[str, Any]:
    """A robot's JSON answer; anything else (an HTML error page from a proxy, garbage) is retried."""
    try:
        data = response.json()
    except ValueError as exc:
        snippet = " ".join(response.text[:120].split())
        raise RetryableError(f"{what}: answer is not JSON ({snippet!r})") from exc
    if not isinstance(data, dict):
        raise RetryableError(f"{what}: answer is not a JSON object ({str(data)[:120]!r})")
    return data
