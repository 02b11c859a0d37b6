"""The dashboards in a real browser (Playwright driving Debian's Chromium) over real ES and SQLite."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from elasticsearch import Elasticsearch

from dashboards.app import create_app
from dashboards.scoring import Evaluators
from yuqing.clock import ManualClock
from yuqing.contract import Event, Grade, Post
from yuqing.db.models import Case, CaseEvent, Deadline, UnitRow
from yuqing.db.session import Database, upgrade
from yuqing.es.indices import IndexLayout
from yuqing.es.writer import BulkWriter, event_document, post_document

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
XSS_TITLE = "<script>window.__xss=1</script>A3区某小学食堂食物中毒"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/setup.sh "
                                                          "installs it)")


def cut(text: str) -> str:
    from analysis.tokenizer import cut_for_index

    return cut_for_index(text)


def seed_content(es: Elasticsearch, layout: IndexLayout, tmp: Path) -> None:
    posts = BulkWriter(es, layout.posts, tmp / "spool", refresh=True)
    for i in range(3):
        posts.add(post_document(Post(
            id=f"p{i}", source="demo_news", url="javascript:alert(1)" if i == 0 else f"http://127.0.0.1/n/{i}",
            fetched_at=NOW - timedelta(hours=2), published_at=NOW - timedelta(hours=3 - i),
            title=XSS_TITLE if i == 0 else f"A3区食物中毒后续{i}", text="多名学生出现呕吐腹泻症状，已送医治疗。",
            topic="食品药品安全", sentiment="negative" if i < 2 else "neutral", event_id="evt-food",
            region={"province": "湖南省", "city": "A市", "district": "A5区" if i == 2 else "A3区"}), cut))
    posts.flush()
    events = BulkWriter(es, layout.events, tmp / "spool", refresh=True)
    events.add(event_document(Event(
        id="evt-food", title=XSS_TITLE, first_seen=NOW - timedelta(hours=3), last_seen=NOW - timedelta(hours=1),
        topic="食品药品安全", volume=3, grade=Grade.II, risk=61.5, emerging=True,
        emerging_reasons=["首批信息即出现伤亡/儿童线索"], grade_reasons=["涉及未成年人：学生", "负面占比 67%"]), cut))
    events.flush()


def seed_cases(db: Database) -> None:
    opened = NOW - timedelta(hours=60)
    fresh = NOW - timedelta(hours=4, minutes=30)  # responded at NOW-1.5h: two negative posts before, one neutral after
    with db.transaction() as session:
        session.add(UnitRow(id="a5-rsj", name="A5区人力资源和社会保障局", kind="人社局", level="district"))
        session.flush()  # the cases refer to it
        good = Case(event_id="evt-food", title=XSS_TITLE, topic="食品药品安全", grade="II", unit_id=None,
                    joint_unit_ids=["a5-rsj"], opened_at=fresh, updated_at=fresh, state="responded",
                    acknowledged_at=fresh + timedelta(minutes=30), responded_at=fresh + timedelta(hours=3))
        late = Case(event_id="evt-wage", title="A5区某工地拖欠农民工工资", topic="就业社保", grade="II",
                    unit_id="a5-rsj", opened_at=opened, updated_at=opened, state="escalated", escalation_level=1)
        session.add_all([good, late])
        session.flush()
        session.add_all([
            Deadline(case_id=good.id, kind="authoritative_release", due_at=fresh + timedelta(hours=5),
                     basis="国办发〔2016〕80号", met_at=fresh + timedelta(hours=3)),
            Deadline(case_id=late.id, kind="response", due_at=opened + timedelta(hours=48), basis="国办发〔2016〕61号"),
            CaseEvent(case_id=late.id, at=opened + timedelta(hours=48), actor="scheduler", action="escalate",
                      from_state="notified", to_state="escalated", reason="response deadline passed"),
        ])


@pytest.fixture
def dashboard(es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> Iterator[str]:
    seed_content(es_client, es_layout, tmp_path)
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    upgrade(url)
    db = Database(url)
    seed_cases(db)
    app = create_app(es_client, es_layout, db, cut, ManualClock(NOW),
                     evaluators=Evaluators.parse("王评估:correct-horse-battery-staple"),
                     source_labels={"demo_news": "A市新闻网"})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()


@pytest.fixture
def page(dashboard: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield browser.new_page()
        browser.close()


def test_press_office_sees_events_and_untrusted_text_is_escaped(page, dashboard: str) -> None:
    page.goto(dashboard + "/")
    assert page.inner_text("#kpi-posts") == "3"
    assert page.inner_text("#kpi-negative") == "2"
    assert page.inner_text("#kpi-emerging") == "1"
    events = page.inner_text("#events")
    assert "<script>window.__xss=1</script>A3区某小学食堂食物中毒" in events
    assert page.evaluate("window.__xss") is None
    assert "II 橙" in events
    assert "食品药品安全" in page.inner_text("#topics")
    page.click("#events a")
    assert "涉及未成年人：学生" in page.inner_text("#grade-reasons")
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator(".post").count() == 3


def test_search_uses_the_same_tokenizer_as_indexing(page, dashboard: str) -> None:
    page.goto(dashboard + "/search")
    page.fill("input[name=q]", "食物中毒")
    page.click("button[type=submit]")
    assert page.locator(".post").count() == 3
    page.goto(dashboard + "/search?q=" + "养老院")
    assert page.locator(".post").count() == 0


def test_a_press_officer_browses_a_district_and_topic_without_a_keyword(page, dashboard: str) -> None:
    """A review: the search page could not list a district's posts without a keyword, its topic was free text and its
    order unlabelled; sources read as config ids."""
    page.goto(dashboard + "/search")
    page.select_option("select[name=region]", label="湖南省A市A3区（2）")
    page.select_option("select[name=topic]", "食品药品安全")
    page.select_option("select[name=hours]", "24")
    page.click("button[type=submit]")
    rows = page.locator(".post")
    assert rows.count() == 2
    assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(2)] == ["A市新闻网", "A市新闻网"]
    assert rows.nth(0).locator("a").inner_text() == "A3区食物中毒后续1"  # the newest first
    assert page.locator("#sort strong").inner_text() == "按时间"
    page.click("#sort a")
    assert page.locator("#sort strong").inner_text() == "按相关度"
    assert page.locator("select[name=region]").input_value() == "A市/A3区"
    page.goto(dashboard + "/search?topic=教育")
    assert "就学、就医" in page.locator("#unknown-topic").inner_text() and page.locator(".post").count() == 0


def test_leader_sees_the_escalated_case_with_its_timeline(page, dashboard: str) -> None:
    page.goto(dashboard + "/leader")
    table = page.inner_text("#leader-cases")
    assert "拖欠农民工工资" in table and "升级 1" in table
    page.click("text=拖欠农民工工资")
    assert "response deadline passed" in page.inner_text("#timeline")
    assert "国办发〔2016〕61号" in page.inner_text("#deadlines")


def test_a_unit_sees_its_overdue_case_first_and_the_case_it_joins(page, dashboard: str) -> None:
    page.goto(dashboard + "/units")
    row = page.inner_text("#units tr:nth-child(2)")
    assert row.split("\t")[:6] == ["A5区人力资源和社会保障局", "1", "1", "1", "1", "0"]  # lead, joint, unack., overdue
    page.click("text=A5区人力资源和社会保障局")
    assert page.inner_text("#unit-name") == "A5区人力资源和社会保障局"
    rows = page.locator("#unit-cases tr.overdue")
    assert rows.count() == 1
    overdue = rows.first.inner_text()
    assert "拖欠农民工工资" in overdue and "承办" in overdue and "待签收" in overdue and "已超时 12小时0分" in overdue
    joined = page.inner_text("#unit-cases tr:nth-child(3)")
    assert "联动" in joined and "A3区某小学食堂食物中毒" in joined
    assert page.evaluate("window.__xss") is None
    response = page.goto(dashboard + "/units/no-such-unit")
    assert response is not None and response.status == 404 and page.inner_text("h1") == "未找到该单位"


def test_evaluator_sees_rates_and_accountability(page, dashboard: str) -> None:
    page.goto(dashboard + "/evaluator")
    assert page.inner_text("#kpi-cases") == "2"
    assert page.inner_text("#kpi-response-rate") == "50%"
    assert page.inner_text("#kpi-timely-rate") == "50%"
    assert page.inner_text("#kpi-ttr") == "3小时0分"
    units = page.inner_text("#units")
    assert "通报批评（处置不得力：#2 回应超时）" in units  # a missed deadline of a grade II case, and which case
    verdicts = page.inner_text("#verdicts")
    # answered 1.5 h ago: the shares so far are shown, the effect is judged when the 24 h after the answer are over
    assert "100% → 0%" in verdicts and "回应后 24 小时未满，待评定" in verdicts and "有效" not in verdicts


def test_evaluator_downloads_a_workbook_without_formula_injection(page, dashboard: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    page.goto(dashboard + "/evaluator")
    with page.expect_download() as download:
        page.click("#workbook")
    path = tmp_path / "evaluation.xlsx"
    download.value.save_as(path)
    book = load_workbook(path)
    summary = {row[0]: row[1] for row in book["总览"].iter_rows(min_row=2, values_only=True)}
    assert summary["案件数"] == 2 and summary["回应率"] == 0.5
    titles = [row[1] for row in book["逐案"].iter_rows(min_row=2, values_only=True)]
    assert "A5区某工地拖欠农民工工资" in titles
    header, *units = book["各单位"].iter_rows(values_only=True)
    proposal = header.index("问责建议")
    assert any("通报批评" in (row[proposal] or "") for row in units)


def test_press_office_downloads_the_daily_brief(page, dashboard: str, tmp_path: Path) -> None:
    from docx import Document

    page.goto(dashboard + "/")
    with page.expect_download() as download:
        page.click("#brief")
    path = tmp_path / "brief.docx"
    download.value.save_as(path)
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "共监测信息 3 条，其中负面 2 条" in text
    assert "首批信息即出现伤亡/儿童线索" in text
    cases, events = Document(str(path)).tables
    cells = [c.text for row in events.rows for c in row.cells]
    assert cells[0] == "事件" and XSS_TITLE in cells and "II级（橙）" in cells
    rows = [[c.text for c in row.cells] for row in cases.rows]
    assert ["#2 A5区某工地拖欠农民工工资", "II级（橙）", "A5区人力资源和社会保障局"] == rows[1][:3]
    assert rows[1][4:] == ["未回应（期限已过）", "回应（06-01 08:00）已超时 12小时0分", "否"]


def test_spreadsheet_cells_never_start_a_formula() -> None:
    from dashboards.reports import cell_text

    assert cell_text("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert cell_text("+1") == "'+1" and cell_text("食物中毒") == "食物中毒" and cell_text(3) == 3


def test_a_long_unbroken_string_wraps_and_a_phone_scrolls_tables_not_the_page(
        page, dashboard: str, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    """A review saw a 400-character title push the topic and sentiment columns 3,000 px to the right, and on a
    390 px phone the header squeezed into two-character stacks and case pages wider than the screen."""
    writer = BulkWriter(es_client, es_layout.posts, tmp_path / "spool-long", refresh=True)
    writer.add(post_document(Post(id="p-long", source="demo_news", url="http://127.0.0.1/n/long",
                                  fetched_at=NOW - timedelta(hours=2), title="A3区" + "A" * 400,
                                  text="食物中毒" + "B" * 300, topic="食品药品安全", sentiment="negative"), cut))
    writer.flush()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(dashboard + "/search?q=食物中毒")
    assert page.locator(".post").count() == 4
    assert "B" * 196 + "…" in page.inner_text(".posts")  # the first 200 characters, and a sign there is more
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/leader", "/cases/2", "/evaluator"):
        page.goto(dashboard + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        assert page.locator("header a").first.bounding_box()["height"] < 32, path  # one line, not 舆/情/概/览


def test_an_evaluator_scores_a_case_in_the_browser(page, dashboard: str) -> None:
    page.goto(dashboard + "/cases/2")
    for key, value in {"response": "-2", "transparency": "1", "credibility": "0", "order": "2", "dynamics": "1",
                       "accountability": "0"}.items():
        page.fill(f"input[name={key}]", value)
    page.fill("textarea[name=note]", "拖欠工资案件回应迟缓")
    page.fill("input[name=passphrase]", "wrong-passphrase-here")
    page.click("#score-form button[type=submit]")
    assert "评估口令不正确" in page.inner_text("#score-problem")
    assert page.input_value("input[name=response]") == "-2"  # nothing typed is lost
    page.fill("input[name=passphrase]", "correct-horse-battery-staple")
    page.click("#score-form button[type=submit]")
    assert "评分已保存" in page.inner_text("#assessed")
    assert "王评估" in page.inner_text("#assessments") and "红（应对严重失当" in page.inner_text("#assessments")
    assert "王评估" in page.inner_text("#timeline")


def test_pages_load_without_console_errors(page, dashboard: str) -> None:
    """A review: every page logged an error, its icon (data:,) refused by the page's own Content-Security-Policy."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    for path in ("/", "/search?q=食物中毒", "/units", "/leader", "/cases/2", "/evaluator"):
        response = page.goto(dashboard + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
    assert errors == []
    icon = page.request.get(dashboard + page.get_attribute("link[rel=icon]", "href"))
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
