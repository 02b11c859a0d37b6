"""`yuqing replay` over a small JSON-lines file: the whole pipeline on a simulated clock, until every
deadline has fallen due with nobody acknowledging — cases, deadlines, reminders and escalations."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch

from alerts.escalation import Escalator
from alerts.replay import ReplayInputError, read_posts
from tests.alerts.casekit import TZ, deployment, index_prefix, shipped_config
from tests.support.locks import wait_until_blocked
from yuqing.cli import main
from yuqing.es.indices import IndexLayout

START = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
SCHOOL = ["A3区某小学食堂多名学生午饭后腹泻呕吐送医", "家长反映A3区某小学学生在食堂吃饭后集体腹泻，学校至今没有说法",
          "A3区小学食堂疑似食物中毒，十余名学生送医院治疗", "孩子在A3区某小学食堂吃了午饭后上吐下泻，食堂卫生谁来管"]
BLAST = ["A市化工园区一化工厂发生爆炸事故已造成12人死亡", "A市化工厂爆炸事故死亡人数升至12人，另有多人受伤",
         "直击A市化工厂爆炸现场：12人死亡，消防全力救援"]
CITY = ["A市地铁2号线今日起调整运营时间", "A市图书馆周末举办读书分享会"]


def line(post_id: str, at: datetime, text: str, *, district: str | None = None, tier: str = "self-media") -> str:
    return json.dumps({"id": post_id, "source": "demo_weibo", "source_type": "weibo", "published_at": at.isoformat(),
                       "fetched_at": at.isoformat(), "title": text[:30], "text": text, "media_tier": tier,
                       "region": {"province": "湖南省", "city": "A市", "district": district}}, ensure_ascii=False)


@pytest.fixture
def posts_file(tmp_path: Path) -> Path:
    lines = [line(f"school-{i}", START + timedelta(minutes=5 * i), SCHOOL[i % len(SCHOOL)] + f"（网友{i}）",
                  district="A3区") for i in range(12)]
    lines += [line(f"blast-{i}", START + timedelta(hours=3, minutes=10 * i), BLAST[i % len(BLAST)] + f"（{i}）",
                   tier="provincial") for i in range(6)]
    lines += [line(f"city-{i}", START + timedelta(minutes=40 * i + 7), text) for i, text in enumerate(CITY)]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def replayed(tmp_path: Path, es_node: str, posts: Path) -> tuple[str, list[dict], list[dict], Path]:
    """``yuqing replay`` over ``posts`` in a fresh deployment: its output, the cases, the notifications and the
    deployment's state directory."""
    env = deployment(tmp_path, es_node)
    runner = CliRunner()
    try:
        result = runner.invoke(main, ["replay", "--posts", str(posts), "--speed", "1e9"], env=env,
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "yuqing --sandbox replay cases list --json" in result.output
        cases = json.loads(runner.invoke(main, ["--sandbox", "replay", "cases", "list", "--json"], env=env).output)
        sent = json.loads(runner.invoke(main, ["--sandbox", "replay", "notifications", "list", "--json"],
                                        env=env).output)
        # The replay's simulated cases stay in its sandbox: the deployment's database and indices see none.
        assert "no workflow database at" in runner.invoke(main, ["cases", "list", "--json"], env=env).output
        assert not Elasticsearch(es_node).indices.exists(index=f"{index_prefix(env)}-posts")
        assert Elasticsearch(es_node).indices.exists(index=f"{index_prefix(env)}-sandbox-replay-posts")
    finally:
        IndexLayout(index_prefix(env)).delete_all(Elasticsearch(es_node))
        IndexLayout(f"{index_prefix(env)}-sandbox-replay").delete_all(Elasticsearch(es_node))
    return result.output, cases, sent, Path(env["YUQING_HOME"]) / "sandboxes" / "replay"


@pytest.mark.timeout(600)
def test_replay_opens_cases_sets_deadlines_and_escalates_when_nobody_acknowledges(
        tmp_path: Path, es_node: str, posts_file: Path) -> None:
    output, cases, sent, home = replayed(tmp_path, es_node, posts_file)
    assert "[2026-03-02 09:00] case 1 opened by graded_event" in output

    by_title = {c["title"][:6]: c for c in cases}
    school, blast = by_title["A3区某小学"], by_title["A市化工园区"]
    assert len(cases) == 2  # city news opens nothing
    assert school["grade"] == "III" and blast["grade"] in ("I", "II")
    opened = datetime.fromisoformat(school["opened_at"])
    assert opened == START
    dues = {d["kind"]: datetime.fromisoformat(d["due_at"]) - opened for d in school["deadlines"]}
    assert dues["response"] == timedelta(hours=48)
    # food poisoning makes it sensitive (policy.yaml deadlines.sensitive_cues): reported upward within 2 h of the
    # update that brought the cue
    assert set(dues) == {"response", "report_upward"} and timedelta(hours=2) <= dues["report_upward"] < timedelta(hours=4)
    blast_opened = datetime.fromisoformat(blast["opened_at"])
    assert [(d["kind"], datetime.fromisoformat(d["due_at"]) - blast_opened) for d in blast["deadlines"]] == [
        ("report_upward", timedelta(hours=2)), ("authoritative_release", timedelta(hours=5)),
        ("press_conference", timedelta(hours=24))]
    assert [u for u in blast["joint_units"] if u in ("a-publicity", "a-cac", "a-police", "hn-telecom")] == [
        "a-publicity", "a-cac", "a-police", "hn-telecom"]
    if school["topic"] == "就学":  # with the topic model trained, the A3 school case is A3's education bureau's
        assert school["unit"] == "a3-edu"

    escalator = Escalator(shipped_config())
    top = {c["id"]: len(escalator.leader_chain(c["unit"], c["grade"])) for c in cases}
    assert top[school["id"]] == 2 and top[blast["id"]] >= 3  # a major case reaches past its unit's city bureau
    for case in cases:
        assert case["state"] == "escalated" and case["acknowledged_at"] is None
        for deadline in case["deadlines"]:  # every deadline fell due, after reminders at 50 % and 80 %
            assert deadline["overdue_at"] == deadline["due_at"] and deadline["reminded"] == [0.5, 0.8]
            assert deadline["escalation_level"] == top[case["id"]]
        actions = Counter(e["action"] for e in case["timeline"])
        # silence and each deadline: a step per level (a major case's missed deadline every level at once)
        assert actions["escalated"] == top[case["id"]] * (1 + len(case["deadlines"]))
        assert actions["reminded"] == 2 * len(case["deadlines"])

    kinds = Counter(n["kind"] for n in sent)
    assert {"alert", "reminder", "escalation", "digest"} <= set(kinds)
    assert all(n["status"] == "recorded" and n["sent_at"] == n["scheduled_at"] for n in sent)  # replay records, it does not send
    levels = Counter((n["case_id"], n["escalation_level"]) for n in sent if n["kind"] == "escalation")
    assert set(levels) == {(c["id"], level) for c in cases for level in range(1, top[c["id"]] + 1)}
    deliveries = (home / "replay-deliveries.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(deliveries) == len(sent)


def test_a_bad_line_is_named_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(line("a", START, "正常") + "\n" + '{"id": "b", "source": "x"}\n', encoding="utf-8")
    with pytest.raises(ReplayInputError, match=r"posts.jsonl:2: no published_at or fetched_at"):
        read_posts(path)
    path.write_text(line("a", START, "正常") + "\n" + '{"id": "b", "published_at": "2026-03-02T09:00:00+08:00", '
                    '"media_tier": "tabloid"}\n', encoding="utf-8")
    with pytest.raises(ReplayInputError, match=r"posts.jsonl:2: media_tier is no known tier; use one of"):
        read_posts(path)


def test_an_unknown_source_type_is_refused_naming_its_line_and_the_known_types(tmp_path: Path) -> None:
    """A review (L2): "board" for message_board was taken silently, and the complaint got a news post's 48 h
    response deadline instead of its 15 working days, and no board messages."""
    path = tmp_path / "posts.jsonl"
    path.write_text(line("a", START, "正常") + "\n" + '{"id": "b", "text": "小区停车难", "source_type": "board", '
                    '"published_at": "2026-03-02T09:00:00+08:00"}\n', encoding="utf-8")
    with pytest.raises(ReplayInputError, match=r"posts.jsonl:2: source_type is no known source type \(did you mean "
                                               r"message_board\?\); use one of news, rss, sitemap, message_board"):
        read_posts(path)


def test_a_replayed_post_takes_its_tier_from_its_source_as_replay_reads_it(tmp_path: Path) -> None:
    """A review (rdiff 11): replay's tier lookup had no test. 人民日报 is central, a board letter (source "board" or
    source_type message_board) is a citizen's post, a source nobody names is unknown, a line's own tier wins."""
    from analysis.media_outlets import MediaOutlets

    config = shipped_config()
    at = START.isoformat()
    rows = [{"id": "a", "source": "人民日报"}, {"id": "b", "source": "board"},
            {"id": "c", "source": "A市政务留言", "source_type": "message_board"}, {"id": "d", "source": "某县论坛"},
            {"id": "e", "source": "人民日报", "media_tier": "local"}]
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps({**r, "text": "A市化工厂发生爆炸", "published_at": at}, ensure_ascii=False) + "\n"
                            for r in rows), encoding="utf-8")
    outlets = MediaOutlets.for_config(config.directory, config.sources.sources)
    posts = read_posts(path, TZ, resolve_tier=outlets.tier_of)
    assert {p.id: p.media_tier.value for p in posts} == {"a": "central", "b": "self-media", "c": "self-media",
                                                         "d": "unknown", "e": "local"}


def test_a_deployments_outlet_table_gives_a_folder_of_a_site_its_own_tier(tmp_path: Path) -> None:
    """A deployment names its paper's site (local) and, by host and folder, the readers' forum on it (citizens'
    posts): the folder wins over the domain, the longest folder first, the host compared exactly and the folder whole
    (/bbsnews/ is not /bbs/), whether the post's url or its source gives the address."""
    from analysis.media_outlets import MediaOutlets

    (tmp_path / "media_outlets.yaml").write_text(
        "outlets:\n"
        "  - {name: 长沙晚报, domains: [icswb.com], paths: [www.icswb.com/bbs/notice/], tier: local}\n"
        "  - {name: 长沙晚报网友社区, paths: [www.icswb.com/bbs], tier: self-media}\n", encoding="utf-8")
    rows = [{"id": "a", "url": "https://www.icswb.com/bbs/thread-123-1-1.html"},
            {"id": "b", "url": "https://www.icswb.com/news/2026/x.html"},
            {"id": "c", "source": "www.icswb.com/bbs/thread-124-1-1.html"},
            {"id": "d", "url": "https://www.icswb.com/bbs/notice/1.html"},
            {"id": "e", "url": "https://www.icswb.com/bbsnews/x.html"},
            {"id": "f", "url": "https://m.icswb.com/bbs/thread-123-1-1.html"},
            {"id": "g", "url": "https://www.icswb.com/bbs?fid=2"}]
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps({**r, "text": "A市化工厂发生爆炸", "published_at": START.isoformat()},
                                       ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    outlets = MediaOutlets.for_config(tmp_path, shipped_config().sources.sources)
    posts = read_posts(path, TZ, resolve_tier=outlets.tier_of)
    assert {p.id: p.media_tier.value for p in posts} == {"a": "self-media", "b": "local", "c": "self-media",
                                                         "d": "local", "e": "local", "f": "local", "g": "self-media"}


def test_replay_refuses_to_start_on_a_broken_media_outlet_table_listing_each_problem(tmp_path: Path) -> None:
    """A review (rdiff 6): run, replay and demo did not check config/media_outlets.yaml, although config check says
    its checks are theirs at start-up. Nothing is touched: no database is created."""
    env = deployment(tmp_path, "http://127.0.0.1:9")
    Path(env["YUQING_CONFIG_DIR"], "media_outlets.yaml").write_text(
        "outlets:\n  - {name: 本地日报, domains: [https://bendi.cn/], tier: provincial}\n  - {name: 晚报, tier: tabloid}\n",
        encoding="utf-8")
    posts = tmp_path / "posts.jsonl"
    posts.write_text(line("a", START, "A市图书馆周末举办读书分享会") + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["replay", "--posts", str(posts)], env=env)
    assert result.exit_code == 2, result.output
    assert "refusing to start: the media outlet table cannot be used" in result.output
    assert "media_outlets.yaml: outlets[0].domains: 'https://bendi.cn/' is no domain" in result.output
    assert "media_outlets.yaml: outlets[1].tier" in result.output and "'tabloid'" in result.output
    assert not (tmp_path / "yuqing.db").exists()


def test_lines_as_analyze_reads_them_are_accepted(tmp_path: Path) -> None:
    from analysis.region import resolve_region

    path = tmp_path / "posts.jsonl"
    path.write_text('{"id": 7, "text": "A3区某小学食堂食物中毒", "published_at": "2026-03-02 09:00", '
                    '"region": "湖南省A市"}\n', encoding="utf-8")
    (post,) = read_posts(path, resolve_region=resolve_region)
    assert post.id == "7" and post.source == "jsonl"
    assert post.published_at is not None and post.published_at.utcoffset() == timedelta(hours=8)
    assert post.region is not None and post.region.city == "A市"


@pytest.fixture
def pipeline(database, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path):  # type: ignore[no-untyped-def]
    from alerts.wiring import build_pipeline
    from tests.alerts.casekit import shipped_config
    from yuqing.clock import ManualClock

    clock = ManualClock(START + timedelta(hours=1))
    return build_pipeline(shipped_config(), database, es_client, es_layout, clock, live=False, state_dir=tmp_path)


def _index_as_the_crawler_does(pipeline, posts: list, spool: Path) -> None:  # type: ignore[no-untyped-def]
    """Enriched and indexed without an event, as the crawler's item pipeline leaves them."""
    from yuqing.es.writer import BulkWriter, post_document

    writer = BulkWriter(pipeline.es, pipeline.layout.posts, spool, refresh=True)
    writer.add_many(post_document(p, pipeline.cut) for p in pipeline.enrich(posts))
    writer.flush()


def test_posts_the_crawler_indexed_are_clustered_and_open_a_case(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from yuqing.contract import Post

    posts = [Post.model_validate_json(line(f"school-{i}", START + timedelta(minutes=5 * i),
                                           SCHOOL[i % len(SCHOOL)] + f"（网友{i}）", district="A3区"))
             for i in range(4)]
    _index_as_the_crawler_does(pipeline, posts, tmp_path / "spool")
    report = pipeline.evaluate()
    assert len(report.opened) == 1
    hits = pipeline.es.search(index=pipeline.layout.posts.alias, query={"exists": {"field": "event_id"}})
    assert hits["hits"]["total"]["value"] == 4  # every post now names its event
    again = pipeline.evaluate()
    assert again.opened == [] and again.matches  # the same event matches again: still one case


def test_a_crash_while_storing_events_loses_no_event(database, es_client: Elasticsearch, es_layout: IndexLayout,  # type: ignore[no-untyped-def]
                                                     tmp_path: Path) -> None:
    """A review killed `yuqing run` right after the posts were marked with their event and before the event and
    the tracker's state were stored: the posts were never offered again, and no case ever opened."""
    from alerts.wiring import build_pipeline
    from tests.alerts.casekit import shipped_config
    from yuqing.clock import ManualClock
    from yuqing.contract import Post

    def start():  # type: ignore[no-untyped-def]
        return build_pipeline(shipped_config(), database, es_client, es_layout, ManualClock(START + timedelta(hours=1)),
                              live=False, state_dir=tmp_path / "state")

    first = start()
    posts = [Post.model_validate_json(line(f"school-{i}", START + timedelta(minutes=5 * i),
                                           SCHOOL[i % len(SCHOOL)] + f"（网友{i}）", district="A3区"))
             for i in range(4)]
    _index_as_the_crawler_does(first, posts, tmp_path / "spool")

    def killed() -> None:
        raise SystemExit(137)

    first.tracker.flush = killed
    with pytest.raises(SystemExit):
        first.evaluate()
    report = start().evaluate()  # the restart
    assert len(report.opened) == 1
    hits = es_client.search(index=es_layout.posts.alias, query={"exists": {"field": "event_id"}})
    assert hits["hits"]["total"]["value"] == 4


def usual_posts(now: datetime) -> list:  # type: ignore[type-arg]
    """Six posts in the hour before this time on each of the six days before: at that rate three silent hours
    are no chance (the rule ignores a source whose usual rate makes silence likely)."""
    from yuqing.contract import Post

    return [Post.model_validate_json(line(f"city-{d}-{i}", now - timedelta(days=d, hours=1, minutes=8 * i),
                                          CITY[(d + i) % 2] + f"（{d}-{i}）"))
            for d in range(1, 7) for i in range(6)]


def test_a_silent_source_alerts_the_press_office_once(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.alerts.casekit import notifications

    posts = usual_posts(pipeline.clock.now())
    _index_as_the_crawler_does(pipeline, posts, tmp_path / "spool")
    pipeline.evaluate()
    pipeline.clock.advance(timedelta(minutes=20))
    pipeline.evaluate()
    silent = [n for n in notifications(pipeline.database) if n.idempotency_key.startswith("flatline:")]
    assert {(n.channel, n.recipient) for n in silent} == {("slack", "#a-gov-office"), ("email", "office@a.gov.example")}
    # the source by its label in sources.yaml; the alert's key keeps its id
    assert silent[0].case_id is None and "来源 微博 A市话题：最近 180 分钟采到 0 条" in silent[0].payload["summary"]
    assert "demo_weibo" in silent[0].idempotency_key


def test_an_official_reply_collected_later_is_the_cases_response_at_its_own_time(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A message first crawled unanswered opens a case; the reply the next crawl collects is recorded as the
    response at the time the unit published it, so the deadline is judged on that time."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from yuqing.contract import Post
    from yuqing.db.models import Case

    def the_case(database):  # type: ignore[no-untyped-def]
        with database.sessions() as session:
            return session.scalars(select(Case).options(selectinload(Case.events), selectinload(Case.deadlines))).one()

    text = "A3区金星小区昨晚发生火灾，造成2人死亡，消防通道长期被堵，请相关部门调查处理"
    message = Post.model_validate({"id": "board-1", "source": "demo_board", "source_type": "message_board",
                                   "published_at": START.isoformat(), "fetched_at": START.isoformat(),
                                   "title": "金星小区火灾", "text": text,
                                   "region": {"province": "湖南省", "city": "A市", "district": "A3区"}})
    _index_as_the_crawler_does(pipeline, [message], tmp_path / "spool")
    assert len(pipeline.evaluate().opened) == 1
    replied_at = START + timedelta(hours=20)
    answered = Post.model_validate({**message.model_dump(), "reply": {
        "text": "经调查，已责令物业清理消防通道并追责。", "replier": "A3区应急管理局", "replied_at": replied_at}})
    pipeline.clock.advance(timedelta(hours=30))  # the crawler saw the reply 10 hours after it was published
    _index_as_the_crawler_does(pipeline, [answered], tmp_path / "spool")
    report = pipeline.evaluate()
    assert any("official reply" in line for line in report.lines)
    case = the_case(pipeline.database)
    assert case.state == "responded" and case.responded_at == replied_at
    # deaths make it sensitive: the 2 h report upward is internal, and a public reply does not meet it
    assert {d.kind for d in case.deadlines} == {"reply_suggestion", "report_upward"}  # (the title 金星小区火灾)
    assert all(d.met_at == replied_at for d in case.deadlines if d.kind != "report_upward")
    pipeline.evaluate()
    assert [e.action for e in the_case(pipeline.database).events].count("responded") == 1  # recorded once


def test_a_reply_given_before_the_case_opened_counts_from_the_opening(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A message answered before the monitoring opened its case: the case's timeline said 已通知 → 已回应 three hours
    before 立案, and the evaluator showed no time to response (negative). As for a response entered by hand, an answer
    published before the case counts as given when it opened; the message itself keeps its reply's own time."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from yuqing.contract import Post
    from yuqing.db.models import BoardMessage, Case

    pipeline.clock.advance(timedelta(hours=3))
    text = "A3区金星小区昨晚发生火灾，造成2人死亡，消防通道长期被堵，请相关部门调查处理"
    message = Post.model_validate({"id": "board-1", "source": "demo_board", "source_type": "message_board",
                                   "published_at": START.isoformat(), "fetched_at": START.isoformat(),
                                   "title": "金星小区火灾", "text": text,
                                   "region": {"province": "湖南省", "city": "A市", "district": "A3区"},
                                   "reply": {"text": "经调查，已责令物业清理消防通道。", "replier": "A3区应急管理局",
                                             "replied_at": (START + timedelta(hours=1)).isoformat()}})
    _index_as_the_crawler_does(pipeline, [message], tmp_path / "spool")
    assert len(pipeline.evaluate().opened) == 1
    with pipeline.database.sessions() as session:
        case = session.scalars(select(Case).options(selectinload(Case.events))).one()
        actions = [e.action for e in sorted(case.events, key=lambda e: (e.at, e.id))]
        assert case.responded_at == case.opened_at and actions.index("opened") < actions.index("responded")
        responded = next(e for e in case.events if e.action == "responded")
        assert (responded.details or {}).get("published_at") == (START + timedelta(hours=1)).isoformat()
        row = session.scalars(select(BoardMessage)).one()
        assert row.replied_at == START + timedelta(hours=1)


def test_a_reply_waiting_for_its_time_survives_a_restart(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A durability review: a board reply waiting in memory (for its case, or for its time) was lost on restart —
    the message is not fetched again once answered — and its case ran overdue and was escalated."""
    from sqlalchemy import select

    from alerts.wiring import build_pipeline
    from tests.alerts.casekit import shipped_config
    from yuqing.clock import ManualClock
    from yuqing.contract import Post
    from yuqing.db.models import Case

    replied_at = START + timedelta(hours=20)
    message = Post.model_validate({"id": "board-1", "source": "demo_board", "source_type": "message_board",
                                   "published_at": START.isoformat(), "fetched_at": START.isoformat(),
                                   "title": "金星小区火灾", "text": "A3区金星小区昨晚发生火灾，造成2人死亡，请相关部门调查处理",
                                   "region": {"province": "湖南省", "city": "A市", "district": "A3区"},
                                   "reply": {"text": "经调查，已责令物业清理消防通道并追责。", "replier": "A3区应急管理局",
                                             "replied_at": replied_at}})
    _index_as_the_crawler_does(pipeline, [message], tmp_path / "spool")
    assert len(pipeline.evaluate().opened) == 1  # the reply's time (START + 20 h) is still to come
    restarted = build_pipeline(shipped_config(), pipeline.database, pipeline.es, pipeline.layout,
                               ManualClock(START + timedelta(hours=30)), live=False, state_dir=tmp_path)
    report = restarted.evaluate()
    assert any("official reply" in line for line in report.lines)
    with pipeline.database.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.state == "responded" and case.responded_at == replied_at


# Three citizens write about one fire on the board: a complaint, a suggestion, and a message that is neither (treated
# as a suggestion, the shorter deadline). One is answered on time, one late, one never.
BOARD_MESSAGES = [
    ("board-1", START, "投诉金星小区消防通道长期被堵", "A3区金星小区昨晚发生火灾，造成2人死亡，消防通道长期被堵，请相关部门调查处理"),
    ("board-2", START + timedelta(hours=1), "建议彻查金星小区火灾隐患",
     "A3区金星小区昨晚发生火灾，造成2人死亡，建议彻查小区消防隐患，请相关部门调查处理"),
    ("board-3", START + timedelta(hours=2), "金星小区火灾后物业无人处理",
     "A3区金星小区昨晚发生火灾，造成2人死亡，物业至今无人处理，请相关部门调查处理"),
]


def _board_message(post_id: str, at: datetime, title: str, text: str, reply_at: datetime | None = None,  # type: ignore[no-untyped-def]
                   fetched_at: datetime | None = None, reply_day_only: bool = False):
    """A message as the crawler indexes it: first unanswered, then fetched again (``fetched_at``) with its reply;
    ``reply_day_only``: the board dated the reply by its day alone (``reply_at`` is then that day's end)."""
    from yuqing.contract import Post

    reply = {"reply": {"text": "经调查，已责令物业清理消防通道并整改。", "replier": "A3区应急管理局", "replied_at": reply_at,
                       **({"replied_precision": "day"} if reply_day_only else {})}}
    return Post.model_validate({"id": post_id, "source": "demo_board", "source_type": "message_board",
                                "published_at": at.isoformat(), "fetched_at": (fetched_at or at).isoformat(), "title": title,
                                "text": text, "region": {"province": "湖南省", "city": "A市", "district": "A3区"},
                                **(reply if reply_at is not None else {})})


@pytest.mark.timeout(600)
def test_each_board_message_of_a_case_is_owed_its_own_reply_across_restarts(database, es_client: Elasticsearch,  # type: ignore[no-untyped-def]
                                                                            es_layout: IndexLayout,
                                                                            tmp_path: Path) -> None:
    """The case was judged on its first reply: one answer to one of three messages made it answered, and the messages
    nobody answered were never counted. Each message now has its row, its own deadline and its own reply — recorded
    after the case's first reply, in a closed case, and after a restart."""
    from sqlalchemy import select

    from alerts.cases import close
    from alerts.wiring import build_pipeline
    from tests.alerts.casekit import shipped_config
    from yuqing.clock import ManualClock
    from yuqing.db.models import BoardMessage, Case
    from yuqing.evaluation import evaluate

    def start(at: datetime):  # type: ignore[no-untyped-def]
        # live: the event tracker's state is saved, as `yuqing run` keeps it, so a restart knows the messages
        return build_pipeline(shipped_config(), database, es_client, es_layout, ManualClock(at), live=True,
                              state_dir=tmp_path / "state")

    def rows() -> dict[str, BoardMessage]:
        with database.sessions() as session:
            return {m.post_id: m for m in session.scalars(select(BoardMessage))}

    first = start(START + timedelta(hours=3))
    _index_as_the_crawler_does(first, [_board_message(*m) for m in BOARD_MESSAGES], tmp_path / "spool")
    report = first.evaluate()
    assert len(report.opened) == 1, report.lines
    assert any("3 board message(s) recorded" in line for line in report.lines)
    found = rows()
    assert {(m.post_id, m.received_at, m.kind, m.due_at, m.replied_at) for m in found.values()} == {
        # a complaint: 15 working days from the day after (03-03 … 03-23); the others 7 (03-03 … 03-11)
        ("board-1", START, "reply_complaint", datetime(2026, 3, 24, tzinfo=TZ), None),
        ("board-2", START + timedelta(hours=1), "reply_suggestion", datetime(2026, 3, 12, tzinfo=TZ), None),
        ("board-3", START + timedelta(hours=2), "reply_suggestion", datetime(2026, 3, 12, tzinfo=TZ), None)}
    assert "投诉类（含“投诉”）" in found["board-1"].basis and "留言自称建议" in found["board-2"].basis
    assert found["board-1"].title == "投诉金星小区消防通道长期被堵"

    # board-1 answered on time: it is the case's response
    first.clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=TZ))
    _index_as_the_crawler_does(first, [_board_message(*BOARD_MESSAGES[0], reply_at=datetime(2026, 3, 4, 10, 0, tzinfo=TZ),
                                                      fetched_at=first.clock.now())], tmp_path / "spool")
    first.evaluate()
    assert rows()["board-1"].replied_at == datetime(2026, 3, 4, 10, 0, tzinfo=TZ)
    with database.transaction() as session:
        case_id = session.scalars(select(Case.id)).one()
        close(session, case_id, "新闻办", datetime(2026, 3, 5, 9, 0, tzinfo=TZ))
    first.close()

    # a restart; board-2's reply, late, is collected afterwards: the case is closed and was answered by board-1
    later = start(datetime(2026, 3, 13, 12, 0, tzinfo=TZ))
    _index_as_the_crawler_does(later, [_board_message(*BOARD_MESSAGES[1], reply_at=datetime(2026, 3, 13, 10, 0, tzinfo=TZ),
                                                      fetched_at=later.clock.now())], tmp_path / "spool")
    report = later.evaluate()
    assert any("board message board-2 answered 03-13 10:00" in line for line in report.lines), report.lines
    found = rows()
    assert len(found) == 3  # the rows outlived the restart, none recorded twice
    assert found["board-2"].replied_at == datetime(2026, 3, 13, 10, 0, tzinfo=TZ)
    assert found["board-2"].replier == "A3区应急管理局" and found["board-3"].replied_at is None

    with database.sessions() as session:
        [unit] = [u for u in evaluate(session, datetime(2026, 3, 25, tzinfo=TZ)).units if u.messages_due]
    assert (unit.messages_due, unit.messages_answered, unit.messages_on_time, unit.messages_overdue) == (3, 2, 1, 1)


def _board_case(pipeline, spool: Path) -> int:  # type: ignore[no-untyped-def]
    """The three messages of BOARD_MESSAGES indexed as the crawler does and a pass over them: their case's number."""
    from sqlalchemy import select

    from yuqing.db.models import Case

    _index_as_the_crawler_does(pipeline, [_board_message(*m) for m in BOARD_MESSAGES], spool)
    assert len(pipeline.evaluate().opened) == 1
    with pipeline.database.sessions() as session:
        return int(session.scalars(select(Case.id)).one())


def _forget_board_rows(database) -> None:  # type: ignore[no-untyped-def]
    """The case as a case from before the board feature (migration 0005) has it: no row for any of its messages."""
    from sqlalchemy import delete

    from yuqing.db.models import BoardMessage

    with database.transaction() as session:
        session.execute(delete(BoardMessage))


def test_an_open_cases_board_messages_are_recorded_without_waiting_for_the_case_to_change(  # type: ignore[no-untyped-def]
        pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A case from before the board feature (migration 0005 added the table empty), or one whose messages were indexed
    after its last action, had them recorded only when a rule next acted on it: a quiet case listed and judged none of
    its citizens' messages. Every pass now records them, at most MESSAGES_PER_PASS, the rest on the next pass."""
    from sqlalchemy import select

    from yuqing.db.models import BoardMessage

    case_id = _board_case(pipeline, tmp_path / "spool")
    pipeline.clock.advance(timedelta(hours=6))
    pipeline.evaluate()  # the last time the grade rule finds the event (graded at its latest message, 11:00)
    _forget_board_rows(pipeline.database)
    monkeypatch.setattr("alerts.pipeline.MESSAGES_PER_PASS", 2)
    pipeline.clock.advance(timedelta(hours=6))
    report = pipeline.evaluate()
    assert not report.matches, report.lines  # no rule acts on the case
    # the two earliest messages; the first reply due is a suggestion's, 7 working days on, in Beijing time
    assert (f"case {case_id}: 2 board message(s) recorded, each with its reply deadline (the first due 03-12 00:00)"
            in report.lines)
    with pipeline.database.sessions() as session:
        assert sorted(session.scalars(select(BoardMessage.post_id))) == ["board-1", "board-2"]
    report = pipeline.evaluate(quiet=True)  # nothing new indexed: the pass still records what the last one left
    assert f"case {case_id}: 1 board message(s) recorded" in " ".join(report.lines)
    with pipeline.database.sessions() as session:
        assert sorted(session.scalars(select(BoardMessage.post_id))) == ["board-1", "board-2", "board-3"]
    assert not any("board message(s) recorded" in line for line in pipeline.evaluate().lines)


def test_cases_show_lists_each_board_message_with_its_reply_due_and_whether_answered(  # type: ignore[no-untyped-def]
        pipeline, tmp_path: Path, es_node: str) -> None:
    """`yuqing cases show` gave a case's deadlines and timeline but none of its citizens' messages: a case answered by
    its first reply showed nothing of the message answered late or the one nobody answered. Each is listed with its
    reply's due time in the configured zone and whether it was answered on time; the subjects as de-identified at
    ingestion, and a message indexed without de-identification (an older index) by its id alone."""
    from yuqing.cli import main
    from yuqing.contract import Post
    from yuqing.es.writer import BulkWriter, post_document

    phone, other_phone = "13812345678", "13900001111"
    first, *rest = BOARD_MESSAGES
    messages = [(first[0], first[1], f"{first[2]}，联系电话{phone}", first[3]), *rest]
    pipeline.clock.set(START + timedelta(hours=3))
    _index_as_the_crawler_does(pipeline, [_board_message(*m) for m in messages], tmp_path / "spool")
    report = pipeline.evaluate()
    [case_id] = report.opened
    for (post_id, at, title, text), replied in zip(messages[:2], [datetime(2026, 3, 4, 10, 0, tzinfo=TZ),
                                                                 datetime(2026, 3, 13, 10, 0, tzinfo=TZ)], strict=True):
        pipeline.clock.set(replied + timedelta(hours=2))
        _index_as_the_crawler_does(pipeline, [_board_message(post_id, at, title, text, reply_at=replied,
                                                             fetched_at=pipeline.clock.now())], tmp_path / "spool")
        pipeline.evaluate()
    event_id = pipeline.es.get(index=pipeline.layout.posts.alias, id="board-1")["_source"]["event_id"]
    raw = Post.model_validate({"id": "board-4", "source": "demo_board", "source_type": "message_board",
                               "published_at": (START + timedelta(hours=3)).isoformat(),
                               "fetched_at": (START + timedelta(hours=3)).isoformat(), "event_id": event_id,
                               "title": f"李四反映：我的电话{other_phone}", "text": "金星小区火灾后物业至今无人处理"})
    writer = BulkWriter(pipeline.es, pipeline.layout.posts, tmp_path / "spool", refresh=True)
    writer.add_many([post_document(raw, pipeline.cut)])
    writer.flush()
    pipeline.evaluate()

    (tmp_path / "cli").mkdir()
    env = {**deployment(tmp_path / "cli", es_node), "YUQING_DATABASE_URL": pipeline.database.url}
    result = CliRunner().invoke(main, ["cases", "show", str(case_id)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shown = [line.strip() for line in result.output.splitlines() if line.strip().startswith(("board", "message"))]
    assert shown[0] == "board messages: 4, each owed its own reply; 4 due: 1 answered on time, 1 late, 2 unanswered"
    # by arrival; the reply due at the end of its 7th or 15th working day, in Beijing time (UTC: 16:00 the day before)
    assert shown[1] == ("message reply_complaint  due 2026-03-24 00:00  answered 2026-03-04 10:00 on time  — "
                        "投诉金星小区消防通道长期被堵，联系电话138****5678")
    assert shown[2] == ("message reply_suggestion due 2026-03-12 00:00  answered 2026-03-13 10:00 LATE by 1.4 d  — "
                        "建议彻查金星小区火灾隐患")
    assert shown[3].startswith("message reply_suggestion due 2026-03-12 00:00  OVERDUE, unanswered ")
    assert shown[3].endswith(" d past due  — 金星小区火灾后物业无人处理")
    assert shown[4].startswith("message reply_suggestion due 2026-03-12 00:00  OVERDUE, unanswered ")
    assert shown[4].endswith(" d past due  — (message board-4)")
    assert phone not in result.output and other_phone not in result.output and "李四" not in result.output


def test_a_reply_the_board_dated_by_its_day_alone_is_shown_as_that_day_not_as_23_59(  # type: ignore[no-untyped-def]
        pipeline, tmp_path: Path, es_node: str) -> None:
    """The crawler counts a reply dated "2026-03-04" at that day's end (the latest it can have been given); `cases
    show` and the case page said "answered 2026-03-04 23:59", a minute nobody wrote. They show the day, marked."""
    import io

    from openpyxl import load_workbook
    from starlette.testclient import TestClient

    from dashboards.app import create_app

    pipeline.clock.set(START + timedelta(hours=3))
    _index_as_the_crawler_does(pipeline, [_board_message(*m) for m in BOARD_MESSAGES], tmp_path / "spool")
    [case_id] = pipeline.evaluate().opened
    day_end = datetime(2026, 3, 4, 23, 59, 59, tzinfo=TZ)
    pipeline.clock.set(day_end + timedelta(hours=10))
    for message, day_only in ((BOARD_MESSAGES[0], True), (BOARD_MESSAGES[1], False)):
        _index_as_the_crawler_does(pipeline, [_board_message(*message, reply_at=day_end, reply_day_only=day_only,
                                                             fetched_at=pipeline.clock.now())], tmp_path / "spool")
    pipeline.evaluate()

    (tmp_path / "cli").mkdir()
    env = {**deployment(tmp_path / "cli", es_node), "YUQING_DATABASE_URL": pipeline.database.url}
    result = CliRunner().invoke(main, ["cases", "show", str(case_id)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    answered = {line.strip().rsplit("— ", 1)[-1]: line for line in result.output.splitlines() if "answered 2026" in line}
    assert "answered 2026-03-04（仅日期） on time" in answered["投诉金星小区消防通道长期被堵"]
    assert "answered 2026-03-04 23:59 on time" in answered["建议彻查金星小区火灾隐患"]  # a time the board wrote
    app = create_app(pipeline.es, pipeline.layout, pipeline.database, pipeline.cut, pipeline.clock)
    with TestClient(app) as client:
        page = client.get(f"/cases/{case_id}").text
        book = load_workbook(io.BytesIO(client.get("/reports/evaluation.xlsx").content))
    header, *cells = book["逐条留言"].iter_rows(values_only=True)
    replies = {row[header.index("留言")]: row[header.index("答复时间")] for row in cells}
    assert replies["投诉金星小区消防通道长期被堵"] == "2026-03-04（仅日期）"
    assert replies["建议彻查金星小区火灾隐患"] == "2026-03-04 23:59"
    table = page[page.index('id="board-messages"'):]
    rows = table[:table.index("</table>")].split("<tr>")
    [day_only] = [r for r in rows if "投诉金星小区消防通道长期被堵" in r]
    assert "2026-03-04（仅日期）" in day_only and "23:59" not in day_only


def _answer(pipeline, message: tuple[str, datetime, str, str], replied: datetime, spool: Path) -> None:  # type: ignore[no-untyped-def]
    """The board's reply to ``message`` given at ``replied``, fetched two hours on, as the crawler collects it."""
    post_id, at, title, text = message
    pipeline.clock.set(replied + timedelta(hours=2))
    _index_as_the_crawler_does(pipeline, [_board_message(post_id, at, title, text, reply_at=replied,
                                                         fetched_at=pipeline.clock.now())], spool)
    pipeline.evaluate()


def _board_duties(database, case_id: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The notifications of a case about its board messages: (kind, recipient), in the order queued."""
    from tests.alerts.casekit import notifications

    return [(n.kind, n.recipient) for n in notifications(database, case_id=case_id)
            if "board_messages" in n.payload or ":messages:" in n.idempotency_key]


@pytest.mark.timeout(600)
def test_an_answered_board_case_stays_open_and_its_overdue_messages_are_chased_until_each_is_answered(
        pipeline, database, tmp_path: Path) -> None:
    """A review (H1): one citizen's reply answered the case, which closed itself a week later while the others were
    still owed replies; when their messages fell overdue nobody heard of it. The case now stays open while a message is
    unanswered; when messages fall overdue the unit is told how many, its leaders are escalated to, once — across a
    restart — and the case closes itself a week after the last citizen's reply."""
    from sqlalchemy import select

    from alerts.wiring import build_pipeline
    from tests.alerts.casekit import notifications, shipped_config
    from yuqing.clock import ManualClock
    from yuqing.db.models import Case, CaseEvent

    spool = tmp_path / "spool"
    case_id = _board_case(pipeline, spool)

    def state() -> str:
        with database.sessions() as session:
            return session.get_one(Case, case_id).state

    _answer(pipeline, BOARD_MESSAGES[0], datetime(2026, 3, 4, 10, 0, tzinfo=TZ), spool)  # board-1, on time
    pipeline.tick()  # (the missed report upward is judged: it does not hold an answered case open)
    assert state() == "responded"
    pipeline.clock.set(datetime(2026, 3, 11, 21, 30, tzinfo=TZ))  # a week after the reply: board-2, -3 still owed
    report = pipeline.tick()
    assert state() == "responded"
    # their replies are due 03-12 00:00: the unit is reminded once, at 80 % (the 50 % one passed unsent meanwhile)
    assert f"case {case_id}: reminder of 2 board message(s) at 80%" in report.lines, report.lines
    [reminder] = [n for n in notifications(database, case_id=case_id, kind="reminder", recipient="#a3-emergency")
                  if "board_messages" in n.payload]
    assert reminder.payload["summary"].startswith("提醒：2 条网民留言尚未答复，答复期限已用去 80%，还剩 2小时30分（截止 03-12 00:00")

    pipeline.clock.set(datetime(2026, 3, 12, 0, 30, tzinfo=TZ))
    assert pipeline.tick().lines == []  # quiet hours (policy.yaml escalation.quiet_hours): the notices wait for 07:30
    pipeline.clock.set(datetime(2026, 3, 12, 7, 30, tzinfo=TZ))
    report = pipeline.tick()
    assert f"case {case_id}: 2 board message(s) overdue, due 03-12 00:00" in report.lines, report.lines
    told = _board_duties(database, case_id)
    assert told.count(("reminder", "#a3-emergency")) == 2
    leaders = [r for k, r in told if k == "escalation"]
    assert leaders, told
    [unit_note] = [n for n in notifications(database, case_id=case_id, kind="reminder", recipient="#a3-emergency")
                   if "board_messages" in n.payload and "overdue" in n.payload["board_messages"]]
    assert unit_note.payload["summary"].startswith("提醒：2 条网民留言的答复期限 03-12 00:00 已过，仍未答复；本案共 2 条超期未答复")
    assert unit_note.payload["summary"].endswith("（夜间免打扰：00:00 到期，顺延至 07:30 发送）")
    escalation = next(n for n in notifications(database, case_id=case_id, kind="escalation")
                      if ":messages:" in n.idempotency_key)
    assert "逐条答复超期未答复的 2 条网民留言" in escalation.payload["summary"]

    pipeline.tick()  # nothing new: once per due time crossed
    restarted = build_pipeline(shipped_config(), database, pipeline.es, pipeline.layout,
                               ManualClock(pipeline.clock.now()), live=False, state_dir=tmp_path)
    restarted.tick()
    assert _board_duties(database, case_id) == told
    pipeline.clock.set(datetime(2026, 3, 12, 9, 30, tzinfo=TZ))  # 120 minutes on, still unanswered: the next level
    pipeline.tick()
    assert len([k for k, _ in _board_duties(database, case_id) if k == "escalation"]) > len(leaders)

    _answer(pipeline, BOARD_MESSAGES[1], datetime(2026, 3, 13, 10, 0, tzinfo=TZ), spool)
    pipeline.clock.set(datetime(2026, 3, 20, 12, 0, tzinfo=TZ))
    pipeline.tick()
    assert state() == "responded"  # board-3 is still owed its reply
    # the leaders' digest of 03-20 08:00 counts the case overdue: a citizen's reply is past due
    listing = [n for n in notifications(database, kind="digest") if n.payload["title"].startswith("舆情日报 2026-03-20")
               and any(c["case_id"] == case_id for c in n.payload["cases"])]
    assert listing and all(case_id in n.payload["overdue_case_ids"] for n in listing)
    _answer(pipeline, BOARD_MESSAGES[2], datetime(2026, 3, 20, 14, 0, tzinfo=TZ), spool)
    pipeline.clock.set(datetime(2026, 3, 27, 13, 0, tzinfo=TZ))
    pipeline.tick()
    assert state() == "responded"
    pipeline.clock.set(datetime(2026, 3, 27, 14, 1, tzinfo=TZ))  # a week after the last citizen's reply
    pipeline.tick()
    assert state() == "closed"
    with database.sessions() as session:
        overdue = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                          CaseEvent.action == "messages_overdue")).all()
    assert [e.details["unanswered"] for e in overdue] == [2]


@pytest.mark.timeout(600)
def test_closing_a_board_case_by_hand_says_how_many_citizens_are_still_owed_replies(
        pipeline, tmp_path: Path, es_node: str) -> None:
    """Closing a case answered by one citizen's reply goes ahead, and says how many citizens are still owed a reply,
    how many past due, and that nothing chases them once it is closed."""
    from yuqing.cli import main

    spool = tmp_path / "spool"
    case_id = _board_case(pipeline, spool)
    _answer(pipeline, BOARD_MESSAGES[0], datetime(2026, 3, 4, 10, 0, tzinfo=TZ), spool)
    (tmp_path / "cli").mkdir()
    env = {**deployment(tmp_path / "cli", es_node), "YUQING_DATABASE_URL": pipeline.database.url}
    result = CliRunner().invoke(main, ["cases", "close", str(case_id), "--actor", "市政府新闻办"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"case {case_id} is now closed" in result.stdout
    assert (f"warning: case {case_id} still owes 2 citizen(s) a reply to their board message (2 past due; the "
            "earliest due 2026-03-12 00:00)") in result.stderr


# PostgreSQL alone: SQLite begins every transaction IMMEDIATE, so the second process waits before it reads, sees the
# first's rows and inserts none (the rollover test below covers SQLite's duplicate insert).
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
@pytest.mark.timeout(300)
def test_two_processes_recording_the_same_board_messages_at_once_both_go_on(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`yuqing run` records a case's messages while a second process (a command, a second pass) notes a collected reply
    on one of them: the second read no row, inserted the same message, and failed its whole transaction on the
    unique constraint once the first committed. Now it leaves the first's row and notes the reply on it."""
    import threading

    from sqlalchemy import select

    from alerts.board import record_messages, record_reply
    from yuqing.contract import Reply
    from yuqing.db.models import BoardMessage, Case

    database = pipeline.database
    case_id = _board_case(pipeline, tmp_path / "spool")
    _forget_board_rows(database)
    now = pipeline.clock.now()
    reply = Reply(text="经调查，已责令物业清理消防通道并整改。", replier="A3区应急管理局", replied_at=now)
    second: dict[str, object] = {}

    def note_reply() -> None:
        try:
            with database.transaction() as session:
                case = session.get_one(Case, case_id)
                second["new"] = record_reply(session, pipeline.es, pipeline.layout, case, pipeline.config, now,
                                             "board-1", reply)
        except Exception as exc:  # the failure this test is about: said in the assertion below
            second["error"] = exc

    with database.transaction() as session:
        first = record_messages(session, pipeline.es, pipeline.layout, session.get_one(Case, case_id),
                                pipeline.config, now)
        assert len(first) == 3
        thread = threading.Thread(target=note_reply)
        thread.start()
        wait_until_blocked(database.engine, thread, "transactionid")  # on the first's uncommitted rows
        assert thread.is_alive(), second  # it reached the insert while the first held its rows
    thread.join()
    assert "error" not in second, second.get("error")
    assert second["new"] is True
    with database.sessions() as session:
        rows = {m.post_id: m for m in session.scalars(select(BoardMessage))}
    assert sorted(rows) == ["board-1", "board-2", "board-3"]
    assert rows["board-1"].replied_at == now and rows["board-1"].replier == "A3区应急管理局"


def test_a_message_indexed_again_after_a_rollover_is_recorded_once(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A message looked at again for its reply after `yuqing es rollover` is indexed into the new write index and
    is in two indices under the posts alias: both copies came back, and the second row failed the pass on the
    unique constraint (on SQLite as on PostgreSQL), every pass."""
    from sqlalchemy import select

    from yuqing.db.models import BoardMessage

    message = BOARD_MESSAGES[0]
    _index_as_the_crawler_does(pipeline, [_board_message(*message)], tmp_path / "spool")
    pipeline.es.indices.rollover(alias=pipeline.layout.posts.alias)
    _index_as_the_crawler_does(pipeline, [_board_message(*message, fetched_at=START + timedelta(minutes=30))],
                               tmp_path / "spool")
    copies = pipeline.es.search(index=pipeline.layout.posts.alias, query={"ids": {"values": ["board-1"]}})
    assert len({hit["_index"] for hit in copies["hits"]["hits"]}) == 2
    report = pipeline.evaluate()
    assert len(report.opened) == 1 and any("1 board message(s) recorded" in line for line in report.lines)
    pipeline.evaluate()
    with pipeline.database.sessions() as session:
        assert [m.post_id for m in session.scalars(select(BoardMessage))] == ["board-1"]


@pytest.mark.timeout(600)
def test_a_replayed_reply_of_weeks_later_counts_only_when_the_clock_gets_there(tmp_path: Path, es_node: str) -> None:
    """A board message replayed with its official reply of weeks later: until the reply's time the case is
    unanswered — it goes overdue and escalates — and the reply is then recorded, late, at its own time."""
    replied_at = START + timedelta(days=30)
    message = {"id": "board-1", "source": "demo_board", "source_type": "message_board",
               "published_at": START.isoformat(), "title": "金星小区火灾",
               "text": "A3区金星小区昨晚发生火灾，造成2人死亡，消防通道长期被堵，请相关部门调查处理",
               "region": {"province": "湖南省", "city": "A市", "district": "A3区"},
               "reply": {"text": "经调查，已责令物业清理消防通道并追责。", "replier": "A3区应急管理局",
                         "replied_at": replied_at.isoformat()}}
    posts = tmp_path / "board.jsonl"
    posts.write_text(json.dumps(message, ensure_ascii=False) + "\n", encoding="utf-8")
    output, [case], _, _ = replayed(tmp_path, es_node, posts)
    assert "official reply of 04-01 09:00 recorded" in output
    assert "0 overdue deadline(s)" not in output and "0 escalation(s)" not in output
    # answered, and a week later, nothing new, closed by itself (policy.yaml close_answered_after_days)
    assert case["state"] == "closed" and datetime.fromisoformat(case["closed_at"]) == replied_at + timedelta(days=7)
    for deadline in case["deadlines"]:
        assert deadline["overdue_at"] is not None  # it passed unanswered before the reply came
        if deadline["kind"] == "report_upward":  # (sensitive: deaths) never reported, and that holds it open no more
            assert deadline["met_at"] is None
        else:
            assert datetime.fromisoformat(deadline["met_at"]) == replied_at


def test_a_post_whose_id_is_a_phone_number_is_indexed_under_a_pseudonym(tmp_path: Path, es_node: str) -> None:
    """A JSON-lines id that is itself personal data was indexed, and shown on the dashboards, as given. (And a child's
    name and a phone number written digit by digit were stored whole: a review, 2026-11-27.)"""
    from analysis.deidentify import post_id_pseudonym

    child = "A市图书馆内12岁女孩王小红走失，其母亲电话1 3 8 0 0 1 3 8 0 0 0"
    phone, id_number = "13912345678", "430104199001011234"
    posts = tmp_path / "posts.jsonl"
    posts.write_text("\n".join([line(phone, START, CITY[0]), line(phone, START + timedelta(minutes=5), CITY[0] + "。"),
                                line(id_number, START + timedelta(minutes=9), CITY[1]),
                                line("city-1", START + timedelta(minutes=12), child)]) + "\n",
                     encoding="utf-8")
    env = deployment(tmp_path, es_node)
    layout = IndexLayout(f"{index_prefix(env)}-sandbox-replay")
    es = Elasticsearch(es_node)
    try:
        result = CliRunner().invoke(main, ["replay", "--posts", str(posts), "--speed", "1e9"], env=env,
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        es.indices.refresh(index=layout.posts.alias)
        hits = es.search(index=layout.posts.alias, query={"match_all": {}}, size=10)["hits"]["hits"]
    finally:
        IndexLayout(index_prefix(env)).delete_all(es)
        layout.delete_all(es)
    # the same id gives the same pseudonym: the repeated line still replaced the first
    assert sorted(h["_id"] for h in hits) == sorted([post_id_pseudonym(phone), post_id_pseudonym(id_number), "city-1"])
    assert all(h["_id"] == h["_source"]["id"] for h in hits)
    assert next(h["_source"]["text"] for h in hits if h["_id"] == "city-1") == (
        "A市图书馆内12岁女孩王**走失，其母亲电话1 3 8 * * * * 8 0 0 0")
    assert "王小红" not in json.dumps(hits, ensure_ascii=False)  # (nor in anything derived from the text)
    assert phone not in json.dumps(hits) and id_number not in json.dumps(hits)
    # said, by line number, never by the value
    assert "the id of 3 post(s) is personal data" in result.output and "lines 1, 2, 3" in result.output
    assert phone not in result.output and id_number not in result.output
    for path in Path(env["YUQING_HOME"]).rglob("*"):  # the sandbox's database and state keep no raw id either
        if path.is_file():
            assert phone.encode() not in path.read_bytes() and id_number.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("when", ["3小时前", "昨天 08:10", "4月8日 09:00"])
def test_replay_refuses_times_that_depend_on_the_day_the_file_is_read(tmp_path: Path, when: str) -> None:
    """The machine's clock must not leak into a replay (3小时前 was stored as the real today)."""
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "某小区停水", "published_at": when}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    with pytest.raises(ReplayInputError, match=r"posts.jsonl:1: published_at is relative to the day it was read"):
        read_posts(path)


def test_a_repeated_id_is_said_and_a_broken_line_names_its_column(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(line("a", START, "某小区停水") + "\n" + line("a", START, "某小区停水，已恢复") + "\n",
                    encoding="utf-8")
    notes: list[str] = []
    posts = read_posts(path, warnings=notes)
    assert len(posts) == 2 and notes == [f"{path}:2: its id was already on line 1; the later line replaces the "
                                         "earlier one (as an edited post does)"]
    path.write_text('{"id": "b", "text": "某小区停\n', encoding="utf-8")
    with pytest.raises(ReplayInputError, match=r"posts.jsonl:1: not valid JSON \(.* at column \d+\)"):
        read_posts(path)
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(ReplayInputError, match=r"posts.jsonl:1: nested too deeply"):
        read_posts(path)
    path.write_bytes("\ufeff".encode() + line("c", START, "某小区停水").encode() + b"\n")  # a BOM is read
    assert [p.id for p in read_posts(path)] == ["c"]


@pytest.mark.parametrize(("texts", "why"), [
    (["深圳市宝安区一化工厂发生爆炸事故已造成12人死亡", "深圳宝安化工厂爆炸事故死亡人数升至12人，另有多人受伤",
      "直击深圳市宝安区化工厂爆炸现场：12人死亡，消防全力救援"], "深圳市不在 units.yaml 所辖城市（A市）之内"),
    # abroad: the source's own region (A市) is not where it happened (a 5 h deadline for A市's 应急管理局 before)
    (["巴格达市中心发生汽车炸弹袭击已造成12人死亡", "巴格达汽车炸弹袭击死亡人数升至12人，另有多人受伤",
      "直击巴格达汽车炸弹袭击现场：12人死亡，救援仍在进行"], "伊拉克在境外，不归 units.yaml 的单位属地管理"),
])
def test_an_incident_in_another_city_opens_no_case_here(pipeline, tmp_path: Path, texts: list[str], why: str) -> None:  # type: ignore[no-untyped-def]
    """属地管理: an explosion in 深圳, or abroad, reported by a source of A市 is shown, not assigned to A市's units."""
    from yuqing.contract import Post

    posts = [Post.model_validate_json(line(f"sz-{i}", START + timedelta(minutes=10 * i), texts[i % 3] + f"（{i}）",
                                           tier="provincial")) for i in range(6)]
    _index_as_the_crawler_does(pipeline, posts, tmp_path / "spool")
    report = pipeline.evaluate()
    assert report.opened == [] and report.matches  # graded and matched, but no case
    said = [ln for ln in report.lines if ln.startswith("no case for")]
    assert len(said) == 1 and f"outside the jurisdiction — {why}" in said[0]
    assert not [ln for ln in pipeline.evaluate().lines if ln.startswith("no case for")]  # said once


def test_an_incident_in_a_sibling_district_opens_no_case_for_a_district_office(
        database, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A review (成都市武侯区): with every unit in 武侯区, a 双流区 collapse from the city's feed opened a case with a
    2 h report upward for 武侯区's government office. No unit covers 成都市 whole, so 双流区 is shown, not assigned."""
    import dataclasses

    import yaml

    from alerts.wiring import build_pipeline
    from tests.alerts.casekit import shipped_config
    from tests.alerts.test_routing import DISTRICT_ONLY
    from yuqing.clock import ManualClock
    from yuqing.contract import Post
    from yuqing.settings import UnitsFile

    config = dataclasses.replace(shipped_config(), units=UnitsFile.model_validate(yaml.safe_load(DISTRICT_ONLY)))
    pipeline = build_pipeline(config, database, es_client, es_layout, ManualClock(START + timedelta(hours=1)),
                              live=False, state_dir=tmp_path)
    texts = ["成都市双流区一在建工地脚手架坍塌已造成12人死亡", "双流区工地脚手架坍塌事故死亡人数升至12人，另有多人受伤",
             "直击成都市双流区脚手架坍塌现场：12人死亡，消防全力救援"]
    posts = []
    for i in range(6):
        raw = json.loads(line(f"sl-{i}", START + timedelta(minutes=10 * i), texts[i % 3] + f"（{i}）", tier="provincial"))
        raw["region"] = {"province": "四川省", "city": "成都市"}
        posts.append(Post.model_validate(raw))
    _index_as_the_crawler_does(pipeline, posts, tmp_path / "spool")
    report = pipeline.evaluate()
    assert report.opened == [] and report.matches  # graded and matched, but no case
    said = [ln for ln in report.lines if ln.startswith("no case for")]
    assert len(said) == 1 and ("outside the jurisdiction — 双流区不在 units.yaml 所辖区县（成都市武侯区）之内" in said[0]), said


def test_a_quiet_evaluation_runs_only_the_rules_that_fire_on_absence(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Between posts a replay evaluates 'quietly': no refresh, no clustering, no rule that needs new posts —
    but a source falling silent is still caught."""
    from tests.alerts.casekit import notifications
    from yuqing.contract import Post

    now = pipeline.clock.now()
    usual = usual_posts(now)
    school = [Post.model_validate_json(line(f"school-{i}", now - timedelta(minutes=5 * i),
                                            SCHOOL[i % len(SCHOOL)] + f"（网友{i}）", district="A3区")) for i in range(4)]
    _index_as_the_crawler_does(pipeline, usual, tmp_path / "spool")
    pipeline.es.indices.refresh(index=pipeline.layout.posts.alias)
    quiet = pipeline.evaluate(quiet=True)
    assert {m.rule for m in quiet.matches} == {"source_silent"}  # the source that went quiet is caught
    assert [n for n in notifications(pipeline.database) if n.idempotency_key.startswith("flatline:")]
    _index_as_the_crawler_does(pipeline, school, tmp_path / "spool")  # posts nobody has evaluated yet
    quiet = pipeline.evaluate(quiet=True)
    assert quiet.opened == [] and not any("put into events" in ln for ln in quiet.lines)
    assert len(pipeline.evaluate().opened) == 1  # a full evaluation takes the new posts


@pytest.mark.timeout(600)
def test_the_leaders_digest_goes_out_at_its_hour_on_days_without_other_duties(
        tmp_path: Path, es_node: str) -> None:
    """The school case's duties all fall within two days; the next post comes five days later. The 08:00
    digest (policy.yaml digest_cron) still lists the open case every morning, at 08:00 — the clock once jumped
    from the last duty to the next post, skipping two digests and sending the third at 14:00."""
    lines = [line(f"school-{i}", START + timedelta(minutes=5 * i), SCHOOL[i % len(SCHOOL)] + f"（网友{i}）",
                  district="A3区") for i in range(12)]
    lines.append(line("city-late", START + timedelta(days=5, hours=5), CITY[0]))
    posts = tmp_path / "posts.jsonl"
    posts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, cases, sent, _ = replayed(tmp_path, es_node, posts)
    assert len(cases) == 1
    digests = sorted({datetime.fromisoformat(n["scheduled_at"]).astimezone(TZ) for n in sent if n["kind"] == "digest"})
    assert digests == [datetime(2026, 3, day, 8, 0, tzinfo=TZ) for day in range(3, 8)]
