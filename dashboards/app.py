"""The dashboards: press office, unit, leader and evaluator views over Elasticsearch and the workflow DB.

Every string from the web is escaped by Jinja2's autoescape; links from posts are shown only when they
are http(s). Personal data was de-identified before indexing, so nothing here re-identifies anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from elasticsearch import Elasticsearch
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dashboards import metrics, queries, reports
from yuqing.clock import Clock, SystemClock
from yuqing.contract import GRADE_COLOUR, Grade
from yuqing.db.models import UnitRow
from yuqing.db.session import Database
from yuqing.es.indices import IndexLayout

HERE = Path(__file__).parent


def safe_url(value: Any) -> str | None:
    """Only http(s) links are rendered as links (no javascript: or data: from untrusted posts)."""
    if not isinstance(value, str):
        return None
    return value if urlparse(value).scheme in ("http", "https") else None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"


def _when(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%Y-%m-%d %H:%M")


def _left(hours: float | None) -> str:
    """Time to a deadline as a unit reads it: 剩 3.5 h, or 超时 12.0 h once it has passed."""
    if hours is None:
        return "—"
    return f"剩 {hours:.1f} h" if hours >= 0 else f"超时 {-hours:.1f} h"


_TIER_NAMES = {"central": "央媒", "provincial": "省级媒体", "local": "地方媒体", "self-media": "自媒体"}


def _tier(value: str | None) -> str:
    return _TIER_NAMES.get(value or "", value or "")


def _colour(grade: str | None) -> str:
    try:
        return GRADE_COLOUR[Grade(grade)] if grade else ""
    except ValueError:
        return ""


def create_app(es: Elasticsearch, layout: IndexLayout, database: Database, cut: Callable[[str], str],
               clock: Clock | None = None, unit_names: dict[str, str] | None = None) -> Starlette:
    clock = clock or SystemClock()
    names = unit_names or {}
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    env.filters.update(percent=_percent, hours=_hours, left=_left, when=_when, colour=_colour, safe_url=safe_url, tier=_tier,
                       unit=lambda unit_id: names.get(unit_id or "", unit_id or "（未分派）"))

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(now=clock.now(), **context), status_code=status)

    async def home(request: Request) -> Response:
        hours = _int(request.query_params.get("hours"), 24)
        return render("overview.html", data=queries.overview(es, layout, clock.now(), hours), view="overview")

    async def search(request: Request) -> Response:
        q = request.query_params.get("q", "")
        topic = request.query_params.get("topic") or None
        sentiment = request.query_params.get("sentiment") or None
        posts = queries.search_posts(es, layout, q, cut, topic=topic, sentiment=sentiment) if (
            q or topic or sentiment) else []
        return render("search.html", q=q, topic=topic, sentiment=sentiment, posts=posts, view="search")

    async def event(request: Request) -> Response:
        found, posts = queries.event_detail(es, layout, request.path_params["event_id"])
        if found is None:
            return render("not_found.html", 404, what="事件", view="overview")
        return render("event.html", event=found, posts=posts, view="overview")

    async def leader(request: Request) -> Response:
        with database.sessions() as session:
            cases = queries.leader_cases(session)
            return render("leader.html", cases=cases, view="leader")

    async def units(request: Request) -> Response:
        with database.sessions() as session:
            return render("units.html", workload=queries.unit_workload(session, clock.now()), view="units")

    async def unit(request: Request) -> Response:
        unit_id = request.path_params["unit_id"]
        now = clock.now()
        with database.sessions() as session:
            known = session.get(UnitRow, unit_id)
            open_ = queries.unit_cases(session, unit_id, now)
            if known is None and not open_:
                return render("not_found.html", 404, what="单位", view="units")
            closed = queries.closed_unit_cases(session, unit_id, now - timedelta(days=30))
            name = known.name if known is not None else names.get(unit_id, unit_id)
            return render("unit.html", unit_name=name, cases=open_, closed=closed, view="units")

    async def case(request: Request) -> Response:
        with database.sessions() as session:
            found = queries.case_detail(session, _int(request.path_params["case_id"], 0))
            if found is None:
                return render("not_found.html", 404, what="案件", view="leader")
            return render("case.html", case=found, view="leader")

    def evaluation(request: Request) -> metrics.Evaluation:
        days = _int(request.query_params.get("days"), 30)
        with database.sessions() as session:
            return metrics.evaluate(session, clock.now(), since=clock.now() - timedelta(days=days),
                                    effect=queries.effect_lookup(es, layout))

    async def evaluator(request: Request) -> Response:
        return render("evaluator.html", evaluation=evaluation(request), view="evaluator")

    async def evaluation_xlsx(request: Request) -> Response:
        body = reports.evaluation_workbook(evaluation(request), names)
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="evaluation.xlsx"'})

    async def brief_docx(request: Request) -> Response:
        hours = _int(request.query_params.get("hours"), 24)
        body = reports.daily_brief(queries.overview(es, layout, clock.now(), hours), clock.now())
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": 'attachment; filename="brief.docx"'})

    async def api_overview(request: Request) -> Response:
        return JSONResponse(queries.overview(es, layout, clock.now(), _int(request.query_params.get("hours"), 24)))

    async def api_evaluation(request: Request) -> Response:
        return JSONResponse(evaluation(request).as_dict())

    return Starlette(routes=[
        Route("/", home),
        Route("/search", search),
        Route("/events/{event_id}", event),
        Route("/leader", leader),
        Route("/units", units),
        Route("/units/{unit_id}", unit),
        Route("/cases/{case_id}", case),
        Route("/evaluator", evaluator),
        Route("/reports/evaluation.xlsx", evaluation_xlsx),
        Route("/reports/brief.docx", brief_docx),
        Route("/api/overview", api_overview),
        Route("/api/evaluation", api_evaluation),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ])


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
