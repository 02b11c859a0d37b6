"""Turn the bytes of a fetched page into text, even when the page lies about its charset.

Chinese sites often declare GB2312 while serving GBK or GB18030 characters, or re-save pages as
UTF-8 and keep the old ``<meta charset=gb2312>``. Browsers cope; a crawler that trusts the label
produces mojibake that no later stage can repair. The order below is:

1. a byte-order mark (unambiguous);
2. valid UTF-8 (a body cut mid-character still counts) (a GBK page is practically never valid UTF-8);
3. the declared charset (HTTP header, then ``<meta>``), GB2312/GBK read as their superset GB18030,
   if the body decodes under it without error;
4. charset-normalizer's detection, with a preference for GB18030 among equally good guesses;
5. the encoding that leaves the fewest undecodable bytes, with replacement characters, so garbage
   never raises.

Alias resolution and ``<meta>`` sniffing come from w3lib (Scrapy's own helper library).
"""

from __future__ import annotations

import logging
import re

from charset_normalizer import from_bytes
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

log = logging.getLogger(__name__)

# Labels that say nothing reliable about a Chinese page: servers send ISO-8859-1 by default and
# w3lib maps latin-1/ascii to cp1252, which decodes any byte sequence without error.
_WEAK_LABELS = frozenset({"cp1252", "latin-1", "iso8859-1", "ascii"})
_CHINESE_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "hz", "cp936"})
# How much of a huge body charset-normalizer looks at; it samples anyway, this bounds the cost.
_DETECTION_SAMPLE = 512 * 1024


# What a file's first bytes say it is, when it is not text (a server may label anything text/html, a URL may end
# in .html whatever it serves, and Scrapy then builds an HtmlResponse).
_MAGIC = (
    (b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip data"), (b"RIFF", "a RIFF file (WebP image, WAV audio, AVI video)"),
)


_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 27), *range(28, 32), 127])


def binary_kind(body: bytes) -> str | None:
    """What ``body`` is when it is not text (``a PNG image``, ``binary data``), else None. Text in UTF-16 or
    UTF-32 carries NUL bytes, after its byte-order mark: that is text."""
    for magic, kind in _MAGIC:
        if body.startswith(magic):
            return kind
    if read_bom(body)[0] is not None:
        return None
    head = body[:4096]
    # Control bytes other than whitespace and ESC: no text encoding of Chinese or Latin uses them. A few strays in a
    # broken page are allowed; more than 2 % (and more than 8) is not text.
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return "binary data" if controls > max(8, len(head) // 50) else None


def normalize_label(label: str | None) -> str | None:
    """Map a charset label or a Content-Type value to a Python codec name, GB2312/GBK → GB18030."""
    if not label:
        return None
    label = label.strip()
    if "charset" in label.lower():
        name = http_content_type_encoding(label)
    else:
        name = resolve_encoding(label.strip("\"' ;"))
    if name in _CHINESE_FAMILY:
        return "gb18030"
    return name


def _decodes(body: bytes, encoding: str) -> str | None:
    """The text if ``body`` is valid in ``encoding`` (allowing a character cut off at the end), else None."""
    for cut in range(4):
        try:
            return body[: len(body) - cut].decode(encoding)
        except UnicodeDecodeError as error:
            if error.start < len(body) - 4:
                return None
        except LookupError:
            return None
    return None


def _nearly_decodes(body: bytes, encoding: str, tolerance: float = 0.01) -> str | None:
    """The text if ``body`` decodes in ``encoding`` with few errors (a cut or flipped byte or two)."""
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        return None
    holes = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    if holes <= tolerance * non_ascii:
        return text
    return None


def _clean_cut(body: bytes, limit: int) -> bytes:
    """At most ``limit`` bytes, cut before a newline or ``<`` so no multi-byte character is split.

    Those bytes are below 0x40, so they are never the second byte of a GBK pair nor a UTF-8
    continuation byte; detection on a split character goes astray (truncated pages, samples).
    """
    if len(body) <= limit:
        head = body
    else:
        head = body[:limit]
    cut = max(head.rfind(b"\n"), head.rfind(b"<"))
    return head[:cut] if cut > len(head) // 2 else head


def _detect(body: bytes, among: list[str] | None = None) -> str | None:
    """charset-normalizer's guess, preferring GB18030 when it is among the best-scoring guesses."""
    matches = from_bytes(_clean_cut(body, _DETECTION_SAMPLE), cp_isolation=among, preemptive_behaviour=False)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        if match.encoding in _CHINESE_FAMILY and match.chaos <= best.chaos + 0.01:
            return "gb18030"
    return normalize_label(best.encoding)


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode a page body; return (text, codec used). Never raises.

    ``declared`` is a charset label or a whole Content-Type header value, as the server sent it.
    """
    if not body:
        return "", normalize_label(declared) or "utf-8"

    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom is not None:
        return body[len(bom) :].decode(bom_encoding, errors="replace"), bom_encoding

    if body.isascii():
        return body.decode("ascii"), "ascii"

    text = _decodes(body, "utf-8")
    if text is not None:
        return text, "utf-8"

    declared_names = []
    for label in (declared, html_body_declared_encoding(body)):
        name = normalize_label(label)
        if name and name not in _WEAK_LABELS and name != "utf-8" and name not in declared_names:
            declared_names.append(name)
    for name in declared_names:
        text = _decodes(body, name)
        if text is not None:
            gb_text = _decodes(body, "gb18030") if name != "gb18030" else None
            # Both fit (single-byte labels always do): let the detector arbitrate.
            if gb_text is not None and _detect(body, among=[name, "gb18030"]) == "gb18030":
                log.debug("declared charset %s reads worse than GB18030; using GB18030", name)
                return gb_text, "gb18030"
            return text, name
        log.debug("declared charset %s does not fit the body exactly", name)

    detected = _detect(body)
    if detected:
        text = _decodes(body, detected)
        if text is not None:
            return text, detected

    # A corrupted body (flipped bytes, two pages glued together): the encoding with fewest holes.
    for name in dict.fromkeys(n for n in ("utf-8", detected, *declared_names, "gb18030") if n):
        text = _nearly_decodes(body, name)
        if text is not None:
            return text, name
    for name in ("gb18030", "utf-8"):
        text = _nearly_decodes(body, name, tolerance=0.05)
        if text is not None:
            return text, name
    name = detected or "utf-8"
    return body.decode(name, errors="replace"), name


_XML_DECLARED = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


# A feed's or an API's few short strings give detection little to go on (a GBK title read as Korean): when the
# label is wrong, the guess is made among the encodings Chinese sources use.
_CHINESE_SOURCE_ENCODINGS = ["gb18030", "big5", "utf_8"]


def decoded_text(body: bytes, declared: str | None = None) -> str:
    """A feed's or an API's body as text: a GBK body labelled UTF-8 (in the header or the XML declaration) is read
    as GBK, not turned into mojibake."""
    text, encoding = decode_html(body, declared)
    if encoding in ("utf-8", "ascii", normalize_label(declared), normalize_label(html_body_declared_encoding(body))):
        return text  # valid UTF-8, or what it says it is (in the header or the XML declaration)
    guess = _detect(body, among=_CHINESE_SOURCE_ENCODINGS)
    return body.decode(guess, errors="replace") if guess else text


def as_utf8_xml(body: bytes, declared: str | None = None) -> bytes:
    """An XML document (a feed, a sitemap) as UTF-8 bytes whose declaration says so, whatever it was sent in or
    claimed to be in: feed parsers trust the declaration, and a GBK feed declared utf-8 came out as mojibake."""
    text = decoded_text(body, declared)
    return _XML_DECLARED.sub(lambda m: f"{m.group(1)}{m.group(2)}utf-8{m.group(2)}", text, count=1).encode("utf-8")
