"""Page furniture around an article: removed before the body is looked for, trimmed after.

GNE and trafilatura both score blocks by text density; a block of link lists (为你推荐, 点击排行), a
"相关新闻" box, a sidebar or a share bar next to a short article can win, or be swept into the body with
it. ``without_furniture`` returns the page without hidden elements, navigation, link-dense blocks, blocks
headed by a "related / recommended / ranking" label, and light elements whose class or id names page
furniture (readability's "unlikely candidates"). Every rule spares an element that carries real prose, so
an article container is never removed whatever its class or its inline links. ``trim_widget_lines``
drops what the extractors still leave at the ends of a body: reaction buttons, "not interested" menus,
"favourited!" dialogs, counters, and what follows the "责任编辑" line that closes a Chinese news article.
``rejoin_inline_breaks`` takes out the line breaks GNE puts around every inline element (a link in a sentence)
where the page's own paragraph runs on: on the 62 pages, lines under 10 characters 313 → 153, no text changed.

On the 62 real pages of ../shared/data/extraction (a review of 2026-11-26 judged every page by eye):
bodies right 50 → 58 (59 with the closing follow-us line trimmed), no title or time lost.
"""

from __future__ import annotations

import re

import lxml.html

# Section labels that head a block of other articles, not the article itself.
_RELATED_LABEL = re.compile(
    r"(?:相关(?:新闻|阅读|文章|推荐|报道|资讯|链接|信息|专题|搜索)|推荐(?:阅读|文章|新闻|资讯)|为你推荐|为您推荐"
    r"|猜你喜欢|热门(?:推荐|文章|新闻|资讯|排行|评论)|热点(?:推荐|新闻)|点击排行|阅读排行|排行榜|精华文章|精彩推荐"
    r"|最新(?:文章|新闻|资讯)|今日推荐|热文推荐|网友评论|最新评论|热门跟贴)"
)
# class / id words of page furniture (readability's unlikely candidates, and names common on Chinese templates).
_FURNITURE_NAME = re.compile(
    r"comment|disqus|share|social|related|recommend|footer|copyright|breadcrumb|crumb|sidebar|side-bar|rightbar"
    r"|leftbar|(?:^|[-_\s])(?:rbar|lbar|aside)(?:[-_\s]|$)|popup|modal|dialog|alert|toast|login|toolbar"
    r"|(?:^|[-_\s])tags?(?:[-_\s]|$)|keyword|rank|advert|(?:^|[-_\s])ads?(?:[-_\s]|$)|banner|(?:^|[-_\s])nav|menu"
    r"|subscribe|qrcode|erweima|feedback|pagination|pager",
    re.IGNORECASE,
)
_HIDDEN_OR_FURNITURE = (
    "//*[@hidden or @aria-hidden='true'"
    " or contains(translate(@style, ' ', ''), 'display:none')"
    " or contains(translate(@style, ' ', ''), 'visibility:hidden')]"
    "|//nav|//aside|//footer|//form|//button|//select|//textarea|//iframe"
    "|//*[@role='navigation' or @role='complementary' or @role='contentinfo']"
)
_DISCARDED_BY_EXTRACTORS = "//aside|//nav|//header|//footer"
_BLOCKS = ("//body//*[self::div or self::ul or self::ol or self::dl or self::table or self::section"
           " or self::p or self::span or self::td]")
_LABELS = ("//body//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
           " or self::div or self::span or self::p or self::strong or self::b or self::dt]")
_NAMED_BLOCKS = ("//body//*[self::div or self::section or self::ul or self::ol or self::dl or self::table"
                 " or self::li or self::header][@class or @id][not(ancestor::p)]")
_SENTENCE_MARK = re.compile(r"[，。！？；、,!?;…]")
_SENTENCE_END = re.compile(r"[。！？!?]")
_EDITOR_LINE = re.compile(r"^[\[【(（]?(?:责任编辑|责编)[:：]")
_DATE_LINE = re.compile(r"^[\d\s:：/年月日.\-]+$")
_LINE_END = re.compile(r"[。！？!?；;，,：:…”\"）)]$")
# A notice's closing lines are the article's, not widgets: 附件, 联系人, the issuing office, the date (落款).
_SIGNATURE_LINE = re.compile(r"^(?:附件|联系人|联系电话|电话|地址|邮编|\d+[.．、])|(?:局|委|办|厅|院|部|会|中心|政府|公司|学校|"
                             r"医院|办公室|委员会)$|\d{4}年\d{1,2}月\d{1,2}日$")
# A closing line that asks the reader to follow the publisher (a QR code, a WeChat account) is no article text.
_FOLLOW_US = re.compile(r"(?:扫描|扫码|长按|识别).{0,12}二维码|关注.{0,15}(?:微信|公众号)|微信(?:中)?搜(?:索)?[:：]")
PROMO_LINE_CHARS = 100
# …unless it tells the reader how to get a service (扫码预约登记, 关注公众号查询接种点): that is the notice's.
_SERVICE = re.compile(r"预约|报名|登记|查询|办理|缴费|申请|接种|挂号|投诉|举报")
_HEAD_LABEL = re.compile(r"^(?:来源|作者|编辑|发布时间|时间|日期|图集|点击|查看|更多|返回)")
_SPACE = re.compile(r"[\s\u3000\xa0\"'“”‘’]")
# Icon-font glyphs (private use area): a share or eye icon, never text.
_ICON_GLYPHS = re.compile("[\ue000-\uf8ff]")
# An element holding this many sentence-like characters (outside links) may be the article: no rule removes it.
PROSE_KEPT = 200
# An element the extractors discard unread that holds this share of the page's prose is the article.
ARTICLE_SHARE = 0.5
# A block headed "相关新闻" with less prose than this is a block of other articles, not an article.
RELATED_BLOCK_PROSE = 600


def _key(text: str) -> str:
    return _SPACE.sub("", text)


def prose_chars(element: lxml.html.HtmlElement) -> int:
    """Characters of sentence-like text: what an article container has and furniture lacks. A paragraph counts
    whole, its links too, when its own words outside the links make a sentence (…、<a>公安分局</a>负责人出席发布会。);
    text outside paragraphs counts outside links only (a link list is no prose)."""
    total = 0
    paragraphs = element.xpath("descendant-or-self::p[not(ancestor::p)]")
    for paragraph in paragraphs:
        own = "".join(paragraph.xpath(".//text()[not(ancestor::a)][not(ancestor::script)][not(ancestor::style)]"))
        if _SENTENCE_MARK.search(own):
            text = " ".join(paragraph.text_content().split())
            total += len(text) if len(text) >= 10 else 0
    for text in element.xpath(".//text()[not(ancestor::a)][not(ancestor::p)][not(ancestor::script)]"
                              "[not(ancestor::style)]"):
        text = " ".join(str(text).split())
        if len(text) >= 10 and _SENTENCE_MARK.search(text):
            total += len(text)
    return total


def _link_share(element: lxml.html.HtmlElement) -> tuple[int, int, int]:
    """An element's characters, those inside links, and its number of links."""
    links = element.xpath("descendant-or-self::a")
    return len(_key(element.text_content())), sum(len(_key(a.text_content())) for a in links), len(links)


def _mostly_links(element: lxml.html.HtmlElement) -> bool:
    text, linked, _ = _link_share(element)
    return bool(text) and linked >= 0.5 * text


def serialize(tree: lxml.html.HtmlElement) -> str:
    """The root and the top-level elements the parser put after it: a broken page (a second <html> after
    </html>, as on a gov.cn gazette page) parses into several, and the root alone loses the article."""
    parts = [tree, *(s for s in tree.itersiblings() if isinstance(s, lxml.html.HtmlElement))]
    return "".join(lxml.html.tostring(part, encoding="unicode") for part in parts)


def without_furniture(tree: lxml.html.HtmlElement) -> str:
    """The page as HTML without navigation, link lists, "related" blocks and light furniture."""
    tree = lxml.html.document_fromstring(serialize(tree))  # a copy, with stray top-level elements kept
    body = tree.find("body")
    if body is not None:  # fold stray top-level elements into <body>, where the extractors look
        for stray in [s for s in tree.itersiblings() if isinstance(s, lxml.html.HtmlElement)]:
            for child in list(stray):
                body.append(child)
    for junk in tree.xpath("//script|//style|//noscript|//template"):
        junk.drop_tree()
    body = tree.find("body")
    keep = min(PROSE_KEPT, 0.3 * prose_chars(body if body is not None else tree)) or 1

    def drop_if_light(element: lxml.html.HtmlElement) -> None:
        if element.getparent() is not None and element.tag != "body" and prose_chars(element) < keep:
            element.drop_tree()

    for element in tree.xpath(_HIDDEN_OR_FURNITURE):
        drop_if_light(element)
    for element in tree.xpath(_BLOCKS):  # link lists: several links, most of the text theirs
        if element.getparent() is None:
            continue
        text, linked, links = _link_share(element)
        own = "".join(element.xpath(".//text()[not(ancestor::a)]")) if element.tag in ("p", "span", "td") else ""
        if _SENTENCE_END.search(own):
            continue  # a sentence that names linked agencies (…、<a>公安分局</a>负责人出席发布会。), not a list
        if links >= 3 and text and linked >= 0.5 * text and text - linked < PROSE_KEPT:
            drop_if_light(element)
    for element in tree.xpath(_LABELS):  # "相关新闻", "为你推荐", "点击排行": the block goes, or the label alone
        if element.getparent() is None or element.xpath("./*[not(self::a or self::span or self::i or self::em)]"):
            continue
        label = re.sub(r"[\s:：>》»|]+", "", element.text_content())
        if not label or not _RELATED_LABEL.fullmatch(label):
            continue
        block = element.getparent()
        heads_block = block is not None and block.tag != "body" and block.index(element) == 0
        if heads_block and prose_chars(block) < RELATED_BLOCK_PROSE:
            block.drop_tree()
            continue
        # Inside an article (相关阅读： after its last paragraph): the label and the links that follow it go.
        for sibling in list(element.itersiblings()):
            if isinstance(sibling, lxml.html.HtmlElement) and _mostly_links(sibling):
                sibling.drop_tree()
            else:
                break
        element.drop_tree()
    for element in tree.xpath(_NAMED_BLOCKS):  # block elements only: an inline "keyword" link is in a sentence
        if element.getparent() is not None and _FURNITURE_NAME.search(f"{element.get('class', '')} "
                                                                      f"{element.get('id', '')}"):
            drop_if_light(element)
    # GNE and trafilatura discard <aside>, <nav>, <header> and <footer> unread: one left standing here holds most
    # of the page's prose — the article itself on a page that marks it up so — and becomes a plain <div>.
    prose = prose_chars(body if body is not None else tree)
    for element in tree.xpath(_DISCARDED_BY_EXTRACTORS):
        if prose_chars(element) >= max(keep, ARTICLE_SHARE * prose):
            element.tag = "div"
    return serialize(tree)


# Elements that break a line; text inside any other (a, span, strong, em, font…) runs on with its neighbours.
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body br dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 header "
    "hr html li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
# Characters of each side of a line break looked up in the page's paragraphs, and the fewest that may decide.
_JOIN_CONTEXT = 12
_JOIN_MIN = 6


def paragraph_text(tree: lxml.html.HtmlElement) -> str:
    """The page's text with every block element on its own line and inline elements run together, white space
    removed: where a sentence continues across an inline link, it continues here too."""
    parts: list[str] = []

    def walk(element: lxml.html.HtmlElement) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in ("script", "style", "noscript", "template"):
            if element.tail:
                parts.append(element.tail)
            return
        block = tag in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if element.text and tag:
            parts.append(element.text)
        for child in element:
            walk(child)
        if block:
            parts.append("\n")
        if element.tail:
            parts.append(element.tail)

    walk(tree)
    return "\n".join(_key(line) for line in "".join(parts).split("\n") if line.strip())


def rejoin_inline_breaks(content: str, paragraphs: str) -> str:
    """GNE puts a line break around every inline element (…表示，\n<a>龙湖集团</a>\n即将…); a break whose two sides
    run on within one paragraph of the page (``paragraph_text``) is taken out again."""
    lines = content.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        previous = out[-1]
        tail, head = _key(previous)[-_JOIN_CONTEXT:], _key(line)[:_JOIN_CONTEXT]
        # Both sides long enough to be found only where they really run on (table cells 7 / 1 are in "1971").
        if tail and head and len(tail) + len(head) >= _JOIN_MIN and not _SENTENCE_END.search(tail[-1]) \
                and tail + head in paragraphs:
            spaced = previous.rstrip()[-1:].isascii() and line.lstrip()[:1].isascii()
            out[-1] = previous.rstrip() + (" " if spaced else "") + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def _widget_line(line: str) -> bool:
    """A short line that does not end like a sentence: a button, a counter, a menu entry."""
    key = _key(line.lstrip("-•· "))
    return len(key) < 20 and not _LINE_END.search(key)


def trim_widget_lines(content: str) -> str:
    """The body without what follows its closing "责任编辑" line, a closing run of three or more widget lines,
    icon-font glyphs, and counters, dates and byline labels (发布时间：…, 来源：…) before its first sentence."""
    lines = content.splitlines()
    total, seen = len(_key(content)), 0
    for index, line in enumerate(lines):
        seen += len(_key(line))
        if _EDITOR_LINE.match(_key(line)) and seen >= 0.7 * total and index + 1 < len(lines):
            lines = lines[: index + 1]
            break
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (not lines[start - 1].strip() or (_widget_line(lines[start - 1])
                                                        and not _SIGNATURE_LINE.search(_key(lines[start - 1])))):
        start -= 1
    if len([line for line in lines[start:end] if line.strip()]) >= 3:
        lines = lines[:start]
    while lines and (not lines[-1].strip() or (len(lines) > 1 and len(_key(lines[-1])) < PROMO_LINE_CHARS
                                                and _FOLLOW_US.search(lines[-1]) and not _SERVICE.search(lines[-1]))):
        lines = lines[:-1]  # 扫描下方二维码关注…官方微信: the publisher's, after the article
    lines = [_ICON_GLYPHS.sub("", line) for line in lines]
    head = 0
    while head < min(len(lines), 8):
        key = _key(lines[head])
        if not key or _DATE_LINE.match(key) or (_HEAD_LABEL.match(key) and len(key) < 40) or (
                _widget_line(lines[head]) and (key.isdigit() or key.startswith("/")
                                               or _RELATED_LABEL.fullmatch(key.strip("：:"))
                                               or re.fullmatch(r"[>»›》]+", key))):
            head += 1
            continue
        break
    return "\n".join(lines[head:]).strip()
