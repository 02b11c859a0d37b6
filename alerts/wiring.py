"""What the alert stage's commands share: the deployment's configuration, database, clock and Elasticsearch,
the pipeline that brings the stages together (analysis to enrich and cluster in replay and run, the crawler for
scheduled crawls), and the parsing of times and row numbers. This is command-line wiring; the modules it calls stay
within their layer.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from yuqing import paths
from yuqing.settings import Config

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|"
                       r"秒|分钟|小时|天|周|星期|[smhdw])\s*$", re.IGNORECASE)  # (not 日: 13日 is a day)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_CN_UNITS = {"秒": "s", "分钟": "m", "小时": "h", "天": "d", "周": "w", "星期": "w"}


# A case or notification number: what the databases store (SQLite and PostgreSQL hold 64-bit integers; a longer
# number raised OverflowError deep in the driver).
class _RowId(click.ParamType):
    """A case or notification number, 1 to 2**63-1, written 12 or #12 (as lists show them)."""

    name = "number"
    largest = 2**63 - 1

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip().removeprefix("#")
        if not (text.isascii() and text.isdigit()):
            self.fail(f"{value!r} is not a number; give one such as 12 (`{paths.command_here('cases list')}` shows the cases' numbers)",
                      param, ctx)
        number = int(text)
        if not 1 <= number <= self.largest:
            self.fail(f"{value} is not in the range 1<=x<={self.largest}: no case or notification has that number",
                      param, ctx)
        return number


ROW_ID = _RowId()


def not_blank(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A required text (who acts, what was said) must say something: it goes on the record."""
    if value is not None and not value.strip():
        raise click.BadParameter("is empty; the case record needs it", param=param)
    return value.strip() if value is not None else None


def deployment_config() -> Config:
    from yuqing.cli import load_or_exit

    return load_or_exit()


def example_region(config: Config) -> str:
    """A place written as --region takes it, from units.yaml (the deployment's own district), for messages."""
    regions = sorted((u.region for u in config.units.units), key=lambda r: (r.district is None, r.city is None))
    region = regions[0] if regions else None
    return "".join(filter(None, (region.province, region.city, region.district))) if region else ""


def checked_config(config: Config) -> None:
    """Refuse to start on a routing tree, rule, escalation setting, place name or media outlet table that cannot work
    (exit 2); warn of unit kinds that leave cases to the default receiver, as `yuqing config check` does."""
    from alerts.escalation import EscalationConfigError, Escalator
    from alerts.routing import Router, RoutingError, unit_kind_warnings
    from alerts.rules import RuleError, check_rule

    try:
        Router(config.units)
        Escalator(config)
        for rule in config.policy.rules:
            check_rule(rule)
    except (RoutingError, RuleError, EscalationConfigError) as exc:
        click.echo(f"refusing to start: {exc}", err=True)
        sys.exit(2)
    from analysis.media_outlets import media_outlet_problems
    from analysis.region_names import region_problems

    places = region_problems(config)  # a misspelt place turns routing off, silently; a broken alias table, analysis
    if places:
        click.echo("refusing to start: the place names cannot be used:\n  - " + "\n  - ".join(places), err=True)
        sys.exit(2)
    outlets = media_outlet_problems(config)  # replay reads posts' tiers from it; config check promises the same check
    if outlets:
        click.echo("refusing to start: the media outlet table cannot be used:\n  - " + "\n  - ".join(outlets),
                   err=True)
        sys.exit(2)
    for warning in unit_kind_warnings(config.units, config.taxonomy):  # a misspelt kind misroutes every such case
        click.echo(f"warning: {warning}", err=True)


def open_database(config: Config, migrate: bool = True, existing: bool = False):  # type: ignore[no-untyped-def]
    """The workflow database, migrated to this yuqing's schema. ``existing``: a command that works on what is
    recorded refuses a SQLite file that is not there, instead of creating an empty one and answering "0 cases"
    (a mistyped YUQING_HOME or YUQING_DATABASE_URL looked like a deployment with nothing in it)."""
    from yuqing.db.session import Database, DatabaseUnavailable, upgrade

    url = config.settings.database.effective_url()
    if existing and url.startswith("sqlite:///"):
        from sqlalchemy.engine import make_url

        path = Path(make_url(url).database or "")  # (the URL may carry a query: sqlite:///x.db?timeout=30)
        if not path.exists():
            where = ("YUQING_DATABASE_URL" if os.environ.get("YUQING_DATABASE_URL") and not paths.sandbox()
                     else "settings.yaml database.url" if config.settings.database.url and not paths.sandbox()
                     else "YUQING_HOME" if os.environ.get("YUQING_HOME") else "the default state directory")
            raise click.ClickException(
                f"no workflow database at {path} (from {where}): nothing has been recorded there. Point "
                f"YUQING_HOME or YUQING_DATABASE_URL at the deployment's (`{paths.command_here('paths')}` shows where it "
                f"looks), or start one here with `{paths.command_here('db upgrade')}`")
    try:
        if migrate:
            upgrade(url)
        database = Database(url)
        database.check_schema()
    except DatabaseUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    return database


def deployment_clock(config: Config, database: Any) -> Any:
    """The clock a command acts and judges by: real time, or in a sandbox the one its dashboards show
    (``yuqing.sandbox_clock``), so that a sign-off after a demo lands after the demo's records."""
    from yuqing.sandbox_clock import clock_for

    return clock_for(config.settings.tz(), database)


class SearchUnavailable(click.ClickException):
    """Elasticsearch could not be started or reached (not a mapping or configuration problem)."""


def open_elasticsearch(config: Config, start_local: bool):  # type: ignore[no-untyped-def]
    """The configured cluster, else the local node (started when asked and not running); indices ensured.
    Raises SearchUnavailable when it cannot be started or reached."""
    from yuqing.es.client import ElasticsearchUnavailable, connect
    from yuqing.es.indices import IndexLayout, MappingOutdated
    from yuqing.es.node import LocalNode, NodeError

    settings = config.settings.elasticsearch
    if not settings.effective_url() and start_local:
        node = LocalNode(settings)
        if node.status().foreign:  # a wrong YUQING_HOME wrote into another setup's node in silence
            click.echo(f"warning: the Elasticsearch answering on {node.url} was not started from this state "
                       f"directory ({node.home}): another YUQING_HOME's node, or one started by hand; this run "
                       "writes into it", err=True)
        if not node.health():
            click.echo(f"starting the local Elasticsearch node on {node.url} …", err=True)
            try:
                node.start()
            except NodeError as exc:
                raise SearchUnavailable(str(exc)) from exc
    try:
        # Half a minute for a node that may be starting; a few seconds where nobody starts one (rules test waited 30 s).
        client = connect(settings, wait_s=30 if start_local else 5)
        layout = IndexLayout(settings.index_prefix)
        layout.ensure(client)
    except ElasticsearchUnavailable as exc:
        raise SearchUnavailable(str(exc)) from exc
    except MappingOutdated as exc:
        raise click.ClickException(str(exc)) from exc
    return client, layout


def build_pipeline(config: Config, database, es, layout, clock, *, live: bool, state_dir: Path):  # type: ignore[no-untyped-def]
    """The pipeline with analysis plugged in: a fresh in-memory tracker for replay, the saved one for run."""
    from alerts.pipeline import Pipeline
    from analysis.emerging import EmergingDetector
    from analysis.enrich import Enricher
    from analysis.events import EventStore, EventTracker
    from analysis.tokenizer import cut_for_index

    spool = state_dir / "spool"
    store = EventStore(es, layout, spool, cut=cut_for_index)
    options: dict[str, Any] = {"policy": config.policy.grading, "fallback_topic": config.taxonomy.fallback,
                               "tz": config.settings.tz(), "store": store,
                               "detector": EmergingDetector.from_policy(config.policy.emerging, config.settings.tz())}
    if live:
        from analysis.enrich import configure_default_enricher
        from analysis.entry import enrich_many

        configure_default_enricher(config.settings.analysis.sentiment_model)
        tracker = EventTracker.restore(state_dir / "analysis" / "events.json.gz", **options)
        enrich: Callable[..., Any] = enrich_many
    else:
        tracker = EventTracker(**options)
        enrich = Enricher(
            clock=clock,
            fallback_topic=config.taxonomy.fallback,
            sentiment_model=config.settings.analysis.sentiment_model,
        ).enrich_many
    return Pipeline(config, database, es, layout, clock, enrich=enrich, tracker=tracker, cut=cut_for_index,
                    spool_dir=spool)


def parse_when(text: str, now: datetime, option: str = "--since") -> datetime:
    """``7d`` / ``36h`` / ``90m`` / ``7 days`` before now, or a time: ISO 8601 or 2019/12/13 [08:00] (local time zone
    when none is given). A bad value is refused naming ``option``."""
    match = _DURATION.match(text)
    if match:
        unit = match.group(2).lower()
        unit = _CN_UNITS.get(unit) or ("m" if unit.startswith("min") else unit[0])
        try:
            return now - timedelta(**{_UNITS[unit]: float(match.group(1))})
        except OverflowError as exc:
            raise click.BadParameter(f"{text!r} reaches back beyond the calendar; give a shorter duration",
                                     param_hint=f"'{option}'") from exc
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        # Other ways of writing a time, read as sources.yaml's since reads them (2019/12/13 08:30:15, 2019年12月13日);
        # an impossible date is refused rather than read leniently.
        from crawler.config import SourceError, parse_since

        zone = getattr(now.tzinfo, "key", None)
        try:
            parsed = parse_since(text, now, zone or "UTC")
        except SourceError:
            parsed = None
        if parsed is not None and zone is None:  # a fixed offset (--until …+00:00): the time as written, in it
            parsed = parsed.replace(tzinfo=now.tzinfo)
        if parsed is None:
            raise click.BadParameter(f"{text!r} is neither a duration (7d, 36h, 90m, 7天) nor a time (2026-03-02, "
                                     "2026-03-02T09:00+08:00, 2026/03/02 09:00, 2026年3月2日)",
                                     param_hint=f"'{option}'") from None
        return parsed
    return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)


def local_text(value: datetime | None, config: Config) -> str:
    return value.astimezone(config.settings.tz()).strftime("%Y-%m-%d %H:%M") if value else "-"


