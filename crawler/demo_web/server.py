"""The demo web: a small A市 news site, message board, feeds, sitemap and a Weibo-shaped JSON API.

Standard library only (``http.server``), bound to 127.0.0.1. Pages are rendered on each request
from the catalogue and the scenario, so items released later appear while a crawler watches.
Every request is written to an access log, which tests read to prove each page was fetched once.
A ``/faults/`` area serves the hostile input crawlers meet in the wild (broken markup, wrong
charsets, truncated and oversized bodies, redirect loops, malformed JSON and XML).
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from crawler.demo_web.content import (
    BoardMessage,
    Catalogue,
    ForumThread,
    NewsArticle,
    WeiboPost,
    dated_catalogue,
    default_catalogue,
)
from yuqing.clock import Clock, SystemClock

log = logging.getLogger(__name__)

SCENARIO_DIR = Path(__file__).with_name("scenarios")
NEWS_PAGE_SIZE = 20
BOARD_PAGE_SIZE = 5
WEIBO_PAGE_SIZE = 5
FORUM_PAGE_SIZE = 3
HUGE_PAGE_BYTES = 10 * 1024 * 1024 + 512 * 1024  # just over the default max_page_bytes (10 MiB)
BIG_PAGE_BYTES = 6 * 1024 * 1024  # big, but under the limit: must still yield an article


@dataclass(frozen=True)
class Scenario:
    """When items appear: item id → seconds after start. Items not named are there from the start."""

    name: str
    releases: dict[str, float] = field(default_factory=dict)


def load_scenario(name_or_path: str | None) -> Scenario:
    """A bundled scenario by name (``static``, ``live``) or a YAML file with ``releases: {id: seconds}``."""
    if not name_or_path:
        name_or_path = "static"
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        bundled = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
        raise ValueError(
            f"scenario {name_or_path!r} not found; use one of the bundled scenarios ({bundled}) "
            "or the path of a YAML file with `releases: {item_id: seconds}`"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"scenario file {path} is not valid YAML: {exc}") from exc
    releases = data.get("releases") or {}
    if not isinstance(releases, dict):
        raise ValueError(f"{path}: releases must be a mapping of item id to seconds, e.g. {{n1002: 60}}")
    try:
        parsed = {str(k): float(v) for k, v in releases.items()}
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: every release needs a number of seconds ({exc})") from exc
    return Scenario(name=str(data.get("name") or path.stem), releases=parsed)


@dataclass(frozen=True)
class Hit:
    at: float
    method: str
    path: str
    status: int
    size: int


class AccessLog:
    """Every request the site answered, in memory and optionally appended to a file."""

    def __init__(self, path: Path | None = None):
        self._lock = threading.Lock()
        self.hits: list[Hit] = []
        self.path = path

    def add(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)
            if self.path is not None:
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(f"{hit.at:.3f}\t{hit.method}\t{hit.status}\t{hit.size}\t{hit.path}\n")

    def counts(self, prefix: str = "/") -> Counter[str]:
        """How often each path (with its query) was requested."""
        with self._lock:
            return Counter(h.path for h in self.hits if h.path.startswith(prefix))

    def clear(self) -> None:
        with self._lock:
            self.hits.clear()


def weibo_time(published: datetime, now: datetime) -> str:
    """``created_at`` as m.weibo.cn prints it: 刚刚, N分钟前, N小时前, 昨天 HH:MM, MM-DD, YYYY-MM-DD."""
    delta = now - published
    if delta < timedelta(minutes=1):
        return "刚刚"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)}分钟前"
    if delta < timedelta(hours=24) and published.date() == now.date():
        return f"{int(delta.total_seconds() // 3600)}小时前"
    if published.date() == now.date() - timedelta(days=1):
        return f"昨天 {published:%H:%M}"
    if published.year == now.year:
        return f"{published:%m-%d}"
    return f"{published:%Y-%m-%d}"


def weibo_time_long(published: datetime) -> str:
    """The classic API form: ``Sun May 12 16:25:00 +0800 2019``."""
    return published.strftime("%a %b %d %H:%M:%S %z %Y")


_TAGS = re.compile(r"<[^>]+>")


class DemoSite:
    """The content, its clock and scenario: which items are visible now, and when each was published."""

    def __init__(self, catalogue: Catalogue, scenario: Scenario, clock: Clock | None = None):
        self.scenario = scenario
        self.clock = clock or SystemClock()
        self.t0 = self.clock.now().replace(microsecond=0)
        self.catalogue = dated_catalogue(catalogue, self.t0.date())  # the day in the clock's zone, as times are shown
        unknown = set(scenario.releases) - catalogue.ids()
        if unknown:
            raise ValueError(
                f"scenario {scenario.name!r} releases unknown items: {', '.join(sorted(unknown))}"
            )

    def now(self) -> datetime:
        return self.clock.now()

    def _published(self, item_id: str, age: timedelta) -> datetime:
        if item_id in self.scenario.releases:
            return self.t0 + timedelta(seconds=self.scenario.releases[item_id])
        return self.t0 - age

    def _visible(self, item_id: str) -> bool:
        after = self.scenario.releases.get(item_id)
        return after is None or self.now() >= self.t0 + timedelta(seconds=after)

    def news_published(self, article: NewsArticle) -> datetime:
        return self._published(article.id, timedelta(hours=article.age_hours))

    def board_published(self, message: BoardMessage) -> datetime:
        return self._published(message.id, timedelta(hours=message.age_hours))

    def weibo_published(self, post: WeiboPost) -> datetime:
        return self._published(post.id, timedelta(minutes=post.age_minutes))

    def forum_published(self, thread: ForumThread) -> datetime:
        return self._published(f"forum-{thread.tid}", timedelta(hours=thread.age_hours))

    def news(self) -> list[NewsArticle]:
        items = [a for a in self.catalogue.news if self._visible(a.id)]
        return sorted(items, key=self.news_published, reverse=True)

    def board(self) -> list[BoardMessage]:
        items = [m for m in self.catalogue.board if self._visible(m.id)]
        return sorted(items, key=self.board_published, reverse=True)

    def weibo(self) -> list[WeiboPost]:
        items = [w for w in self.catalogue.weibo if self._visible(w.id)]
        return sorted(items, key=self.weibo_published, reverse=True)

    def forum(self) -> list[ForumThread]:
        items = [t for t in self.catalogue.forum if self._visible(f"forum-{t.tid}")]
        return sorted(items, key=self.forum_published, reverse=True)

    def article(self, article_id: str) -> NewsArticle | None:
        return next((a for a in self.catalogue.news if a.id == article_id and self._visible(a.id)), None)

    def message(self, message_id: str) -> BoardMessage | None:
        return next((m for m in self.catalogue.board if m.id == message_id and self._visible(m.id)), None)

    def weibo_post(self, post_id: str) -> WeiboPost | None:
        return next((w for w in self.catalogue.weibo if w.id == post_id), None)


# ----------------------------------------------------------------------------- rendering

_E = html.escape

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
{meta}<link rel="alternate" type="application/rss+xml" title="A市新闻" href="/rss.xml">
<style>body{{font-family:sans-serif;max-width:860px;margin:auto;line-height:1.7}}nav a{{margin-right:1em}}</style>
</head><body>
<header><div class="site-name">A市民生网</div><nav><a href="/">首页</a><a href="/news/">新闻</a><a href="/board/">问政留言</a>
<a href="/rss.xml">RSS</a></nav></header>
{body}
<footer><p>A市民生网（演示站点，内容纯属虚构）　Copyright 2024 A市融媒体中心</p>
<ul class="related"><li><a href="/news/">更多新闻</a></li><li><a href="/board/">我要留言</a></li></ul></footer>
</body></html>"""


def page(title: str, body: str, meta: str = "") -> str:
    return _PAGE.format(title=_E(title), meta=meta, body=body)


def _stamp(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}"


def render_home(site: DemoSite) -> str:
    latest = "".join(
        f'<li><a href="/news/content/{a.id}.html">{_E(a.title)}</a></li>' for a in site.news()[:8]
    )
    body = (
        f"<h1>A市民生网</h1><h2>要闻</h2><ul>{latest}</ul>"
        '<p><a href="/board/">政民互动</a> · <a href="/sitemap.xml">网站地图</a></p>'
    )
    return page("A市民生网", body)


def _pager(total: int, size: int, number: int, base: str) -> str:
    pages = max(1, -(-total // size))
    parts = [f'<span class="pageinfo">第{number}页 / 共{pages}页</span>']
    if number > 1:
        previous = f"{base}index.html" if number == 2 else f"{base}index_{number - 1}.html"
        parts.append(f'<a class="prev" href="{previous}">上一页</a>')
    if number < pages:
        parts.append(f'<a class="next" href="{base}index_{number + 1}.html">下一页</a>')
    return f'<div class="pager">{"".join(parts)}</div>'


def render_news_list(site: DemoSite, number: int) -> str | None:
    articles = site.news()
    chunk = articles[(number - 1) * NEWS_PAGE_SIZE : number * NEWS_PAGE_SIZE]
    if number > 1 and not chunk:
        return None
    rows = "".join(
        f'<li><a class="article-link" href="/news/content/{a.id}.html">{_E(a.title)}</a>'
        f'<span class="date">{site.news_published(a):%Y-%m-%d}</span></li>'
        for a in chunk
    )
    if number == 1:
        # Disallowed by robots.txt: a polite crawler never fetches it.
        rows += (
            '<li><a class="article-link" href="/private/internal-notice.html">内部通知（仅限内网）</a></li>'
        )
    body = f'<h1>新闻中心</h1><ul class="news-list">{rows}</ul>{_pager(len(articles), NEWS_PAGE_SIZE, number, "/news/")}'
    return page(f"新闻中心_第{number}页_A市民生网", body)


def render_article(site: DemoSite, article: NewsArticle) -> str:
    published = site.news_published(article)
    meta = (
        "\n".join(
            [
                f'<meta name="ArticleTitle" content="{_E(article.title)}">',
                f'<meta name="PubDate" content="{_stamp(published)}">',
                f'<meta name="ContentSource" content="{_E(article.outlet)}">',
                f'<meta name="author" content="{_E(article.author)}">',
                f'<meta name="keywords" content="{_E(",".join(article.keywords))}">',
                f'<meta name="description" content="{_E(article.paragraphs[0][:80])}">',
                f'<meta property="og:title" content="{_E(article.title)}">',
                '<meta property="og:site_name" content="A市民生网">',
                f'<meta property="article:published_time" content="{published.isoformat()}">',
            ]
        )
        + "\n"
    )
    paragraphs = "".join(f"<p>{_E(p)}</p>" for p in article.paragraphs)
    body = (
        '<div class="breadcrumb"><a href="/">首页</a> &gt; <a href="/news/">新闻中心</a></div>'
        f'<h1 class="article-title">{_E(article.title)}</h1>'
        f'<div class="info">发布时间：<span class="pubtime">{_stamp(published)}</span>　'
        f'来源：<span class="source">{_E(article.outlet)}</span>　作者：<span class="author">{_E(article.author)}</span></div>'
        f'<div class="article-content">{paragraphs}</div>'
        '<div class="share">分享到：微信 微博</div>'
    )
    return page(f"{article.title}_A市民生网", body, meta)


def render_board_list(site: DemoSite, number: int) -> str | None:
    messages = site.board()
    chunk = messages[(number - 1) * BOARD_PAGE_SIZE : number * BOARD_PAGE_SIZE]
    if number > 1 and not chunk:
        return None
    rows = "".join(
        f'<tr><td><a class="msg-link" href="/board/msg/{m.id}.html">{_E(m.subject)}</a></td>'
        f'<td class="status">{_E(m.status)}</td><td>{site.board_published(m):%Y-%m-%d}</td></tr>'
        for m in chunk
    )
    body = (
        f'<h1>问政留言</h1><table class="msg-list"><tr><th>主题</th><th>状态</th><th>时间</th></tr>{rows}</table>'
        f"{_pager(len(messages), BOARD_PAGE_SIZE, number, '/board/')}"
    )
    return page(f"问政留言_第{number}页", body)


def render_message(site: DemoSite, message: BoardMessage) -> str:
    published = site.board_published(message)
    reply = ""
    if message.reply:
        replied = published + timedelta(hours=message.reply_after_hours or 0)
        if replied <= site.now():
            reply = (
                '<div class="reply"><h2>答复意见</h2>'
                f'<div class="reply-unit">答复单位：<span class="replier">{_E(message.reply_unit or "")}</span></div>'
                f'<div class="reply-time">答复时间：{_stamp(replied)}</div>'
                f'<div class="reply-text">{_E(message.reply)}</div></div>'
            )
    status = message.status if reply or not message.reply else "办理中"
    body = (
        '<div class="message">'
        f'<h1 class="subject">{_E(message.subject)}</h1>'
        '<table class="msg-info">'
        f"<tr><th>留言主题：</th><td>{_E(message.subject)}</td></tr>"
        f'<tr><th>留言用户：</th><td class="asker">{_E(message.asker)}</td></tr>'
        f'<tr><th>留言时间：</th><td class="msg-time">{_stamp(published)}</td></tr>'
        f'<tr><th>办理状态：</th><td class="msg-status">{_E(status)}</td></tr>'
        "</table>"
        f'<div class="msg-detail"><h2>留言内容</h2><p>{_E(message.detail)}</p></div>'
        f"{reply}</div>"
    )
    return page(f"{message.subject}_问政留言", body)


def _rss_date(value: datetime) -> str:
    return format_datetime(value)


def render_rss(site: DemoSite, base: str) -> str:
    items = []
    for a in site.news()[:30]:
        link = f"{base}/news/content/{a.id}.html"
        items.append(
            "<item>"
            f'<title>{_E(a.title)}</title><link>{link}</link><guid isPermaLink="true">{link}</guid>'
            f"<description>{_E(a.paragraphs[0])}</description>"
            f"<content:encoded><![CDATA[{''.join(f'<p>{_E(p)}</p>' for p in a.paragraphs)}]]></content:encoded>"
            f"<author>{_E(a.author)}</author><pubDate>{_rss_date(site.news_published(a))}</pubDate>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>A市民生网 新闻</title><link>{base}/news/</link><description>A市新闻（演示）</description>"
        f"<language>zh-cn</language>{''.join(items)}</channel></rss>"
    )


def render_atom(site: DemoSite, base: str) -> str:
    entries = []
    for m in site.board():
        link = f"{base}/board/msg/{m.id}.html"
        entries.append(
            "<entry>"
            f'<title>{_E(m.subject)}</title><link href="{link}"/><id>urn:demo:board:{m.id}</id>'
            f"<updated>{site.board_published(m).isoformat()}</updated>"
            f"<published>{site.board_published(m).isoformat()}</published>"
            f"<author><name>{_E(m.asker)}</name></author>"
            f'<content type="html">{_E(m.detail)}</content>'
            "</entry>"
        )
    updated = site.now().isoformat()
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>A市问政留言</title><id>urn:demo:board</id><updated>{updated}</updated>"
        f'<link href="{base}/board/"/>{"".join(entries)}</feed>'
    )


def render_sitemap_index(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap>"
        f"<sitemap><loc>{base}/sitemap-board.xml</loc></sitemap></sitemapindex>"
    )


def render_news_sitemap(site: DemoSite, base: str) -> str:
    urls = []
    for a in site.news():
        published = site.news_published(a)
        urls.append(
            f"<url><loc>{base}/news/content/{a.id}.html</loc><lastmod>{published.isoformat()}</lastmod>"
            "<news:news><news:publication><news:name>A市民生网</news:name><news:language>zh</news:language>"
            f"</news:publication><news:publication_date>{published.isoformat()}</news:publication_date>"
            f"<news:title>{_E(a.title)}</news:title><news:keywords>{_E(','.join(a.keywords))}</news:keywords>"
            "</news:news></url>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(urls) + "</urlset>"
    )


def render_board_sitemap(site: DemoSite, base: str) -> str:
    urls = "".join(
        f"<url><loc>{base}/board/msg/{m.id}.html</loc>"
        f"<lastmod>{site.board_published(m):%Y-%m-%d}</lastmod></url>"
        for m in site.board()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )


def _mblog(
    site: DemoSite, post: WeiboPost, now: datetime, nested: bool = False, full_time: bool = False
) -> dict[str, Any]:
    """The post as the API prints it; ``full_time``: ``created_at`` in the long form, as the detail page gives it."""
    published = site.weibo_published(post)
    text = post.text
    if post.long_text:
        text = post.text[:60] + f'...<a href="/status/{post.id}">全文</a>'
    blog: dict[str, Any] = {
        "id": post.id,
        "mid": post.id,
        "bid": f"N{post.id[-6:]}",
        "created_at": weibo_time_long(published) if post.grouped or full_time else weibo_time(published, now),
        "text": text,
        "source": "微博 weibo.com",
        "isLongText": bool(post.long_text),
        "user": {
            "id": post.user.id,
            "screen_name": post.user.screen_name,
            "verified": post.user.verified,
            "followers_count": post.user.followers,
            "profile_url": f"/u/{post.user.id}",
        },
        "reposts_count": post.reposts,
        "comments_count": post.comments,
        "attitudes_count": post.likes,
        "region_name": f"发布于 {post.region}",
        "pic_num": 0,
    }
    if post.retweet_of and not nested:
        original = site.weibo_post(post.retweet_of)
        if original is not None:
            blog["retweeted_status"] = _mblog(site, original, now, nested=True, full_time=full_time)
    return blog


def render_weibo_detail(site: DemoSite, post: WeiboPost) -> str:
    """m.weibo.cn's detail page: the text, and the post inline as ``$render_data`` with ``created_at`` in full (a
    search card from two days back shows only "11-25")."""
    status = _mblog(site, post, site.now(), full_time=True)
    data = json.dumps([{"status": status, "call": 1}], ensure_ascii=False).replace("</", "<\\/")
    return page("微博正文", f"<p>{_E(_TAGS.sub('', post.text))}</p>\n<script>\nvar $render_data = {data}[0] || {{}};\n</script>")


def _weibo_matches(site: DemoSite, post: WeiboPost, query: str) -> bool:
    """The demo's search: the query in the text (or the reposted text); A市 also finds its districts."""
    texts = [_TAGS.sub("", post.long_text or post.text)]
    if post.retweet_of and (original := site.weibo_post(post.retweet_of)):
        texts.append(_TAGS.sub("", original.long_text or original.text))
    for text in texts:
        if query in text or (query == "A市" and re.search(r"A[1-7]区", text)):
            return True
    return False


def render_weibo_api(site: DemoSite, containerid: str, number: int) -> dict[str, Any]:
    now = site.now()
    posts = site.weibo()
    if containerid.startswith("100103"):
        query = parse_qs(containerid[len("100103") :]).get("q", [""])[0]
        posts = [p for p in posts if query and _weibo_matches(site, p, query)]
    elif containerid.startswith("107603"):
        uid = containerid[len("107603") :]
        posts = [p for p in posts if str(p.user.id) == uid]
    else:
        return {"ok": 0, "msg": "请求参数错误", "data": {"cards": []}}
    chunk = posts[(number - 1) * WEIBO_PAGE_SIZE : number * WEIBO_PAGE_SIZE]
    if not chunk:
        return {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}
    cards: list[dict[str, Any]] = []
    if number == 1:
        cards.append({"card_type": 4, "desc": "实时微博", "card_type_name": "提示"})
    for post in chunk:
        card = {
            "card_type": 9,
            "itemid": f"{containerid}_-_{post.id}",
            "scheme": f"/detail/{post.id}",
            "mblog": _mblog(site, post, now),
        }
        if post.grouped:
            cards.append({"card_type": 11, "card_group": [card]})
        else:
            cards.append(card)
    has_more = number * WEIBO_PAGE_SIZE < len(posts)
    return {
        "ok": 1,
        "data": {
            "cardlistInfo": {
                "containerid": containerid,
                "v_p": 42,
                "page": number + 1 if has_more else None,
                "total": len(posts),
            },
            "cards": cards,
        },
    }


def render_forum_api(site: DemoSite, number: int) -> dict[str, Any]:
    threads = site.forum()
    chunk = threads[(number - 1) * FORUM_PAGE_SIZE : number * FORUM_PAGE_SIZE]
    items = [
        {
            "tid": t.tid,
            "subject": t.subject,
            "message": t.message,
            "author": {"name": t.author},
            "dateline": int(site.forum_published(t).timestamp()),
            "replies": t.replies,
            "views": t.views,
            "likes": t.likes,
            "url": f"/forum/thread-{t.tid}.html",
        }
        for t in chunk
    ]
    more = number * FORUM_PAGE_SIZE < len(threads)
    return {
        "code": 0,
        "data": {
            "items": items,
            "page": number,
            "next": f"/api/forum/threads.json?page={number + 1}" if more else None,
        },
    }


# ----------------------------------------------------------------------------- hostile input

_FAULT_LINKS = (
    "good.html",
    "malformed.html",
    "wrong-charset.html",
    "empty.html",
    "no-fields.html",
    "truncated.html",
    "huge.html",
    "big.html",
    "loop-a.html",
    "redirect-ok.html",
    "binary.png",
    "image.html",
    "labelled-html.html",
    "missing.html",
    "error.html",
)


def render_faults_list() -> str:
    links = "".join(
        f'<li><a class="article-link" href="/faults/news/{name}">{name}</a></li>' for name in _FAULT_LINKS
    )
    return page("故障样本", f'<h1>故障样本</h1><ul class="news-list">{links}</ul>')


def _fault_article(title: str, text: str) -> str:
    return page(
        title,
        f'<h1 class="article-title">{_E(title)}</h1><div class="info">发布时间：'
        f'<span class="pubtime">2024-05-12 09:30</span></div>'
        f'<div class="article-content"><p>{_E(text)}</p></div>',
    )


_GOOD_TEXT = (
    "A市城管部门对中心城区占道经营问题开展集中整治，清理流动摊点二十余处，"
    "同时在A1区设置三处便民疏导点，方便摊贩规范经营。"
) * 3


def fault_response(name: str, base: str) -> tuple[int, dict[str, str], bytes] | None:
    """(status, headers, body) for one hostile page, or None when there is no such page."""
    html_type = {"Content-Type": "text/html; charset=utf-8"}
    if name == "good.html":
        return 200, html_type, _fault_article("城管集中整治占道经营", _GOOD_TEXT).encode()
    if name == "malformed.html":
        body = (
            "<html><head><title>标签残缺的页面</title><body><div class=article-content><p>A市某街道路灯损坏多日"
            "<p>居民夜间出行不便，希望尽快维修。<div><span><b>未闭合<i>标签<table><tr><td>混乱"
            "\x00\x01 </scr<script>ipt> &#xD800; &bogus; <<<>>>"
        )
        return 200, html_type, body.encode("utf-8")
    if name == "wrong-charset.html":
        body = _fault_article(
            "字符集声明错误的页面",
            "这一页用GBK编码，却声明为UTF-8。A市A2区菜市场改造完成，摊位整齐划一。" * 4,
        )
        return 200, html_type, body.encode("gbk")
    if name == "empty.html":
        return 200, html_type, b""
    if name == "no-fields.html":
        return 200, html_type, b"<html><body><div></div></body></html>"
    if name == "truncated.html":
        cut = _fault_article("被截断的页面", _GOOD_TEXT * 3).encode()
        return 200, {**html_type, "X-Demo-Truncate": str(len(cut) // 2)}, cut
    if name == "huge.html":
        return 200, html_type, _padded_page("超大页面", HUGE_PAGE_BYTES)
    if name == "big.html":
        return 200, html_type, _padded_page("较大页面", BIG_PAGE_BYTES)
    if name == "loop-a.html":
        return 302, {"Location": f"{base}/faults/news/loop-b.html"}, b""
    if name == "loop-b.html":
        return 302, {"Location": f"{base}/faults/news/loop-a.html"}, b""
    if name == "redirect-ok.html":
        return 301, {"Location": f"{base}/faults/news/good.html"}, b""
    if name == "binary.png":
        return 200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    if name == "image.html":  # an image behind a URL ending in .html (Scrapy builds an HtmlResponse from the URL)
        return 200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    if name == "labelled-html.html":  # an image the server calls HTML
        return 200, html_type, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    if name == "error.html":
        return 500, html_type, b"<html><body>Internal Server Error</body></html>"
    return None


_PADDING: dict[int, bytes] = {}


def _padded_page(title: str, size: int) -> bytes:
    """An article at the top and filler markup after it, ``size`` bytes in all (cached)."""
    if size not in _PADDING:
        head = _fault_article(
            title, "页面很大，但正文在最前面。A市A4区新建口袋公园三处，方便周边居民休闲。" * 3
        )
        head = head.replace("</body></html>", "")
        filler = '<div class="filler">' + "填充内容 " * 40 + "</div>\n"
        unit = filler.encode()
        repeat = max(0, (size - len(head.encode())) // len(unit))
        body = head.encode() + unit * repeat
        body += b" " * max(0, size - len(body) - len(b"</body></html>")) + b"</body></html>"
        _PADDING[size] = body
    return _PADDING[size]


def fault_rss(base: str) -> bytes:
    """A feed with one good item, items missing their link or title, a bad date, and broken XML at the end."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>故障订阅</title>'
        f"<item><title>正常条目：A市开展夜市消防检查</title><link>{base}/faults/feed/ok-1.html</link>"
        "<description>A市消防救援支队对夜市摊点开展消防安全检查，排查隐患十余处。</description>"
        "<pubDate>Sun, 12 May 2024 09:30:00 +0800</pubDate></item>"
        "<item><title>没有链接的条目</title><description>这个条目没有链接，也没有guid。</description></item>"
        f"<item><link>{base}/faults/feed/no-title.html</link><description>没有标题的条目，正文说A7区新增公交站。"
        "</description><pubDate>不是日期</pubDate></item>"
        "<item><title>空条目</title></item>"
        f"<item><title>正常条目：A5区开展燃气安全宣传</title><link>{base}/faults/feed/ok-2.html</link>"
        "<description>A5区组织燃气企业进社区宣传安全用气知识。&bogus; <b>未闭合"
        "</description></item><item><title>截断"
    ).encode()


def fault_weibo(number: int) -> bytes:
    if number > 1:
        return b'{"ok":1,"data":{"cards":[{"card_type":9,"mblog":{"id":"49900000099'
    cards = [
        {
            "card_type": 9,
            "mblog": {
                "id": "4990000000099001",
                "text": "正常微博：A市地铁3号线试运行<br/>乘车体验不错",
                "created_at": "昨天 08:10",
                "user": {"screen_name": "地铁迷"},
                "reposts_count": "100万+",
                "comments_count": None,
                "attitudes_count": "12",
            },
        },
        {"card_type": 9},
        {"card_type": 9, "mblog": {"text": "没有id的微博"}},
        {"card_type": 9, "mblog": {"id": "4990000000099004", "text": None, "created_at": "乱码时间"}},
        {"card_type": 9, "mblog": "不是对象"},
        {"card_type": 11, "card_group": "不是列表"},
        {
            "card_type": 9,
            "mblog": {
                "id": "4990000000099007",
                "text": "<b>时间格式各异</b>：A6区社区食堂开张",
                "created_at": "Sun May 12 16:25:00 +0800 2019",
                "user": None,
                "region_name": 42,
            },
        },
    ]
    return json.dumps(
        {"ok": 1, "data": {"cardlistInfo": {"page": 2}, "cards": cards}}, ensure_ascii=False
    ).encode()


def fault_forum(number: int) -> bytes:
    if number > 1:
        return b"<html>not json</html>"
    items = [
        {
            "tid": 9901,
            "subject": "正常帖子：A3区夜市噪音",
            "message": "夜市太吵了，希望管一管。",
            "dateline": 1715477400,
            "author": {"name": "夜猫子"},
        },
        {"subject": "没有tid的帖子", "message": "缺少编号"},
        {"tid": 9903, "subject": None, "message": None},
        "不是对象",
        {
            "tid": 9905,
            "subject": "字段类型错误",
            "message": ["列表", "正文"],
            "dateline": "昨天",
            "replies": "很多",
            "author": "不是对象",
        },
    ]
    return json.dumps(
        {"code": 0, "data": {"items": items, "next": "/faults/forum.json?page=2"}}, ensure_ascii=False
    ).encode()


def fault_sitemap(base: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}/faults/news/good.html</loc><lastmod>2024-05-12</lastmod></url>"
        "<url><loc>javascript:alert(1)</loc></url>"
        "<url><lastmod>2024-05-12</lastmod></url>"
        f"<url><loc>{base}/faults/news/no-fields.html</loc><lastmod>昨天</lastmod></url>"
        f"<url><loc>{base}/faults/news/malformed.html</loc>"
        "<url><loc>"
    ).encode()


# ----------------------------------------------------------------------------- HTTP


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "A-City-Demo/1.0"
    demo: DemoWeb  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("demo web: " + format, *args)

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        demo = self.demo
        if demo.delay_s:
            time.sleep(demo.delay_s)
        try:
            status, headers, body = demo.respond(self.path, self.headers.get("Host"))
        except Exception:  # a bug in a page must not take the site down; the crawler sees a 500
            log.exception("demo web failed on %s", self.path)
            status, headers, body = 500, {"Content-Type": "text/plain"}, b"internal error"
        truncate = headers.pop("X-Demo-Truncate", None)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if truncate is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        sent = 0
        if not head:
            payload = body[: int(truncate)] if truncate is not None else body
            try:
                self.wfile.write(payload)
                sent = len(payload)
            except (BrokenPipeError, ConnectionResetError):
                log.debug("client went away while reading %s", self.path)
        demo.access_log.add(Hit(time.time(), self.command, self.path, status, sent))


class DemoWeb:
    """The running demo site: ``url``, ``access_log``, ``stop()``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8700,
        scenario: str | Scenario | None = None,
        pages: int = 0,
        delay_s: float = 0.0,
        access_log_path: Path | None = None,
        clock: Clock | None = None,
    ):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the demo web binds to the loopback interface only, not {host!r}")
        scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.site = DemoSite(default_catalogue(pages), scenario, clock)
        self.delay_s = delay_s
        self.access_log = AccessLog(access_log_path)
        handler = type("DemoHandler", (_Handler,), {"demo": self})
        try:
            self.server = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise OSError(f"cannot serve the demo web on {host}:{port} ({exc.strerror}): the port is probably taken") \
                from exc
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
        self.host, self.port = str(self.server.server_address[0]), int(self.server.server_address[1])
        self.url = f"http://{self.host}:{self.port}"
        self._thread: threading.Thread | None = None

    def respond(self, raw_path: str, host_header: str | None) -> tuple[int, dict[str, str], bytes]:
        """Route one request: (status, headers, body)."""
        base = f"http://{host_header}" if host_header else self.url
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        site = self.site

        def html_ok(text: str) -> tuple[int, dict[str, str], bytes]:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, text.encode("utf-8")

        def xml_ok(text: str | bytes, kind: str = "application/xml") -> tuple[int, dict[str, str], bytes]:
            data = text.encode("utf-8") if isinstance(text, str) else text
            return 200, {"Content-Type": f"{kind}; charset=utf-8"}, data

        def json_ok(data: Any) -> tuple[int, dict[str, str], bytes]:
            raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode("utf-8")
            return 200, {"Content-Type": "application/json; charset=utf-8"}, raw

        def page_number() -> int:
            try:
                return max(1, int(query.get("page", ["1"])[0]))
            except ValueError:
                return 1

        not_found = (
            404,
            {"Content-Type": "text/html; charset=utf-8"},
            page("页面不存在", "<h1>404 页面不存在</h1>").encode(),
        )

        if path == "/robots.txt":
            text = (
                f"User-agent: *\nDisallow: /private/\nDisallow: /admin/\nCrawl-delay: 0\n\n"
                f"Sitemap: {base}/sitemap.xml\n"
            )
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()
        if path in ("/", "/index.html"):
            return html_ok(render_home(site))
        if match := re.fullmatch(r"/(news|board)/(?:index(?:_(\d+))?\.html)?", path):
            number = int(match.group(2) or 1)
            rendered = (
                render_news_list(site, number)
                if match.group(1) == "news"
                else render_board_list(site, number)
            )
            return html_ok(rendered) if rendered else not_found
        if match := re.fullmatch(r"/news/content/(\w+)\.html", path):
            article = site.article(match.group(1))
            return html_ok(render_article(site, article)) if article else not_found
        if match := re.fullmatch(r"/board/msg/(\w+)\.html", path):
            message = site.message(match.group(1))
            return html_ok(render_message(site, message)) if message else not_found
        if path.startswith(("/private/", "/admin/")):
            return html_ok(page("内部页面", "<h1>内部页面</h1><p>机器人不应抓取此页。</p>"))
        if path == "/rss.xml":
            return xml_ok(render_rss(site, base), "application/rss+xml")
        if path == "/atom.xml":
            return xml_ok(render_atom(site, base), "application/atom+xml")
        if path == "/sitemap.xml":
            return xml_ok(render_sitemap_index(base))
        if path == "/sitemap-news.xml":
            return xml_ok(render_news_sitemap(site, base))
        if path == "/sitemap-board.xml":
            return xml_ok(render_board_sitemap(site, base))
        if path == "/api/container/getIndex":
            return json_ok(render_weibo_api(site, query.get("containerid", [""])[0], page_number()))
        if path == "/statuses/extend":
            post = site.weibo_post(query.get("id", [""])[0])
            if post is None:
                return json_ok({"ok": 0, "msg": "微博不存在"})
            return json_ok({"ok": 1, "data": {"longTextContent": post.long_text or post.text}})
        if match := re.fullmatch(r"/detail/(\d+)", path):
            post = site.weibo_post(match.group(1))
            return html_ok(render_weibo_detail(site, post)) if post else not_found
        if path == "/api/forum/threads.json":
            return json_ok(render_forum_api(site, page_number()))
        if match := re.fullmatch(r"/forum/thread-(\d+)\.html", path):
            thread = next((t for t in site.forum() if str(t.tid) == match.group(1)), None)
            return html_ok(page(thread.subject, f"<p>{_E(thread.message)}</p>")) if thread else not_found
        if path in ("/faults/", "/faults/news/"):
            return html_ok(render_faults_list())
        if path.startswith("/faults/news/"):
            found = fault_response(path.rsplit("/", 1)[-1], base)
            return found if found is not None else not_found
        if path.startswith("/faults/feed/"):
            return html_ok(_fault_article("订阅条目正文", _GOOD_TEXT))
        if path == "/faults/rss.xml":
            return xml_ok(fault_rss(base), "application/rss+xml")
        if path == "/faults/weibo.json":
            return json_ok(fault_weibo(page_number()))
        if path == "/faults/forum.json":
            return json_ok(fault_forum(page_number()))
        if path == "/faults/sitemap.xml":
            return xml_ok(fault_sitemap(base))
        return not_found

    def start(self) -> DemoWeb:
        """Serve in a background (daemon) thread; return self."""
        self._thread = threading.Thread(
            target=self.server.serve_forever, name=f"demo-web-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> DemoWeb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
