"""``yuqing cases``: open, list, show, acknowledge, respond, hand over, close, reopen and assess cases by hand."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from alerts.deadlines import RESPONSE_CHANNELS
from alerts.wiring import (
    ROW_ID,
    deployment_clock,
    deployment_config,
    example_region,
    not_blank,
    open_database,
    parse_when,
)
from yuqing import paths
from yuqing.contract import BOARD_SOURCE_TYPE, CASE_STATE_NAMES, episode
from yuqing.settings import Config


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
    config = deployment_config()
    if unit is not None and unit not in {u.id for u in config.units.units}:
        click.echo(f"note: {unit!r} is not a unit of {paths.config_file('units.yaml')} (ids: "
                   f"{', '.join(u.id for u in config.units.units)})", err=True)
    database = open_database(config, existing=True)
    cases = _load_cases(config, database, state, unit)
    if as_json:
        click.echo(json.dumps(cases, ensure_ascii=False, indent=2))
        return
    now = deployment_clock(config, database).now()
    for c in cases:
        upcoming = c["next_deadline"]  # the case's pending deadlines (Case.pending_deadlines); none once closed
        nxt = f"{upcoming['kind']} {upcoming['due_at'][:16]}" if upcoming else "-"
        if upcoming and (upcoming["overdue_at"] or datetime.fromisoformat(upcoming["due_at"]) < now):
            nxt += " OVERDUE"
        click.echo(f"#{c['id']:<4} {c['grade'] or '-':3} {c['state']:12} {c['unit'] or '-':18} {nxt:38} {c['title']}")
    click.echo(f"{len(cases)} case(s)")


@cases_group.command("show")
@click.argument("case_id", type=ROW_ID)
def cases_show(case_id: int) -> None:
    """One case with its deadlines and its whole timeline."""
    config = deployment_config()
    database = open_database(config, existing=True)
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
    for line in _stint_lines(config, database, case_id):
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

    database = open_database(config, existing=True)
    now = deployment_clock(config, database).now()  # in a sandbox, its clock (yuqing.sandbox_clock), as the case page's
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


def _stint_lines(config: Config, database: Any, case_id: int) -> list[str]:
    """A case handed over (转办): each unit's time holding it and its own sign-off, as the evaluation counts them
    (yuqing.evaluation.stints), and which of the deadlines it missed fell due while that unit held it."""
    from yuqing.db.models import Case
    from yuqing.evaluation import deadline_state, stints, stored_aware

    now = deployment_clock(config, database).now()
    tz = config.settings.tz()
    with database.sessions() as session:
        case = session.scalars(select(Case).options(selectinload(Case.deadlines), selectinload(Case.events))
                               .where(Case.id == case_id)).one()
        periods = stints(case, now)
        if len(periods) < 2:
            return []
        lines = []
        for s in periods:
            until = f"to {s.ended.astimezone(tz):%Y-%m-%d %H:%M} (转办)" if s.ended is not None else "to now"
            match s.sign_off_state:
                case "signed":
                    signed = f"signed off in {s.hours_to_sign_off:.2f} h"
                case "answered_before_opening":
                    signed = "answered before the case opened"
                case "unsigned":
                    signed = f"NOT signed off ({s.silent_hours:.1f} h)"
                case "closed_unsigned":
                    signed = "not signed off (closed)"
            missed = [d.kind for d in sorted(case.deadlines, key=lambda d: d.due_at) if deadline_state(case, d, now)[1]
                      and s.began <= stored_aware(d.due_at) and (s.ended is None or stored_aware(d.due_at) < s.ended)]
            lines.append(f"  held by {s.unit_id or '—'} from {s.began.astimezone(tz):%Y-%m-%d %H:%M} {until}: {signed}"
                         + (f"; missed while it held the case: {', '.join(missed)}" if missed else ""))
        return lines


def _deadline_states(config: Config, database: Any, case_id: int) -> list[str]:
    """Each deadline's state in due order, in the case page's and the evaluation's words (yuqing.evaluation): a
    deadline of a case closed before it fell due is 已关闭，不再考核, which this command called OVERDUE."""
    from yuqing.db.models import Case
    from yuqing.evaluation import deadline_state

    now = deployment_clock(config, database).now()
    with database.sessions() as session:
        case = session.scalars(select(Case).options(selectinload(Case.deadlines), selectinload(Case.events))
                               .where(Case.id == case_id)).one()
        return [deadline_state(case, d, now)[0] for d in sorted(case.deadlines, key=lambda d: d.due_at)]


@cases_group.command("assess")
@click.argument("case_id", type=ROW_ID)
@click.option("--assessor", required=True, callback=not_blank, help="Who scores (an evaluator; several may).")
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

    config = deployment_config()
    database = open_database(config, existing=True)
    now = deployment_clock(config, database).now()
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
@click.option("--title", required=True, callback=not_blank, help="What the case is about, as the assignment names it.")
@click.option("--topic", required=True, help="A topic of config/taxonomy.yaml (it decides the responsible unit).")
@click.option("--region", "region_text", default="", help="Where: province, city and district as the gazetteer writes them, e.g. 某省某市某区 (the district "
                   "decides the unit).")
@click.option("--grade", type=click.Choice(["I", "II", "III", "IV"]), default="III", show_default=True,
              help="I/II are major: 5 h / 24 h deadlines and the joint units.")
@click.option("--actor", required=True, callback=not_blank, help="Who assigns it (e.g. 市政府办公厅).")
@click.option("--reason", required=True, callback=not_blank, help="Why (e.g. 上级交办, 网民集中反映).")
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

    config = deployment_config()
    if topic not in config.taxonomy.ids():
        raise click.ClickException(f"--topic {topic!r} is not in {paths.config_file('taxonomy.yaml')}; use one of: "
                                   f"{', '.join(config.taxonomy.ids())}")
    region = resolve_region(region_text) if region_text else None
    if region_text and region is None:
        raise click.ClickException(f"--region {region_text!r} names no place the gazetteer knows; write it as "
                                   f"{example_region(config) or '省市区'} (province, city, district)")
    if region is not None:
        router = Router(config.units)
        unknown = router.check_district(region)
        if unknown:  # a district without units goes to the city's unit; a typo does too, so it is said
            click.echo(f"warning: --region {region_text!r}: {unknown}", err=True)
        if region.province is None:
            region = region.model_copy(update={"province": router.province_of(region.city)})
        elsewhere = router.outside(region)
        if elsewhere:
            click.echo(f"warning: outside the jurisdiction ({elsewhere}): the case is opened as asked, for a unit of "
                       "this jurisdiction", err=True)
    # A name or a number typed into the assignment is masked like a post's (domain.md §6).
    title, reason, actor = deidentify(title).text, deidentify(reason).text, deidentify(actor).text
    database = open_database(config)
    clock = deployment_clock(config, database)
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
@click.option("--actor", required=True, callback=not_blank, help="Who acknowledges (name or user id).")
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
                       f"because a deadline has passed (answer it with "
                       f"`{paths.command_here(f'cases respond {case.id}')} --actor NAME --text WHAT`, and "
                       "--at TIME if it was published earlier)")
        else:
            click.echo(f"case {case.id} is now acknowledged"
                       + (f" (signed off {at.astimezone(now.tzinfo):%Y-%m-%d %H:%M})" if signed else ""))


@cases_group.command("respond")
@click.argument("case_id", type=ROW_ID)
@click.option("--actor", required=True, callback=not_blank, help="Who does it (name or user id).")
@click.option("--text", required=True, callback=not_blank, help="What was published, and where.")
@click.option("--channel", default="release", show_default=True, type=click.Choice(sorted(RESPONSE_CHANNELS)),
              help="Where it was published; press_conference also meets the press conference deadline, "
                   "report_upward only the report upward.")
@click.option("--at", "published", default=None, metavar="TIME",
              help="When it was published, if not just now: 2026-11-27 20:00 (local time), or 12h (ago). "
                   "Deadlines are judged by this time.")
def cases_respond(case_id: int, actor: str, text: str, channel: str, published: str | None) -> None:
    """Record a response; the deadlines it fulfils are marked met (on time or late, by when it was published)."""
    from alerts.cases import record_response
    from yuqing.evaluation import late_entries

    with _case_change() as (_, session, now):
        at = parse_when(published, now, "--at") if published else now
        case = record_response(session, case_id, actor, at, text, channel, recorded_at=now if published else None)
        click.echo(f"case {case.id} is now {case.state}")
        if channel == BOARD_SOURCE_TYPE:  # (alerts.deadlines.met_by)
            owed = sum(m.replied_at is None for m in case.board_messages)
            click.echo("note: a board reply entered by hand answers no board message: each message's reply deadline "
                       "is met by the board's own reply, collected with the message"
                       + (f" ({owed} of the case's messages still unanswered)" if owed else "")
                       + "; it counts as a public response only")
        for entry in late_entries(case):
            if entry.recorded == now and entry.confirmed_by is None:
                click.echo(f"note: {entry.shown(now.tzinfo)}: entered after the deadline had passed, it counts as "
                           f"missed until an evaluator confirms the publication time "
                           f"(`{paths.command_here(f'cases confirm-entry {case.id}')} --evaluator NAME --reason WHAT`)")


@cases_group.command("confirm-entry")
@click.argument("case_id", type=ROW_ID)
@click.option("--evaluator", required=True, callback=not_blank, help="Who confirms (an evaluator).")
@click.option("--reason", required=True, callback=not_blank,
              help="What shows the stated publication time (the release's address, the document).")
def cases_confirm_entry(case_id: int, evaluator: str, reason: str) -> None:
    """Confirm a 补录: an answer entered after its deadline had passed, stating that it was published before. Until
    an evaluator has checked the publication and confirmed it, the deadline counts as missed (回应及时率, 问责)."""
    from alerts.cases import confirm_late_entry

    with _case_change() as (_, session, now):
        for entry in confirm_late_entry(session, case_id, evaluator, now, reason):
            click.echo(f"case {case_id}: {entry.shown(now.tzinfo)}; it counts as on time")


@cases_group.command("reassign")
@click.argument("case_id", type=ROW_ID)
@click.option("--unit", "unit_id", required=True, help="The unit of config/units.yaml that takes the case over.")
@click.option("--actor", required=True, callback=not_blank, help="Who hands it over (e.g. 市政府办公厅).")
@click.option("--reason", required=True, callback=not_blank, help="Why (e.g. 属地错误，应由A5区处理).")
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
@click.option("--actor", required=True, callback=not_blank, help="Who does it (name or user id).")
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
            tz = deployment_config().settings.tz()
            click.echo(f"warning: case {case.id} still owes {len(owed)} citizen(s) a reply to their board message "
                       f"({late} past due; the earliest due {owed[0].due_at.astimezone(tz):%Y-%m-%d %H:%M}); closing "
                       "answers none of them, no reminder will chase them now, and the evaluation counts each one "
                       f"unanswered past its due time as overdue. See `{paths.command_here(f'cases show {case.id}')}`; "
                       f"`{paths.command_here(f'cases reopen {case.id}')}` to have them chased again", err=True)
        return f"case {case.id} is now {case.state}"

    _act(close, case_id, actor, reason, said=said)


@cases_group.command("reopen")
@click.argument("case_id", type=ROW_ID)
@click.option("--actor", required=True, callback=not_blank, help="Who does it (name or user id).")
@click.option("--reason", required=True, callback=not_blank)
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
