"""What a crawl writes about the pages it fetches, without personal data: every URL in a log line (the crawler's own
and Scrapy's: "Gave up retrying <GET …>", "skipped …") and in the crawl state is shown de-identified, as the post's
stored URL is — a form's ?tel=139…, an e-mail address in a path (domain.md §6)."""

from __future__ import annotations

import logging
import re
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult

from analysis.entry import deidentified_url
from yuqing.contract import Post

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def _masked(match: re.Match[str]) -> str:
    url, tail = match.group(), ""
    if url.endswith(")") and "(" not in url:  # HTTP 404 (http://…): the bracket is the sentence's
        url, tail = url[:-1], ")"
    return deidentified_url(url) + tail


def shown(text: str) -> str:
    """``text`` with every URL in it masked, for a log line or the crawl state (a request's repr, "<url> item 3",
    "HTTP 404 (<url>)")."""
    if "://" not in text:
        return text
    return _URL.sub(_masked, text)


def _mask_urls(record: logging.LogRecord) -> bool:
    """A log record whose message names a URL gets the masked message (its arguments already put in)."""
    message = record.getMessage()
    masked = shown(message)
    if masked != message:
        record.msg, record.args = masked, None
    return True


def mask_urls_in_logs() -> None:
    """Mask URLs in every record the root logger's handlers write. Scrapy installs a new root handler for each
    crawler, so each spider calls this when it opens (adding the filter twice to one handler adds it once)."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(_mask_urls)


class PostLogFormatter(LogFormatter):
    """Scrapy's item lines ("Scraped from …", "Dropped: …", "Error processing …") name the post by its id instead of
    printing the whole item: an item is not de-identified before the pipeline enriches it (a dropped one never is),
    so its repr carried the raw text, phone numbers and names included, into the log at DEBUG."""

    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        return _named(super().scraped(item, response, spider), item)

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> LogFormatterResult:
        return _named(super().dropped(item, exception, response, spider), item)

    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Any) -> LogFormatterResult:
        return _named(super().item_error(item, exception, response, spider), item)


def _named(entry: LogFormatterResult, item: Any) -> LogFormatterResult:
    args = entry.get("args")
    if isinstance(args, dict) and "item" in args:
        entry["args"] = {**args, "item": f"<post {item.id} from {item.source}>" if isinstance(item, Post)
                         else f"<{type(item).__name__}>"}
    return entry
