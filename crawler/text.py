"""Small readers for what sources send: HTML fragments to text, counts like "100万+", JSON paths."""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from lxml import etree

_BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(万|亿|w|k)?\s*\+?\s*$", re.IGNORECASE)
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def html_to_text(fragment: str | None) -> str:
    """Visible text of an HTML fragment: block elements become line breaks, emoticon images their alt
    text ([怒]), scripts and styles vanish. Never raises; plain text comes back as it was."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return _tidy(fragment)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(re.sub(r"<[^>]*>", " ", fragment))
    for junk in root.xpath(".//script|.//style"):
        junk.drop_tree()
    for img in root.iter("img"):
        alt = img.get("alt") or ""
        img.tail = alt + (img.tail or "")
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    return _NEWLINES.sub("\n", _SPACES.sub(" ", text)).strip()


def parse_count(value: Any) -> int:
    """Interaction counts as sites print them: 12, "12", "1.2万", "100万+", "3k"; anything else is 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float):
        return max(int(value), 0)
    if not isinstance(value, str):
        return 0
    match = _COUNT.match(value.replace(",", ""))
    if not match:
        return 0
    factor = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "k": 1_000}.get((match.group(2) or "").lower(), 1)
    return int(float(match.group(1)) * factor)


def json_path(data: Any, path: str | None) -> Any:
    """The value at a dotted path ("data.items", "user.name", "pics[0].url"); None when any step is missing."""
    if not path:
        return None
    current = data
    for name, index in _PATH_PART.findall(path):
        if index:
            if not isinstance(current, list) or int(index) >= len(current):
                return None
            current = current[int(index)]
        else:
            if not isinstance(current, dict) or name not in current:
                return None
            current = current[name]
    return current


def as_text(value: Any) -> str | None:
    """A JSON value as a string field: strings and numbers as they are, anything else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")


def value_shape(value: Any, limit: int = 40) -> str:
    """How a value a site sent is written, for a log line, without what it says: digits as 9, letters and characters
    as x (2019-05-12 → 9999-99-99, 昨天 08:10 → xx 99:99). A field read from the wrong place may hold a phone number
    or a name, and logs are shown unmasked."""
    if not isinstance(value, str):
        return type(value).__name__
    shape = _LETTER.sub("x", _DIGIT.sub("9", value[:limit]))
    return repr(shape + ("…" if len(value) > limit else ""))
