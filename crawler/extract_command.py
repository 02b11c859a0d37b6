"""``yuqing extract PATH``: run article extraction on one saved page and print the result as JSON.

The output is the release contract: exactly one JSON object on stdout with ``title``, ``author``,
``published_at`` (ISO 8601 with offset, or null) and ``content``, UTF-8, non-ASCII unescaped.
Diagnostics go to stderr so the output can be piped.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from crawler.encoding import binary_kind
from crawler.extraction import MAX_BODY_BYTES, extract_article
from yuqing.timeparse import DEFAULT_TZ


def _parse_now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time such as 2019-05-12T16:25:00+08:00"
        ) from error


def _zone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise click.BadParameter(f"{value!r} is not a time zone name such as Asia/Shanghai") from error
    return value


@click.command("extract")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--url", default=None, help="The page's URL, used to resolve links and recognise the site.")
@click.option(
    "--encoding",
    "declared_encoding",
    default=None,
    help="The charset the server declared (e.g. gbk, or a whole Content-Type value).",
)
@click.option(
    "--now",
    default=None,
    callback=_parse_now,
    help="When the page was fetched (ISO 8601), for relative times such as 3小时前. Default: now.",
)
@click.option("--tz", default=DEFAULT_TZ, show_default=True, callback=_zone,
              help="Time zone for times shown without one.")
def extract_command(
    path: Path, url: str | None, declared_encoding: str | None, now: datetime | None, tz: str
) -> None:
    """Extract title, author, publish time and body text from the saved page PATH."""
    try:
        body = path.read_bytes()
    except OSError as error:
        raise click.FileError(str(path), hint=error.strerror or str(error)) from error
    if len(body) > MAX_BODY_BYTES:
        click.echo(f"note: {path} is {len(body) / 1e6:.1f} MB; only its first {MAX_BODY_BYTES // (1024 * 1024)} MB "
                   "are read", err=True)
    binary = binary_kind(body)
    if binary:  # its bytes read as text are no article: the contract's empty one, and why
        click.echo(f"note: {path} is {binary}, not a web page; nothing extracted", err=True)
        body = b""
    article = extract_article(body, url=url, declared_encoding=declared_encoding, now=now, tz=tz)
    if not binary and not article.title and not article.content:
        click.echo(f"note: no title and no text found in {path}; is it an HTML page?", err=True)
    if article.date_only and article.published_at is not None:  # midnight as written, which is no publish time
        click.echo(f"note: {path} gives only the day it was published ({article.published_at:%Y-%m-%d}), no time "
                   "of day other than 00:00; published_at is that day's midnight, which may not be when", err=True)
    output = json.dumps(article.as_contract(), ensure_ascii=False) + "\n"
    # Bytes, so the output is UTF-8 whatever the terminal's locale says.
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(output)
    else:
        sys.stdout.flush()
        buffer.write(output.encode("utf-8"))
        buffer.flush()
