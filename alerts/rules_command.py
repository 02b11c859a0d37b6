"""``yuqing rules`` (list, test a rule over history) and ``yuqing route`` (explain a case's routing, test one)."""

from __future__ import annotations

import json
from datetime import datetime

import click

from alerts.wiring import (
    ROW_ID,
    deployment_config,
    example_region,
    local_text,
    open_database,
    open_elasticsearch,
    parse_when,
)
from yuqing import paths
from yuqing.contract import region_label

# rules test replays a window rule at every step: about a year of 15-minute steps (each one search).
MAX_HISTORY_STEPS = 35_136


# ----------------------------------------------------------------------------- yuqing rules


@click.group("rules")
def rules_group() -> None:
    """The alert rules of config/policy.yaml (ElastAlert vocabulary): list them, test them on history."""


@rules_group.command("list")
def rules_list() -> None:
    """Every rule with its type and what it watches for."""
    config = deployment_config()
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
    from yuqing.sandbox_clock import clock_of_records

    config = deployment_config()
    try:
        rule = config.policy.rule(rule_name)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    # in a sandbox, its clock, as its dashboards and cases read it: a demo's posts lie ahead of real time
    now = clock_of_records(config.settings.tz(), config.settings.database.effective_url()).now()
    until = parse_when(until_text, now, "--until") if until_text else now
    start = parse_when(since, until, "--since")
    if start >= until:
        raise click.BadParameter(f"--since {since} is not before --until {until_text or 'now'}; the history runs "
                                 "from --since to --until", param_hint="--since")
    es, layout = open_elasticsearch(config, start_local=False)
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
    click.echo(f"history {local_text(start, config)} → {local_text(until, config)}{step}")
    for m in matches:
        first = datetime.fromisoformat(m.details.get("first_at", m.window_end.isoformat()))
        last = datetime.fromisoformat(m.details.get("last_at", m.window_end.isoformat()))
        when = local_text(first, config) + (f" → {local_text(last, config)[11:]}" if last != first else "")
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

    config = deployment_config()
    database = open_database(config, existing=True)
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
@click.option("--province", default=None, help="The province, for a case placed nowhere nearer (某省多地暴雨).")
@click.option("--city", default=None, help="The city (default: the city of units.yaml's units).")
@click.option("--district", "districts", multiple=True, help="Repeat for a case spanning districts.")
@click.option("--region", "region_text", default="",
              help="Where, as `cases open` takes it: 某省某市某区 (fills --province, --city and --district).")
@click.option("--text", default="", help="Title and keywords, for keyword routes.")
def route_test(topic: str | None, grade: str | None, province: str | None, city: str | None,
               districts: tuple[str, ...], region_text: str, text: str) -> None:
    """Where a case with these labels would go, and why (nothing is written)."""
    from alerts.routing import CaseLabels, Router, RoutingError, format_explanation
    from analysis.region import resolve_region
    from yuqing.contract import Region

    config = deployment_config()
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
            raise click.BadParameter(f"{region_text!r} names no place the gazetteer knows; write it as "
                                     f"{example_region(config) or '省市区'} "
                                     "(province, city, district)", param_hint="--region")
        province, city = province or region.province, city or region.city
        districts = districts or ((region.district,) if region.district else ())
    cities = sorted({u.region.city for u in config.units.units if u.region.city})
    home = city or (cities[0] if len(cities) == 1 else None)
    for district in districts:  # a typo (A9区) went to the city's unit unsaid
        unknown = router.check_district(Region(province=province, city=home, district=district))
        if unknown:
            click.echo(f"warning: --district {district!r}: {unknown}", err=True)
    decision = router.route(CaseLabels(topic=topic, grade=grade, province=province, city=city, districts=districts,
                                       text=text))
    for line in format_explanation(decision.steps):
        click.echo(line)
    elsewhere = next(filter(None, (router.outside(Region(province=province, city=home, district=district))
                                   for district in districts)), None) if districts and home else None
    elsewhere = elsewhere or (router.outside(Region(province=province, city=city)) if city or province else None)
    if elsewhere:
        click.echo(f"note: outside the jurisdiction ({elsewhere}): the pipeline opens no case for such an event; "
                   f"`{paths.command_here('cases open')}` still can")


