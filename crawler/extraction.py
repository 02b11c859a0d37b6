"""Pull title, author, publish time and body text out of one news page.

GNE (GeneralNewsExtractor, written for Chinese news pages) finds the body in the page without its
furniture (``crawler.boilerplate``: menus, link lists, "related" boxes); trafilatura takes over when GNE
locked onto a short blurb (a disclaimer, a "recommended" box) or onto the whole page.
Title and time come from what the publisher declared (``<meta>``, JSON-LD, ``<time>``) checked
against what the reader sees: the headline is the page heading that the ``<title>`` or
``og:title`` confirms, the time is the byline date under that heading when the metadata has none.
Per-site ``overrides`` (CSS or XPath selectors) win over all of it.

Nothing here raises on bad input: a broken page yields an ``Article`` with empty fields.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import lxml.html
from gne import GeneralNewsExtractor
from gne.defaults import AUTHOR_PATTERN_STR, PUBLISH_TIME_META
from lxml import etree
from lxml.cssselect import CSSSelector

from crawler.boilerplate import (
    paragraph_text,
    rejoin_inline_breaks,
    serialize,
    trim_widget_lines,
    without_furniture,
)
from crawler.encoding import decode_html
from yuqing.timeparse import DEFAULT_TZ, find_datetime, local_now, parse_time

log = logging.getLogger(__name__)

# Beyond this, a page is an attack, a feed dump or a gallery of inline images; the article is in
# the head of it, and lxml/GNE time grows with size.
MAX_BODY_BYTES = 2 * 1024 * 1024
# GNE's density scan and trafilatura both slow down badly on huge trees (minutes for 100k <p>);
# real article pages have a few thousand elements, so the rest of a bigger tree is dropped.
MAX_ELEMENTS = 20_000
# A body shorter than this (in sentence-like characters) makes us ask trafilatura for a second opinion.
SHORT_BODY = 200
# Breadcrumbs and menus before the headline in an extracted body are at most this many lines.
_HEAD_LINES = 30
OVERRIDE_FIELDS = ("title", "author", "published_at", "content", "noise")

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u3000\xa0]+")
_TITLE_SEPARATORS = re.compile(r"\s*(?:_+|\||｜|--+|—+|–|\s-\s|(?<!\d)-(?!\d)|::)\s*")
_PROSE_MARKS = re.compile(r"[，。！？；：、,!?;]")
_BOILERPLATE = re.compile(
    r"特别声明|免责声明|版权声明|版权所有|本平台仅提供|未经授权|不得转载|转载请注明|All rights reserved|Copyright|©",
    re.IGNORECASE,
)
_HEADING_XPATH = (
    "//body//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
    " or contains(translate(@class, 'TITLE', 'title'), 'title')"
    " or contains(translate(@id, 'TITLE', 'title'), 'title')]"
)
_FOLLOWING_TEXT = (
    "following::text()[normalize-space()][not(ancestor::script)][not(ancestor::style)][position() <= 15]"
)
_HEADING_ANCESTOR = (
    "ancestor-or-self::*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"
)
# The headline is among the first headings of a page; comparing thousands (link farms) is quadratic.
_MAX_HEADINGS = 200
_MAX_TITLE_CHARS = 300
# A byline is a run of short text nodes; a long sentence means the article body has begun.
_BYLINE_NODE_MAX = 60
_BREADCRUMB = re.compile(r"[>›»/]|位置|正在阅读")
_TIME_LABEL = re.compile(r"(?:发布时间|发布日期|发表时间|发表于|更新时间|时间|日期)\s*[:：]?\s*")
_SCRIPT_TIME = re.compile(
    r"\b(?:var\s+ct|publish_?time|publishTime|pub_?time|pubTime|publish_?date|publishDate|pubDate|ptime)"
    r"[\"']?\s*[=:]\s*[\"']?(?P<value>\d{10,13}\b|\d{4}[-/年]\d{1,2}[-/月]\d{1,2}[^\"'<,;]{0,20})",
    re.IGNORECASE,
)
_EXTRA_TIME_META = (
    "//meta[@name='firstpublishedtime' or @name='pubdate' or @name='publishdate'"
    " or @name='article:published_time' or @name='og:release_date' or @name='bytedance:published_time'"
    " or @itemprop='datePublished']/@content",
    "//time/@pubdate",
)
_DATA_TIME_ATTRIBUTES = (
    "//*[@data-ptime]/@data-ptime",
    "//*[@data-publish-time]/@data-publish-time",
    "//*[@data-pubtime]/@data-pubtime",
)
_TITLE_META = (
    "//meta[@property='og:title' or @name='og:title']/@content",
    "//meta[@name='twitter:title' or @property='twitter:title']/@content",
    "//meta[@name='ArticleTitle' or @name='articletitle' or @name='title']/@content",
    "//meta[@itemprop='headline' or @itemprop='name']/@content",
)
_SITE_NAME_META = "//meta[@property='og:site_name' or @name='og:site_name' or @name='SiteName']/@content"
_AUTHOR_META = (
    "//meta[@name='author' or @property='article:author' or @name='article:author']/@content",
    "//*[@itemprop='author']//text()",
    "//*[@class='author']//text()",
    "//a[@rel='author']//text()",
)
# GNE's byline patterns ("责任编辑：张三", "作者：李四"), but not inside a word: "发文：" is not "文：".
# A credited person beats the outlet named by "来源：".
_AUTHOR_PATTERNS = [re.compile(r"(?<![\u4e00-\u9fa5])" + p) for p in AUTHOR_PATTERN_STR if "来源" not in p]
_SOURCE_PATTERNS = [re.compile(r"(?<![\u4e00-\u9fa5])" + p) for p in AUTHOR_PATTERN_STR if "来源" in p]
_NOT_A_NAME = re.compile(r"^(?:本站|本网|网络|网友|佚名|未知)|(?:作者|记者|编辑|通讯员)$")
_AUTHOR_MISTAKES = frozenset(
    {"搜索", "登录", "注册", "分享", "首页", "admin", "系统管理员", "管理员", "匿名"}
)


@dataclass(frozen=True)
class Article:
    """What one page says about itself. ``published_at`` is timezone-aware or None; ``date_only`` when the page gives
    its day and no time of day anywhere ("2026-11-25" on a government site): ``published_at`` is then that day's
    midnight, as written, which is no publish time — the crawler places the post at the latest it can have been."""

    title: str | None
    author: str | None
    published_at: datetime | None
    content: str
    encoding: str | None = None
    date_only: bool = False

    def as_contract(self) -> dict[str, Any]:
        """The JSON shape of ``yuqing extract``: title, author, published_at (ISO 8601), content."""
        return {
            "title": self.title,
            "author": self.author,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "content": self.content,
        }


EMPTY = Article(title=None, author=None, published_at=None, content="")


def _clean(text: str | None) -> str:
    """One line, whitespace (including full-width and no-break spaces) collapsed."""
    return _SPACES.sub(" ", text or "").strip()


def _key(text: str) -> str:
    """A comparison key: no whitespace, no quotes, lower case (titles differ in those only)."""
    return re.sub(r"[\s\u3000\xa0\"'“”‘’]", "", text).lower()


def _prose(text: str) -> int:
    """Characters in sentence-like lines: what separates article text from menus, link lists and
    the legal notices that GNE sometimes mistakes for the article."""
    return sum(
        len(line)
        for line in text.splitlines()
        if len(line) >= 10 and _PROSE_MARKS.search(line) and not _BOILERPLATE.search(line)
    )


# --- per-site selectors -------------------------------------------------------------------------


def compile_selector(selector: str) -> etree.XPath:
    """An XPath for a CSS or XPath selector; XPath when it starts with ``/``, ``(`` or ``./``.

    Raises ValueError naming the selector, so a sources file with a typo can be reported at load.
    """
    try:
        if selector.startswith(("/", "(", "./")):
            return etree.XPath(selector)
        return etree.XPath(CSSSelector(selector).path)
    except Exception as error:  # cssselect and lxml raise several unrelated error types
        raise ValueError(f"invalid selector {selector!r}: {error}") from error


def _selectors(overrides: dict[str, Any] | None, field: str) -> list[str]:
    value = (overrides or {}).get(field)
    if not value:
        return []
    return [value] if isinstance(value, str) else [s for s in value if isinstance(s, str)]


def _select(tree: lxml.html.HtmlElement, overrides: dict[str, Any] | None, field: str) -> list[Any]:
    """Nodes or strings matched by the first override selector for ``field`` that matches anything."""
    for selector in _selectors(overrides, field):
        try:
            found = compile_selector(selector)(tree)
        except (ValueError, etree.XPathError) as error:
            log.warning("ignoring override %s: %s", field, error)
            continue
        if isinstance(found, list) and found:
            return found
        if isinstance(found, str) and found.strip():
            return [found]
    return []


def _node_text(node: Any, separator: str = "") -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, lxml.html.HtmlElement):
        for junk in node.xpath(".//script|.//style"):
            junk.drop_tree()
        if separator:
            blocks = (
                _clean(block.text_content())
                for block in node.xpath(".//p|.//li|.//h2|.//h3|.//h4|.//tr|.//blockquote")
            )
            text = separator.join(block for block in blocks if block)
            if text:
                return text
        return node.text_content() or node.get("content") or node.get("datetime") or ""
    return str(node)


# --- parsing ------------------------------------------------------------------------------------


def _to_text(body: bytes | str, declared_encoding: str | None) -> tuple[str, str | None]:
    """Decoded, size-capped text ready for lxml, and the encoding it was read with."""
    encoding: str | None = None
    if isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
        if len(raw) > MAX_BODY_BYTES:
            log.info("page is %d bytes; extracting from the first %d only", len(raw), MAX_BODY_BYTES)
            raw = raw[:MAX_BODY_BYTES]
        text, encoding = decode_html(raw, declared_encoding)
    else:
        text = str(body)
        if len(text) > MAX_BODY_BYTES:
            log.info("page is %d characters; extracting from the first %d only", len(text), MAX_BODY_BYTES)
            text = text[:MAX_BODY_BYTES]
    # lxml refuses NUL/control characters, lone surrogates and str input with an XML declaration.
    text = _XML_DECLARATION.sub("", _CONTROL_CHARS.sub("", text), count=1)
    return text, encoding


def _parse(text: str) -> lxml.html.HtmlElement | None:
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as error:
        log.info("page does not parse as HTML: %s", error)
        return None


def _prune(tree: lxml.html.HtmlElement) -> bool:
    """Cut a tree down to its first MAX_ELEMENTS elements; True when something was dropped."""
    elements = list(tree.iter())
    if len(elements) <= MAX_ELEMENTS:
        return False
    log.info("page has %d elements; extracting from the first %d only", len(elements), MAX_ELEMENTS)
    for element in reversed(elements[MAX_ELEMENTS:]):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    return True


def _json_ld(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """The JSON-LD objects on the page (``@graph`` flattened); broken blocks are skipped."""
    objects: list[dict[str, Any]] = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            log.debug("skipping malformed JSON-LD block")
            continue
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, dict):
                objects.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    objects.extend(g for g in graph if isinstance(g, dict))
    return objects


def _first(tree: lxml.html.HtmlElement, xpaths: Iterable[str]) -> Iterator[str]:
    for xpath in xpaths:
        for value in tree.xpath(xpath):
            value = _clean(str(value))
            if value:
                yield value


# --- title --------------------------------------------------------------------------------------


@dataclass
class _Heading:
    element: lxml.html.HtmlElement
    text: str


def _headings(tree: lxml.html.HtmlElement) -> list[_Heading]:
    """Heading-like blocks (h1–h6, class/id containing "title") that are not just links."""
    found = []
    for element in tree.xpath(_HEADING_XPATH):
        if element.tag in ("title", "script", "style", "meta") or element.xpath("ancestor::a"):
            continue
        text = _clean(element.text_content())
        if not 4 <= len(text) <= 150:
            continue
        linked = sum(len(_clean(a.text_content())) for a in element.iter("a"))
        if linked >= 0.8 * len(text):
            continue
        found.append(_Heading(element, text))
        if len(found) >= _MAX_HEADINGS:
            break
    return found


def _byline_text(element: lxml.html.HtmlElement) -> str:
    """The short lines just after a heading, up to the body or the next heading: its date and source."""
    parts = []
    for node in element.xpath(_FOLLOWING_TEXT):
        text = _clean(str(node))
        owner = node.getparent()
        if owner is not None and node.is_tail:
            owner = owner.getparent()
        if owner is not None and owner.xpath(_HEADING_ANCESTOR):
            break
        if len(text) > _BYLINE_NODE_MAX or "。" in text:
            break
        parts.append(text)
    return " ".join(parts)


def _split_title(title: str) -> list[str]:
    return [part for part in _TITLE_SEPARATORS.split(title) if part]


def _choose_title(
    tree: lxml.html.HtmlElement, headings: list[_Heading], site_name: str | None, now: datetime, tz: str
) -> tuple[str | None, _Heading | None]:
    """The headline and, when it is a visible heading, that heading (its byline holds the date)."""
    page_title = _clean(" ".join(tree.xpath("//head/title//text()") or tree.xpath("//title//text()")))
    page_title = page_title[:_MAX_TITLE_CHARS]
    meta_titles = [t for t in _first(tree, _TITLE_META) if len(t) >= 4 and t != site_name]
    meta_titles += [
        _clean(str(obj.get("headline")))
        for obj in _json_ld(tree)
        if isinstance(obj.get("headline"), str) and len(obj["headline"]) >= 4
    ]

    # A heading the publisher's own metadata title names (og:title may be cut at a stray quote).
    for meta_title in meta_titles:
        meta_key = _key(meta_title)
        for heading in headings:
            heading_key = _key(heading.text)
            if heading_key == meta_key or (
                min(len(heading_key), len(meta_key)) >= 4
                and (heading_key.startswith(meta_key) or meta_key.startswith(heading_key))
                and min(len(heading_key), len(meta_key)) >= 0.6 * max(len(heading_key), len(meta_key))
            ):
                return heading.text, heading

    # Headings the <title> confirms: most of the heading appears in it.
    confirmed: list[tuple[int, float, _Heading, bool]] = []
    for heading in headings:
        common = _common_part(heading.text, page_title)
        if len(common) >= 4 and len(common) >= 0.8 * len(heading.text):
            has_byline = find_datetime(_byline_text(heading.element), now=now, tz=tz) is not None
            shown = _Heading(heading.element, common)  # without badges such as "原创", "正在阅读："
            confirmed.append((len(common), len(common) / len(heading.text), shown, has_byline))
    with_byline = [c for c in confirmed if c[3]]
    if with_byline:
        best = max(with_byline, key=lambda c: (c[0], c[1]))
        return best[2].text, best[2]
    if meta_titles:
        return meta_titles[0], None
    substantial = [c for c in confirmed if c[0] >= 0.5 * len(page_title)]
    if substantial:
        best = max(substantial, key=lambda c: (c[0], c[1]))
        return best[2].text, best[2]
    # No confirmation: the first heading with a date line under it is the article's.
    for heading in headings:
        if find_datetime(_byline_text(heading.element), now=now, tz=tz) is not None:
            return heading.text, heading
    if page_title:
        parts = [p for p in _split_title(page_title) if p != site_name] or [page_title]
        return max(parts, key=len), None
    return None, None


def _common_part(heading: str, page_title: str) -> str:
    """The longest run the heading shares with the ``<title>``, trimmed of separators."""
    if not heading or not page_title:
        return ""
    best_end = best_length = 0
    previous = [0] * (len(page_title) + 1)
    for i, char in enumerate(heading, start=1):
        current = [0] * (len(page_title) + 1)
        for j, other in enumerate(page_title, start=1):
            if char == other:
                current[j] = previous[j - 1] + 1
                if current[j] > best_length:
                    best_length, best_end = current[j], i
        previous = current
    return heading[best_end - best_length : best_end].strip(" _-|｜:：")


# --- publish time -------------------------------------------------------------------------------


def _declared_times(tree: lxml.html.HtmlElement) -> Iterator[str]:
    """Publish times the page declares in standard metadata, in order of trust."""
    yield from _first(tree, PUBLISH_TIME_META)
    yield from _first(tree, _EXTRA_TIME_META)
    for obj in _json_ld(tree):
        for key in ("datePublished", "dateCreated"):
            if isinstance(obj.get(key), str | int):
                yield str(obj[key])
    yield from _first(tree, ("//time/@datetime",))


def _embedded_times(tree: lxml.html.HtmlElement) -> Iterator[str]:
    """Publish times left in attributes and scripts by the site's own templates."""
    yield from _first(tree, _DATA_TIME_ATTRIBUTES)
    for script in tree.xpath("//script[not(@src)]/text()"):
        match = _SCRIPT_TIME.search(script)
        if match:
            yield match["value"]


def _plausible(value: datetime | None, now: datetime) -> datetime | None:
    """Drop times in the future (placeholder years, copyright lines read as dates)."""
    if value is None or value > now + timedelta(days=1):
        return None
    return value


def _choose_time(
    tree: lxml.html.HtmlElement,
    html: str,
    body_text: str,
    heading: _Heading | None,
    gne_time: Callable[[], str | None],
    now: datetime,
    tz: str,
) -> datetime | None:
    """The first time found in order of trust; a later one on the same day may add the clock. ``gne_time`` is
    asked only when the trusted places give no time or only a day. A midnight returned is a day without its time
    (a page that writes 00:00 is read so too: content systems print a date field that way)."""
    byline = _byline_text(heading.element) if heading is not None else ""
    found = [
        _first_time(_declared_times(tree), now, tz),
        _plausible(find_datetime(byline, now=now, tz=tz), now),
        _first_time(_embedded_times(tree), now, tz),
        _labelled_time(body_text, now, tz),
    ]
    trusted = next((c for c in found if c is not None), None)
    if trusted is None or _is_midnight(trusted):
        found += [
            # GNE's own guess is the first date anywhere in the page text: a weak signal.
            _plausible(find_datetime(gne_time() or "", now=now, tz=tz), now),
            # "3小时前" under the headline or after "发布时间：" only means something relative to ``now``.
            _plausible(find_datetime(byline, now=now, tz=tz, relative=True), now),
            _labelled_time(body_text, now, tz, relative=True),
        ]
    candidates = [c for c in found if c is not None]
    if not candidates:
        return _htmldate(html, now, tz)
    chosen = candidates[0]
    if _is_midnight(chosen):
        # Metadata and bylines often give the day only while another place shows the minute.
        for other in candidates[1:]:
            if other.astimezone(chosen.tzinfo).date() == chosen.date() and not _is_midnight(other):
                return other
        return chosen
    # Metadata often carries a later "published" or "indexed" time than the byline a reader sees (sina's
    # article:published_time 06:52 under a byline of 04:04; qq's apub:time 21:30 against 19:02). Publication
    # comes first: of the declared and the byline time on the same day, the earlier clock. A time embedded in
    # a script counts only where no byline shows one (qq's pubtime 19:02:26); beside a byline it only adds the
    # seconds — a script's first time may be a related article's.
    def same_day(c: datetime | None) -> bool:
        return c is not None and not _is_midnight(c) and c.astimezone(chosen.tzinfo).date() == chosen.date()

    rivals = found[:2] if found[1] is not None else [found[0], found[2]]
    earliest = min([chosen, *(c for c in rivals if c is not None and same_day(c))])
    minute = earliest.replace(second=0, microsecond=0)
    # Within that minute, the most trusted time that has the seconds (a byline shows 23:16 for 23:16:24).
    in_minute = [c for c in [earliest, *found[:3]] if c is not None and same_day(c)
                 and c.replace(second=0, microsecond=0) == minute]
    return next((c for c in in_minute if c.second or c.microsecond), earliest)


def _is_midnight(value: datetime) -> bool:
    return value.timetz().replace(tzinfo=None) == time(0)


def _labelled_time(body_text: str, now: datetime, tz: str, relative: bool = False) -> datetime | None:
    """A date right after a label such as "发布时间：" anywhere in the page text."""
    for label in _TIME_LABEL.finditer(body_text):
        window = body_text[label.end() : label.end() + 40]
        labelled = find_datetime(window, now=now, tz=tz, at_start=True, relative=relative)
        if _plausible(labelled, now) is not None:
            return labelled
    return None


def _first_time(raws: Iterable[str], now: datetime, tz: str) -> datetime | None:
    """The first of ``raws`` that parses to a plausible time."""
    for raw in raws:
        found = _plausible(parse_time(raw, now=now, tz=tz), now)
        if found is not None:
            return found
    return None


def _htmldate(html: str, now: datetime, tz: str) -> datetime | None:
    """htmldate's guess (URL, page text heuristics): the last resort, date only."""
    from htmldate import find_date

    try:
        found = find_date(html, extensive_search=True, original_date=True, max_date=now.strftime("%Y-%m-%d"))
    except Exception as error:  # htmldate raises assorted errors on malformed pages
        log.debug("htmldate failed: %s", error)
        return None
    if not found or _invented(found, html):
        return None
    return _plausible(parse_time(found, now=now, tz=tz), now)


def _invented(found: str, html: str) -> bool:
    """htmldate fills what it cannot read: a year alone ("© 2003-2024") becomes 1 January, and nothing at all
    its earliest date, 1995-01-01. Neither is a publish time unless the page writes that very day."""
    year, month, day = (int(part) for part in found[:10].split("-"))
    if year <= 1995 and month == 1 and day == 1:
        return True
    if (month, day) != (1, 1):
        return False
    return re.search(rf"{year}\s*[-/.年]\s*0?1\s*[-/.月]\s*0?1(?!\d)", html) is None


# --- author -------------------------------------------------------------------------------------


def _valid_author(author: str | None, title: str | None, site_names: list[str]) -> str | None:
    """The author unless it is a site or channel name, part of the headline or a UI word."""
    author = _clean(author)
    if not 2 <= len(author) <= 30 or author in _AUTHOR_MISTAKES or author.isdigit() or "@" in author:
        return None
    if _NOT_A_NAME.search(author):
        return None
    if any(author in name or name in author for name in site_names if name):
        return None
    if title and author in title:
        return None
    return author


def _choose_author(
    tree: lxml.html.HtmlElement,
    heading: _Heading | None,
    body_text: str,
    title: str | None,
    site_names: list[str],
) -> str | None:
    """Declared author (meta, JSON-LD, itemprop), else a labelled name in the byline, else in the page."""
    declared = list(_first(tree, _AUTHOR_META))
    for obj in _json_ld(tree):
        author = obj.get("author")
        if isinstance(author, list) and author:
            author = author[0]
        if isinstance(author, dict):
            author = author.get("name")
        if isinstance(author, str):
            declared.append(author)
    for candidate in declared:
        valid = _valid_author(candidate, title, site_names)
        if valid:
            return valid
    texts = [_byline_text(heading.element)] if heading is not None else []
    texts.append(body_text)
    for patterns in (_AUTHOR_PATTERNS, _SOURCE_PATTERNS):
        for text in texts:
            for pattern in patterns:
                for match in pattern.finditer(text + " "):
                    valid = _valid_author(match.group(1), title, site_names)
                    if valid:
                        return valid
    return None


# --- body ---------------------------------------------------------------------------------------


def _trafilatura_text(html: str, url: str | None) -> str:
    import trafilatura

    try:
        return trafilatura.extract(html, url=url, include_comments=False, include_tables=True) or ""
    except Exception as error:  # trafilatura surfaces lxml and its own errors on odd pages
        log.debug("trafilatura failed: %s", error)
        return ""


def _strip_to_title(content: str, title: str | None) -> str:
    """Drop what precedes the headline (breadcrumbs, menus) and the headline itself.

    Only when what precedes it reads like navigation (mostly short lines, or little beside what follows) and
    something follows: a caption or a closing line that repeats the headline after the article's paragraphs must
    not take the article with it.
    """
    lines = [line.rstrip() for line in content.splitlines()]
    if title:
        title_key = _key(title)
        for index, line in enumerate(lines[:_HEAD_LINES]):
            line_key = _key(line)
            if line_key == title_key or (
                len(title_key) >= 8
                and line_key.endswith(title_key)
                and _BREADCRUMB.search(line_key[: -len(title_key)])
            ):
                before, after = lines[:index], lines[index + 1 :]
                kept, dropped = len(_key("".join(after))), len(_key("".join(before)))
                short = [b for b in before if len(_key(b)) <= _NAV_LINE_CHARS]
                navigation = len(short) >= 0.6 * len(before) or dropped * 2 < kept
                if kept and navigation:
                    lines = after
                break
    return "\n".join(lines).strip()


# A breadcrumb or menu line is short; a paragraph of the article is not. Navigation is mostly such lines.
_NAV_LINE_CHARS = 20


def _choose_content(
    html: str, gne_content: str, page_text_length: int, url: str | None, title: str | None
) -> str:
    """GNE's body, unless it is a short blurb or the whole page and trafilatura found the article."""
    gne_content = _strip_to_title(gne_content, title)
    gne_prose = _prose(gne_content)
    whole_page = page_text_length > 5000 and len(gne_content) > 0.7 * page_text_length
    if gne_prose >= SHORT_BODY and not whole_page:
        return gne_content
    other = _strip_to_title(_trafilatura_text(html, url), title)
    other_prose = _prose(other)
    if not gne_content.strip():
        return other
    if whole_page and other_prose >= SHORT_BODY and len(other) < 0.5 * len(gne_content):
        return other
    if not whole_page and other_prose >= 3 * max(gne_prose, 1) and other_prose >= SHORT_BODY / 2:
        return other
    return gne_content


def _gne(html: str, url: str | None, noise: list[str]) -> dict[str, Any]:
    try:
        result = GeneralNewsExtractor().extract(html, host=url or "", noise_node_list=noise or None)
    except Exception as error:  # GNE raises NoContentException and raw lxml errors alike
        log.info("GNE found no article body: %s", error)
        return {}
    return result if isinstance(result, dict) else {}


# --- entry point --------------------------------------------------------------------------------


def extract_article(
    body: bytes | str,
    url: str | None = None,
    declared_encoding: str | None = None,
    overrides: dict[str, Any] | None = None,
    now: datetime | None = None,
    tz: str = DEFAULT_TZ,
) -> Article:
    """Extract one article from a page. Never raises; missing parts come back as None / "".

    ``declared_encoding`` is the HTTP charset (or Content-Type); ``overrides`` maps title, author,
    published_at, content (and noise, to drop) to CSS or XPath selectors; ``now`` anchors relative
    times such as "3小时前" and bounds plausible publish times.
    """
    try:
        return _extract(body, url, declared_encoding, overrides, now, tz)
    except Exception:  # the last line of defence for a crawler that must keep going
        log.exception("article extraction failed for %s", url or "a page")
        return EMPTY


def _extract(
    body: bytes | str,
    url: str | None,
    declared_encoding: str | None,
    overrides: dict[str, Any] | None,
    now: datetime | None,
    tz: str,
) -> Article:
    if body is None:
        return EMPTY
    html, encoding = _to_text(body, declared_encoding)
    tree = _parse(html)
    if tree is None:
        return Article(title=None, author=None, published_at=None, content="", encoding=encoding)
    if _prune(tree):
        html = serialize(tree)
    now = local_now(now, tz)

    site_name = next(_first(tree, (_SITE_NAME_META,)), None)
    headings = _headings(tree)
    body_text = _clean(" ".join(tree.xpath("//body//text()[not(ancestor::script)][not(ancestor::style)]")))

    title_nodes = _select(tree, overrides, "title")
    heading: _Heading | None = None
    if title_nodes:
        title: str | None = _clean(" ".join(_node_text(n) for n in title_nodes))
    else:
        title, heading = _choose_title(tree, headings, site_name, now, tz)

    noise = []
    for selector in _selectors(overrides, "noise"):
        try:
            noise.append(compile_selector(selector).path)
        except ValueError as error:
            log.warning("ignoring override noise: %s", error)
    # GNE looks for the body in the page without its furniture (link lists, "related" boxes, sidebars) —
    # only when a part it gives is needed: a source whose selectors name title, time and body needs neither.
    found: dict[str, Any] = {}

    def gne() -> dict[str, Any]:
        if not found:
            found["bare"] = without_furniture(tree)
            found["gne"] = _gne(found["bare"], url, noise)
        return dict(found["gne"])

    if not title:
        title = _clean(gne().get("title")) or None

    time_nodes = _select(tree, overrides, "published_at")
    published_at = None
    if time_nodes:
        published_at = parse_time(_clean(" ".join(_node_text(n) for n in time_nodes)), now=now, tz=tz)
    if published_at is None or _is_midnight(published_at):
        # The source's selector may name a field that holds the day alone; another place may show that day's minute.
        found_time = _choose_time(tree, html, body_text, heading, lambda: gne().get("publish_time"), now, tz)
        if published_at is None or (found_time is not None and not _is_midnight(found_time)
                                    and found_time.astimezone(published_at.tzinfo).date() == published_at.date()):
            published_at = found_time

    author_nodes = _select(tree, overrides, "author")
    if author_nodes:
        author = _clean(" ".join(_node_text(n) for n in author_nodes)) or None
    else:
        page_title = _clean(" ".join(tree.xpath("//title//text()")))
        site_names = [site_name or "", *_split_title(page_title)[1:]]
        author = _choose_author(tree, heading, body_text, title, site_names)

    if noise:  # the source's noise goes from the body it names too, not only from GNE's guess
        for path in noise:
            for node in tree.xpath(path):
                if isinstance(node, lxml.html.HtmlElement) and node.getparent() is not None:
                    node.drop_tree()
    content_nodes = _select(tree, overrides, "content")
    if content_nodes:
        content = "\n".join(_node_text(n, separator="\n") for n in content_nodes).strip()
    else:
        content = str(gne().get("content") or "")
        content = trim_widget_lines(_choose_content(found["bare"], content, len(body_text), url, title))
        content = rejoin_inline_breaks(content, paragraph_text(tree))

    date_only = published_at is not None and _is_midnight(published_at)
    if published_at is not None:
        published_at = published_at.astimezone(now.tzinfo)  # one zone for every page, same instant
    return Article(title=title or None, author=author, published_at=published_at, content=content, encoding=encoding,
                   date_only=date_only)
