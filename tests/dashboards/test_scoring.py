"""Evaluators score a case on its page (domain.md §7): a passphrase from the environment names who scored, a
refused form loses nothing typed, and nothing is stored without a known passphrase. Over real SQLite, through
HTTP (Starlette's test client)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from sqlalchemy import select
from starlette.testclient import TestClient

from dashboards.app import create_app
from dashboards.scoring import EvaluatorConfigError, Evaluators
from tests.dashboards.test_dashboard_pages import NOW, cut, seed_cases
from yuqing.clock import ManualClock
from yuqing.db.models import Case, CaseEvent, ResponseAssessment
from yuqing.db.session import Database, upgrade
from yuqing.db.transfer import copy_workflow
from yuqing.es.indices import IndexLayout

PASSPHRASE = "correct-horse-battery-staple"
SCORES = {"response": "6", "transparency": "5", "credibility": "4", "order": "3", "dynamics": "2",
          "accountability": "1.5"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Database, int]]:
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    upgrade(url)
    db = Database(url)
    ids = seed_cases(db)
    down = Elasticsearch("http://127.0.0.1:9", request_timeout=1, max_retries=0)  # the case page needs only SQL
    app = create_app(down, IndexLayout("yuqing-test-scoring"), db, cut, ManualClock(NOW),
                     evaluators=Evaluators.parse(f"王评估:{PASSPHRASE};李评估:another-long-passphrase"))
    with TestClient(app) as client:
        yield client, db, ids["late"]
    db.dispose()


def stored(db: Database) -> list[tuple[str, float, str]]:
    with db.sessions() as session:
        return [(a.assessor, a.total, a.note) for a in session.scalars(select(ResponseAssessment))]


def test_an_evaluator_scores_a_case_on_its_page(site) -> None:  # type: ignore[no-untyped-def]
    client, db, case_id = site
    page = client.get(f"/cases/{case_id}").text
    assert 'id="score-form"' in page and 'name="passphrase"' in page
    response = client.post(f"/cases/{case_id}/assess", data={**SCORES, "note": "回应及时，联系人王建国13812345678",
                                                              "passphrase": PASSPHRASE}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/cases/{case_id}?assessed=1#assessments"
    assert stored(db) == [("王评估", 21.5, "回应及时，联系人王**138****5678")]  # the note de-identified
    with db.sessions() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.action == "assessed")).one()
        assert event.actor == "王评估" and event.details["total"] == 21.5
    shown = client.get(response.headers["location"]).text
    assert "评分已保存" in shown and "21.5 · 蓝（应对总体较为得体）" in shown
    assert "评分已保存" not in client.get(f"/cases/{case_id}?assessed=管理员").text  # the page does not take a name
    half = client.post(f"/cases/{case_id}/assess", data={**SCORES, "credibility": "4.3333", "passphrase": PASSPHRASE})
    assert half.status_code == 400 and "政府公信力 4.3333：请按整分或半分评分" in half.text
    huge_id = client.post("/cases/99999999999999999999/assess", data={**SCORES, "passphrase": PASSPHRASE})
    assert huge_id.status_code == 404


def test_a_wrong_passphrase_stores_nothing_and_keeps_what_was_typed(site) -> None:  # type: ignore[no-untyped-def]
    client, db, case_id = site
    response = client.post(f"/cases/{case_id}/assess", data={**SCORES, "note": "待核实", "passphrase": "guess"})
    assert response.status_code == 403 and "评估口令不正确" in response.text
    assert 'name="response" min="-10" max="10" step="0.5" required value="6"' in response.text
    assert "待核实</textarea>" in response.text and stored(db) == []


def test_a_score_out_of_range_is_named_and_nothing_is_stored(site) -> None:  # type: ignore[no-untyped-def]
    client, db, case_id = site
    response = client.post(f"/cases/{case_id}/assess", data={**SCORES, "order": "9", "passphrase": PASSPHRASE})
    assert response.status_code == 400 and "评分未保存：恢复秩序 9 超出范围（-5 至 5 分）" in response.text
    assert 'name="order" min="-5" max="5" step="0.5" required value="9"' in response.text and stored(db) == []
    huge = client.post(f"/cases/{case_id}/assess", content=b"note=" + b"x" * 70_000,
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert huge.status_code == 413 and stored(db) == []


def test_without_evaluators_the_page_says_how_to_score(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    upgrade(url)
    db = Database(url)
    case_id = seed_cases(db)["late"]
    app = create_app(Elasticsearch("http://127.0.0.1:9", request_timeout=1, max_retries=0),
                     IndexLayout("yuqing-test-scoring"), db, cut, ManualClock(NOW))
    with TestClient(app) as client:
        page = client.get(f"/cases/{case_id}").text
        assert 'id="score-form"' not in page and "YUQING_EVALUATORS" in page and f"yuqing cases assess {case_id}" in page
        refused = client.post(f"/cases/{case_id}/assess", data={**SCORES, "passphrase": PASSPHRASE})
        assert refused.status_code == 403 and stored(db) == []
    db.dispose()


@pytest.mark.parametrize(("value", "problem"), [
    ("王评估:short", "at least 12"),
    ("王评估", "name:passphrase"),
    ("王评估:same-long-passphrase;李评估:same-long-passphrase", "share a passphrase"),
    ("王评估:one-long-passphrase;王评估:another-long-passphrase", "appears twice"),
])
def test_a_malformed_evaluators_variable_is_refused_with_how_to_fix_it(value: str, problem: str) -> None:
    with pytest.raises(EvaluatorConfigError, match=problem):
        Evaluators.parse(value)


def test_passphrases_name_their_evaluator() -> None:
    evaluators = Evaluators.parse(f" 王评估 : {PASSPHRASE} ;")
    assert evaluators.who(PASSPHRASE) == "王评估" and evaluators.who(PASSPHRASE[:-1]) is None
    assert not Evaluators.parse("")  # unset: nobody scores on the web


@pytest.mark.parametrize("typed", ["1e1", "５", "1_0", "٣", "nan", "inf", "0x5", "abc"])
def test_only_plain_numbers_are_scores(site, typed: str) -> None:  # type: ignore[no-untyped-def]
    """float() reads 1e1, 1_0, full-width and Arabic-Indic digits; nobody types those meaning a score."""
    client, db, case_id = site
    response = client.post(f"/cases/{case_id}/assess", data={**SCORES, "order": typed, "passphrase": PASSPHRASE})
    assert response.status_code == 400 and f"恢复秩序“{typed}”不是数字" in response.text and stored(db) == []
    assert "is not" not in response.text and "超出范围" not in response.text  # said in Chinese, and not as a range


def test_a_missing_score_and_an_over_long_note_are_said_in_chinese(site) -> None:  # type: ignore[no-untyped-def]
    client, db, case_id = site
    response = client.post(f"/cases/{case_id}/assess", data={**SCORES, "credibility": "", "passphrase": PASSPHRASE})
    assert response.status_code == 400 and "政府公信力未评分（-10 至 10 分）" in response.text and stored(db) == []
    long = client.post(f"/cases/{case_id}/assess", data={**SCORES, "note": "好" * 2001, "passphrase": PASSPHRASE})
    assert long.status_code == 400 and "说明有 2001 字，请控制在 2000 字以内" in long.text and stored(db) == []
    assert "好" * 2001 + "</textarea>" in long.text  # what was typed is shown again, not lost


def test_a_half_point_written_as_a_browser_may_write_it_is_a_score(site) -> None:  # type: ignore[no-untyped-def]
    client, db, case_id = site
    response = client.post(f"/cases/{case_id}/assess", data={**SCORES, "accountability": ".5", "dynamics": "2.",
                                                              "passphrase": PASSPHRASE}, follow_redirects=False)
    assert response.status_code == 303 and stored(db)[0][1] == 20.5


def test_the_case_page_shows_the_panels_mean_and_its_band_beside_each_score(site) -> None:  # type: ignore[no-untyped-def]
    """An evaluator review: the case page listed each evaluator's total and band, but not the panel's mean the
    evaluation judges 回应不妥当 on, so a 蓝 and an 橙 left the reader to work out the 黄 that counts."""
    client, db, case_id = site
    client.post(f"/cases/{case_id}/assess", data={**SCORES, "passphrase": PASSPHRASE})  # 21.5 蓝
    client.post(f"/cases/{case_id}/assess", data={**SCORES, "response": "0", "transparency": "2", "credibility": "1",
                                                  "passphrase": "another-long-passphrase"})  # 9.5 红
    page = client.get(f"/cases/{case_id}").text
    table = page[page.index('id="assessments"'):page.index("</table>", page.index('id="assessments"'))]
    assert "21.5 · 蓝（应对总体较为得体）" in table and "9.5 · 红（应对严重失当，存在重大缺陷）" in table
    mean = table[table.index('id="panel-mean"'):]
    assert "评估组平均（2 人" in mean and "15.5 · 黄（应对有待进一步加强）" in mean
    # a grade III/IV case's panel grades the response; no accountability finding follows from it (a review)
    with db.sessions() as session:
        grade = session.get(Case, case_id).grade  # type: ignore[union-attr]
    assert ("不作问责认定" in mean) == (grade not in ("I", "II"))
    assert 'class="flag"' not in mean  # the mean is not red, whatever one evaluator gave
    evaluator = client.get("/evaluator").text
    assert "15.5 分 · 黄（应对有待进一步加强）" in evaluator  # the same figure the evaluation judges on


def test_a_score_on_a_dashboard_left_running_after_the_database_moved_is_refused_not_lost(  # type: ignore[no-untyped-def]
        site, tmp_path: Path) -> None:
    """`yuqing db copy` moved the deployment while this dashboard kept serving the old file: the score is refused
    with where to go, instead of being stored where the new database never sees it (review3 H1)."""
    client, db, case_id = site
    target_url = f"sqlite:///{tmp_path / 'moved.db'}"
    upgrade(target_url)
    target = Database(target_url)
    copy_workflow(db, target)
    response = client.post(f"/cases/{case_id}/assess", data={**SCORES, "passphrase": PASSPHRASE})
    assert response.status_code == 503
    assert f"was copied to {target_url} at " in response.text and f"YUQING_DATABASE_URL (or database.url in " \
           f"settings.yaml) to {target_url}" in response.text
    assert stored(db) == []
    with target.sessions() as session:
        assert list(session.scalars(select(ResponseAssessment))) == []
    target.dispose()
