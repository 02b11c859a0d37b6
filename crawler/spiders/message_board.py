"""``message_board``: citizens' messages to a government site and the official replies (问政/留言板).

Each message gives subject, asker, time, status, text, and the reply with its unit and time, which
timeliness is judged on. Fields come from the source's ``selectors`` (title, author, published_at,
content, status, reply, reply_time, replier); without a selector, from the labels such pages print
("留言时间：", "答复意见" ...). The asker gets a keyed pseudonym before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from scrapy.http import Response

from crawler.spiders.articles import ArticleSpider
from crawler.spiders.base import selected_text
from crawler.text import value_shape
from yuqing.contract import BOARD_SOURCE_TYPE, Post, Reply
from yuqing.timeparse import is_date_only, parse_time

BOARD_FIELDS: tuple[str, ...] = (
    "title",
    "author",
    "published_at",
    "content",
    "status",
    "reply",
    "reply_time",
    "replier",
)

# Labels as Chinese government message boards print them; the longer alternatives first.
LABELS: dict[str, tuple[str, ...]] = {
    "title": ("留言主题", "留言标题", "信件标题", "信件主题", "主题", "标题"),
    "author": ("留言用户", "留言人", "来信人", "投诉人", "提问人", "网友", "留言者"),
    "published_at": ("留言时间", "来信时间", "提问时间", "发布时间", "投诉时间"),
    "status": ("办理状态", "处理状态", "回复状态", "状态"),
    "content": ("留言内容", "来信内容", "问题描述", "投诉内容", "内容"),
    "replier": ("答复单位", "回复单位", "办理单位", "受理单位", "答复部门", "回复部门"),
    "reply_time": ("答复时间", "回复时间", "办结时间", "答复日期", "回复日期"),
    "reply": ("答复意见", "答复内容", "回复内容", "办理结果", "回复意见", "处理结果"),
}
_LONG_FIELDS = ("content", "reply")
_LABEL = re.compile(
    r"^\s*(?P<label>"
    + "|".join(sorted({x for v in LABELS.values() for x in v}, key=len, reverse=True))
    + r")\s*(?:[：:]\s*(?P<rest>.*)|$)",
    re.DOTALL,
)
_BY_LABEL = {label: field for field, labels in LABELS.items() for label in labels}
_LEADING_LABEL = re.compile(r"^[^：:]{1,8}[：:]\s*")


def labelled_fields(response: Response) -> dict[str, str]:
    """Fields read from "label：value" text, for pages without selectors."""
    nodes = [
        " ".join(t.split())
        for t in response.xpath(
            "//body//text()[not(ancestor::script)][not(ancestor::style)]"
            "[not(ancestor::nav)][not(ancestor::footer)]"
        ).getall()
    ]
    nodes = [n for n in nodes if n]
    found: dict[str, str] = {}
    pending: str | None = None  # a long field whose label stood before other labelled lines
    later: dict[str, str] = {}  # the unit and time of a second (third…) reply, until its text comes

    def keep(field: str, value: str) -> None:
        # The first reply's unit and time are the answer timeliness is judged on; later replies (a follow-up,
        # another unit's) are kept too, appended to the reply text with their own unit and time.
        if field not in found:
            found[field] = value
        elif field == "reply":
            heading = " ".join(later.pop(k) for k in ("replier", "reply_time") if k in later)
            found["reply"] += "\n\n" + (f"{heading}：\n" if heading else "") + value
        elif field in ("replier", "reply_time"):
            later[field] = value

    i = 0
    while i < len(nodes):
        match = _LABEL.match(nodes[i])
        if not match:
            if pending is not None:
                j = i
                while j < len(nodes) and not _LABEL.match(nodes[j]):
                    j += 1
                keep(pending, "\n".join(nodes[i:j]))
                pending, i = None, j
                continue
            i += 1
            continue
        field = _BY_LABEL[match.group("label")]
        rest = (match.group("rest") or "").strip()
        values = [rest] if rest else []
        j = i + 1
        if field in _LONG_FIELDS:
            while j < len(nodes) and not _LABEL.match(nodes[j]):
                values.append(nodes[j])
                j += 1
            if not values:
                pending = field
        elif not values and j < len(nodes) and not _LABEL.match(nodes[j]):
            values.append(nodes[j])
            j += 1
        if values:
            keep(field, ("\n" if field in _LONG_FIELDS else " ").join(values))
        i = j
    return found


class MessageBoardSpider(ArticleSpider):
    name = BOARD_SOURCE_TYPE
    selector_keys = BOARD_FIELDS
    private_authors = True

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        yield from self.follow_list_page(response, "message",
                                         lambda url: self.item_request(url, self.parse_message))

    def parse_message(self, response: Response) -> Iterator[Post]:
        if not self.is_text(response):
            return
        self.note_truncated(response)
        labelled = labelled_fields(response)
        fields: dict[str, str | None] = {}
        for field in BOARD_FIELDS:
            selector = self.spec.selectors.get(field)
            separator = "\n" if field in _LONG_FIELDS else " "
            value = selected_text(response, selector, separator) if selector else labelled.get(field)
            if value and field in ("author", "published_at", "reply_time", "replier", "status"):
                value = _LEADING_LABEL.sub("", value).strip() or None
            fields[field] = value
        if not fields["title"]:
            fields["title"] = selected_text(response, "h1") or selected_text(response, "title")
        url = response.url
        now = self.now()
        published = parse_time(fields["published_at"] or "", now=now, tz=self.tz)
        reply = None
        replied: datetime | None = None
        if fields["reply"]:
            # A reply dated by its day alone counts as given at that day's end (no later than the fetch): the unit
            # is credited with no earlier an answer than it can show, and it never precedes its message. Message
            # deadlines end at midnight of a working day, so a reply dated on the last day is in time and one dated
            # the day after is late, as the day says; an hour deadline of the case meets the day's end.
            replied, reply_precision = self.publish_time(
                parse_time(fields["reply_time"] or "", now=now, tz=self.tz), is_date_only(fields["reply_time"]))
            if replied is None:
                self.partial("reply_time", url, f"unreadable, written as {value_shape(fields['reply_time'])}")
            reply = Reply(text=fields["reply"], replied_at=replied, replied_precision=reply_precision,
                          replier=fields["replier"])
        # A message dated by its day alone: at that day's end, no later than the fetch, and no later than a reply
        # on that day with its time (a message comes before its answer). Its reply deadline counts from its day.
        published, precision = self.publish_time(published, is_date_only(fields["published_at"]),
                                                 before=replied if not is_date_only(fields["reply_time"]) else None)
        for field in ("author", "published_at", "content"):
            if not fields[field]:
                self.partial(field, url, "not found on the page")
        if fields["published_at"] and published is None:
            self.partial("published_at", url, f"unreadable, written as {value_shape(fields['published_at'])}")
        post = self.make_post(
            response.meta.get("yuqing_key") or url,
            url=url,
            title=fields["title"],
            text=fields["content"] or "",
            author=fields["author"],
            published_at=published,
            published_precision=precision,
            reply=reply,
            status=fields["status"],
        )
        yield from self.emit([post])
