"""The alert stage's commands: ``yuqing rules``, ``route``, ``cases``, ``notifications``, ``replay``, ``run``.

This is command-line wiring: it may bring the stages together (analysis to enrich and cluster in
replay and run, the crawler for scheduled crawls); the modules it calls stay within their layer.
"""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from alerts.deadlines import RESPONSE_CHANNELS
from yuqing import paths
from yuqing.contract import CASE_STATE_NAMES, episode, region_label
from yuqing.settings import Config, redact_url

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

    from alerts.sources import SourceStatus
    from yuqing.es.indices import IndexLayout

# A replay evaluates the rules at least this often (simulated minutes).
MAX_EVALUATE_MINUTES = 366 * 24 * 60.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|"
                       r"秒|分钟|小时|天|周|星期|[smhdw])\s*$", re.IGNORECASE)  # (not 日: 13日 is a day)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_CN_UNITS = {"秒": "s", "分钟": "m", "小时": "h", "天": "d", "周": "w", "星期": "w"}


# ----------------------------------------------------------------------------- shared wiring

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


def _not_blank(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A required text (who acts, what was said) must say something: it goes on the record."""
    if value is not None and not value.strip():
        raise click.BadParameter("is empty; the case record needs it", param=param)
    return value.strip() if value is not None else None


def _config() -> Config:
    from yuqing.cli import load_or_exit

    return load_or_exit()


def _checked(config: Config) -> None:
    """Refuse to start on a routing tree, rule or escalation setting that cannot work (exit 2)."""
    from alerts.escalation import EscalationConfigError, Escalator
    from alerts.routing import Router, RoutingError
    from alerts.rules import RuleError, check_rule

    try:
        Router(config.units)
        Escalator(config)
        for rule in config.policy.rules:
            check_rule(rule)
    except (RoutingError, RuleError, EscalationConfigError) as exc:
        click.echo(f"refusing to start: {exc}", err=True)
        sys.exit(2)


def _database(config: Config, migrate: bool = True, existing: bool = False):  # type: ignore[no-untyped-def]
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


def _clock(config: Config, database: Any) -> Any:
    """The clock a command acts and judges by: real time, or in a sandbox the one its dashboards show
    (``yuqing.sandbox_clock``), so that a sign-off after a demo lands after the demo's records."""
    from yuqing.sandbox_clock import clock_for

    return clock_for(config.settings.tz(), database)


class SearchUnavailable(click.ClickException):
    """Elasticsearch could not be started or reached (not a mapping or configuration problem)."""


def _elasticsearch(config: Config, start_local: bool):  # type: ignore[no-untyped-def]
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
    from analysis.enrich import Enricher
    from analysis.events import EventStore, EventTracker
    from analysis.tokenizer import cut_for_index

    spool = state_dir / "spool"
    store = EventStore(es, layout, spool, cut=cut_for_index)
    options: dict[str, Any] = {"policy": config.policy.grading, "fallback_topic": config.taxonomy.fallback,
                               "tz": config.settings.tz(), "store": store}
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


def _local(value: datetime | None, config: Config) -> str:
    return value.astimezone(config.settings.tz()).strftime("%Y-%m-%d %H:%M") if value else "-"


# ----------------------------------------------------------------------------- yuqing rules


@click.group("rules")
def rules_group() -> None:
    """The alert rules of config/policy.yaml (ElastAlert vocabulary): list them, test them on history."""


@rules_group.command("list")
def rules_list() -> None:
    """Every rule with its type and what it watches for."""
    config = _config()
    for rule in config.policy.rules:
        state = "" if rule.enabled else " (disabled)"
        click.echo(f"{rule.name:28} {rule.type:16} {rule.description}{state}")


@rules_group.command("test")
@click.argument("rule_name")
@click.option("--since", default="7d", show_default=True,
              help="Start: a duration back from --until (7d, 36h, 7天) or a time (2026-03-02, 2026/03/02 09:00).")
@click.option("--until", "until_text", default=None, help="End, a time or a duration back from now; default now.")
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON lines.")
def rules_test(rule_name: str, since: str, until_text: str | None, as_json: bool) -> None:
    """What RULE_NAME would have raised over history in the posts and events indices."""
    from alerts.rules import RuleEngine, RuleError

    config = _config()
    try:
        rule = config.policy.rule(rule_name)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    now = datetime.now(config.settings.tz())
    until = parse_when(until_text, now, "--until") if until_text else now
    start = parse_when(since, until, "--since")
    if start >= until:
        raise click.BadParameter(f"--since {since} is not before --until {until_text or 'now'}; the history runs "
                                 "from --since to --until", param_hint="--since")
    es, layout = _elasticsearch(config, start_local=False)
    try:
        engine = RuleEngine(es, layout, config.policy, config.sources.labels())
    except RuleError as exc:
        raise click.ClickException(str(exc)) from exc
    if rule.type != "grade":  # a window rule is evaluated at every step: 15 min over ten years ran for hours unseen
        steps = (until - start) / engine.step_for(rule)
        if steps > MAX_HISTORY_STEPS:
            longest = engine.step_for(rule) * MAX_HISTORY_STEPS
            raise click.BadParameter(
                f"{since} is {steps:,.0f} evaluations of {rule.name} (one every "
                f"{engine.step_for(rule).total_seconds() / 60:g} min), more than {MAX_HISTORY_STEPS:,}; give at most "
                f"{longest.days} days, or split the history with --since and --until", param_hint="--since")
    matches = engine.history(rule, start, until)
    if as_json:
        for match in matches:
            click.echo(json.dumps(match.as_dict(), ensure_ascii=False))
        return
    click.echo(f"rule {rule.name} ({rule.type}): {rule.description}")
    step = "" if rule.type == "grade" else f", evaluated every {engine.step_for(rule).total_seconds() / 60:g} min"
    click.echo(f"history {_local(start, config)} → {_local(until, config)}{step}")
    for m in matches:
        first = datetime.fromisoformat(m.details.get("first_at", m.window_end.isoformat()))
        last = datetime.fromisoformat(m.details.get("last_at", m.window_end.isoformat()))
        when = _local(first, config) + (f" → {_local(last, config)[11:]}" if last != first else "")
        key = f"  [{m.key}]" if m.key is not None else ""
        events = f"  events: {', '.join(m.event_ids)}" if m.event_ids else ""
        click.echo(f"{when}{key}  {m.reason}{events}")
    click.echo(f"{len(matches)} match(es)")


# ----------------------------------------------------------------------------- yuqing route


@click.group("route")
def route_group() -> None:
    """The routing tree of config/units.yaml: explain a case's route, or try labels."""


@route_group.command("explain")
@click.argument("case_id", type=ROW_ID)
def route_explain(case_id: int) -> None:
    """Which route CASE_ID matched and why: the path through the tree and each match's reason."""
    from alerts.routing import format_explanation
    from yuqing.db.models import Case

    config = _config()
    database = _database(config, existing=True)
    with database.sessions() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise click.ClickException(f"no case {case_id}; list cases with `{paths.command_here('cases list')}`")
        names = {u.id: u.name for u in config.units.units}
        click.echo(f"case {case.id}: {case.title}")
        click.echo(f"  topic {case.topic or '-'} · grade {case.grade or '-'} · region "
                   f"{'、'.join(case.districts or []) or region_label(case.region)}")
        for line in format_explanation(case.route_explanation or []):
            click.echo(line)
        click.echo(f"responsible: {case.unit_id} {names.get(case.unit_id or '', '')}")
        if case.joint_unit_ids:
            click.echo("joint: " + ", ".join(f"{u} {names.get(u, '')}" for u in case.joint_unit_ids))


@route_group.command("test")
@click.option("--topic", default=None, help="A topic of config/taxonomy.yaml.")
@click.option("--grade", type=click.Choice(["I", "II", "III", "IV"]), default=None,
              help="I/II add the joint units and the coordinating office.")
@click.option("--province", default=None, help="The province, for a case placed nowhere nearer (湖南省多地暴雨).")
@click.option("--city", default=None, help="The city (default: the city of units.yaml's units).")
@click.option("--district", "districts", multiple=True, help="Repeat for a case spanning districts.")
@click.option("--region", "region_text", default="",
              help="Where, as `cases open` takes it: 湖南省A市A3区 (fills --province, --city and --district).")
@click.option("--text", default="", help="Title and keywords, for keyword routes.")
def route_test(topic: str | None, grade: str | None, province: str | None, city: str | None,
               districts: tuple[str, ...], region_text: str, text: str) -> None:
    """Where a case with these labels would go, and why (nothing is written)."""
    from alerts.routing import CaseLabels, Router, RoutingError, format_explanation
    from analysis.region import resolve_region
    from yuqing.contract import Region

    config = _config()
    try:
        router = Router(config.units)
    except RoutingError as exc:
        raise click.ClickException(str(exc)) from exc
    if topic is not None and topic not in config.taxonomy.ids():
        raise click.BadParameter(f"{topic!r} is not a topic of {paths.config_file('taxonomy.yaml')}; use one of: "
                                 f"{', '.join(config.taxonomy.ids())}", param_hint="--topic")
    if region_text:  # (`cases open` takes --region; route test refused it)
        region = resolve_region(region_text)
        if region is None:
            raise click.BadParameter(f"{region_text!r} names no place the gazetteer knows; write it as 湖南省A市A3区 "
                                     "(province, city, district)", param_hint="--region")
        province, city = province or region.province, city or region.city
        districts = districts or ((region.district,) if region.district else ())
    cities = sorted({u.region.city for u in config.units.units if u.region.city})
    for district in districts:  # a typo (A9区) went to the city's unit unsaid
        unknown = router.check_district(Region(province=province, city=city or (cities[0] if len(cities) == 1 else None),
                                               district=district))
        if unknown:
            click.echo(f"warning: --district {district!r}: {unknown}", err=True)
    decision = router.route(CaseLabels(topic=topic, grade=grade, province=province, city=city, districts=districts,
                                       text=text))
    for line in format_explanation(decision.steps):
        click.echo(line)
    elsewhere = router.outside(Region(province=province, city=city)) if city or province else None
    if elsewhere:
        click.echo(f"note: outside the jurisdiction ({elsewhere}): the pipeline opens no case for such an event; "
                   f"`{paths.command_here('cases open')}` still can")


# ----------------------------------------------------------------------------- yuqing cases


@click.group("cases")
def cases_group() -> None:
    """Cases: open one by hand, list and show them; acknowledge, record a response, close, reopen, assess."""


def _load_cases(config: Config, database: Any, state: str | None = None,
                unit: str | None = None) -> list[dict[str, Any]]:
    from alerts.cases import case_dict
    from yuqing.db.models import Case

    query = (select(Case).options(selectinload(Case.events), selectinload(Case.deadlines),
                                  selectinload(Case.assessments)).order_by(Case.id))
    if state:
        query = query.where(Case.state == state)
    if unit:
        query = query.where(Case.unit_id == unit)
    with database.sessions() as session:
        return [case_dict(c, config) for c in session.scalars(query)]


@cases_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Every case with deadlines and timeline, as JSON.")
@click.option("--state", default=None, type=click.Choice(sorted(CASE_STATE_NAMES)), help="Only cases in this state.")
@click.option("--unit", default=None, help="Only cases of this unit id.")
def cases_list(as_json: bool, state: str | None, unit: str | None) -> None:
    """Every case: grade, state, unit, title and the next deadline."""
    config = _config()
    if unit is not None and unit not in {u.id for u in config.units.units}:
        click.echo(f"note: {unit!r} is not a unit of {paths.config_file('units.yaml')} (ids: "
                   f"{', '.join(u.id for u in config.units.units)})", err=True)
    database = _database(config, existing=True)
    cases = _load_cases(config, database, state, unit)
    if as_json:
        click.echo(json.dumps(cases, ensure_ascii=False, indent=2))
        return
    now = _clock(config, database).now()
    for c in cases:
        upcoming = c["next_deadline"]  # the case's pending deadlines (Case.pending_deadlines); none once closed
        nxt = f"{upcoming['kind']} {upcoming['due_at'][:16]}" if upcoming else "-"
        if upcoming and (upcoming["overdue_at"] or datetime.fromisoformat(upcoming["due_at"]) < now):
            nxt += " OVERDUE"
        click.echo(f"#{c['id']:<4} {c['grade'] or '-':3} {c['state']:12} {c['unit'] or '-':18} {nxt:38} {c['title']}")
    click.echo(f"{len(cases)} case(s)")


# rules test replays a window rule at every step: about a year of 15-minute steps (each one search).
MAX_HISTORY_STEPS = 35_136


@cases_group.command("show")
@click.argument("case_id", type=ROW_ID)
def cases_show(case_id: int) -> None:
    """One case with its deadlines and its whole timeline."""
    config = _config()
    database = _database(config, existing=True)
    found = [c for c in _load_cases(config, database) if c["id"] == case_id]
    if not found:
        raise click.ClickException(f"no case {case_id}; list cases with `{paths.command_here('cases list')}`")
    c = found[0]
    click.echo(f"case {c['id']} [{c['state']}] {c['title']}")
    # a case opened by hand has no risk score (and may have no grade or topic): "—" as the case page, not "None"
    click.echo(f"  {c['region']} · {c['topic'] or '—'} · grade {c['grade'] or '—'} · "
               f"risk {'—' if c['risk'] is None else c['risk']} · {c['volume']} posts")
    click.echo(f"  unit {c['unit'] or '—'}; joint {', '.join(c['joint_units']) or '-'}")
    current = max((episode(d["kind"]) for d in c["deadlines"]), default=0)
    for d, status in zip(c["deadlines"], _deadline_states(config, database, case_id), strict=True):
        if episode(d["kind"]) < current:
            status += "（前一轮，已考核，不再督办）"
        click.echo(f"  deadline {d['kind']:24} {d['due_at'][:16]}  {status}  — {d['basis']}")
    for line in _board_message_lines(config, case_id):
        click.echo(line)
    tz = config.settings.tz()
    for e in c["timeline"]:  # in time order (case_dict), as the case page
        move = f" {e['from']}→{e['to']}" if e["from"] != e["to"] else ""
        notes = "".join(f" [{note}]" for note in _timeline_notes(e, c["opened_at"], tz))
        click.echo(f"  {e['at'][:16]} {e['actor']:22} {e['action']}{move}{notes}: {e['reason']}")
    for a in c["assessments"]:
        click.echo(f"  assessed by {a['assessor']} {a['at'][:16]}: total {a['total']:g} ({a['level']})")


def _timeline_notes(entry: dict[str, Any], opened_at: str, tz: tzinfo) -> list[str]:
    """What the case page says under a timeline entry's time, in its words: 补录于 (a response or a sign-off entered
    later than it happened, `respond --at`, `ack --at`), and 答复发布于 … （立案前） for a board reply given before the case opened, which
    stands at the opening."""
    notes = []
    recorded = (entry["details"] or {}).get("recorded_at")
    if recorded:
        notes.append(f"补录于 {datetime.fromisoformat(recorded).astimezone(tz):%Y-%m-%d %H:%M}")
    answered = datetime.fromisoformat(entry["answered_at"])
    if answered < datetime.fromisoformat(entry["at"]):
        notes.append(f"答复发布于 {answered.astimezone(tz):%Y-%m-%d %H:%M}"
                     f"（{'立案前' if entry['at'] == opened_at else '重新打开前'}）")
    return notes


def _board_message_lines(config: Config, case_id: int) -> list[str]:
    """The case's citizen messages on a board, each judged on its own reply deadline as the case page judges it: its
    subject as recorded (de-identified at ingestion; a message that was not is shown by its id), the reply's due time
    in the configured zone, and answered on time, late, or not (yet)."""
    from alerts.messages import one_line
    from yuqing.db.models import Case
    from yuqing.evaluation import judge_message

    database = _database(config, existing=True)
    now = _clock(config, database).now()  # in a sandbox, its clock (yuqing.sandbox_clock), as the case page's
    with database.sessions() as session:
        case = session.scalars(select(Case).options(selectinload(Case.board_messages), selectinload(Case.events))
                               .where(Case.id == case_id)).one()
        verdicts = [judge_message(case, m, now) for m in case.board_messages]
    if not verdicts:
        return []
    tz = config.settings.tz()
    due = [v for v in verdicts if v.due]
    lines = [f"  board messages: {len(verdicts)}, each owed its own reply; {len(due)} due: "
             f"{sum(v.on_time for v in due)} answered on time, {sum(v.answered and not v.on_time for v in due)} late, "
             f"{sum(v.overdue for v in due)} unanswered"]
    for v in verdicts:
        if v.answered and v.replied_at is not None:
            late = (v.replied_at - v.due_at).total_seconds() / 86400
            status = f"answered {v.replied_shown(tz)}" + (
                f" LATE by {late:.1f} d" if late > 0 else " on time")
        else:
            left = (v.due_at - now).total_seconds() / 86400
            status = f"OVERDUE, unanswered {-left:.1f} d past due" if v.overdue else f"open, {left:.1f} d left"
        subject = one_line(v.title, 80) or f"(message {v.post_id})"
        lines.append(f"  message {v.kind:16} due {v.due_at.astimezone(tz):%Y-%m-%d %H:%M}  {status}  — {subject}")
    return lines


def _deadline_states(config: Config, database: Any, case_id: int) -> list[str]:
    """Each deadline's state in due order, in the case page's and the evaluation's words (yuqing.evaluation): a
    deadline of a case closed before it fell due is 已关闭，不再考核, which this command called OVERDUE."""
    from yuqing.db.models import Case
    from yuqing.evaluation import deadline_state

    now = _clock(config, database).now()
    with database.sessions() as session:
        case = session.scalars(select(Case).options(selectinload(Case.deadlines), selectinload(Case.events))
                               .where(Case.id == case_id)).one()
        return [deadline_state(case, d, now)[0] for d in sorted(case.deadlines, key=lambda d: d.due_at)]


@cases_group.command("assess")
@click.argument("case_id", type=ROW_ID)
@click.option("--assessor", required=True, callback=_not_blank, help="Who scores (an evaluator; several may).")
@click.option("--response", type=click.FloatRange(-10, 10), required=True, help="政府响应, -10…10.")
@click.option("--transparency", type=click.FloatRange(-10, 10), required=True, help="信息透明度, -10…10.")
@click.option("--credibility", type=click.FloatRange(-10, 10), required=True, help="政府公信力, -10…10.")
@click.option("--order", type=click.FloatRange(-5, 5), required=True, help="恢复秩序, -5…5.")
@click.option("--dynamics", type=click.FloatRange(-3, 3), required=True, help="动态反应, -3…3.")
@click.option("--accountability", type=click.FloatRange(-3, 3), required=True, help="官员问责, -3…3.")
@click.option("--note", default="", help="Why, in a sentence (shown with the scores).")
def cases_assess(case_id: int, assessor: str, response: float, transparency: float, credibility: float,
                 order: float, dynamics: float, accountability: float, note: str) -> None:
    """Score how a case was handled, as the People's Daily opinion lab does (domain.md §7): the total gives
    蓝 ≥ 20, 黄 15–19.99, 橙 10–14.99, 红 < 10 (应对严重失当 — 回应不妥当 in the evaluator's accountability
    proposals for major cases). Scoring again replaces your earlier scores; several evaluators average."""
    from alerts.cases import assess
    from yuqing.assessment import MAX_TOTAL, level

    scores = {"response": response, "transparency": transparency, "credibility": credibility, "order": order,
              "dynamics": dynamics, "accountability": accountability}
    with _case_change() as (_, session, now):
        row = assess(session, case_id, assessor, now, scores, note)
        found = level(row.total)
        click.echo(f"case {case_id} assessed by {assessor}: total {row.total:g} of {MAX_TOTAL} — {found.colour}"
                   f"（{found.verdict}）")


@contextmanager
def _case_change() -> Iterator[tuple[Config, Any, datetime]]:
    """One change to a case by hand: the deployment's database, its clock's now, one transaction; a CaseError
    (no such case, or a change its state forbids) becomes the command's error and the change is rolled back."""
    from alerts.cases import CaseError

    config = _config()
    database = _database(config, existing=True)
    now = _clock(config, database).now()
    try:
        with database.transaction() as session:
            yield config, session, now
    except CaseError as exc:
        raise click.ClickException(str(exc)) from exc


def _act(action: Callable[..., Any], case_id: int, *args: Any,
         said: Callable[[Any, datetime], str] | None = None) -> None:
    """Apply ``action`` to a case now and say what became of it (``said(case, now)``, else its new state)."""
    with _case_change() as (_, session, now):
        case = action(session, case_id, *args[:1], now, *args[1:])
        click.echo(said(case, now) if said else f"case {case.id} is now {case.state}")


@cases_group.command("open")
@click.option("--title", required=True, callback=_not_blank, help="What the case is about, as the assignment names it.")
@click.option("--topic", required=True, help="A topic of config/taxonomy.yaml (it decides the responsible unit).")
@click.option("--region", "region_text", default="", help="Where, e.g. 湖南省A市A3区 (the district decides the unit).")
@click.option("--grade", type=click.Choice(["I", "II", "III", "IV"]), default="III", show_default=True,
              help="I/II are major: 5 h / 24 h deadlines and the joint units.")
@click.option("--actor", required=True, callback=_not_blank, help="Who assigns it (e.g. 市政府办公厅).")
@click.option("--reason", required=True, callback=_not_blank, help="Why (e.g. 上级交办, 网民集中反映).")
@click.option("--again", is_flag=True, help="Open it even though an open case has the same title.")
def cases_open(title: str, topic: str, region_text: str, grade: str, actor: str, reason: str, again: bool) -> None:
    """Open a case by hand: public opinion the higher government assigns, or that a press officer spotted
    before any rule did. It is routed, given deadlines and alerted like any other case."""
    import hashlib

    from alerts.cases import open_or_update_case, sync_units
    from alerts.routing import Router
    from analysis.deidentify import deidentify
    from analysis.region import resolve_region
    from yuqing.contract import Event, Grade
    from yuqing.db.models import Case

    config = _config()
    if topic not in config.taxonomy.ids():
        raise click.ClickException(f"--topic {topic!r} is not in {paths.config_file('taxonomy.yaml')}; use one of: "
                                   f"{', '.join(config.taxonomy.ids())}")
    region = resolve_region(region_text) if region_text else None
    if region_text and region is None:
        raise click.ClickException(f"--region {region_text!r} names no place the gazetteer knows; write it as "
                                   "湖南省A市A3区 (province, city, district)")
    if region is not None:
        router = Router(config.units)
        unknown = router.check_district(region)
        if unknown:  # a district without units goes to the city's unit; a typo does too, so it is said
            click.echo(f"warning: --region {region_text!r}: {unknown}; the case goes to the city's unit (if you "
                       "meant a district that has units, check the spelling)", err=True)
        if region.province is None:
            region = region.model_copy(update={"province": router.province_of(region.city)})
        elsewhere = router.outside(region)
        if elsewhere:
            click.echo(f"warning: {elsewhere}; the case is opened as asked, for a unit of this jurisdiction",
                       err=True)
    # A name or a number typed into the assignment is masked like a post's (domain.md §6).
    title, reason, actor = deidentify(title).text, deidentify(reason).text, deidentify(actor).text
    database = _database(config)
    clock = _clock(config, database)
    now = clock.now()
    event_id = "manual-" + hashlib.sha1(f"{title}\x1f{now.isoformat()}".encode()).hexdigest()[:16]
    # What the title says happened (deaths, food poisoning …) makes the case sensitive, as an event's posts do:
    # the 2 h report upward then applies (policy.yaml deadlines.sensitive_cues).
    from analysis.severity import extract_cues

    event = Event(id=event_id, title=title, first_seen=now, last_seen=now, region=region, topic=topic,
                  grade=Grade(grade), grade_reasons=[f"人工立案（{actor}）：{reason}"],
                  severity_cues=extract_cues(title).as_list())
    with database.transaction() as session:
        sync_units(session, config.units)  # the case refers to its unit: units.yaml may be newer than the table
        twin = session.scalars(select(Case).where(Case.title == title, Case.state != "closed")).first()
        if twin is not None and not again:
            raise click.ClickException(
                f"case {twin.id} with this title is already open ({twin.state}, opened "
                f"{twin.opened_at.astimezone(config.settings.tz()):%Y-%m-%d %H:%M}); see "
                f"`{paths.command_here(f'cases show {twin.id}')}`, or pass --again to open a second case and alert its units again")
        update = open_or_update_case(session, event, "manual", config, clock,
                                     districts=[region.district] if region and region.district else None,
                                     reason=f"{actor}: {reason}")
        case = update.case
        click.echo(f"case {case.id} opened: {case.title} → {case.unit_id}"
                   + (f" (joint: {', '.join(case.joint_unit_ids)})" if case.joint_unit_ids else "")
                   + f"; {len(update.notifications)} alert(s) queued")
        if not update.notifications:
            click.echo(f"warning: nobody was alerted: {case.unit_id} has no contacts in units.yaml, yet the case's "
                       f"acknowledgement timer runs; add its slack_channel or email (`{paths.command_here('config check')}` lists such "
                       "units)", err=True)


@cases_group.command("ack")
@click.argument("case_id", type=ROW_ID)
@click.option("--actor", required=True, callback=_not_blank, help="Who acknowledges (name or user id).")
@click.option("--reason", default="")
@click.option("--at", "signed", default=None, metavar="TIME",
              help="When it was signed off, if not just now (by phone or in Slack, entered later): 2026-11-27 20:00 "
                   "(local time), or 12h (ago). Time to sign-off is judged by this time.")
def cases_ack(case_id: int, actor: str, reason: str, signed: str | None) -> None:
    """Acknowledge a case: escalation for silence stops."""
    from alerts.cases import acknowledge

    with _case_change() as (_, session, now):
        at = parse_when(signed, now, "--at") if signed else now
        case = acknowledge(session, case_id, actor, at, reason, recorded_at=now if signed else None)
        # It said "case 1 is now escalated" of a sign-off, and the same of a second one, which changes nothing.
        if case.acknowledged_at is not None and case.acknowledged_at != at:
            click.echo(f"case {case.id} was already acknowledged "
                       f"({case.acknowledged_at.astimezone(now.tzinfo):%Y-%m-%d %H:%M}); nothing changed")
        elif case.state == "responded":  # signed off (with --at) before the response that had signed it off
            click.echo(f"case {case.id} is responded; it was signed off {at.astimezone(now.tzinfo):%Y-%m-%d %H:%M}")
        elif case.state != "acknowledged":
            click.echo(f"case {case.id} acknowledged: escalation for silence stops; it stays {case.state} "
                       f"because a deadline has passed (answer it with `{paths.command_here(f'cases respond {case.id}')}`)")
        else:
            click.echo(f"case {case.id} is now acknowledged"
                       + (f" (signed off {at.astimezone(now.tzinfo):%Y-%m-%d %H:%M})" if signed else ""))


@cases_group.command("respond")
@click.argument("case_id", type=ROW_ID)
@click.option("--actor", required=True, callback=_not_blank, help="Who does it (name or user id).")
@click.option("--text", required=True, callback=_not_blank, help="What was published, and where.")
@click.option("--channel", default="release", show_default=True, type=click.Choice(sorted(RESPONSE_CHANNELS)),
              help="Where it was published; press_conference also meets the press conference deadline, "
                   "report_upward only the report upward.")
@click.option("--at", "published", default=None, metavar="TIME",
              help="When it was published, if not just now: 2026-11-27 20:00 (local time), or 12h (ago). "
                   "Deadlines are judged by this time.")
def cases_respond(case_id: int, actor: str, text: str, channel: str, published: str | None) -> None:
    """Record a response; the deadlines it fulfils are marked met (on time or late, by when it was published)."""
    from alerts.cases import record_response

    with _case_change() as (_, session, now):
        at = parse_when(published, now, "--at") if published else now
        case = record_response(session, case_id, actor, at, text, channel, recorded_at=now if published else None)
        click.echo(f"case {case.id} is now {case.state}")


@cases_group.command("reassign")
@click.argument("case_id", type=ROW_ID)
@click.option("--unit", "unit_id", required=True, help="The unit of config/units.yaml that takes the case over.")
@click.option("--actor", required=True, callback=_not_blank, help="Who hands it over (e.g. 市政府办公厅).")
@click.option("--reason", required=True, callback=_not_blank, help="Why (e.g. 属地错误，应由A5区处理).")
def cases_reassign(case_id: int, unit_id: str, actor: str, reason: str) -> None:
    """Hand a case to another responsible unit (转办), which is alerted now; its deadlines do not restart."""
    from alerts.cases import reassign, sync_units

    with _case_change() as (config, session, now):
        sync_units(session, config.units)
        sent = reassign(session, case_id, actor, now, unit_id, reason, config)
        click.echo(f"case {case_id} is now with {unit_id}; {len(sent)} alert(s) queued")
        if not sent:
            click.echo(f"warning: nobody was alerted: {unit_id} has no contacts in units.yaml; add its "
                       "slack_channel or email", err=True)


@cases_group.command("close")
@click.argument("case_id", type=ROW_ID)
@click.option("--actor", required=True, callback=_not_blank, help="Who does it (name or user id).")
@click.option("--reason", default="")
def cases_close(case_id: int, actor: str, reason: str) -> None:
    """Close a case (a reason is required when nobody responded). Closing does not answer the citizens whose board
    messages are still unanswered (皖政办〔2015〕12号: each is owed a reply): it goes ahead, and says how many."""
    from alerts.cases import close

    def said(case: Any, now: datetime) -> str:
        owed = sorted((m for m in case.board_messages if m.replied_at is None or m.replied_at > now),
                      key=lambda m: m.due_at)
        if owed:
            late = sum(1 for m in owed if m.due_at < now)
            tz = _config().settings.tz()
            click.echo(f"warning: case {case.id} still owes {len(owed)} citizen(s) a reply to their board message "
                       f"({late} past due; the earliest due {owed[0].due_at.astimezone(tz):%Y-%m-%d %H:%M}); closing "
                       "answers none of them, no reminder will chase them now, and the evaluation counts each one "
                       f"unanswered past its due time as overdue. See `{paths.command_here(f'cases show {case.id}')}`; "
                       f"`{paths.command_here(f'cases reopen {case.id}')}` to have them chased again", err=True)
        return f"case {case.id} is now {case.state}"

    _act(close, case_id, actor, reason, said=said)


@cases_group.command("reopen")
@click.argument("case_id", type=ROW_ID)
@click.option("--actor", required=True, callback=_not_blank, help="Who does it (name or user id).")
@click.option("--reason", required=True, callback=_not_blank)
def cases_reopen(case_id: int, actor: str, reason: str) -> None:
    """Reopen an answered case: fresh deadlines, the units alerted again."""
    from alerts.cases import reopen, sync_units

    with _case_change() as (config, session, now):
        sync_units(session, config.units)
        case = reopen(session, case_id, actor, now, reason, config)
        click.echo(f"case {case.id} is now {case.state}")
        if not case.events[-1].details.get("recipients"):
            click.echo(f"warning: nobody was alerted: unit {case.unit_id!r} has no contact in "
                       f"{paths.config_file('units.yaml')} (renamed or removed?); add it back or give it a contact, "
                       f"then see `{paths.command_here(f'route explain {case.id}')}`", err=True)


def _log_in_zone(tz: Any) -> None:
    """`yuqing run`'s log: times in settings.yaml's zone (they were UTC beside the scheduler's local times), and
    not apscheduler's two lines per job run (every 5 s: half of a quiet minute's log)."""
    from yuqing.logs import log_in_zone

    log_in_zone(tz)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


# ----------------------------------------------------------------------------- yuqing notifications


@click.group("notifications")
def notifications_group() -> None:
    """The notification outbox: what was (or will be) sent to whom, and when."""


RECORDED = "recorded"  # shown for a message the record notifier kept locally instead of delivering it


def _shown_status(n: Any) -> str:
    from alerts.outbox import SENT

    return RECORDED if n.status == SENT and (n.external_id or "").startswith("record:") else str(n.status)


def notification_dict(n: Any, config: Config) -> dict[str, Any]:
    """A notification as `notifications list` shows it; times in the configured zone. ``next_attempt_at``: when the
    outbox tries a waiting one next (for one being sent, when its claim lapses); None once sent or given up."""
    from alerts.outbox import DUE_STATUSES, FAILED

    tz = config.settings.tz()
    return {"id": n.id, "case_id": n.case_id, "kind": n.kind, "channel": n.channel, "recipient": n.recipient,
            "status": _shown_status(n), "attempts": n.attempts,
            "scheduled_at": n.scheduled_at.astimezone(tz).isoformat(),
            "sent_at": n.sent_at.astimezone(tz).isoformat() if n.sent_at else None,
            "next_attempt_at": n.next_attempt_at.astimezone(tz).isoformat() if n.status in DUE_STATUSES else None,
            "given_up": n.status == FAILED,
            "title": (n.payload or {}).get("title"), "summary": (n.payload or {}).get("summary"),
            "escalation_level": (n.payload or {}).get("escalation_level"),
            "idempotency_key": n.idempotency_key, "last_error": n.last_error}


@notifications_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Every notification as one JSON array, each with its payload.")
@click.option("--case", "case_id", type=ROW_ID, default=None, help="Only this case's notifications.")
@click.option("--kind", type=click.Choice(["alert", "reminder", "escalation", "digest"]), default=None)
@click.option("--status", type=click.Choice(["pending", "sending", "retrying", "sent", RECORDED, "failed"]),
              default=None, help="pending: not sent yet; sending: being sent; retrying: an attempt failed, tried "
                                 "again later; sent: delivered; recorded: kept in the local file only (no channel "
                                 "secret set); failed: given up.")
def notifications_list(as_json: bool, case_id: int | None, kind: str | None, status: str | None) -> None:
    """Every notification: case, kind, channel, recipient, scheduled time, status, and when it was sent, when it is
    tried next, or that it was given up (with the last error of one waiting to be retried or given up)."""
    from alerts.outbox import SENT
    from yuqing.db.models import Notification

    config = _config()
    database = _database(config, existing=True)
    query = select(Notification).order_by(Notification.scheduled_at, Notification.id)
    if case_id is not None:
        query = query.where(Notification.case_id == case_id)
    if kind:
        query = query.where(Notification.kind == kind)
    if status == RECORDED:
        query = query.where(Notification.status == SENT, Notification.external_id.like("record:%"))
    elif status == SENT:
        query = query.where(Notification.status == SENT, ~Notification.external_id.like("record:%")
                            | Notification.external_id.is_(None))
    elif status:
        query = query.where(Notification.status == status)
    with database.sessions() as session:
        rows = [notification_dict(n, config) for n in session.scalars(query)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        if r["sent_at"]:
            when = f"at {r['sent_at'][:16]}"
        elif r["given_up"]:
            when = f"given up (`{paths.command_here('notifications retry')}` sends it again)"
        else:
            when = f"next try {r['next_attempt_at'][:16]}"
        click.echo(f"#{r['id']:<5} {r['scheduled_at'][:16]} {r['kind']:10} case {str(r['case_id'] or '-'):4} "
                   f"{r['channel']:8} "
                   f"{r['recipient']:32} {r['status']:8} {when}"
                   + (f"  last error: {r['last_error'][:160]}" if r["last_error"] and r["status"] != SENT else ""))
    click.echo(f"{len(rows)} notification(s)")


@notifications_group.command("send")
def notifications_send() -> None:
    """Send the notifications that are due now, once (the scheduler does this every few seconds)."""
    config = _config()
    _send_due(config, _database(config))  # (a periodic job: a fresh install has nothing to send)


def _send_due(config: Config, database: Any) -> None:
    """Send what is due now, once, and say what is still waiting or given up."""
    from alerts.notifiers import build_notifiers, delivery_warnings
    from alerts.outbox import FAILED, RETRYING, OutboxWorker, status_counts

    clock = _clock(config, database)
    for warning in delivery_warnings(config):
        click.echo(f"warning: {warning}", err=True)
    handled = OutboxWorker(database, build_notifiers(config, clock=clock), clock).run_once()
    with database.sessions() as session:
        counts = status_counts(session)
    click.echo(f"{handled} notification(s) sent or recorded now")
    if counts.get(RETRYING) or counts.get(FAILED):
        click.echo(f"{counts.get(RETRYING, 0)} waiting to be retried, {counts.get(FAILED, 0)} given up: see "
                   f"`{paths.command_here('notifications list --status retrying')}` (or failed) for the errors; once the cause "
                   f"is fixed, `{paths.command_here('notifications retry')}` sends them again", err=True)


@notifications_group.command("retry")
@click.argument("ids", nargs=-1, type=ROW_ID)
def notifications_retry(ids: tuple[int, ...]) -> None:
    """Send `failed` and `retrying` notifications again, now, with fresh attempts — after fixing what stopped them
    (a Slack token, a channel name, an SMTP password); `pending` ones a paused channel holds back go too. IDS: the
    notifications' ids (`yuqing notifications list --status failed` shows them); none: every such one."""
    from alerts.outbox import requeue
    from yuqing.db.models import Notification

    config = _config()
    database = _database(config)  # (a periodic job: a fresh install has nothing to send)
    given = list(dict.fromkeys(ids))
    with database.transaction() as session:
        found = {n.id: n for n in session.scalars(select(Notification).where(Notification.id.in_(given)))}
        unknown = [i for i in given if i not in found]
        if unknown:  # (it said "left alone" of a mistyped id, and exited 0)
            raise click.ClickException(
                f"no notification {', '.join(f'#{i}' for i in unknown)} in this outbox, so nothing was sent again; "
                f"`{paths.command_here('notifications list')}` shows the ids (`--status failed` or `--status retrying`: the ones "
                "retry sends)")
        queued = requeue(session, given or None, at=_clock(config, database).now())
        left = {i: _shown_status(found[i]) for i in given if i not in queued}
    if left:
        click.echo(f"left alone, neither failed nor retrying: {', '.join(f'#{i} {s}' for i, s in left.items())}"
                   + (" (a pending one is sent when it is due)" if "pending" in left.values() else ""), err=True)
    click.echo(f"{len(queued)} notification(s) due again")
    if queued:  # it said it sends them, and only queued them (a review, 2026-11-27)
        _send_due(config, database)


# ----------------------------------------------------------------------------- yuqing replay


def _reset(config: Config, database: Any, es: Any, layout: Any) -> None:
    """Empty this deployment's cases, outbox and indices so a replay starts from nothing."""
    from sqlalchemy import delete

    from yuqing.db.models import (
        BoardMessage,
        Case,
        CaseEvent,
        Deadline,
        Notification,
        ResponseAssessment,
        ScheduleMark,
    )

    with database.transaction() as session:
        for model in (Notification, CaseEvent, Deadline, ResponseAssessment, BoardMessage, Case, ScheduleMark):
            session.execute(delete(model))
    layout.delete_all(es)
    layout.ensure(es)


@click.command("replay")
@click.option("--posts", "posts_path", required=True, type=click.Path(path_type=Path),
              help="JSON-lines file of posts; published_at drives the clock.")
@click.option("--speed", type=float, default=3600.0, show_default=True,
              help="Simulated seconds per real second between steps (a step waits at most 0.5 s).")
@click.option("--start", "start_text", default=None,
              help="When the clock starts (2019-12-13, 2019/12/13 08:00, ISO time; default: the first post).")
@click.option("--evaluate-minutes", type=float, default=15.0, show_default=True,
              help="Simulated minutes between rule evaluations while posts flow.")
@click.option("--reset", is_flag=True, help="Empty the sandbox's cases, notifications and indices first.")
@click.option("--send", is_flag=True, help="Send through the configured channels instead of recording deliveries.")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
def replay_command(posts_path: Path, speed: float, start_text: str | None, evaluate_minutes: float, reset: bool,
                   send: bool, quiet: bool) -> None:
    """Run the whole pipeline over time-stamped posts with a simulated clock; then let every deadline pass.

    It runs in the sandbox 'replay' (or the one `yuqing --sandbox NAME` names): its own database, indices and
    state, never the deployment's."""
    from alerts.cases import record_simulated_run_end
    from alerts.notifiers import build_notifiers
    from alerts.outbox import OutboxWorker
    from alerts.replay import Replay, ReplayInputError, read_posts
    from analysis.region import resolve_region
    from yuqing.clock import ManualClock
    from yuqing.db.models import Case

    # Every argument is checked before anything is touched: --reset empties the database and the indices.
    if not (speed > 0 and math.isfinite(speed)):
        raise click.BadParameter(f"{speed} is not a positive number; give simulated seconds per real second, e.g. "
                                 "3600", param_hint="--speed")
    if not 0 < evaluate_minutes <= MAX_EVALUATE_MINUTES:
        raise click.BadParameter(f"{evaluate_minutes} is not between 0 and {MAX_EVALUATE_MINUTES:g} (a year); give "
                                 "simulated minutes, e.g. 15", param_hint="--evaluate-minutes")
    sandbox = click.get_current_context().with_resource(paths.in_sandbox(os.environ.get(paths.SANDBOX_ENV) or "replay"))
    config = _config()
    _checked(config)
    tz = config.settings.tz()
    notes: list[str] = []
    try:
        posts = read_posts(posts_path, tz, resolve_region, warnings=notes)
    except ReplayInputError as exc:
        raise click.ClickException(str(exc)) from exc
    for note in notes[:20]:
        click.echo(f"note: {note}", err=True)
    if len(notes) > 20:
        click.echo(f"note: {len(notes) - 20} more repeated id(s)", err=True)
    start = parse_when(start_text, datetime.now(tz), "--start") if start_text else posts[0].timestamp()
    if start > (last := posts[-1].timestamp()):
        click.echo(f"note: --start {start_text} is after the last post ({last.astimezone(tz):%Y-%m-%d %H:%M}); "
                   "every post is fed at the start", err=True)
    database = _database(config)
    es, layout = _elasticsearch(config, start_local=True)
    record_to = paths.state_dir() / "replay-deliveries.jsonl"
    if reset:
        _reset(config, database, es, layout)
        record_to.unlink(missing_ok=True)  # the deliveries of the replays before belong to what was emptied
    with database.sessions() as session:
        existing = session.scalar(select(Case.id).limit(1))
    if existing is not None and not reset:
        click.echo("note: the database already holds cases; they take part in this replay "
                   "(--reset starts from nothing)", err=True)
    clock = ManualClock(start.astimezone(tz))  # times in messages and the record read in the configured zone
    state_dir = paths.state_dir()
    notifiers = build_notifiers(config, clock=clock, record_to=record_to, record_all=not send)
    outbox = OutboxWorker(database, notifiers, clock)
    logging.getLogger("analysis").setLevel(logging.WARNING)
    pipeline = build_pipeline(config, database, es, layout, clock, live=False, state_dir=state_dir / "replay")
    replay = Replay(pipeline, outbox, clock, speed=speed, evaluate_every=timedelta(minutes=evaluate_minutes),
                    echo=None if quiet else click.echo)
    report = replay.run(posts)
    pipeline.close()
    with database.transaction() as session:  # the sandbox's clock runs on from the replay's end
        record_simulated_run_end(session, started=start, ended=clock.now(), real=datetime.now(tz), by="yuqing replay")
    click.echo(f"replayed {report.posts} posts from {_local(report.started_at, config)} to "
               f"{_local(report.ended_at, config)} in {report.wall_seconds:.1f} s: "
               f"{len(report.cases_opened)} case(s) opened, {report.reminders} reminder(s), "
               f"{report.overdue} overdue deadline(s), {report.escalations} escalation(s), {report.digests} digest(s), "
               + (f"{report.delivered} notification(s) delivered" if send
                  else f"{report.delivered} notification(s) recorded in {record_to} (none delivered)"))
    click.echo(f"see `yuqing --sandbox {sandbox} cases list --json`, `yuqing --sandbox {sandbox} notifications list "
               f"--json` and `yuqing --sandbox {sandbox} dashboard` (the sandbox '{sandbox}' keeps the replay apart "
               "from the deployment's own cases)")
    if not report.complete:
        raise click.ClickException("the replay stopped before every duty was done (see the last line above)")


# ----------------------------------------------------------------------------- yuqing run


def _crawl_hook(config: Config, reactor: Any, stopping: threading.Event) -> tuple[Callable[[str], Any] | None, str]:
    """A function that crawls one source inside the shared reactor, or None and the reason. ``stopping`` is set when
    the service shuts down: a crawl job then stops waiting for a crawl the stopped reactor will never finish."""
    try:
        from scrapy.crawler import CrawlerRunner
        from scrapy.spiderloader import SpiderLoader
        from scrapy.utils.project import get_project_settings
        from twisted.internet.defer import Deferred
        from twisted.python.failure import Failure
    except ImportError as exc:
        return None, f"Scrapy is not installed ({exc})"

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    try:
        settings = get_project_settings()
        spiders = set(SpiderLoader.from_settings(settings).list())
    except (ImportError, KeyError) as exc:
        return None, f"the crawler project cannot be loaded ({exc})"
    missing = sorted({s.type for s in config.sources.sources if s.enabled and s.type not in spiders})
    if missing:
        return None, f"no spider for source type(s) {', '.join(missing)} (spiders: {', '.join(sorted(spiders))})"
    runner = CrawlerRunner(settings)

    def start_crawl(spider: str, source: str) -> Deferred[None]:
        return runner.crawl(spider, source=source)

    def crawl(source: str) -> None:
        """Runs in a job thread; the crawl itself runs in the reactor, and this waits for it to end — or for the
        service to stop: waiting without end (blockingCallFromThread) kept the process alive after SIGTERM or
        Ctrl-C during a crawl, until a kill -9 (an operator review)."""
        finished: queue.Queue[Any] = queue.Queue(maxsize=1)

        def start() -> None:
            started = start_crawl(config.sources.get(source).type, source)
            started.addBoth(finished.put)

        reactor.callFromThread(start)
        while True:
            try:
                outcome = finished.get(timeout=1.0)
            except queue.Empty:
                if stopping.is_set():
                    logging.getLogger(__name__).warning("crawl of %s left unfinished: the service is stopping (it resumes on the next run)",
                                source)
                    return
                continue
            if isinstance(outcome, Failure):
                outcome.raiseException()
            return

    return crawl, f"spiders {', '.join(sorted(spiders))}"


def _only_instance(state_dir: Path) -> Any:
    """Hold ``run.lock`` in the state directory for as long as this process runs; refuse when another `yuqing run`
    holds it. Two services on one state directory ran every job twice, wrote the event tracker's file over each
    other and deleted each other's crawl queues (an operator review)."""
    try:
        return paths.hold_run_lock(state_dir)
    except paths.RunLockHeld as held:
        raise click.ClickException(f"another `yuqing run` (pid {held.holder}) is already running on the state "
                                   f"directory {state_dir}; stop it first, or give this one its own YUQING_HOME") from None


def _known_events_without_cases(database: Any, es: Elasticsearch, layout: IndexLayout) -> list[str]:
    """A workflow database with no case beside indices that hold graded events: most likely a move to a new database
    (SQLite → PostgreSQL) without its cases, and the rules would open every case again, alert every unit again and
    restart the statutory clocks (a review). Said at start; the events may be meant to be alerted again."""
    from sqlalchemy import func

    from yuqing.db.models import Case

    with database.sessions() as session:
        if session.scalar(select(func.count()).select_from(Case)):
            return []
    graded = es.count(index=layout.events.alias, query={"exists": {"field": "grade"}}, ignore_unavailable=True,
                      allow_no_indices=True)["count"]
    if not graded:
        return []
    earlier = paths.state_dir() / "yuqing.db"
    source = f"--from sqlite:///{earlier} " if earlier.is_file() and database.url != f"sqlite:///{earlier}" else ""
    return [f"the workflow database {redact_url(database.url)} holds no case, but the indices {layout.prefix}-* "
            f"already hold {graded} graded event(s): the rules will open their cases again, alert the units again "
            "for events already known and restart their deadlines. If the cases are in another database (the SQLite "
            f"file of a trial), stop now and carry them over: `yuqing db copy {source}--to URL_OF_THIS_DATABASE`"]


def _sole_scheduler(url: str) -> Any:
    """Hold the workflow database for this `yuqing run` (``yuqing.db.scheduler_lock``): ``run.lock`` guards only the
    state directory, and a second scheduler on the same database from elsewhere opened every case again."""
    from yuqing.db.scheduler_lock import SchedulerLock, SchedulerLockHeld

    try:
        return SchedulerLock.take(url)
    except SchedulerLockHeld as exc:
        raise click.ClickException(str(exc)) from None


def _keep_scheduler_lock(lock: Any, every: float, scheduler: Any, reactor: Any, stopping: threading.Event,
                         taken_by: list[str]) -> None:
    """Check the database lock every tick. Its connection dropped (a database restart): the jobs pause until it is
    taken again. Another `yuqing run` took it meanwhile: this one stops, leaving the database to that one, rather
    than the two running every job twice."""
    log = logging.getLogger(__name__)
    paused = False

    def switch(pause: bool) -> None:  # in the reactor, unless the service stopped meanwhile
        if not stopping.is_set():
            scheduler.pause() if pause else scheduler.resume()

    while not stopping.wait(every):
        status = lock.check()
        if status == "lost" and not paused:
            reactor.callFromThread(switch, True)
            paused = True
        elif status == "retaken":
            log.info("the scheduler lock on %s is held again; jobs resume", redact_url(lock.url))
            if paused:
                reactor.callFromThread(switch, False)
                paused = False
        elif status == "taken":
            taken_by.append(f"another {lock.holder()} took the workflow database {redact_url(lock.url)} while "
                            "this one's connection was down; it runs the jobs now")
            log.error("%s; this one stops", taken_by[0])
            reactor.callFromThread(reactor.stop)
            return


def _check_slack_token(config: Config, notifiers: Mapping[str, Any], database: Any, clock: Any) -> None:
    """At start, ask Slack whether it accepts the bot token (``auth.test``): a refused token is a WARNING naming the
    variable (the service still starts: the other channels work); an accepted one makes the Slack messages a refused
    token held back due now, instead of at the next 5-minute retry."""
    from alerts.notifiers import SlackNotifier
    from alerts.notifiers.slack import REFUSED_TOKEN_ERRORS
    from alerts.outbox import release_held

    slack = notifiers.get("slack")
    if not isinstance(slack, SlackNotifier):
        return  # no token: delivery_warnings says so
    log = logging.getLogger(__name__)
    token_env = config.settings.notifications.slack.token_env
    problem = slack.token_problem()
    if problem is not None:
        log.warning("%s: %s. Slack messages wait in the outbox (retried every 5 min) until it is fixed; other "
                    "channels are sent. Set %s to the app's bot token (xoxb-…) and restart, or run `yuqing "
                    "notifications retry`", token_env, problem, token_env)
        return
    with database.transaction() as session:
        released = release_held(session, channel="slack", at=clock.now(), errors=REFUSED_TOKEN_ERRORS)
    if released:
        log.info("Slack accepts the bot token (%s): %d Slack message(s) held by a refused token are sent now",
                 token_env, len(released))


def _source_health(config: Config) -> Callable[[datetime], Sequence[SourceStatus]]:
    """Every source's health as of a time, from the state file the service's own crawls write."""
    from crawler.health import source_health
    from crawler.state import default_path

    state_file = default_path()
    return lambda now: source_health(config, now, state_file)


def _refuse_a_simulated_sandbox(config: Config, database: Any) -> None:
    """A live service records on the real clock and judges live posts by it: in a sandbox whose clock a simulated run
    left ahead (or behind), its records would land before (or after) what is there, as hand actions did."""
    from yuqing.sandbox_clock import SandboxClock

    clock = _clock(config, database)
    simulated = clock.simulated() if isinstance(clock, SandboxClock) else None
    if simulated is not None:
        off = (clock.now() - datetime.now(UTC)).total_seconds() / 3600
        raise click.ClickException(
            f"the sandbox {paths.sandbox()!r} keeps the clock a simulated run (yuqing demo or replay) left: it reads "
            f"{_local(clock.now(), config)}, {abs(off):.1f} h {'ahead of' if off > 0 else 'behind'} real time, and a "
            "live run would record on the real clock among its records. Run the service in the deployment "
            "(`yuqing run`) or in a sandbox no simulated run used (`yuqing --sandbox live run`)")


@click.command("run")
@click.option("--tick-seconds", type=float, default=30.0, show_default=True,
              help="How often reminders and escalations are checked.")
@click.option("--evaluate-seconds", type=float, default=60.0, show_default=True, help="How often the rules run.")
@click.option("--outbox-seconds", type=float, default=5.0, show_default=True, help="How often due messages are sent.")
@click.option("--no-crawl", is_flag=True, help="Do not crawl (posts arrive some other way).")
@click.option("--stop-after", type=float, default=None, help="Stop after this many seconds (tests, benchmarks).")
def run_command(tick_seconds: float, evaluate_seconds: float, outbox_seconds: float, no_crawl: bool,
                stop_after: float | None) -> None:
    """Run the monitoring service: crawls, rules, cases, reminders, escalations, outbox and digests."""
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor as installed

    reactor: Any = installed

    from alerts.escalation import Escalator
    from alerts.notifiers import build_notifiers, delivery_warnings
    from alerts.outbox import OutboxWorker
    from alerts.scheduler import Runtime, job_specs, make_scheduler, set_runtime, start
    from yuqing.clock import SystemClock
    from yuqing.logs import FORMAT

    logging.basicConfig(level=logging.INFO, format=FORMAT)  # (times in the configured zone once it is read)
    from crawler.runner import quiet_network_tracebacks

    quiet_network_tracebacks()
    config = _config()
    _log_in_zone(config.settings.tz())
    _checked(config)
    instance = _only_instance(paths.state_dir())  # held until the process ends
    database = _database(config)
    database_lock = _sole_scheduler(database.url)
    _refuse_a_simulated_sandbox(config, database)
    try:
        es, layout = _elasticsearch(config, start_local=True)
        indices_ready = True
    except SearchUnavailable as exc:
        from yuqing.es.client import client_for
        from yuqing.es.indices import IndexLayout

        click.echo(f"warning: {exc.message}. Starting anyway: reminders, escalations and the outbox need only the "
                   "database; crawls and rules start working when Elasticsearch answers.", err=True)
        es, layout = client_for(config.settings.elasticsearch), IndexLayout(config.settings.elasticsearch.index_prefix)
        indices_ready = False
    clock = SystemClock(config.settings.tz())
    state_dir = paths.state_dir()
    pipeline = build_pipeline(config, database, es, layout, clock, live=True, state_dir=state_dir)
    stopping = threading.Event()
    crawl, why = (None, "disabled with --no-crawl") if no_crawl else _crawl_hook(config, reactor, stopping)
    click.echo(f"crawling: {'on, ' + why if crawl else 'off (' + why + ')'}")
    from alerts.cases import orphaned_cases

    with database.sessions() as session:
        orphaned = orphaned_cases(session, config.units)
    # A topic model that disagrees with taxonomy.yaml is said once, by the enricher when it loads the model.
    known = _known_events_without_cases(database, es, layout) if indices_ready else []
    for warning in [*delivery_warnings(config), *orphaned, *known]:
        click.echo(f"warning: {warning}", err=True)
    notifiers = build_notifiers(config, clock=clock)
    _check_slack_token(config, notifiers, database, clock)
    runtime = Runtime(config, database, clock, Escalator(config, pipeline.router),
                      OutboxWorker(database, notifiers, clock), pipeline, crawl,
                      source_health=_source_health(config) if crawl is not None else None,
                      indices_ready=indices_ready)
    set_runtime(runtime)
    scheduler = make_scheduler(database, config, "twisted", reactor)
    specs = job_specs(config, tick_seconds=tick_seconds, evaluate_seconds=evaluate_seconds,
                      outbox_seconds=outbox_seconds, crawl=crawl is not None)
    for job_id, what in start(scheduler, specs).items():
        click.echo(f"job {job_id}: {what}")

    def stop() -> None:
        stopping.set()
        scheduler.shutdown(wait=False)
        pipeline.close()

    reactor.addSystemEventTrigger("before", "shutdown", stop)
    if stop_after is not None:
        reactor.callLater(stop_after, reactor.stop)
    taken_by: list[str] = []
    threading.Thread(target=_keep_scheduler_lock, args=(database_lock, tick_seconds, scheduler, reactor, stopping,
                                                        taken_by), name="scheduler-lock", daemon=True).start()
    click.echo("yuqing is running; Ctrl-C stops it (jobs and their next run times are kept in the database)")
    reactor.run()
    database_lock.release()
    instance.close()  # (the lock goes with it)
    if taken_by:
        raise click.ClickException(f"stopped: {taken_by[0]}")
