"""Reading a user's CSV for ``yuqing train`` and ``yuqing predict``: every problem named with its place and fix.

A header row is required; column names must be unique (a repeated name would make one column's values
vanish); every row must have as many fields as the header (a stray comma would shift or drop values);
fields may be as long as a 1 MB article; a quote opened and never closed is an error at the line where it opened
(read leniently, it swallows every row after it into one field). UTF-8 with or without a byte-order mark, or
GB18030/GBK (what Excel on a Chinese Windows saves) or Big5 (Traditional Chinese, Taiwan and Hong Kong) when the user
says so with ``--encoding``: never guessed, since a file that is not UTF-8 can also read as GB18030 by chance (a Big5
file does, as nonsense). A file that is not UTF-8 is named with the encoding it most likely is. Comma-separated, or tab-separated when the file is named
``.tsv`` or its header line holds tabs and no comma.
A blank line in a one-column file is a row whose one field is empty (what a spreadsheet writes for an empty cell:
skipping it would shift every later row); in a file of several columns it is no row, and its line number is
returned so the command can say so. Blank lines after the last row end the file.
Column names are shown de-identified and shortened: in a file without its header row they are the first post.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shlex
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from analysis.deidentify import deidentify

# --encoding names: the codec each reads with. GBK files read as GB18030, its superset; Big5 as Microsoft's code page
# 950, the Big5 that Windows in Taiwan and Hong Kong saves.
ENCODINGS = {"utf-8": "utf-8-sig", "gb18030": "gb18030", "gbk": "gb18030", "big5": "cp950"}

# Python's csv module refuses fields over 128 KiB by default; a pasted article can be 1 MB or more.
MAX_FIELD_CHARS = 64 * 1024 * 1024


class CsvInputError(ValueError):
    """A CSV that cannot be read as a table; the message names the file, the place and the fix."""


@dataclass
class Table:
    """A CSV as read: its header, its rows, the blank lines that were no row, and whether it began with a UTF-8
    byte-order mark (Excel's "CSV UTF-8" does; the output is written the same way, see ``analysis.commands``)."""

    header: list[str]
    rows: list[dict[str, str]]
    blank_lines: list[int] = field(default_factory=list)
    bom: bool = False


def read_table(path: Path, required: Sequence[tuple[str, str]], encoding: str = "utf-8") -> Table:
    """The header and the rows of a CSV or TSV (``-``: standard input) in ``encoding`` (a key of ENCODINGS);
    ``required`` pairs a column with the option that names it."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    codec = ENCODINGS[encoding]
    try:
        if str(path) == "-":
            bom = sys.stdin.buffer.peek(3)[:3] == codecs.BOM_UTF8 if hasattr(sys.stdin.buffer, "peek") else False
            handle = io.TextIOWrapper(sys.stdin.buffer, encoding=codec, newline="")
            path = Path("standard input")
        else:
            with path.open("rb") as raw:
                bom = raw.read(3) == codecs.BOM_UTF8
            handle = path.open(encoding=codec, newline="")
    except OSError as exc:
        raise CsvInputError(f"cannot read {path}: {exc.strerror}; check the --data path") from exc
    with handle:
        try:
            row_start = 1
            first = handle.readline()
            tabs = path.suffix.lower() == ".tsv" or ("\t" in first and "," not in first)
            reader = csv.reader(chain([first], handle), strict=True, delimiter="\t" if tabs else ",")
            header = next(reader, None) if first else None
            if header is None:
                raise CsvInputError(f"{path} is empty; it needs a header row naming the columns, then the rows")
            repeated = sorted(name for name, n in Counter(header).items() if n > 1)
            if repeated:
                raise CsvInputError(f"{path}: column name(s) {shown_names(repeated)} appear more than once in "
                                    "the header; give each column its own name")
            for column, option in required:
                if column not in header:
                    raise CsvInputError(f"{path}: no column {column!r} (columns: {shown_names(header)}); "
                                        f"pass the right {option}{_delimiter_hint(header)}")
            rows: list[dict[str, str]] = []
            blank: list[int] = []  # blank lines since the last row
            skipped: list[int] = []
            row_start = reader.line_num + 1
            for values in reader:
                if not values:
                    blank.append(reader.line_num)
                    continue
                if len(header) == 1:
                    rows.extend({header[0]: ""} for _ in blank)
                else:
                    skipped.extend(blank)
                blank = []
                if len(values) != len(header):
                    raise CsvInputError(
                        f"{path}, line {reader.line_num}: {len(values)} fields where the header has {len(header)}; "
                        "quote fields that contain commas or line breaks (\"...\") and check that line"
                    )
                rows.append(dict(zip(header, values, strict=True)))
                row_start = reader.line_num + 1
        except UnicodeDecodeError as exc:
            raise CsvInputError(_undecodable(path, exc, row_start, encoding,
                                             standard_input=handle.buffer is sys.stdin.buffer)) from exc
        except csv.Error as exc:
            where = f"line {row_start}" if row_start == reader.line_num else f"the row that starts on line {row_start}"
            if "field larger than field limit" in str(exc):
                raise CsvInputError(
                    f"{path}, {where}: a field longer than {MAX_FIELD_CHARS:,} characters; if a quote opens a field "
                    "there and never closes, close it (\"...\"); a text that long is not one post: split it") from exc
            raise CsvInputError(f"{path}, {where}: malformed CSV ({exc}); a field that starts with a quote must end with "
                                "one (\"...\"), and a quote inside a quoted field is written twice (\"\")") from exc
    return Table(header, rows, skipped, bom)


def _undecodable(path: Path, exc: UnicodeDecodeError, row_start: int, encoding: str, standard_input: bool) -> str:
    """Where the first byte not in ``encoding`` is (line and byte offset, read again from the file: the decoder reads
    ahead of the rows) and, when a file said to be UTF-8 reads as GB18030 (what Excel on a Chinese Windows saves),
    that it is in that encoding."""
    codec, named = ENCODINGS[encoding], encoding.upper()
    if codec == ENCODINGS["utf-8"]:
        fix = "re-save it as UTF-8 CSV, or pass --encoding gb18030 if it is GB18030/GBK"
    else:
        fix = "check the file's encoding and pass the right --encoding (utf-8, gb18030 or gbk)"
    if standard_input:  # cannot be read again: the line being read when the decoder stopped
        return f"{path}, near line {row_start}: not {named} ({exc.reason}); {fix}"
    data = path.read_bytes()
    try:
        data.decode(codec)
    except UnicodeDecodeError as whole:
        at = whole.start + (len(codecs.BOM_UTF8) if codec == "utf-8-sig" and data.startswith(codecs.BOM_UTF8) else 0)
        line = data.count(b"\n", 0, at) + 1
        where = f"line {line}, byte {at:,} (0x{data[at]:02x})"
    else:  # (cannot happen: the same bytes failed a moment ago) say what the decoder said
        where = f"near line {row_start}"
    if codec == ENCODINGS["utf-8"] and chinese_encoding(data) == "big5":
        fix = ("it reads as Big5 (Traditional Chinese): pass --encoding big5, or re-save it as \"CSV UTF-8\", or convert "
               f"it with: iconv -f BIG5 -t UTF-8 {shlex.quote(str(path))} > converted.csv")
    elif codec == ENCODINGS["utf-8"] and data.decode("gb18030", errors="replace").count("\ufffd") == 0:
        fix = ("it reads as GB18030/GBK, which Excel on a Chinese Windows saves: pass --encoding gb18030, or re-save "
               f"it as \"CSV UTF-8\", or convert it with: iconv -f GB18030 -t UTF-8 {shlex.quote(str(path))} > "
               "converted.csv")
    return f"{path}, {where}: not {named} ({exc.reason}); {fix}"


def chinese_encoding(data: bytes) -> str | None:
    """"gb18030" or "big5": the Chinese encoding bytes that are not UTF-8 most likely are, or None when neither reads
    them. Most Big5 text decodes as GB18030 too, as rare characters and symbols (學校亂收費 reads 厩睹Μ禣), so decoding
    alone cannot tell: Big5 only when the GB18030 reading is not everyday Simplified Chinese and the Big5 reading is
    everyday Traditional Chinese (``_everyday``), else GB18030, what a mainland office gets. None of the 65,139 real
    texts of ../shared/data that are not ASCII, encoded in GB18030, reads as Big5 (charset-normalizer read 3 of the
    4,326 board subjects so); the 10 real Traditional Chinese Weibo posts there that Big5 can encode all do."""
    data = data[:1 << 20]
    readings: dict[str, str] = {}
    for name, codec in (("gb18030", "gb18030"), ("big5", "cp950")):
        try:
            readings[name] = data.decode(codec)
        except UnicodeDecodeError:
            continue
    if len(readings) < 2:
        return next(iter(readings), None)
    if not _everyday(readings["gb18030"], "gb2312", 0xB0, 0xD7) and _everyday(readings["big5"], "cp950", 0xA4, 0xC6):
        return "big5"
    return "gb18030"


# Kana, Greek, Cyrillic and box drawing: what one encoding read as the other is full of, and Chinese prose is not.
_NOT_PROSE = re.compile("[\u0370-\u04ff\u2500-\u257f\u3040-\u30ff]")


def _everyday(text: str, codec: str, first: int, last: int) -> bool:
    """Nine in ten of the text's Chinese characters among the encoding's common ones (GB2312 level 1, lead bytes
    B0-D7: 3,755 characters; Big5 level 1, A4-C6: 5,401) and none of the symbols a wrong reading is full of."""
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not han or _NOT_PROSE.search(text):
        return False
    common = 0
    for char in han:
        try:
            common += first <= char.encode(codec)[0] <= last
        except UnicodeEncodeError:
            continue
    return common >= 0.9 * len(han)


def shown_names(names: list[str]) -> str:
    """Column names for a message, each de-identified and cut to 20 characters: a file that lacks its header row
    has a post's fields there, phone numbers and names included."""
    # masked before it is cut: a number cut in two is no longer recognised (138123456… showed nine digits)
    return ", ".join(repr(deidentify(n[:200]).text[:20] + ("…" if len(n) > 20 else "")) for n in names)


def _delimiter_hint(header: list[str]) -> str:
    """When the header is one name holding ';' or tabs, the file is not comma-separated."""
    if len(header) == 1:
        for mark, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            if mark in header[0]:
                return f"; the header looks separated by {name}: save the file as comma-separated CSV"
    return ""
