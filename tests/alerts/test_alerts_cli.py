"""The alert stage's commands as a user runs them, against a real database and Elasticsearch."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from elasticsearch import Elasticsearch
from sqlalchemy import select, update

from alerts.cases import open_or_update_case
from crawler.demo_web import start_demo_web
from tests.alerts.casekit import (
    MONDAY_9AM,
    REPO,
    TZ,
    deployment,
    index_prefix,
    make_event,
    prepare,
    shipped_config,
)
from tests.crawler.conftest import demo_sources
from yuqing.cli import main
from yuqing.clock import ManualClock
from yuqing.contract import Grade, Post, Region
from yuqing.db.models import Case, Deadline, Notification
from yuqing.db.session import Database, upgrade
from yuqing.es.indices import IndexLayout
from yuqing.es.writer import BulkWriter, post_document


@pytest.fixture
def env(tmp_path: Path, es_node: str) -> Iterator[dict[str, str]]:
    deployed = deployment(tmp_path, es_node)
    yield deployed
    IndexLayout(index_prefix(deployed)).delete_all(Elasticsearch(es_node))


@pytest.fixture
def database(env: dict[str, str]) -> Iterator[Database]:
    upgrade(env["YUQING_DATABASE_URL"])
    db = Database(env["YUQING_DATABASE_URL"])
    prepare(db, shipped_config())
    yield db
    db.dispose()


def yuqing(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def open_case(db: Database, **event) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return open_or_update_case(session, make_event(**event), "graded_event", shipped_config(),
                                   ManualClock(MONDAY_9AM)).case.id


def test_cases_and_notifications_list_as_json(env: dict[str, str], database: Database) -> None:
    case_id = open_case(database, grade=Grade.II, risk=60)
    code, out = yuqing(env, "cases", "list", "--json")
    assert code == 0
    [case] = json.loads(out)
    assert case["id"] == case_id and case["title"] == "A3区某小学校车超载多名学生挤在过道"
    assert (case["topic"], case["region"], case["grade"], case["unit"], case["state"]) == (
        "就学", "湖南省A市A3区", "II", "a3-edu", "notified")
    assert case["joint_units"] == ["a3-gov-office", "a-publicity", "a-cac", "a-police", "hn-telecom"]
    assert [d["kind"] for d in case["deadlines"]] == ["report_upward", "authoritative_release", "press_conference"]
    assert case["deadlines"][0]["due_at"] == "2026-03-02T11:00:00+08:00"
    assert [e["action"] for e in case["timeline"]] == ["opened", "deadlines_set", "notified"]
    code, out = yuqing(env, "notifications", "list", "--json")
    rows = json.loads(out)
    assert {r["kind"] for r in rows} == {"alert"} and len(rows) == 12  # 6 units (the district office too), 2 channels
    first = rows[0]
    assert first["case_id"] == case_id and first["status"] == "pending" and first["sent_at"] is None
    assert first["scheduled_at"] == "2026-03-02T09:00:00+08:00"
    assert {"channel", "recipient", "idempotency_key"} <= set(first)
    code, out = yuqing(env, "notifications", "send")
    assert code == 0 and "warning: YUQING_SLACK_TOKEN is not set" in out
    assert "warning: settings.yaml notifications.smtp.host is not set" in out
    rows = json.loads(yuqing(env, "notifications", "list", "--json")[1])
    slack = [r for r in rows if r["channel"] == "slack"]
    assert all(r["status"] == "recorded" and r["sent_at"] for r in slack)  # no token: recorded locally, not sent
    # no mail server: recorded too (the shipped 127.0.0.1:8025 left every e-mail retrying, with no word why)
    assert all(r["status"] == "recorded" for r in rows if r["channel"] == "email")
    recorded = json.loads(yuqing(env, "notifications", "list", "--json", "--status", "recorded")[1])
    assert len(recorded) == len(rows) and not json.loads(yuqing(env, "notifications", "list", "--json",
                                                                 "--status", "sent")[1])


def test_a_hand_opened_case_whose_title_tells_of_deaths_is_reported_upward_within_2_hours(
        env: dict[str, str], database: Database) -> None:
    """A replayed event with these words got the sensitive case's 2 h report upward; a case opened by hand did not."""
    code, out = yuqing(env, "cases", "open", "--title", "A3区某厂房火灾致3人死亡", "--topic", "安全生产", "--region",
                       "湖南省A市A3区", "--grade", "IV", "--actor", "市应急局", "--reason", "上级交办")
    assert code == 0, out
    [case] = json.loads(yuqing(env, "cases", "list", "--json")[1])
    dues = {d["kind"]: datetime.fromisoformat(d["due_at"]) - datetime.fromisoformat(case["opened_at"])
            for d in case["deadlines"]}
    assert dues == {"response": timedelta(hours=48), "report_upward": timedelta(hours=2)}


def test_a_case_the_higher_government_assigns_is_opened_by_hand(env: dict[str, str], database: Database) -> None:
    code, out = yuqing(env, "cases", "open", "--title", "A3区某养老院护工虐待老人", "--topic", "养老服务",
                       "--region", "湖南省A市A3区", "--grade", "II", "--actor", "市政府办公厅", "--reason", "上级交办")
    assert code == 0, out
    assert "opened: A3区某养老院护工虐待老人 →" in out and "joint:" in out
    [case] = json.loads(yuqing(env, "cases", "list", "--json")[1])
    assert (case["topic"], case["grade"], case["state"]) == ("养老服务", "II", "notified")
    assert case["region"] == "湖南省A市A3区" and case["districts"] == ["A3区"] and case["unit"]
    assert [d["kind"] for d in case["deadlines"]] == ["report_upward", "authoritative_release", "press_conference"]
    assert "市政府办公厅: 上级交办" in case["timeline"][0]["reason"]
    # no risk score for a case opened by hand: "—" as the case page says, not Python's None (a review)
    code, out = yuqing(env, "cases", "show", str(case["id"]))
    assert code == 0 and " · risk — · " in out and "None" not in out, out
    assert case["risk"] is None  # (JSON's null)
    code, out = yuqing(env, "cases", "open", "--title", "市民王建军(13912345678)反映A3区某工地欠薪", "--topic",
                       "就业社保", "--actor", "市信访局 13812345678", "--reason", "来电人王建军")
    assert code == 0, out
    shown = json.loads(yuqing(env, "cases", "list", "--json")[1])[1]
    assert "王建军" not in json.dumps(shown, ensure_ascii=False) and "13912345678" not in shown["title"]
    # the actor is typed too: its phone number reached the grade reasons, alerts and the timeline (a review)
    assert "13812345678" not in json.dumps(shown, ensure_ascii=False) and "138****5678" in json.dumps(shown,
                                                                                                   ensure_ascii=False)
    assert shown["title"].startswith("市民王**(139****5678)")
    code, out = yuqing(env, "cases", "open", "--title", "x", "--topic", "天气", "--actor", "a", "--reason", "b")
    assert code != 0 and f"--topic '天气' is not in {Path(env['YUQING_CONFIG_DIR']) / 'taxonomy.yaml'}" in out
    # a district without units (a typo, A9区, or a real one, A7县) goes to the city's unit, said aloud; the province
    # of the jurisdiction's city is filled in
    code, out = yuqing(env, "cases", "open", "--title", "A9区某小区停水", "--topic", "住房保障", "--region",
                       "湖南省A市A9区", "--actor", "a", "--reason", "b")
    assert code == 0 and "warning: --region '湖南省A市A9区': A市的 A9区 在 units.yaml 中没有单位，案件交A市的单位" in out
    assert "A3区" in out and "；若是笔误请更正\n" in out and "→ a-housing" in out
    assert "the case goes to the city's unit" not in out, "one language: the router's, as `route test` says it"
    assert len(json.loads(yuqing(env, "cases", "list", "--json")[1])) == 3
    code, out = yuqing(env, "cases", "open", "--title", "长沙市某小区停水", "--topic", "住房保障", "--region",
                       "湖南省长沙市岳麓区", "--actor", "a", "--reason", "b")
    assert code == 0 and "warning: outside the jurisdiction (长沙市不在 units.yaml 所辖城市" in out


def test_route_explain_prints_the_path_through_the_tree(env: dict[str, str], database: Database) -> None:
    case_id = open_case(database)
    code, out = yuqing(env, "route", "explain", str(case_id))
    assert code == 0
    assert "✓ route.routes[0]［topic=就学］：主题就学符合 就学" in out
    assert "→ 责任单位 a3-edu" in out and "属地" in out
    code, out = yuqing(env, "route", "test", "--topic", "就学", "--district", "A3区", "--district", "A5区",
                       "--grade", "II")
    assert "→ 责任单位 a-edu" in out and "涉及 A3区、A5区 多个区" in out and "+ 联动单位 a-publicity" in out
    # --region as `cases open` takes it (it was refused), and a district no unit sits in is said (it passed unsaid)
    code, out = yuqing(env, "route", "test", "--topic", "就学", "--region", "湖南省A市A3区")
    assert code == 0 and "→ 责任单位 a3-edu" in out and "warning" not in out
    # the configuration tool names the route that informs a joint unit (the case page leaves the path out)
    code, out = yuqing(env, "route", "test", "--topic", "就学", "--region", "湖南省A市A3区", "--text", "食堂")
    assert "+ 联动单位 a-market：route.routes[0].routes[0] 同时通知行业主管部门 市场监督管理局" in out
    code, out = yuqing(env, "route", "test", "--topic", "就学", "--district", "A9区")
    assert code == 0 and "warning: --district 'A9区'" in out and "若是笔误请更正" in out and "→ 责任单位 a-edu" in out
    code, out = yuqing(env, "route", "explain", "999")
    assert code == 1 and "no case 999" in out


def test_a_response_entered_later_says_when_it_was_published(env: dict[str, str], database: Database) -> None:
    """A release at 20:00 registered the next morning counted as published then, and late."""
    case_id = open_case(database)
    code, out = yuqing(env, "cases", "respond", str(case_id), "--actor", "A3区教育局", "--text", "发布情况通报",
                       "--channel", "weibo", "--at", "no idea")
    assert code == 2 and "'--at'" in out and "neither a duration" in out
    before = datetime.now(UTC)
    code, out = yuqing(env, "cases", "respond", str(case_id), "--actor", "A3区教育局", "--text", "发布情况通报",
                       "--channel", "weibo", "--at", "3h")
    assert code == 0 and "responded" in out
    with database.sessions() as session:
        met = session.scalars(select(Deadline.met_at).where(Deadline.case_id == case_id)).all()
    published = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in met if m is not None]
    assert published and all(abs((before - m) - timedelta(hours=3)) < timedelta(minutes=1) for m in published)


def test_cases_show_gives_the_timeline_in_time_order_marking_what_was_entered_later(
        env: dict[str, str], database: Database, es_node: str) -> None:
    """A review: after `respond --at`, `cases show` — "its whole timeline" — listed the back-dated responses last,
    out of time order and without the 补录 mark the case page gives them."""
    from starlette.testclient import TestClient

    from dashboards.app import create_app
    from yuqing.clock import SystemClock

    case_id = open_case(database)
    for channel, at in (("release", "2026-03-02 13:00"), ("press_conference", "2026-03-03 08:00"),
                        ("report_upward", "2026-03-02 10:30")):
        code, out = yuqing(env, "cases", "respond", str(case_id), "--actor", "A3区教育局", "--text", f"{channel} 通报",
                           "--channel", channel, "--at", at)
        assert code == 0, out
    entered = f"{datetime.now(TZ):%Y-%m-%d}"
    shown = [ln for ln in yuqing(env, "cases", "show", str(case_id))[1].splitlines() if ln.startswith("  20")]
    times = [ln.split()[0] for ln in shown]
    assert times == sorted(times) and times[-1] == "2026-03-03T08:00", shown
    assert [ln.split()[0] for ln in shown if f"[补录于 {entered}" in ln] == [
        "2026-03-02T10:30", "2026-03-02T13:00", "2026-03-03T08:00"]
    assert sum("补录于" in ln for ln in shown) == 3
    timeline = json.loads(yuqing(env, "cases", "list", "--json")[1])[0]["timeline"]
    assert [e["at"][:16] for e in timeline] == times  # --json in the same order
    app = create_app(Elasticsearch(es_node), IndexLayout(index_prefix(env)), database, lambda text: text,
                     SystemClock(TZ))
    with TestClient(app) as client:
        page = client.get(f"/cases/{case_id}").text
    rows = page[page.index('id="timeline"'):].split("</table>")[0].split("<tr>")[2:]
    assert [row[4:20].replace(" ", "T") for row in rows] == times  # the case page's order
    assert [row[4:20].replace(" ", "T") for row in rows if f"补录于 {entered}" in row] == [
        "2026-03-02T10:30", "2026-03-02T13:00", "2026-03-03T08:00"]


def _evaluated_cases(env: dict[str, str], database: Database, es_node: str) -> tuple[dict, dict, str]:
    """(the evaluator's figures as the API gives them, the workbook's sheets as rows by column name, the evaluator
    page)."""
    import io

    from openpyxl import load_workbook
    from starlette.testclient import TestClient

    from dashboards.app import create_app
    from yuqing.clock import SystemClock

    app = create_app(Elasticsearch(es_node), IndexLayout(index_prefix(env)), database, lambda text: text,
                     SystemClock(TZ))
    with TestClient(app) as client:
        figures = client.get("/api/evaluation").json()
        book = load_workbook(io.BytesIO(client.get("/reports/evaluation.xlsx").content))
        page = client.get("/evaluator").text
    sheets = {name: [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] is not None]
              for name in ("逐案", "各单位") if (rows := list(book[name].values))}
    sheets["总览"] = [dict([r[:2]]) for r in book["总览"].values]
    return figures, sheets, page


def _open_recent_case(database: Database) -> datetime:
    """A case opened 30 hours ago, on the hour: a time within the evaluator's period, typed as --at takes it."""
    opened = datetime.now(TZ).replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    with database.transaction() as session:
        open_or_update_case(session, make_event(at=opened), "graded_event", shipped_config(), ManualClock(opened))
    return opened


def test_a_sign_off_is_no_later_than_a_response_entered_afterwards(env: dict[str, str], database: Database,
                                                                   es_node: str) -> None:
    """A review (M1): the unit published 1.5 h after the alert, signed off in the system the next day, and the
    press office entered the release afterwards with --at: 签收用时 counted the late 签收, 28 days for a case answered
    in hours."""
    opened = _open_recent_case(database)
    assert "is now acknowledged" in yuqing(env, "cases", "ack", "1", "--actor", "A3区教育局值班员")[1]
    code, out = yuqing(env, "cases", "respond", "1", "--actor", "A3区教育局", "--text", "发布情况通报",
                       "--channel", "weibo", "--at", f"{opened + timedelta(hours=1.5):%Y-%m-%d %H:%M}")
    assert code == 0, out
    [case] = json.loads(yuqing(env, "cases", "list", "--json")[1])
    assert datetime.fromisoformat(case["acknowledged_at"]) == opened + timedelta(hours=1.5)
    figures, sheets, page = _evaluated_cases(env, database, es_node)
    assert figures["median_hours_to_ack"] == 1.5
    [row] = sheets["逐案"]
    assert row["签收用时(h)"] == 1.5 and row["回应用时(h)"] == 1.5
    assert '<b id="kpi-tta">1小时30分</b>' in page


def test_a_response_entered_after_its_deadline_counts_late_until_an_evaluator_confirms_it(
        env: dict[str, str], database: Database, es_node: str) -> None:
    """A security review: once its grade II case's release and press-conference deadlines had passed and it had been
    escalated, the unit entered a press conference "held" 3 h after opening (`respond --at`, or Slack's 登记回应 with
    an earlier time): /api/evaluation said 回应及时率 100 %, and only the case timeline said 补录. Such a 补录 is the
    unit's own word: counted late, and flagged to the evaluator, until an evaluator has checked and confirmed it."""
    opened = datetime.now(TZ).replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    with database.transaction() as session:
        open_or_update_case(session, make_event(at=opened, grade=Grade.II, risk=60), "graded_event", shipped_config(),
                            ManualClock(opened))
    code, out = yuqing(env, "cases", "respond", "1", "--actor", "A3区教育局", "--text", "召开新闻发布会通报情况",
                       "--channel", "press_conference", "--at", f"{opened + timedelta(hours=3):%Y-%m-%d %H:%M}")
    assert code == 0 and "counts as missed until an evaluator confirms" in out and "confirm-entry 1" in out, out
    figures, sheets, page = _evaluated_cases(env, database, es_node)
    assert figures["timely_rate"] == 0.0 and figures["units"][0]["timely_rate"] == 0.0
    entries = figures["late_entries"]
    assert {e["deadline"] for e in entries} == {"authoritative_release", "press_conference"}
    assert all(e["case"] == 1 and not e["counted_on_time"] and e["confirmed_by"] is None for e in entries)
    assert all(datetime.fromisoformat(e["published_at"]) == opened + timedelta(hours=3) for e in entries)
    # both times in the configured zone, as every other time the API and pages give: a review found the publication
    # time in UTC (06:10+00:00) beside the entry time in +08:00, read as 06:10 against 16:19
    offset = opened.strftime("%z")
    assert all(datetime.fromisoformat(e[at]).strftime("%z") == offset for e in entries
               for at in ("published_at", "recorded_at")), entries
    [row] = sheets["逐案"]
    assert row["按时"] == "否" and "新闻发布会" in row["超时事项"]
    assert row["补录（期限过后登记）"].count("补录待核实（计为超时）") == 2
    assert {"补录待核实（计为超时）": "1 起：#1"} in sheets["总览"]
    late = page.split('id="late-entries"')[1].split("</div>")[0]
    assert late.count("补录待核实（计为超时）") == 2 and "confirm-entry 案件号 --evaluator" in late
    code, out = yuqing(env, "cases", "show", "1")  # the case's own deadlines read as the evaluator counts them
    assert code == 0 and out.count("补录待核实（期限过后登记，计为超时）") == 2 and "按时完成" not in out, out
    code, out = yuqing(env, "cases", "confirm-entry", "1", "--evaluator", "市政府办公厅评估组", "--reason",
                       "A3区教育局政务微博发布记录与发布会视频")
    assert code == 0 and out.count("it counts as on time") == 2, out
    figures, sheets, page = _evaluated_cases(env, database, es_node)
    assert figures["timely_rate"] == 1.0
    assert all(e["counted_on_time"] and e["confirmed_by"] == "市政府办公厅评估组" for e in figures["late_entries"])
    assert sheets["逐案"][0]["按时"] == "是" and "补录待核实" not in page and "已核实（市政府办公厅评估组）" in page
    code, out = yuqing(env, "cases", "show", "1")
    assert code == 0 and out.count("按时完成（补录已核实：市政府办公厅评估组）") == 2, out
    code, out = yuqing(env, "cases", "confirm-entry", "1", "--evaluator", "市政府办公厅评估组", "--reason", "再次核实")
    assert code == 1 and "no 补录 awaiting confirmation" in out


def test_a_sign_off_given_by_phone_is_entered_later_with_its_time(env: dict[str, str], database: Database,
                                                                  es_node: str) -> None:
    """A review (M1): `cases ack` had no --at, so a sign-off by phone keyed in later was timed at data entry. It is
    refused, as `respond --at` is, in the future or before the case was opened, and marked 补录 on the timeline."""
    opened = _open_recent_case(database)
    code, out = yuqing(env, "cases", "ack", "1", "--actor", "王科长", "--at", "no idea")
    assert code == 2 and "'--at'" in out and "neither a duration" in out
    code, out = yuqing(env, "cases", "ack", "1", "--actor", "王科长", "--at",
                       f"{datetime.now(TZ) + timedelta(hours=2):%Y-%m-%d %H:%M}")
    assert code == 1 and "the sign-off's time" in out and "is in the future" in out
    code, out = yuqing(env, "cases", "ack", "1", "--actor", "王科长", "--at", f"{opened - timedelta(hours=1):%Y-%m-%d %H:%M}")
    assert code == 1 and f"is before the case was opened ({opened:%Y-%m-%d %H:%M})" in out
    signed = opened + timedelta(minutes=45)
    code, out = yuqing(env, "cases", "ack", "1", "--actor", "王科长", "--at", f"{signed:%Y-%m-%d %H:%M}")
    assert code == 0 and out.strip() == f"case 1 is now acknowledged (signed off {signed:%Y-%m-%d %H:%M})"
    assert "was already acknowledged" in yuqing(env, "cases", "ack", "1", "--actor", "李科长")[1]
    entered = f"{datetime.now(TZ):%Y-%m-%d}"
    [line] = [ln for ln in yuqing(env, "cases", "show", "1")[1].splitlines() if " acknowledged" in ln and "王科长" in ln]
    assert line.split()[0] == f"{signed:%Y-%m-%dT%H:%M}" and f"[补录于 {entered}" in line
    figures, sheets, _ = _evaluated_cases(env, database, es_node)
    assert figures["median_hours_to_ack"] == 0.75 and sheets["逐案"][0]["签收用时(h)"] == 0.75


def test_a_missed_report_upward_is_not_hidden_behind_a_timely_response(env: dict[str, str], database: Database,
                                                                      es_node: str) -> None:
    """A review (L1): a case with deaths answered in time but never reported upward within its 2 h showed 按时 是
    and its unit 100 % timely, with nothing that counted the missed report. The unit's 报告及时率 counts it."""
    from analysis.severity import extract_cues

    opened = datetime.now(TZ).replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    title = "A3区某厂房火灾致3人死亡"
    event = make_event(title=title, topic="安全生产", grade=Grade.III, at=opened)
    with database.transaction() as session:
        open_or_update_case(session, event.model_copy(update={"severity_cues": extract_cues(title).as_list()}),
                            "graded_event", shipped_config(), ManualClock(opened))
    code, out = yuqing(env, "cases", "respond", "1", "--actor", "A3区应急局", "--text", "情况通报", "--at",
                       f"{opened + timedelta(hours=20):%Y-%m-%d %H:%M}")
    assert code == 0, out
    figures, sheets, page = _evaluated_cases(env, database, es_node)
    [unit] = figures["units"]
    assert (unit["timely_rate"], unit["reports_upward"]) == (1.0, {"due": 1, "on_time": 0, "timely_rate": 0.0})
    assert figures["report_timely_rate"] == 0.0
    [row] = sheets["各单位"]
    assert (row["及时率"], row["向上报告到期"], row["按时报告"], row["报告及时率"]) == (1.0, 1, 0, 0.0)
    assert {"报告及时率（向上报告）": 0.0} in sheets["总览"]
    assert '<b id="kpi-report-timely-rate">0%</b>' in page
    units = page[page.index('id="units"'):page.index("逐案")]
    assert '<span class="flag">0%</span> <span class="muted">0/1</span>' in units


def test_a_unit_acknowledges_responds_and_closes_from_the_command_line(env: dict[str, str],
                                                                        database: Database) -> None:
    case_id = open_case(database)
    assert yuqing(env, "cases", "ack", str(case_id), "--actor", "王科长")[1].strip() == f"case {case_id} is now acknowledged"
    assert "was already acknowledged" in yuqing(env, "cases", "ack", str(case_id), "--actor", "李科长")[1]
    code, out = yuqing(env, "cases", "respond", str(case_id), "--actor", "A3区教育局", "--text", "发布情况通报",
                       "--channel", "weibo")
    assert "responded" in out
    code, out = yuqing(env, "cases", "close", str(case_id), "--actor", "王科长")
    assert "closed" in out
    code, out = yuqing(env, "cases", "show", str(case_id))
    assert "acknowledged" in out and "发布情况通报" in out and "完成" in out
    code, out = yuqing(env, "cases", "ack", str(case_id), "--actor", "x")
    assert code == 1 and "reopen it" in out


def test_the_command_line_says_when_a_deadline_was_missed(env: dict[str, str], database: Database) -> None:
    """`cases show` said "met" of a response 130 h late, and `cases list` gave a deadline long past without a mark."""
    case_id = open_case(database)  # opened on a Monday in the past: every deadline has passed
    [line] = [ln for ln in yuqing(env, "cases", "list")[1].splitlines() if ln.startswith(f"#{case_id} ")]
    assert "OVERDUE" in line
    with database.transaction() as session:  # as the escalation tick marks a missed deadline
        session.execute(update(Deadline).where(Deadline.case_id == case_id).values(overdue_at=Deadline.due_at))
        session.execute(update(Case).where(Case.id == case_id).values(state="overdue"))
    said = yuqing(env, "cases", "ack", str(case_id), "--actor", "王科长")[1]
    assert "escalation for silence stops; it stays overdue because a deadline has passed" in said
    # the hint is a command that works as shown, its placeholders filled in (it lacked --actor and --text)
    hint = re.search(r"answer it with `yuqing (cases respond \d+ --actor NAME --text WHAT)`, and --at TIME", said)
    assert hint, said
    code, out = yuqing(env, *hint.group(1).replace("NAME", "A3区教育局").replace("WHAT", "发布情况通报").split(),
                       "--channel", "weibo")
    assert code == 0, out
    shown = [ln for ln in yuqing(env, "cases", "show", str(case_id))[1].splitlines() if "deadline response" in ln]
    assert shown and all("逾期完成（晚 " in ln for ln in shown), shown


def test_cases_show_judges_a_deadline_the_case_closed_before_as_the_case_page(env: dict[str, str],
                                                                                database: Database) -> None:
    """A false alarm closed an hour after it opened: `cases show` called its 48 h response deadline OVERDUE, where the
    case page and the evaluation say 已关闭，不再考核 (the CLI judged deadlines its own way)."""
    from alerts.cases import close

    case_id = open_case(database)
    with database.transaction() as session:
        close(session, case_id, "王科长", MONDAY_9AM + timedelta(hours=1), "误报：非本辖区")
    [line] = [ln for ln in yuqing(env, "cases", "show", str(case_id))[1].splitlines() if "deadline response" in ln]
    assert "已关闭，不再考核" in line and "OVERDUE" not in line, line


def index_canteen_burst(env: dict[str, str], es: Elasticsearch, layout: IndexLayout, start: datetime) -> None:
    """25 negative posts about one A3区 school canteen, two minutes apart from ``start``: what the rule
    livelihood_negative_burst (就学, 60 minutes) matches once."""
    posts = [Post(id=f"p{i}", source="demo_board", published_at=start + timedelta(minutes=2 * i),
                  fetched_at=start + timedelta(minutes=2 * i), title="食堂", text="食堂", topic="就学",
                  sentiment="negative", event_id="ev-1", region=Region(city="A市", district="A3区"))
             for i in range(25)]
    writer = BulkWriter(es, layout.posts, Path(env["YUQING_HOME"]) / "spool", refresh=True)
    writer.add_many(post_document(p, lambda t: t) for p in posts)
    writer.flush()


def test_rules_test_prints_what_a_rule_would_have_raised(env: dict[str, str], database: Database) -> None:
    layout = IndexLayout(index_prefix(env))
    es = Elasticsearch(env["YUQING_ES_URL"])
    layout.ensure(es)
    try:
        start = datetime(2026, 3, 5, 14, 0, tzinfo=TZ)
        index_canteen_burst(env, es, layout, start)
        code, out = yuqing(env, "rules", "test", "livelihood_negative_burst", "--since", "7d", "--until",
                           "2026-03-08T00:00+08:00")
        assert code == 0, out
        assert "rule livelihood_negative_burst (frequency)" in out
        assert "[就学]" in out and "主题 就学：60 分钟内" in out and "events: ev-1" in out
        assert out.strip().endswith("1 match(es)")
        code, out = yuqing(env, "rules", "test", "no_such_rule")
        assert code == 1 and "no rule 'no_such_rule'" in out
    finally:
        layout.delete_all(es)


def test_run_refuses_to_start_with_a_route_to_an_unknown_unit(env: dict[str, str]) -> None:
    path = Path(env["YUQING_CONFIG_DIR"], "units.yaml")
    units = yaml.safe_load(path.read_text(encoding="utf-8"))
    units["route"]["routes"][0]["receiver_kind"] = None
    units["route"]["routes"][0]["receiver"] = "a9-edu"
    path.write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    for command in (["run", "--no-crawl"], ["replay", "--posts", "/nonexistent.jsonl"]):
        result = CliRunner().invoke(main, command, env=env)
        assert result.exit_code == 2
        assert "a9-edu" in result.output and "route to an unknown unit" in result.output


def test_config_check_names_open_cases_whose_unit_was_renamed(env: dict[str, str], database: Database) -> None:
    """A routing review renamed a3-edu in units.yaml: `config check` said "configuration OK" and four open cases
    went on with reminders and escalations that reached nobody."""
    case_id = open_case(database)
    code, out = yuqing(env, "config", "check")
    assert code == 0 and "no longer has" not in out
    path = Path(env["YUQING_CONFIG_DIR"], "units.yaml")
    path.write_text(path.read_text(encoding="utf-8").replace("a3-edu", "a3-education"), encoding="utf-8")
    code, out = yuqing(env, "config", "check")
    assert code == 0 and f"1 open case(s) (#{case_id}) are held by unit 'a3-edu', which units.yaml no longer has" in out
    assert "yuqing cases reassign CASE --unit U" in out


def _start_run(env: dict[str, str], log: Path, *, crawl: bool = False) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "yuqing.cli", "run", *([] if crawl else ["--no-crawl"]), "--tick-seconds", "1",
               "--evaluate-seconds", "3600", "--outbox-seconds", "1"]
    return subprocess.Popen(command, env={**os.environ, **env}, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            cwd=REPO, start_new_session=True)


def _escalations(db: Database) -> list[tuple[int, str]]:
    with db.sessions() as session:
        rows = session.scalars(select(Notification).where(Notification.kind == "escalation")
                               .order_by(Notification.id))
        return [(n.payload["escalation_level"], n.recipient) for n in rows]


def _crawl_only_weibo(env: dict[str, str], web_url: str) -> None:
    """The deployment's sources.yaml: the demo web's Weibo-shaped source alone, due every 3 s (so crawled 3 s after
    the start)."""
    weibo = next(s for s in demo_sources(web_url) if s["name"] == "demo_weibo")
    Path(env["YUQING_CONFIG_DIR"], "sources.yaml").write_text(
        yaml.safe_dump({"version": 1, "sources": [{**weibo, "interval_minutes": 0.05}]}, allow_unicode=True),
        encoding="utf-8")


def _wait(condition, timeout: float, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; `yuqing run` said:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


@pytest.mark.timeout(300)
def test_kill_9_mid_escalation_then_restart_neither_repeats_nor_misses(env: dict[str, str], database: Database,
                                                                      tmp_path: Path) -> None:
    now = datetime.now(TZ)
    # on the real clock: without quiet hours, which would hold the grade III case's escalations at night
    policy = Path(env["YUQING_CONFIG_DIR"], "policy.yaml")
    text = policy.read_text(encoding="utf-8")
    assert "\n  quiet_hours: " in text
    policy.write_text(re.sub(r"\n  quiet_hours: [^\n]*", "", text), encoding="utf-8")
    with database.transaction() as session:
        case = open_or_update_case(session, make_event(at=now), "graded_event", shipped_config(),
                                   ManualClock(now - timedelta(minutes=61))).case
        case_id = case.id
    log = tmp_path / "run.log"
    process = _start_run(env, log)
    try:
        _wait(lambda: len(_escalations(database)) == 2, 120, log)  # level 1: Slack and e-mail to the leader
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
        # While it was down, two hours passed: move the case's clock back instead of waiting.
        with database.transaction() as session:
            session.execute(update(Case).where(Case.id == case_id).values(
                notified_at=now - timedelta(minutes=200), escalated_at=now - timedelta(minutes=125)))
        process = _start_run(env, log)
        _wait(lambda: len(_escalations(database)) == 4, 120, log)
        time.sleep(3)  # several more ticks: nothing is sent twice
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(60)
    assert _escalations(database) == [(1, "U0A3EDU01"), (1, "director@edu.a3.gov.example"),
                                      (2, "U0A3LEAD01"), (2, "head@a3.gov.example")]
    assert "job tick: kept" in log.read_text(errors="replace")


@pytest.mark.timeout(300)
def test_a_second_service_on_the_same_state_directory_is_refused(env: dict[str, str], database: Database,
                                                                  tmp_path: Path) -> None:
    """Two `yuqing run` on one state directory ran every job twice and deleted each other's crawl queues."""
    log = tmp_path / "run.log"
    process = _start_run(env, log)
    try:
        _wait(lambda: "yuqing is running" in log.read_text(errors="replace"), 120, log)
        second = subprocess.run([sys.executable, "-m", "yuqing.cli", "run", "--no-crawl"], env={**os.environ, **env},
                                capture_output=True, text=True, timeout=120, cwd=REPO)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(60)
    assert second.returncode == 1 and f"another `yuqing run` (pid {process.pid}) is already running" in second.stderr
    assert "yuqing is running" not in second.stdout


@pytest.mark.timeout(300)
def test_sigterm_during_a_crawl_stops_the_service(env: dict[str, str], database: Database, tmp_path: Path) -> None:
    """The crawl job waited without end for a crawl the stopped reactor would never finish: after SIGTERM during a
    crawl, `yuqing run` stayed alive until a kill -9 (an operator review)."""
    web = start_demo_web(port=0, delay_s=20)  # each page takes 20 s: the crawl is under way when SIGTERM comes
    try:
        _crawl_only_weibo(env, web.url)
        log = tmp_path / "run.log"
        process = _start_run(env, log, crawl=True)
        try:
            _wait(lambda: "Spider opened" in log.read_text(errors="replace"), 120, log)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)  # a bound against a hang, not a speed to meet
            except subprocess.TimeoutExpired:
                pytest.fail(f"`yuqing run` still running 60 s after SIGTERM; it said:\n"
                            f"{log.read_text(errors='replace')[-3000:]}")
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(30)
    finally:
        web.stop()
    said = log.read_text(errors="replace")
    assert "crawl of demo_weibo left unfinished: the service is stopping" in said
    assert "Traceback" not in said


@pytest.mark.timeout(300)
def test_a_topic_model_that_disagrees_with_the_taxonomy_is_said_once_by_the_service(
        env: dict[str, str], database: Database, tmp_path: Path) -> None:
    """A review (L6): `yuqing run` printed the disagreement at start and its enricher logged it again when it loaded
    the model. It is said once, when the model is loaded."""
    from tests.support.taxonomy import remove_ecology

    remove_ecology(Path(env["YUQING_CONFIG_DIR"]))
    web = start_demo_web(port=0)
    try:
        _crawl_only_weibo(env, web.url)
        log = tmp_path / "run.log"
        process = _start_run(env, log, crawl=True)
        try:
            _wait(lambda: "topic model: " in log.read_text(errors="replace"), 180, log)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(60)
    finally:
        web.stop()
    said = log.read_text(errors="replace")
    assert said.count("predicts 生态环境, which") == 1, said


def test_a_case_opened_by_hand_on_a_fresh_database(env: dict[str, str]) -> None:
    upgrade(env["YUQING_DATABASE_URL"])  # no pipeline has run: the units table is empty
    args = ["cases", "open", "--title", "学校食堂问题", "--topic", "就学", "--region", "湖南省A市A3区",
            "--actor", "市政府办公厅", "--reason", "上级交办"]
    code, out = yuqing(env, *args)
    assert code == 0 and "case 1 opened" in out, out
    code, out = yuqing(env, *args)  # the same assignment again: not a second case and a second round of alerts
    assert code == 1 and "case 1 with this title is already open" in out and "--again" in out
    assert yuqing(env, *args, "--again")[0] == 0
    assert len(json.loads(yuqing(env, "cases", "list", "--json")[1])) == 2
    code, out = yuqing(env, "cases", "open", "--title", " ", "--topic", "就学", "--actor", "a", "--reason", "b")
    assert code == 2 and "--title" in out and "is empty" in out
    code, out = yuqing(env, "cases", "ack", "1", "--actor", "")
    assert code == 2 and "is empty" in out


def test_a_response_through_a_misspelt_channel_meets_no_deadline(env: dict[str, str], database: Database) -> None:
    case_id = open_case(database, grade=Grade.I, risk=80)
    code, out = yuqing(env, "cases", "respond", str(case_id), "--actor", "办公厅", "--text", "已上报",
                       "--channel", "report_upwrad")
    assert code == 2 and "report_upward" in out
    [case] = json.loads(yuqing(env, "cases", "list", "--json")[1])
    assert case["state"] == "notified" and not any(d["met_at"] for d in case["deadlines"])


def test_replay_checks_its_arguments_before_reset_empties_anything(env: dict[str, str], database: Database,
                                                                    tmp_path: Path) -> None:
    open_case(database)
    posts = tmp_path / "posts.jsonl"
    posts.write_text(json.dumps({"id": "p1", "text": "A3区某小学食堂多名学生腹泻", "published_at":
                                 "2026-03-02T09:00:00+08:00"}, ensure_ascii=False) + "\n", encoding="utf-8")
    code, out = yuqing(env, "replay", "--posts", str(posts), "--reset", "--speed", "0")
    assert code == 2 and "--speed" in out
    for minutes in ("0", "1e13", "inf"):  # 1e13 overflowed a timedelta after --reset had emptied everything
        code, out = yuqing(env, "replay", "--posts", str(posts), "--reset", "--evaluate-minutes", minutes)
        assert code == 2 and "--evaluate-minutes" in out
    assert len(json.loads(yuqing(env, "cases", "list", "--json")[1])) == 1  # nothing was reset
    code, out = yuqing(env, "replay", "--posts", str(tmp_path))
    assert code == 1 and "not a file" in out
    posts.write_bytes(b'{"id": "p1", "text": "\xff\xfe", "published_at": "2026-03-02T09:00:00+08:00"}\n')
    code, out = yuqing(env, "replay", "--posts", str(posts))
    assert code == 1 and "posts.jsonl:1: not UTF-8 text" in out


def test_a_start_after_the_last_post_names_that_posts_time_in_the_configured_zone(env: dict[str, str],
                                                                                 es_node: str, tmp_path: Path) -> None:
    """The note gave the last post's time as its file wrote it (UTC here) beside a --start read in the zone."""
    posts = tmp_path / "posts.jsonl"
    posts.write_text(json.dumps({"id": "p1", "text": "A市图书馆周末举办读书分享会", "published_at":
                                 "2026-03-02T01:00:00+00:00"}, ensure_ascii=False) + "\n", encoding="utf-8")
    try:
        code, out = yuqing(env, "replay", "--posts", str(posts), "--start", "2026-03-03 09:00", "--speed", "1e9")
    finally:
        IndexLayout(f"{index_prefix(env)}-sandbox-replay").delete_all(Elasticsearch(es_node))
    assert code == 0, out
    assert "note: --start 2026-03-03 09:00 is after the last post (2026-03-02 09:00)" in out


def test_rules_test_in_a_sandbox_reads_history_up_to_the_sandboxs_clock(env: dict[str, str]) -> None:
    """`--sandbox demo rules test … --since 7d` printed a week of real time, while the demo's clock (its dashboards',
    its cases') stood 50 h ahead: the demo's last 50 h, where its posts are, lay outside."""
    from alerts.cases import record_simulated_run_end

    sandboxed = {**env, "YUQING_SANDBOX": "trial"}
    assert yuqing(sandboxed, "db", "upgrade")[0] == 0
    real = datetime.now(TZ)
    ended = real + timedelta(hours=50)
    db = Database(f"sqlite:///{Path(env['YUQING_HOME']) / 'sandboxes' / 'trial' / 'yuqing.db'}")
    try:
        with db.transaction() as session:
            record_simulated_run_end(session, started=real, ended=ended, real=real, by="yuqing demo")
    finally:
        db.dispose()
    layout = IndexLayout(f"{index_prefix(env)}-sandbox-trial")
    es = Elasticsearch(env["YUQING_ES_URL"])
    layout.ensure(es)
    try:
        start = ended - timedelta(hours=3)  # within the demo's fast-forward: after real time
        index_canteen_burst(env, es, layout, start)
        code, out = yuqing(sandboxed, "rules", "test", "livelihood_negative_burst")
    finally:
        layout.delete_all(es)
    assert code == 0, out
    [history] = [line for line in out.splitlines() if line.startswith("history ")]
    until = datetime.strptime(history.split(" → ")[1].split(",")[0], "%Y-%m-%d %H:%M").replace(tzinfo=TZ)
    assert ended - timedelta(minutes=1) <= until <= ended + timedelta(minutes=10), history  # (the clock runs on)
    assert "[就学]" in out and out.strip().endswith("1 match(es)")


def test_rule_history_needs_since_before_until(env: dict[str, str]) -> None:
    code, out = yuqing(env, "rules", "test", "graded_event", "--since", "2026-12-31", "--until", "2026-01-01")
    assert code == 2 and "is not before --until" in out
    code, out = yuqing(env, "rules", "test", "graded_event", "--since", "99999999d")
    assert code == 2 and "beyond the calendar" in out
    code, out = yuqing(env, "rules", "test", "topic_spike", "--since", "3650d")  # ran for hours, silently
    assert code == 2 and "more than 35,136; give at most 366 days" in out
    code, out = yuqing(env, "rules", "test", "graded_event", "--since", "last week")
    assert code == 2 and "Invalid value for '--since'" in out and "7d, 36h, 90m" in out  # it named no option
    code, out = yuqing(env, "rules", "test", "graded_event", "--since", "2026-12-31", "--until", "2026/13/01")
    assert code == 2 and "Invalid value for '--until'" in out and "2026/03/02 09:00" in out


def test_durations_and_dates_are_read_as_sources_yaml_reads_them() -> None:
    from zoneinfo import ZoneInfo

    from alerts.wiring import parse_when

    now = datetime(2026, 11, 26, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert parse_when("7 days", now) == parse_when("7d", now) == now - timedelta(days=7)
    assert parse_when("90 minutes", now) == now - timedelta(minutes=90)
    assert parse_when("2019/12/13 08:30", now, "--start") == datetime(2019, 12, 13, 8, 30, tzinfo=now.tzinfo)
    assert parse_when("2 hrs", now) == parse_when("2 小时", now) == now - timedelta(hours=2)
    west = timezone(timedelta(hours=-5))  # a fixed offset (--until …-05:00): dates are read in it too
    assert parse_when("2019/12/13 08:30", datetime(2026, 3, 2, 9, tzinfo=west)) == datetime(2019, 12, 13, 8, 30,
                                                                                           tzinfo=west)
    assert parse_when("2019年12月13日", now) == datetime(2019, 12, 13, tzinfo=now.tzinfo)
    assert parse_when("2019/12/13 08:30:15", now) == datetime(2019, 12, 13, 8, 30, 15, tzinfo=now.tzinfo)


def test_route_test_names_an_unknown_topic(env: dict[str, str]) -> None:
    code, out = yuqing(env, "route", "test", "--topic", "教育")
    assert code == 2 and f"'教育' is not a topic of {Path(env['YUQING_CONFIG_DIR']) / 'taxonomy.yaml'}" in out


def test_a_region_the_gazetteer_does_not_know_is_answered_with_the_deployments_own_place(env: dict[str, str]) -> None:
    """A review (成都市武侯区): with every unit and source replaced, help and errors still said 湖南省A市A3区."""
    units = Path(env["YUQING_CONFIG_DIR"]) / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace("湖南省", "四川省").replace("A市", "成都市")
                     .replace("A3区", "武侯区"), encoding="utf-8")
    for command in (["route", "test", "--region", "火星"],
                    ["cases", "open", "--title", "x", "--topic", "就学", "--region", "火星", "--actor", "a",
                     "--reason", "b"]):
        code, out = yuqing(env, *command)
        assert code != 0 and "'火星' names no place the gazetteer knows; write it as 四川省成都市武侯区" in out, out
    for command in (["route", "test", "--help"], ["cases", "open", "--help"]):
        assert "湖南" not in yuqing(env, *command)[1]


def test_an_evaluator_scores_a_cases_handling_and_scoring_again_replaces_it(env: dict[str, str],
                                                                             database: Database) -> None:
    """domain.md §7: the opinion lab's six indicators; the total's colour grades the response, not the event."""
    case_id = open_case(database, grade=Grade.II, risk=60)
    scores = ["--response", "2", "--transparency", "-3", "--credibility", "1", "--order", "2", "--dynamics", "0",
              "--accountability", "0"]
    code, out = yuqing(env, "cases", "assess", str(case_id), "--assessor", "评估组甲", *scores,
                       "--note", "通报避重就轻，联系人张三13812345678")
    assert code == 0 and "total 2 of 41 — 红（应对严重失当，存在重大缺陷）" in out
    out_of_range = yuqing(env, "cases", "assess", str(case_id), "--assessor", "评估组甲", *scores[:-1], "4")
    assert out_of_range[0] == 2 and "--accountability" in out_of_range[1] and "-3<=x<=3" in out_of_range[1]
    code, out = yuqing(env, "cases", "assess", str(case_id), "--assessor", "评估组甲", *scores[:-2], "--dynamics",
                       "3", "--accountability", "3")  # on second thoughts
    assert code == 0 and "total 8 of 41" in out
    [case] = json.loads(yuqing(env, "cases", "list", "--json")[1])
    [assessment] = case["assessments"]  # one row per evaluator: the latest scoring
    assert assessment["assessor"] == "评估组甲" and assessment["total"] == 8 and assessment["level"] == "红"
    trail = [e for e in case["timeline"] if e["action"] == "assessed"]
    assert "13812345678" not in trail[0]["reason"] and "138****5678" in trail[0]["reason"]  # the note, masked
    assert [e["details"]["total"] for e in trail] == [2, 8]  # both scorings stay in the audit trail
    assert trail[0]["reason"].startswith("总分 2（红：应对严重失当，存在重大缺陷）：政府响应 2，信息透明度 -3")
    assert yuqing(env, "cases", "assess", "999", "--assessor", "甲", *scores)[0] == 1


@pytest.mark.parametrize("args", [["cases", "ack", "99999999999999999999", "--actor", "a"],
                                  ["cases", "reopen", "99999999999999999999", "--actor", "a", "--reason", "r"],
                                  ["route", "explain", "99999999999999999999"],
                                  ["notifications", "list", "--case", "99999999999999999999"],
                                  ["notifications", "retry", "99999999999999999999"]])
def test_a_case_number_beyond_what_a_database_holds_is_refused_readably(env: dict[str, str], args: list[str]) -> None:
    """These raised OverflowError from the SQLite driver."""
    code, out = yuqing(env, *args)
    assert code == 2 and "is not in the range 1<=x<=9223372036854775807" in out


def test_retry_sends_the_notifications_once_the_cause_is_fixed(env: dict[str, str], database: Database) -> None:
    """retry said it sends them, and only queued them again."""
    from tests.support.net import free_port
    from tests.support.slack_emulator import DEFAULT_TOKEN, SlackEmulator

    settings_path = Path(env["YUQING_CONFIG_DIR"]) / "settings.yaml"

    def point_slack_at(url: str) -> None:
        settings = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
        settings["notifications"]["slack"]["base_url"] = url
        settings_path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")

    env = {**env, "YUQING_SLACK_TOKEN": DEFAULT_TOKEN}
    point_slack_at(f"http://127.0.0.1:{free_port()}/api/")  # nobody answers there
    open_case(database)
    yuqing(env, "notifications", "send")
    with database.sessions() as session:
        waiting = session.scalars(select(Notification).where(Notification.channel == "slack")).all()
        assert waiting and all(n.status == "retrying" for n in waiting)
    with SlackEmulator() as slack:
        point_slack_at(slack.api_url)
        code, out = yuqing(env, "notifications", "retry")
        assert code == 0 and "due again" in out and "sent or recorded now" in out
        assert len(slack.posts) == len(waiting)
    with database.sessions() as session:
        assert all(n.status == "sent" for n in session.scalars(select(Notification)
                                                               .where(Notification.channel == "slack")))


def test_retry_refuses_ids_the_outbox_does_not_hold_and_names_the_ones_it_leaves_alone(
        env: dict[str, str], database: Database) -> None:
    """A review: `notifications retry 99999` said "1 of the given notification(s) are neither failed nor waiting to be
    retried (sent, pending or unknown ids); left alone" and exited 0."""
    from sqlalchemy import update

    open_case(database)
    yuqing(env, "notifications", "send")  # no channel secret is set: each is recorded in the local file
    recorded, given_up = (row["id"] for row in json.loads(yuqing(env, "notifications", "list", "--json")[1])[:2])
    with database.transaction() as session:  # the outbox gave up on one
        session.execute(update(Notification).where(Notification.id == given_up).values(status="failed"))
    code, out = yuqing(env, "notifications", "retry", str(given_up), "99999", "99998")
    assert code == 1
    assert "no notification #99999, #99998 in this outbox, so nothing was sent again" in out
    assert "`yuqing notifications list` shows the ids (`--status failed` or `--status retrying`" in out
    assert [row["status"] for row in json.loads(yuqing(env, "notifications", "list", "--json", "--status", "failed")[1])
            if row["id"] == given_up] == ["failed"]
    code, out = yuqing(env, "notifications", "retry", str(given_up), str(recorded))
    assert code == 0 and f"left alone, neither failed nor retrying: #{recorded} recorded\n" in out
    assert "1 notification(s) due again" in out
    with database.sessions() as session:
        assert session.get(Notification, given_up).status == "sent"  # recorded this time


def test_the_list_says_when_a_waiting_notification_is_tried_next_and_which_were_given_up(
        env: dict[str, str], database: Database) -> None:
    """The list showed "retrying at -": not when the outbox would try again, nor, once failed, that it had given up."""
    from alerts.notifiers import build_notifiers
    from alerts.outbox import OutboxWorker
    from tests.support.net import free_port
    from tests.support.slack_emulator import DEFAULT_TOKEN
    from yuqing.settings import load_config

    settings_path = Path(env["YUQING_CONFIG_DIR"]) / "settings.yaml"
    settings = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
    settings["notifications"]["slack"]["base_url"] = f"http://127.0.0.1:{free_port()}/api/"  # nobody answers there
    settings_path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    env = {**env, "YUQING_SLACK_TOKEN": DEFAULT_TOKEN}
    open_case(database)
    yuqing(env, "notifications", "send")

    def shown(n: Notification) -> str:
        [line] = [ln for ln in yuqing(env, "notifications", "list")[1].splitlines() if ln.startswith(f"#{n.id} ")]
        return line

    with database.sessions() as session:
        waiting = session.scalars(select(Notification).where(Notification.channel == "slack")).all()
    assert waiting and all(n.status == "retrying" for n in waiting)
    for n in waiting:  # in the configured zone (Asia/Shanghai), as the scheduled time
        assert f"retrying next try {n.next_attempt_at.astimezone(TZ).isoformat()[:16]}" in shown(n)
    [row] = [r for r in json.loads(yuqing(env, "notifications", "list", "--json")[1]) if r["id"] == waiting[0].id]
    assert row["next_attempt_at"] == waiting[0].next_attempt_at.astimezone(TZ).isoformat() and not row["given_up"]

    # the outbox gives up on them (one attempt allowed, none of the 24 hours' patience)
    config = load_config(env["YUQING_CONFIG_DIR"])
    later = ManualClock(max(n.next_attempt_at for n in waiting))
    OutboxWorker(database, build_notifiers(config, env, clock=later), later, max_attempts=1,
                 give_up_after_s=0).run_once()
    line = shown(waiting[0])
    assert "failed   given up (`yuqing notifications retry` sends it again)" in line and "next try" not in line
    [row] = [r for r in json.loads(yuqing(env, "notifications", "list", "--json")[1]) if r["id"] == waiting[0].id]
    assert row["given_up"] and row["next_attempt_at"] is None


def test_a_case_is_handed_to_another_unit_from_the_command_line(env: dict[str, str], database: Database) -> None:
    case_id = open_case(database)
    code, out = yuqing(env, "cases", "reassign", str(case_id), "--unit", "a-nowhere", "--actor", "办公室",
                       "--reason", "属地错误")
    assert code == 1 and "no unit 'a-nowhere'" in out
    code, out = yuqing(env, "cases", "reassign", str(case_id), "--unit", "a-edu", "--actor", "办公室",
                       "--reason", "涉及全市多所学校")
    assert code == 0 and f"case {case_id} is now with a-edu" in out
    code, out = yuqing(env, "cases", "show", str(case_id))
    assert "转办" in out or "reassigned" in out


def test_a_case_number_that_is_no_number_is_refused_readably(env: dict[str, str]) -> None:
    """click said "'abc' is not a valid integer range"."""
    code, out = yuqing(env, "cases", "show", "abc")
    assert code == 2 and "'abc' is not a number" in out and "yuqing cases list" in out


def test_a_reopened_case_lists_its_new_rounds_deadline_as_next(env: dict[str, str], database: Database) -> None:
    """cases list named the first round's overdue deadline as the next one, long after the case was reopened."""
    # Grade II, opened 2026-03-02 09:00: a Weibo post meets the release, not the report upward or the press conference
    case_id = open_case(database, grade=Grade.II, risk=60)
    assert yuqing(env, "cases", "respond", str(case_id), "--actor", "教育局", "--text", "已通报", "--channel",
                  "weibo")[0] == 0
    assert yuqing(env, "cases", "close", str(case_id), "--actor", "教育局")[0] == 0
    [closed] = [ln for ln in yuqing(env, "cases", "list")[1].splitlines() if ln.startswith(f"#{case_id}")]
    assert "closed" in closed and "report_upward" not in closed and "press_conference" not in closed  # nothing due
    code, out = yuqing(env, "cases", "reopen", str(case_id), "--actor", "督查室", "--reason", "家长再次集中反映")
    assert code == 0, out
    [line] = [ln for ln in yuqing(env, "cases", "list")[1].splitlines() if ln.startswith(f"#{case_id}")]
    assert "#reopen1" in line, line
    shown = yuqing(env, "cases", "show", str(case_id))[1]
    assert "（前一轮，已考核，不再督办）" in shown and "（前一轮，已考核，不再督办）" not in shown.split("#reopen1")[-1]


def test_a_case_opened_for_a_unit_nobody_can_reach_says_so(env: dict[str, str], database: Database) -> None:
    """'0 alert(s) queued' and nothing more, while the case's acknowledgement timer ran."""
    units = Path(env["YUQING_CONFIG_DIR"]) / "units.yaml"
    text = units.read_text(encoding="utf-8")
    old = 'contacts: {slack_channel: "#a3-edu", email: edu@a3.gov.example}'
    assert old in text
    units.write_text(text.replace(old, "contacts: {}"), encoding="utf-8")
    code, out = yuqing(env, "cases", "open", "--title", "A3区某中学学生坠楼", "--topic", "就学", "--region",
                       "湖南省A市A3区", "--grade", "IV", "--actor", "市教育局", "--reason", "上级交办")
    assert code == 0 and "0 alert(s) queued" in out
    assert "warning: nobody was alerted: a3-edu has no contacts in units.yaml" in out


def test_a_sandboxs_board_messages_are_judged_where_its_simulated_run_stopped(env: dict[str, str]) -> None:
    """A demo or a replay runs its clock ahead of the real one; its case page is shown where the run stopped, and so
    is `cases show` in the sandbox: on the real clock a reply the simulated run recorded read as not given yet."""
    from alerts.cases import record_simulated_run_end
    from yuqing.db.models import BoardMessage

    sandboxed = {**env, "YUQING_SANDBOX": "trial"}
    assert yuqing(sandboxed, "db", "upgrade")[0] == 0
    db = Database(f"sqlite:///{Path(env['YUQING_HOME']) / 'sandboxes' / 'trial' / 'yuqing.db'}")
    received, ended = datetime(2030, 1, 7, 9, 0, tzinfo=TZ), datetime(2030, 1, 12, 9, 0, tzinfo=TZ)
    try:
        prepare(db, shipped_config())
        with db.transaction() as session:
            case = Case(event_id="evt-board", title="A3区金星小区火灾", topic="安全生产", grade="IV",
                        unit_id="a3-emergency", opened_at=received, updated_at=received, state="responded",
                        source_type="message_board")
            session.add(case)
            session.flush()
            session.add(BoardMessage(case_id=case.id, post_id="m-1", title="建议彻查金星小区火灾隐患", received_at=received,
                                     kind="reply_suggestion", due_at=datetime(2030, 1, 17, tzinfo=TZ), basis="皖政办",
                                     replied_at=datetime(2030, 1, 10, 10, 0, tzinfo=TZ), replier="A3区应急管理局"))
            record_simulated_run_end(session, started=received, ended=ended, real=datetime.now(TZ), by="replay")
            case_id = case.id
    finally:
        db.dispose()
    code, out = yuqing(sandboxed, "cases", "show", str(case_id))
    assert code == 0, out
    assert ("message reply_suggestion due 2030-01-17 00:00  answered 2030-01-10 10:00 on time  — 建议彻查金星小区火灾隐患"
            in out)


def test_a_board_reply_entered_by_hand_answers_no_message_and_meets_no_reply_deadline(
        env: dict[str, str], database: Database) -> None:
    """A review: `respond --channel message_board` by hand marked the case's 答复投诉 deadline met (late) while the
    letter that set it stayed unanswered in `cases show` and the workbook — one letter, two verdicts. Only the board's
    own reply, collected with its letter, answers a letter: a hand-entered one names none, and meets only the public
    deadlines."""
    from yuqing.db.models import BoardMessage

    with database.transaction() as session:
        case = open_or_update_case(session, make_event(title="投诉A3区某小区物业乱收费", grade=Grade.IV), "graded_event",
                                   shipped_config(), ManualClock(MONDAY_9AM), source_type="message_board").case
        [deadline] = case.deadlines
        assert deadline.kind.startswith("reply_")
        session.add(BoardMessage(case_id=case.id, post_id="m-1", title="投诉某小区物业乱收费", received_at=MONDAY_9AM,
                                 kind=deadline.kind, due_at=deadline.due_at, basis=deadline.basis))
        case_id = case.id
    code, out = yuqing(env, "cases", "respond", str(case_id), "--actor", "A3区住建局", "--channel", "message_board",
                       "--text", "已在留言板答复")
    assert code == 0 and "answers no board message" in out and "1 of the case's messages still unanswered" in out, out
    code, out = yuqing(env, "cases", "show", str(case_id))
    assert code == 0, out
    [line] = [ln for ln in out.splitlines() if ln.strip().startswith(f"deadline {deadline.kind}")]
    assert "完成" not in line, line  # neither 按时完成 nor 逾期完成: the letter is still owed its reply
    assert "1 unanswered" in out and "OVERDUE, unanswered" in out
    with database.sessions() as session:
        met = session.scalars(select(Deadline.met_at).where(Deadline.case_id == case_id)).all()
    assert met == [None]


def test_hints_inside_a_sandbox_name_the_sandbox(env: dict[str, str]) -> None:
    """`yuqing --sandbox X cases ack 99` said "list cases with `yuqing cases list`": typed as shown, that and the
    reopen it suggested for a closed case acted on the deployment's cases of the same numbers (a review, 2026-11-27).
    `cases respond` on a closed case named no command at all."""
    sandboxed = {**env, "YUQING_SANDBOX": "trial"}
    assert yuqing(sandboxed, "db", "upgrade")[0] == 0
    db = Database(f"sqlite:///{Path(env['YUQING_HOME']) / 'sandboxes' / 'trial' / 'yuqing.db'}")
    try:
        prepare(db, shipped_config())
        with db.transaction() as session:
            case = Case(event_id="evt-closed", title="A3区金星小区物业投诉", topic="住房保障", grade="IV",
                        unit_id="a3-housing", opened_at=MONDAY_9AM, updated_at=MONDAY_9AM, state="closed",
                        closed_at=MONDAY_9AM + timedelta(hours=2))
            session.add(case)
            session.flush()
            case_id = case.id
    finally:
        db.dispose()
    code, out = yuqing(sandboxed, "cases", "ack", "99", "--actor", "张三")
    assert code == 1 and "list cases with `yuqing --sandbox trial cases list`" in out
    code, out = yuqing(sandboxed, "cases", "ack", str(case_id), "--actor", "李四")
    assert code == 1 and f"`yuqing --sandbox trial cases reopen {case_id}`" in out
    code, out = yuqing(sandboxed, "cases", "respond", str(case_id), "--actor", "李四", "--text", "情况通报")
    assert code == 1 and f"`yuqing --sandbox trial cases reopen {case_id}" in out
    (Path(env["YUQING_HOME"]) / "sandboxes" / "fresh").mkdir()  # a sandbox with no database yet
    code, out = yuqing({**env, "YUQING_SANDBOX": "fresh"}, "cases", "list")
    assert code == 1 and "start one here with `yuqing --sandbox fresh db upgrade`" in out
