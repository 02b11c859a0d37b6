"""The dashboards: press office, unit, leader and evaluator views over Elasticsearch and the workflow DB, and the
sources' health from the crawler's state.

Every string from the web is escaped by Jinja2's autoescape; links from posts are shown only when they
are http(s). Personal data was de-identified before indexing, so nothing here re-identifies anyone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse
from zoneinfo import ZoneInfo

import anyio
from elasticsearch import Elasticsearch
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerts import cases
from alerts.deadlines import RESPONSE_CHANNELS
from dashboards import queries, reports
from dashboards.scoring import MAX_FORM_BYTES, Evaluators, ScoreForm
from yuqing import assessment, paths
from yuqing.clock import DEFAULT_TZ, Clock, SystemClock
from yuqing.contract import (
    CASE_ACTION_NAMES,
    CASE_STATE_NAMES,
    GRADE_COLOUR,
    SENTIMENT_NAMES,
    SOURCE_STATUS_NAMES,
    SOURCE_TYPE_NAMES,
    Grade,
    deadline_kind_name,
    duration_text,
    grade_summary,
    json_default,
    region_label,
    time_left_text,
)
from yuqing.db.models import UnitRow
from yuqing.db.session import Database, DatabaseMoved
from yuqing.es.client import ES_ERRORS
from yuqing.es.indices import IndexLayout
from yuqing.evaluation import Evaluation, deadline_state, evaluate, judge_message
from yuqing.sandbox_clock import SandboxClock
from yuqing.settings import load_taxonomy_file

HERE = Path(__file__).parent
# Bounds of what a query string may ask for: a year of hours, ten years of days (pages: queries.MAX_RESULT_WINDOW).
MAX_HOURS = 24 * 366
# A wrong passphrase is answered this much later: guessing one through the form stays slow.
WRONG_PASSPHRASE_DELAY_S = 1.0
MAX_DAYS = 3660
MAX_ROW_ID = 2**63 - 1
PERIODS_HOURS = (6, 24, 72, 168)
PERIODS_DAYS = (7, 30, 90, 365)


def safe_url(value: Any) -> str | None:
    """Only http(s) links are rendered as links (no javascript: or data: from untrusted posts)."""
    if not isinstance(value, str):
        return None
    return value if urlparse(value).scheme in ("http", "https") else None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _hours(value: float | None) -> str:
    """A span of hours in the messages' words (``1天3小时``, ``3小时30分``), not ``27.0 h``."""
    return "—" if value is None else duration_text(value * 3600)


def _when(value: Any, tz: ZoneInfo = DEFAULT_TZ) -> str:
    """A time as people here read it: in the configured zone (the database keeps UTC; Elasticsearch keeps the
    offset each source gave)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # the database's convention for a naive value
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _published(post: Mapping[str, Any], tz: ZoneInfo = DEFAULT_TZ) -> str:
    """When a post appeared; one known only by its day (``published_precision: day``) as that day, not as the time
    it was placed at, which would read as the minute it was written."""
    if post.get("published_precision") == "day" and post.get("published_at"):
        return _when(post["published_at"], tz)[:10] + "（仅日期）"
    return _when(post.get("published_at") or post.get("fetched_at"), tz)


def _left(hours: float | None) -> str:
    """Time to a deadline as the messages say it: 还剩 3小时30分, or 已超时 32天21小时 once it has passed (the leader page
    said 超时 789.4 h beside a message's 32天21小时)."""
    return "—" if hours is None else time_left_text(hours * 3600)


_TIER_NAMES = {"central": "央媒", "portal": "门户网站", "provincial": "省级媒体", "local": "地方媒体", "self-media": "自媒体",
               "unknown": "来源未识别"}


def _tier(value: str | None) -> str:
    return _TIER_NAMES.get(value or "", value or "")


def _colour(grade: str | None) -> str:
    try:
        return GRADE_COLOUR[Grade(grade)] if grade else ""
    except ValueError:
        return ""


def _named(names: dict[str, str]) -> Callable[[Any], str]:
    return lambda value: names.get(str(value or ""), str(value or "—"))


def query_with(request: Request) -> Callable[..., str]:
    """The request's query string with some parameters replaced (for paging links)."""
    return lambda **changes: urlencode({**dict(request.query_params), **{k: str(v) for k, v in changes.items()}})


def es_unavailable(exc: Exception) -> str:
    """What the pages say when Elasticsearch does not answer."""
    return (f"Elasticsearch 暂时无法连接（{type(exc).__name__}），信息、事件和回应效果暂不可用，案件与期限照常显示。"
            "请运行 yuqing es start，或检查 YUQING_ES_URL / elasticsearch.url。")


def case_commands(case_id: int | str, sandbox: str | None) -> dict[str, str]:
    """The commands that act on a case, as they must be typed: naming the sandbox the pages show, with every option
    the command requires (the words in Chinese are to be replaced). The pages said `yuqing cases ack 1`, which
    wants --actor and, given one, signed off the deployment's case 1 instead of the sandbox's."""
    scores = " ".join(f"--{d.key} 分数" for d in assessment.DIMENSIONS)
    return {"ack": paths.command(f"cases ack {case_id} --actor 签收人", sandbox),
            "respond": paths.command(f"cases respond {case_id} --actor 回应单位 --text 回应内容 --channel release",
                                     sandbox),
            "assess": paths.command(f"cases assess {case_id} --assessor 评估人 {scores}", sandbox),
            "confirm_entry": paths.command(f"cases confirm-entry {case_id} --evaluator 评估人 --reason 核实依据", sandbox)}


def create_app(es: Elasticsearch, layout: IndexLayout, database: Database, cut: Callable[[str], str],
               clock: Clock | None = None, unit_names: dict[str, str] | None = None,
               tz: ZoneInfo | None = None, evaluators: Evaluators | None = None,
               evaluators_env: str = "YUQING_EVALUATORS", sandbox: str | None = None,
               source_health: Callable[[datetime], Sequence[Any] | None] | None = None,
               topics: Sequence[str] | None = None, source_labels: Mapping[str, str] | None = None) -> Starlette:
    """The dashboards. ``sandbox``: the name of the sandbox served (``yuqing --sandbox NAME dashboard``), said on
    every page. ``source_health``: every source's health as of a time (``crawler.health.recorded_health``, wired by
    the command line), None while nothing was crawled; it raises OSError when the crawler's state cannot be read.
    ``topics``: the topics search offers (default: config/taxonomy.yaml's, ``Taxonomy.ids``). ``source_labels``:
    each source id → the name the pages show (``SourcesFile.labels``); a source not in it is shown by its id."""
    clock = clock or SystemClock()
    topic_names = list(topics) if topics is not None else load_taxonomy_file(paths.config_file("taxonomy.yaml")).ids()
    labels = dict(source_labels or {})
    zone: ZoneInfo = tz or getattr(clock, "tz", None) or DEFAULT_TZ
    names = unit_names or {}
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    env.filters.update(percent=_percent, hours=_hours, left=_left, when=lambda v: _when(v, zone),
                       replied=lambda m: m.replied_shown(zone),
                       published=lambda p: _published(p, zone), colour=_colour,
                       safe_url=safe_url, tier=_tier, region=lambda r: region_label(r) if r else "—", state=_named(CASE_STATE_NAMES),
                       action=_named(CASE_ACTION_NAMES), sentiment=_named(SENTIMENT_NAMES),
                       kind=lambda k: deadline_kind_name(str(k or "")), grade_summary=grade_summary,
                       source_status=_named(SOURCE_STATUS_NAMES), source_type=_named(SOURCE_TYPE_NAMES),
                       source=lambda source_id: labels.get(str(source_id or ""), str(source_id or "—")),
                       unit=lambda unit_id: names.get(unit_id or "", unit_id or "（未分派）"),
                       status=lambda d, case: deadline_state(case, d, clock.now()),
                       messages=lambda rows, case: [judge_message(case, m, clock.now()) for m in rows],
                       assessed=lambda total: "{0.colour}（{0.verdict}）".format(assessment.level(float(total))))
    env.globals.update(commands=lambda case_id: case_commands(case_id, sandbox), channels=RESPONSE_CHANNELS,
                       cli=lambda words: paths.command(words, sandbox))

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        simulated = clock.simulated() if isinstance(clock, SandboxClock) else None
        return HTMLResponse(env.get_template(name).render(now=clock.now(), simulated=simulated, sandbox=sandbox,
                                                          **context), status_code=status)

    def overview_or_error(hours: int) -> tuple[dict[str, Any], str | None]:
        try:
            return queries.overview(es, layout, clock.now(), hours), None
        except ES_ERRORS as exc:
            return queries.empty_overview(hours), es_unavailable(exc)

    def sources_or_problem() -> tuple[Sequence[Any] | None, str | None]:
        """Every source's health (None: nothing crawled yet), or why it cannot be read."""
        if source_health is None:
            return None, None
        try:
            return source_health(clock.now()), None
        except OSError as exc:  # the crawler's state file is damaged or unreadable: its message says how to go on
            return None, str(exc)

    def not_collecting(sources: Sequence[Any] | None) -> tuple[list[Any], bool]:
        """The enabled sources that collect nothing (failing, overdue, silent never having collected: ``down_since``),
        whose posts the figures lack, and whether that is every enabled source (采集中断: the figures then look calm
        only because nothing arrives)."""
        enabled = [s for s in sources or [] if s.enabled]
        down = [s for s in enabled if s.down_since is not None]
        return down, bool(down) and len(down) == len(enabled)

    async def home(request: Request) -> Response:
        hours = _int(request.query_params.get("hours"), 24, 1, MAX_HOURS)
        data, es_error = overview_or_error(hours)
        sources, sources_problem = sources_or_problem()
        down, stopped = not_collecting(sources)
        return render("overview.html", data=data, periods=PERIODS_HOURS, es_error=es_error, view="overview",
                      sources_down=down, collection_stopped=stopped, sources_problem=sources_problem)

    async def sources_page(request: Request) -> Response:
        sources, problem = sources_or_problem()
        down, stopped = not_collecting(sources)
        return render("sources.html", sources=sources, problem=problem, down=down, stopped=stopped, zone=zone.key,
                      view="sources")

    async def search(request: Request) -> Response:
        params = request.query_params
        q = params.get("q", "")
        topic = params.get("topic") or None
        sentiment = params.get("sentiment") or None
        region = params.get("region") or None
        hours = _int(params.get("hours"), 0, 0, MAX_HOURS) or None  # none or 0: all time
        sort = params.get("sort") or ""
        if sort not in queries.SEARCH_SORTS:  # the default: the best match for a keyword, else the newest
            sort = "relevance" if q.strip() else "time"
        asked = _int(params.get("page"), 1, 1, MAX_ROW_ID)  # named on the page when past the results
        number = min(asked, queries.MAX_RESULT_WINDOW // queries.SEARCH_PAGE_SIZE)
        found, es_error, regions = queries.Page.empty(number), None, []
        unknown_topic = topic if topic is not None and topic not in topic_names else None
        # the form sent, even empty: every post, the newest first. A topic not in taxonomy.yaml is searched too, and
        # named: posts indexed before it was renamed or removed keep it, and the overview links to them by it.
        searched = bool(params)
        try:
            regions = queries.regions_present(es, layout)
            if searched:
                since = clock.now() - timedelta(hours=hours) if hours else None
                found = queries.search_posts(es, layout, q, cut, topic=topic, sentiment=sentiment, page=number,
                                             since=since, region=region, sort=sort)
        except ES_ERRORS as exc:
            es_error = es_unavailable(exc)
        return render("search.html", q=q, topic=topic, sentiment=sentiment, hours=hours, found=found,
                      posts=found.items, sentiments=SENTIMENT_NAMES, es_error=es_error, asked=asked,
                      request_args=query_with(request), view="search", searched=searched, topics=topic_names,
                      unknown_topic=unknown_topic, region=region, regions=regions, sort=sort,
                      sorts=queries.SEARCH_SORTS)

    async def event(request: Request) -> Response:
        event_id = request.path_params["event_id"]
        asked = _int(request.query_params.get("page"), 1, 1, MAX_ROW_ID)  # named on the page when past the results
        number = min(asked, queries.MAX_RESULT_WINDOW // queries.EVENT_PAGE_SIZE)
        try:
            found, posts = queries.event_detail(es, layout, event_id, page=number)
        except ES_ERRORS as exc:
            return render("not_found.html", 503, what="事件", es_error=es_unavailable(exc), view="overview")
        if found is None:
            return render("not_found.html", 404, what="事件", view="overview")
        with database.sessions() as session:
            case = queries.case_for_event(session, event_id)
            return render("event.html", event=found, found=posts, posts=posts.items, case=case, asked=asked,
                          request_args=query_with(request), view="overview")

    async def leader(request: Request) -> Response:
        with database.sessions() as session:
            return render("leader.html", cases=queries.leader_cases(session, clock.now()), view="leader")

    async def units(request: Request) -> Response:
        with database.sessions() as session:
            workload = queries.unit_workload(session, clock.now())
            busy = {row["unit_id"] for row in workload}
            quiet = sorted((unit_id, name) for unit_id, name in queries.unit_names(session, names).items()
                           if unit_id not in busy)
            return render("units.html", workload=workload, quiet=quiet, view="units")

    async def unit(request: Request) -> Response:
        unit_id = request.path_params["unit_id"]
        now = clock.now()
        with database.sessions() as session:
            known = session.get(UnitRow, unit_id)
            open_ = queries.unit_cases(session, unit_id, now)
            if known is None and unit_id not in names and not open_:
                return render("not_found.html", 404, what="单位", view="units")
            closed = queries.closed_unit_cases(session, unit_id, now - timedelta(days=30), now)
            name = known.name if known is not None else names.get(unit_id, unit_id)
            return render("unit.html", unit_name=name, cases=open_, closed=closed, view="units")

    scorers = evaluators or Evaluators({})
    wrong_passphrase = anyio.Lock()

    def case_page(case_id: int, status: int = 200, form: ScoreForm | None = None, problem: str = "",
                  done: bool = False) -> Response:
        with database.sessions() as session:
            found = queries.case_detail(session, case_id) if 1 <= case_id <= MAX_ROW_ID else None
            if found is None:
                return render("not_found.html", 404, what="案件", view="leader")
            es_error = None
            try:
                has_event = queries.event_exists(es, layout, found.event_id)
            except ES_ERRORS as exc:
                has_event, es_error = False, es_unavailable(exc)
            # the panel's mean, as the evaluation reads it (yuqing.evaluation.judge_case): what 回应不妥当 is judged on
            panel_total = assessment.panel_total([a.total for a in found.assessments])
            return render("case.html", status, case=found, has_event=has_event, es_error=es_error, view="leader",
                          panel_total=panel_total, inappropriate=assessment.INAPPROPRIATE,
                          panel_level=assessment.level(panel_total) if panel_total is not None else None,
                          scoring=bool(scorers), evaluators_env=evaluators_env, dimensions=assessment.DIMENSIONS,
                          form=form, problem=problem, done=done, max_note=assessment.MAX_NOTE_CHARS)

    async def case(request: Request) -> Response:
        return case_page(_int(request.path_params["case_id"], 0), done=request.query_params.get("assessed") == "1")

    async def assess_case(request: Request) -> Response:
        """An evaluator's scores from the case page's form (dashboards.scoring)."""
        case_id = _int(request.path_params["case_id"], 0)
        if not 1 <= case_id <= MAX_ROW_ID:
            return render("not_found.html", 404, what="案件", view="leader")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return PlainTextResponse("表单过大", status_code=413)
        form = ScoreForm.parse(body)
        if not scorers:
            return case_page(case_id, 403, form, f"未配置评估人：设置环境变量 {evaluators_env}，或用命令 "
                                                      f"{paths.command('cases assess', sandbox)}（下方有命令全文）")
        assessor = scorers.who(form.passphrase)
        if assessor is None:
            async with wrong_passphrase:  # one wrong guess a second across the server, however many are sent at once
                await anyio.sleep(WRONG_PASSPHRASE_DELAY_S)
            return case_page(case_id, 403, form, "评估口令不正确：评分未保存，请核对口令后重新提交")
        with database.transaction() as session:
            try:
                cases.assess(session, case_id, assessor, clock.now(), form.scores(), form.note)
            except cases.CaseError as exc:
                session.rollback()
                return case_page(case_id, 400, form, exc.chinese)
        return RedirectResponse(f"/cases/{case_id}?assessed=1#assessments", status_code=303)

    def evaluation(request: Request) -> tuple[Evaluation, int, str | None]:
        days = _int(request.query_params.get("days"), 30, 1, MAX_DAYS)
        now = clock.now()
        with database.sessions() as session:
            try:
                return evaluate(session, now, since=now - timedelta(days=days),
                                        effect=queries.effect_lookup(es, layout)), days, None
            except ES_ERRORS as exc:  # timeliness needs only the database; the effect is left unjudged
                return evaluate(session, now, since=now - timedelta(days=days)), days, es_unavailable(exc)

    async def evaluator(request: Request) -> Response:
        result, days, es_error = evaluation(request)
        return render("evaluator.html", evaluation=result, days=days, since=clock.now() - timedelta(days=days),
                      periods=PERIODS_DAYS, es_error=es_error, view="evaluator")

    async def evaluation_xlsx(request: Request) -> Response:
        result, days, es_error = evaluation(request)
        body = reports.evaluation_workbook(result, names, unavailable=es_error, tz=zone)
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="evaluation-{days}d.xlsx"'})

    async def brief_docx(request: Request) -> Response:
        hours = _int(request.query_params.get("hours"), 24, 1, MAX_HOURS)
        data, es_error = overview_or_error(hours)
        now = clock.now()
        with database.sessions() as session:  # the cases need only the database: listed while Elasticsearch is down
            since = now - timedelta(hours=hours)
            body = reports.daily_brief(data, now.astimezone(zone), queries.brief_cases(session, now, since),
                                       queries.unit_names(session, names), unavailable=es_error,
                                       owed_backlog=queries.owed_reply_backlog(session, now, since))
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": 'attachment; filename="brief.docx"'})

    async def api_overview(request: Request) -> Response:
        data, es_error = overview_or_error(_int(request.query_params.get("hours"), 24, 1, MAX_HOURS))
        if es_error:
            return JSONResponse({"error": es_error}, status_code=503)
        return _Json(data)

    async def api_evaluation(request: Request) -> Response:
        result, days, es_error = evaluation(request)
        return _Json({**result.as_dict(zone), "days": days, "effect_unavailable": es_error})

    async def assess_by_get(request: Request) -> Response:
        """The scoring form's address opened directly (Enter in the address bar after a refused form)."""
        case_id = _int(request.path_params["case_id"], 0)
        if not 1 <= case_id <= MAX_ROW_ID:
            return render("not_found.html", 404, what="案件", view="leader")
        return RedirectResponse(f"/cases/{case_id}#score-form", status_code=303)

    async def not_found(request: Request, exc: Exception) -> Response:
        return render("not_found.html", 404, what="页面", view=None)

    async def moved(request: Request, exc: Exception) -> Response:
        """A dashboard left running on a database `yuqing db copy` moved away: an assessment is refused, not lost."""
        return PlainTextResponse(str(exc), status_code=503)

    return Starlette(routes=[
        Route("/", home),
        Route("/search", search),
        Route("/events/{event_id}", event),
        Route("/leader", leader),
        Route("/units", units),
        Route("/units/{unit_id}", unit),
        Route("/cases/{case_id}", case),
        Route("/cases/{case_id}/assess", assess_case, methods=["POST"]),
        Route("/cases/{case_id}/assess", assess_by_get, methods=["GET"]),
        Route("/evaluator", evaluator),
        Route("/sources", sources_page),
        Route("/reports/evaluation.xlsx", evaluation_xlsx),
        Route("/reports/brief.docx", brief_docx),
        Route("/api/overview", api_overview),
        Route("/api/evaluation", api_evaluation),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ], middleware=[Middleware(_SecurityHeaders)]
       + ([Middleware(_RefreshClock, clock=clock)] if isinstance(clock, SandboxClock) else []),
       exception_handlers={404: not_found, DatabaseMoved: moved})


# The pages run no script and load nothing from elsewhere: a policy that says so, so that text from the web that
# slipped through escaping could still not run; no page may be framed (the scoring form holds a passphrase).
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
                                 b"form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class _SecurityHeaders:
    """ASGI middleware: ``SECURITY_HEADERS`` on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)


class _RefreshClock:
    """ASGI middleware: the sandbox's clock looks its records up as each request starts (``SandboxClock``)."""

    def __init__(self, app: ASGIApp, clock: SandboxClock) -> None:
        self.app, self.clock = app, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not str(scope.get("path", "")).startswith("/static/"):
            await anyio.to_thread.run_sync(self.clock.refresh)  # a database call must not hold the event loop
        await self.app(scope, receive, send)


def _int(value: Any, default: int, low: int | None = None, high: int | None = None) -> int:
    """A whole number from a query string, ``default`` when it is not one, kept within [low, high]."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    if low is not None:
        number = max(low, number)
    if high is not None:
        number = min(high, number)
    return number


class _Json(JSONResponse):
    """Starlette's JSON response, with times as ISO 8601 text (JSON has no time type)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=json_default, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")
