"""``weibo``: the m.weibo.cn container API (search ``100103type=1&q=…`` and user timelines ``107603<uid>``).

The shape is Weibo's own: ``data.cards[]``, posts in cards of ``card_type`` 9 under ``mblog``,
sometimes nested in a ``card_group``; ``text`` is HTML; ``created_at`` is "刚刚", "5分钟前",
"昨天 08:10", "05-12", "2019-05-12" or "Sun May 12 16:25:00 +0800 2019"; a repost carries its
original in ``retweeted_status`` (emitted too, as its own post); a long post is cut and its full
text comes from ``/statuses/extend``. Paging follows ``cardlistInfo.page``.

A card older than yesterday shows only its day ("05-12", "2019-05-12"). Its detail page (``/detail/<id>``, the
post's own link) carries the post inline with ``created_at`` in full, so the post is timed from there; when the
page is missing or says no more, the post keeps its day, marked ``published_precision: day`` and placed at the
latest it can have been (``latest_time_on``), never at that day's midnight, which dated it up to 24 h early.

The request for a full text carries its post de-identified: a resumable crawl (JOBDIR) pickles its queue to disk
and a distributed one keeps it in Redis, where raw personal data must not land. The full text that replaces it
is raw, as every other post is until the item pipeline enriches it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.spiders.base import DUPLICATES, SEEN_BEFORE, SourceSpider
from crawler.spiders.social_json import load_json, with_page
from crawler.text import as_text, html_to_text, parse_count, value_shape
from yuqing.contract import Engagement, Post, Region
from yuqing.timeparse import is_date_only, parse_time

_PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
_MONTH_DAY = re.compile(r"^\s*(\d{1,2})-(\d{1,2})\s*$")
_CUT_MARK = re.compile(r"\.\.\.\s*全文\s*$")
_RENDER_DATA = re.compile(r"\$render_data\s*=\s*")


def mblogs(cards: Any) -> Iterator[Any]:
    """Every ``mblog`` in a card list, including those in ``card_group`` nests."""
    if not isinstance(cards, list):
        return
    for card in cards:
        if not isinstance(card, dict):
            continue
        if "card_group" in card:
            yield from mblogs(card["card_group"])
        elif card.get("card_type") == 9:
            yield card.get("mblog")


def province_of(region_name: Any) -> str | None:
    """ "发布于 湖南" → 湖南省 (None when it names no province)."""
    if not isinstance(region_name, str):
        return None
    place = region_name.replace("发布于", "").strip()
    for name in _PROVINCES:
        if place.startswith(name):
            if name in _MUNICIPALITIES:
                return name + "市"
            return name if name in ("内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门") else name + "省"
    return None


def native_id_of(blog: dict[str, Any]) -> str:
    return as_text(blog.get("id")) or as_text(blog.get("mid")) or ""


def detail_status(page: str) -> dict[str, Any] | None:
    """The post a m.weibo.cn detail page carries inline, ``var $render_data = [{"status": {…}, …}][0] || {};``, with
    its ``created_at`` in full ("Wed Nov 25 21:01:00 +0800 2026") where the search card shows "11-25"."""
    start = _RENDER_DATA.search(page)
    if start is None:
        return None
    try:
        data, _ = json.JSONDecoder(strict=False).raw_decode(page, start.end())
    except (ValueError, RecursionError):  # not JSON, or nested past what the decoder follows
        return None
    if isinstance(data, list) and data:
        data = data[0]
    status = data.get("status") if isinstance(data, dict) else None
    return status if isinstance(status, dict) else None


def weibo_time(created: Any, now: datetime, tz: str) -> datetime | None:
    """``created_at`` in any of Weibo's forms; a bare "MM-DD" is this year's date (last year's if that
    would lie in the future), which general date parsers misread as a year and month."""
    if not isinstance(created, str):
        return None
    match = _MONTH_DAY.match(created)
    if match:
        month, day = int(match.group(1)), int(match.group(2))
        try:
            value = datetime(now.year, month, day, tzinfo=now.tzinfo)
            if value > now + timedelta(days=1):
                value = value.replace(year=now.year - 1)
        except ValueError:
            return None
        return value
    return parse_time(created, now=now, tz=tz)


class WeiboSpider(SourceSpider):
    name = "weibo"
    private_authors = True

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        data = load_json(self, response)
        if data is None:
            return
        if not isinstance(data, dict) or data.get("ok") != 1:
            message = data.get("msg") if isinstance(data, dict) else None
            self.logger.info("no (more) results at %s: %s", response.url, message or "ok != 1")
            return
        body: dict[str, Any] = data["data"] if isinstance(data.get("data"), dict) else {}
        blogs = list(mblogs(body.get("cards")))
        self.found(len(blogs))
        dated: list[datetime] = []
        for index, blog in enumerate(blogs):
            yield from self.post_and_original(blog, f"{response.url} card {index}", response, dated)
        if dated and self.since and all(d < self.since for d in dated):
            self.logger.info("every post on %s is older than the window; not paging further", response.url)
            return
        info: dict[str, Any] = body["cardlistInfo"] if isinstance(body.get("cardlistInfo"), dict) else {}
        following = info.get("page")
        if blogs and isinstance(following, int) and not isinstance(following, bool):
            request = self.next_page(with_page(response.url, following), response, self.parse)
            if request is not None:
                yield request

    def post_and_original(self, blog: Any, where: str, response: Response, dated: list[datetime]) -> Iterator[Any]:
        """The card's post and the original it reposts, each as a post, or a request for what it still needs. Every
        post's time goes to ``dated`` before the window filters it: a page whose posts are all older stops paging."""
        post = self.post(blog, where, response)
        original = blog.get("retweeted_status") if isinstance(blog, dict) else None
        if post is not None and isinstance(original, dict):
            self.found()  # the reposted original is an item of its own (12 new of "13 found" did not add up)
            yield from self.post_and_original(original, where + " (original)", response, dated)
        if post is None:
            return
        if post.published_at is not None:
            dated.append(post.published_at)
        long_text = isinstance(blog, dict) and blog.get("isLongText") is True
        if (long_text or post.published_precision == "day") and not self.too_old(post.published_at):
            if post.id in self._requested:
                self.crawler.stats.inc_value(DUPLICATES)
                return
            if self.crawl_state.is_seen(self.spec.name, post.id):
                self.crawler.stats.inc_value(SEEN_BEFORE)
                return
            self._requested.add(post.id)
            yield self.follow_up(post, native_id_of(blog), long_text, response)
            return
        if self.accept(post):
            yield post

    def follow_up(self, post: Post, native_id: str, long_text: bool, response: Response) -> scrapy.Request:
        """The first request a post still needs: its detail page when the card gives only its date (the page gives
        the minute), then its full text when the card cuts it. The post waits in the request de-identified."""
        from analysis.entry import deidentify_only  # (imported on first use: it loads the analysis stage)

        base = self.base(response)
        meta = {
            "yuqing_post": deidentify_only(post).model_dump(mode="json"),
            "yuqing_full_text": f"{base}/statuses/extend?id={native_id}" if long_text else None,
        }
        if post.published_precision == "day":
            return scrapy.Request(f"{base}/detail/{native_id}", callback=self.parse_detail, errback=self.detail_failed,
                                  dont_filter=not self.distributed, meta=meta)
        return self.long_text_request(meta)

    def long_text_request(self, meta: dict[str, Any]) -> scrapy.Request:
        return scrapy.Request(meta["yuqing_full_text"], callback=self.parse_long, errback=self.long_text_failed,
                              dont_filter=not self.distributed, meta={"yuqing_post": meta["yuqing_post"]})

    def parse_detail(self, response: Response) -> Iterator[Any]:
        """The minute a post was published, from its detail page, where the card showed only the day."""
        post = Post.model_validate(response.meta["yuqing_post"])
        status = detail_status(response.text) if isinstance(response, TextResponse) else None
        created = status.get("created_at") if status is not None else None
        now = self.now()
        published = weibo_time(created, now, self.tz)
        if published is not None and not is_date_only(created) and published <= now + timedelta(days=1):
            post = post.model_copy(update={"published_at": published, "published_precision": None})
        else:
            said = "no $render_data" if status is None else f"a created_at written as {value_shape(created)}"
            self.partial("time_of_day", response.url, f"kept the date alone: the detail page has {said}")
        yield from self.after_time(post, response.meta)

    def detail_failed(self, failure: Failure) -> Iterator[Any]:
        """Without the detail page, the post keeps its date, marked as a date alone."""
        self.on_error(failure)
        meta = failure.request.meta  # type: ignore[attr-defined]
        post = Post.model_validate(meta["yuqing_post"])
        self.partial("time_of_day", post.url, "no detail page: kept the date alone")
        yield from self.after_time(post, meta)

    def after_time(self, post: Post, meta: dict[str, Any]) -> Iterator[Any]:
        if meta.get("yuqing_full_text"):
            yield self.long_text_request({**meta, "yuqing_post": post.model_dump(mode="json")})
        elif self.accept(post):
            yield post

    def long_text_failed(self, failure: Failure) -> Iterator[Post]:
        """Without the full text, the cut text still makes a post."""
        self.on_error(failure)
        post = Post.model_validate(failure.request.meta["yuqing_post"])  # type: ignore[attr-defined]
        self.partial("long_text", post.url, "kept the cut text")
        if self.accept(post):
            yield post

    def parse_long(self, response: Response) -> Iterator[Post]:
        post = Post.model_validate(response.meta["yuqing_post"])
        data = load_json(self, response)
        long_text = None
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            long_text = html_to_text(as_text(data["data"].get("longTextContent")))
        if long_text:
            from crawler.state import content_hash

            post = post.model_copy(
                update={"text": long_text, "content_hash": content_hash(post.title, long_text), "deidentified": False}
            )
        else:
            self.partial("long_text", post.url, "kept the cut text")
        if self.accept(post):
            yield post

    def base(self, response: Response) -> str:
        parts = urlsplit(response.url)
        return f"{parts.scheme}://{parts.netloc}"

    def post(self, blog: Any, where: str, response: Response) -> Post | None:
        if not isinstance(blog, dict):
            self.skip("no_mblog", where, f"mblog is {type(blog).__name__}")
            return None
        native_id = native_id_of(blog)
        if not native_id:
            self.skip("no_id", where, "mblog without id")
            return None
        raw_text = blog.get("text")
        if not isinstance(raw_text, str):
            self.skip("no_text", where, f"mblog {native_id} text is {type(raw_text).__name__}")
            return None
        text = _CUT_MARK.sub("…", html_to_text(raw_text))
        original = blog.get("retweeted_status")
        if isinstance(original, dict) and isinstance(original.get("text"), str):
            text += "\n//转发原文：" + html_to_text(original["text"])
        created = blog.get("created_at")
        now = self.now()
        published, precision = self.publish_time(weibo_time(created, now, self.tz), is_date_only(created))
        if published is None:
            self.partial("published_at", where, f"unreadable created_at, written as {value_shape(created)}")
        user: dict[str, Any] = blog["user"] if isinstance(blog.get("user"), dict) else {}
        author = as_text(user.get("screen_name"))
        if not author:
            self.partial("author", where, "no user.screen_name")
        region = None
        province = province_of(blog.get("region_name"))
        if self.spec.region is None and province:
            region = Region(province=province)
        engagement = Engagement(
            reposts=parse_count(blog.get("reposts_count")),
            comments=parse_count(blog.get("comments_count")),
            likes=parse_count(blog.get("attitudes_count")),
        )
        return self.make_post(
            native_id,
            url=f"{self.base(response)}/detail/{native_id}",
            text=text,
            author=author,
            published_at=published,
            published_precision=precision,
            engagement=engagement,
            region=region,
        )
