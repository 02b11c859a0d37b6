"""Reading a user's CSV for ``yuqing train`` and ``yuqing predict``: every problem named with its place and fix.

A header row is required; column names must be unique (a repeated name would make one column's values
vanish); every row must have as many fields as the header (a stray comma would shift or drop values);
fields may be as long as a 1 MB article; a quote opened and never closed is an error at the line where it opened
(read leniently, it swallows every row after it into one field). UTF-8 with or without a byte-order mark.
"""

from __future__ import annotations

import csv
import io
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

# Python's csv module refuses fields over 128 KiB by default; a pasted article can be 1 MB or more.
MAX_FIELD_CHARS = 64 * 1024 * 1024


class CsvInputError(ValueError):
    """A CSV that cannot be read as a table; the message names the file, the place and the fix."""


def read_table(path: Path, required: Sequence[tuple[str, str]]) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a CSV (``-``: standard input); ``required`` pairs a column with the option that
    names it."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    try:
        if str(path) == "-":
            handle = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
            path = Path("standard input")
        else:
            handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CsvInputError(f"cannot read {path}: {exc.strerror}; check the --data path") from exc
    with handle:
        try:
            reader = csv.reader(handle, strict=True)
            row_start = 1
            header = next(reader, None)
            if header is None:
                raise CsvInputError(f"{path} is empty; it needs a header row naming the columns, then the rows")
            repeated = sorted(name for name, n in Counter(header).items() if n > 1)
            if repeated:
                raise CsvInputError(f"{path}: column name(s) {', '.join(map(repr, repeated))} appear more than once in "
                                    "the header; give each column its own name")
            for column, option in required:
                if column not in header:
                    raise CsvInputError(f"{path}: no column {column!r} (columns: {', '.join(map(repr, header))}); "
                                        f"pass the right {option}{_delimiter_hint(header)}")
            rows = []
            row_start = reader.line_num + 1
            for values in reader:
                if not values:
                    continue  # a blank line
                if len(values) != len(header):
                    raise CsvInputError(
                        f"{path}, line {reader.line_num}: {len(values)} fields where the header has {len(header)}; "
                        "quote fields that contain commas or line breaks (\"...\") and check that line"
                    )
                rows.append(dict(zip(header, values, strict=True)))
                row_start = reader.line_num + 1
        except UnicodeDecodeError as exc:
            raise CsvInputError(f"{path} is not UTF-8 ({exc.reason}); re-save it as UTF-8 CSV") from exc
        except csv.Error as exc:
            where = f"line {row_start}" if row_start == reader.line_num else f"the row that starts on line {row_start}"
            raise CsvInputError(f"{path}, {where}: malformed CSV ({exc}); a field that starts with a quote must end with "
                                "one (\"...\"), and a quote inside a quoted field is written twice (\"\")") from exc
    return header, rows


def _delimiter_hint(header: list[str]) -> str:
    """When the header is one name holding ';' or tabs, the file is not comma-separated."""
    if len(header) == 1:
        for mark, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            if mark in header[0]:
                return f"; the header looks separated by {name}: save the file as comma-separated CSV"
    return ""
