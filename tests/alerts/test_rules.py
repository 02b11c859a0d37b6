"""Alert rules against a real Elasticsearch: each ElastAlert rule type fires on the pattern it names and
stays quiet otherwise; history testing merges a run of matches into one."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from alerts.rules import RuleEngine, RuleError, check_rule
from tests.alerts.casekit import TZ, shipped_config
from yuqing.contract import Event, Grade, Post, Region
from yuqing.es.indices import IndexLayout
from yuqing.es.writer import BulkWriter, event_document, post_document
from yuqing.settings import RuleSpec

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=TZ)
pytestmark = pytest.mark.es


def post(i: int, at: datetime, *, topic: str = "就学", sentiment: str = "neutral", source: str = "demo_board",
         tokens: tuple[str, ...] = ("学校", "食堂"), event_id: str | None = "ev-school",
         fetched: datetime | None = None) -> Post:
    return Post(id=f"{source}-{i}-{at.timestamp():.0f}", source=source, source_type="message_board",
                published_at=at, fetched_at=fetched or at, title=f"帖子{i}", text="内容", topic=topic,
                sentiment=sentiment, tokens=list(tokens), event_id=event_id,
                region=Region(province="湖南省", city="A市", district="A3区"))


def index(es: Elasticsearch, layout: IndexLayout, tmp_path: Path, posts: list[Post],
          events: list[Event] = ()) -> None:  # type: ignore[assignment]
    writer = BulkWriter(es, layout.posts, tmp_path / "spool", refresh=True)
    writer.add_many(post_document(p, lambda t: t) for p in posts)
    writer.flush()
    if events:
        ev_writer = BulkWriter(es, layout.events, tmp_path / "spool", refresh=True)
        ev_writer.add_many(event_document(e, lambda t: t) for e in events)
        ev_writer.flush()


@pytest.fixture
def engine(es_client: Elasticsearch, es_layout: IndexLayout) -> RuleEngine:
    return RuleEngine(es_client, es_layout, shipped_config().policy)


def spec(**values) -> RuleSpec:  # type: ignore[no-untyped-def]
    return RuleSpec.model_validate({"name": "t", **values})


def test_frequency_fires_on_twenty_negative_posts_of_one_topic_within_an_hour(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    burst = [post(i, NOW - timedelta(minutes=2 * i + 1), sentiment="negative") for i in range(22)]
    calm = [post(100 + i, NOW - timedelta(minutes=i + 1), topic="就医", sentiment="negative", event_id="ev-h")
            for i in range(8)]
    old = [post(200 + i, NOW - timedelta(hours=3, minutes=i), sentiment="negative") for i in range(30)]
    index(es_client, es_layout, tmp_path, burst + calm + old)
    rule = shipped_config().policy.rule("livelihood_negative_burst")
    [match] = engine.evaluate(rule, NOW)
    assert (match.key, match.count, match.event_ids) == ("就学", 22, ["ev-school"])
    assert "主题 就学：60 分钟内 22 条（≥ 20，sentiment=negative）" in match.reason
    assert engine.evaluate(rule, NOW - timedelta(minutes=50)) == []  # the window then held only 5 of them


def test_spike_needs_a_multiple_of_the_previous_window_and_a_previous_window(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    before = [post(i, NOW - timedelta(minutes=61 + 10 * i)) for i in range(4)]
    now_ = [post(100 + i, NOW - timedelta(minutes=1 + 3 * i)) for i in range(15)]
    fresh = [post(300 + i, NOW - timedelta(minutes=1 + i), topic="养老服务", event_id="ev-old") for i in range(15)]
    index(es_client, es_layout, tmp_path, before + now_ + fresh)
    [match] = engine.evaluate(shipped_config().policy.rule("topic_spike"), NOW)
    assert match.key == "就学" and match.details["reference"] == 4
    assert "最近 60 分钟 15 条，前一时段 4 条（×3.8" in match.reason


def test_new_term_fires_on_a_term_unseen_in_the_window_before(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    history = [post(i, NOW - timedelta(hours=2 + i), tokens=("学校", "食堂", "校服")) for i in range(30)]
    recent = [post(100 + i, NOW - timedelta(minutes=5 + i), tokens=("学校", "校服", "毒跑道")) for i in range(6)]
    index(es_client, es_layout, tmp_path, history + recent)
    rule = spec(type="new_term", field="tokens", terms_window_days=1, threshold=5)
    [match] = engine.evaluate(rule, NOW)
    assert match.key == "毒跑道" and match.count == 6 and match.event_ids == ["ev-school"]
    # Without a full history window nothing can be called new.
    assert engine.evaluate(spec(type="new_term", field="tokens", terms_window_days=30, threshold=5), NOW) == []


def test_a_new_term_is_named_as_the_posts_write_it(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    """A review: new terms were named by their lower-cased token (“a3” where posts wrote A3区)."""
    history = [post(i, NOW - timedelta(hours=2 + i), tokens=("医院", "疫苗")) for i in range(30)]
    recent = [post(100 + i, NOW - timedelta(minutes=5 + i), tokens=("医院", "hpv", "疫苗")).model_copy(
        update={"text": f"社区医院{'hpv' if i == 0 else 'HPV'}疫苗预约系统崩溃"}) for i in range(6)]
    index(es_client, es_layout, tmp_path, history + recent)
    [match] = engine.evaluate(spec(type="new_term", field="tokens", terms_window_days=1, threshold=5), NOW)
    assert match.key == "hpv" and match.reason.startswith("新词“HPV”：最近 60 分钟出现在 6 条中")


def test_flatline_fires_when_a_source_that_yields_posts_at_this_hour_falls_silent(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    """Silent: board_a yielded seven posts in this three-hour window on five of the last seven days and none
    today. Not silent: board_b, which yielded today; board_c, busy all of yesterday but never before (one post in
    the last 24 h used to be enough, and a sparse board raised an alert at every pause); board_d, which is quiet
    at this hour every day; board_e, one post in this window every day — at that rate three quiet hours are
    likely (a year of real board messages raised 638 alerts for a board that never stopped)."""
    usual = [post(100 + 10 * d + i, NOW - timedelta(days=d, hours=1, minutes=10 * i), source="board_a")
             for d in range(1, 6) for i in range(7)]
    trickle = [post(200 + d, NOW - timedelta(days=d, hours=1), source="board_e") for d in range(1, 8)]
    steady = [post(10 + d, NOW - timedelta(days=d, hours=1), source="board_b") for d in range(0, 6)]
    sparse = [post(20 + h, NOW - timedelta(hours=h), source="board_c") for h in range(4, 24)]
    nightly = [post(40 + d, NOW - timedelta(days=d, hours=8), source="board_d") for d in range(0, 7)]
    index(es_client, es_layout, tmp_path, usual + steady + sparse + nightly + trickle)
    [match] = engine.evaluate(shipped_config().policy.rule("source_silent"), NOW)
    assert match.key == "board_a" and match.count == 0 and match.event_ids == []
    assert "来源 board_a：最近 180 分钟采到 0 条" in match.reason
    assert "此前 7 天中有 5 天在这一时段有信息，平均 5.0 条" in match.reason
    assert "最后一条采于 2026-03-09 11:00" in match.reason  # in the configured zone, not UTC


def test_sentiment_shift_fires_when_the_negative_share_rises_by_thirty_points(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    before = [post(i, NOW - timedelta(minutes=125 + 5 * i), sentiment="negative" if i < 2 else "neutral")
              for i in range(12)]
    after = [post(100 + i, NOW - timedelta(minutes=5 + 5 * i), sentiment="negative" if i < 9 else "neutral")
             for i in range(12)]
    index(es_client, es_layout, tmp_path, before + after)
    [match] = engine.evaluate(shipped_config().policy.rule("sentiment_shift"), NOW)
    assert match.key == "就学"
    assert "负面占比 75%（9/12），前一时段 17%（2/12）" in match.reason


def test_the_grade_rule_takes_events_at_or_above_its_grade(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    def event(event_id: str, grade: Grade) -> Event:
        return Event(id=event_id, title=f"事件 {event_id}", first_seen=NOW - timedelta(hours=2),
                     last_seen=NOW - timedelta(minutes=10), grade=grade, risk=60.0, volume=30,
                     grade_reasons=["规模: 30 条帖子"])
    index(es_client, es_layout, tmp_path, [], [event("ev-ii", Grade.II), event("ev-iv", Grade.IV)])
    matches = engine.evaluate(shipped_config().policy.rule("graded_event"), NOW, since=NOW - timedelta(hours=1))
    assert [m.key for m in matches] == ["ev-ii"]
    assert "事件定为 II 级（≥ III）" in matches[0].reason
    loaded = engine.load_event("ev-ii")
    assert loaded is not None and loaded.grade == Grade.II


def test_a_grade_iv_event_with_a_sensitive_cue_is_matched_and_says_which(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    """A review's school canteen poisoning (32 pupils ill, two posts) was graded IV and opened no case: the 2 h
    report upward for sensitive cases never applied. Counted cues are stored with their count (missing:2)."""
    def event(event_id: str, cues: list[str]) -> Event:
        return Event(id=event_id, title=f"事件 {event_id}", first_seen=NOW - timedelta(hours=2),
                     last_seen=NOW - timedelta(minutes=10), grade=Grade.IV, risk=19.0, volume=2, severity_cues=cues)
    index(es_client, es_layout, tmp_path, [], [event("ev-lunch", ["food_poisoning", "school", "students"]),
                                               event("ev-lost", ["missing:2"]), event("ev-talk", ["school"])])
    rule = shipped_config().policy.rule("sensitive_event")
    matches = engine.evaluate(rule, NOW, since=NOW - timedelta(hours=1))
    assert [m.key for m in matches] == ["ev-lunch"] and "敏感线索：食物中毒" in matches[0].reason
    counted = spec(type="grade", min_grade="IV", filter={"severity_cues": ["missing"]})  # stored as missing:2
    assert [m.key for m in engine.evaluate(counted, NOW, since=NOW - timedelta(hours=1))] == ["ev-lost"]
    # the events a run changed are tested the same way (it took every changed event of grade IV)
    assert [m.key for m in engine.graded_among(rule, ["ev-talk", "ev-lunch"], NOW)] == ["ev-lunch"]


def test_the_emerging_rule_takes_events_flagged_by_accumulation_and_says_why(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    """A replay of real board letters opened the case of one estate's mixing plant 39 days after its first letters,
    already overdue: residents writing 1-4 letters a day made it 苗头 but no rule acted on the flag."""
    def event(event_id: str, signals: list[str], reasons: list[str]) -> Event:
        return Event(id=event_id, title=f"事件 {event_id}", first_seen=NOW - timedelta(days=3),
                     last_seen=NOW - timedelta(minutes=10), grade=Grade.IV, risk=20.0, volume=4,
                     emerging=bool(signals), emerging_signals=signals, emerging_reasons=reasons)
    index(es_client, es_layout, tmp_path, [], [
        event("ev-plant", ["accumulation"], ["近7天 4 条独立信息集中反映同一问题 (同话题「生态环境」平日每天不到 1 条)"]),
        event("ev-lane", ["early"], ["首批 1 条即出现严重线索: 火灾"]),
        event("ev-quiet", [], [])])
    rule = shipped_config().policy.rule("emerging_issue")
    [match] = engine.evaluate(rule, NOW, since=NOW - timedelta(hours=1))
    assert match.key == "ev-plant"
    assert "苗头：近7天 4 条独立信息集中反映同一问题" in match.reason
    assert [m.key for m in engine.graded_among(rule, ["ev-lane", "ev-quiet", "ev-plant"], NOW)] == ["ev-plant"]
    early = spec(type="grade", min_grade="IV", signals=["early", "burst"])
    assert [m.key for m in engine.evaluate(early, NOW, since=NOW - timedelta(hours=1))] == ["ev-lane"]


def test_signals_belong_to_grade_rules_and_name_known_signals() -> None:
    with pytest.raises(ValueError, match="only a grade rule reads events"):
        spec(type="frequency", num_events=5, timeframe_minutes=60, signals=["accumulation"])
    with pytest.raises(ValueError, match="accumulation"):
        spec(type="grade", min_grade="IV", signals=["rising"])


def test_history_merges_consecutive_matches_into_one(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    burst_at = NOW - timedelta(days=2)
    posts = [post(i, burst_at + timedelta(minutes=2 * i), sentiment="negative") for i in range(30)]
    index(es_client, es_layout, tmp_path, posts)
    rule = shipped_config().policy.rule("livelihood_negative_burst")
    [episode] = engine.history(rule, NOW - timedelta(days=7), NOW)
    assert episode.key == "就学" and episode.count >= 20
    first, last = (datetime.fromisoformat(episode.details[k]) for k in ("first_at", "last_at"))
    assert burst_at < first < last <= burst_at + timedelta(hours=2)


def test_a_rule_naming_a_missing_field_is_refused_with_its_name() -> None:
    with pytest.raises(RuleError, match="rule 't'.*'colour'"):
        check_rule(spec(type="frequency", num_events=3, timeframe_minutes=10, group_by="colour"))


def test_an_event_carried_beyond_the_board_gets_the_deadlines_of_public_opinion(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    """One post each from a board, news, RSS and Weibo: the tie was broken alphabetically (message_board first),
    and a news-covered wage protest got the board's 15 working days instead of 48 hours."""
    board_only = [post(i, NOW - timedelta(minutes=i + 1), event_id="ev-board") for i in range(3)]
    spread = [post(10 + i, NOW - timedelta(minutes=i + 1), event_id="ev-spread", source=f"s{i}")
              .model_copy(update={"source_type": kind})
              for i, kind in enumerate(["message_board", "news", "rss", "weibo"])]
    index(es_client, es_layout, tmp_path, board_only + spread)
    board = engine.event_profile("ev-board")
    assert (board.districts, board.source_type, board.board_messages) == (["A3区"], "message_board", 3)
    spread_profile = engine.event_profile("ev-spread")
    assert (spread_profile.source_type, spread_profile.board_messages) == ("news", 1)  # each message owed its reply


def test_an_events_posts_that_call_it_a_rumour_are_found_in_their_body(
        engine: RuleEngine, es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    """Routing read rumour words in the title and keywords only: "经核实，该信息系谣言" stands in a report's body."""
    cues = shipped_config().units.rumour.cues

    def saying(event_id: str, start: int, texts: list[str]) -> list[Post]:
        return [post(start + i, NOW - timedelta(minutes=i + 1), event_id=event_id).model_copy(update={"text": text})
                for i, text in enumerate(texts)]

    index(es_client, es_layout, tmp_path,
          saying("ev-rumour", 0, ["网传A3区学校停课", "经核实，该信息系谣言，请勿传播", "警方：散布不实信息者已被处罚"])
          + saying("ev-one-says", 10, ["网传A3区学校停课", "家长群在转", "有人说是谣言", "学校没有通知"])
          + saying("ev-denied", 20, ["停水三天了，这不是谣言", "业主说并非谣言，物业不管"]))
    assert set(engine.event_profile("ev-rumour", cues).rumour_cues) == {"谣言", "不实信息"}
    assert engine.event_profile("ev-one-says", cues).rumour_cues == ()  # one of four posts: hearsay
    assert engine.event_profile("ev-denied", cues).rumour_cues == ()
    assert engine.event_profile("ev-rumour").rumour_cues == ()  # no cues asked for, no posts read
