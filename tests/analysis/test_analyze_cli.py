"""``yuqing analyze`` over a JSON-lines file, bad lines included; ``yuqing events`` over the real index."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from elasticsearch import Elasticsearch

from analysis.events import EventStore, EventTracker
from analysis.tokenizer import cut_for_index, tokenize
from analysis.topic import TopicModel
from tests.support.taxonomy import add_heating, remove_ecology
from yuqing.cli import main
from yuqing.contract import MediaTier, Post
from yuqing.es.indices import IndexLayout
from yuqing.paths import config_dir
from yuqing.settings import load_config

NEWS = ("4月8日上午，长沙市岳麓区一家化工厂发生爆炸，现场浓烟滚滚。截至中午，事故已造成3人死亡、12人受伤，"
        "伤者已送往附近医院救治。应急管理局已派出工作组赶赴现场，事故原因正在调查中。")
GOOD = [
    {"id": "n1", "title": "岳麓区化工厂爆炸致3死12伤", "text": NEWS, "published_at": "2026-04-08T10:00:00+08:00",
     "source": "people", "media_tier": "central", "url": "https://example.org/n1", "source_type": "news"},
    {"id": "w1", "text": "太可怕了//@人民日报: " + NEWS, "published_at": "2026-04-08 10:20:00", "source": "weibo",
     "author": "张三丰", "region": "湖南省长沙市"},
    {"id": "w2", "text": "岳麓区化工厂爆炸已致3人死亡、12人受伤，应急管理局工作组赶赴现场，事故原因正在调查。",
     "published_at": "2026-04-08T10:40:00+08:00", "region": {"province": "湖南省", "city": "长沙市"}},
    {"id": "z1", "title": "地铁3号线早高峰太挤", "text": "建议增加A市地铁3号线早高峰班次，每天早上排队半小时都挤不上车。",
     "published_at": "2026-04-08T11:00:00+08:00", "source": "zhengwu", "unknown_field": "dropped"},
    {"id": 42, "text": "联系电话13812345678，小区电梯坏了一个月，物业不管。"},
    {"id": "e1", "text": ""},
]
BAD = [
    ("{not json", "not valid JSON"),
    ("[1, 2, 3]", "expected a JSON object, got list"),
    ('{"text": "没有编号的帖子"}', "missing 'id'"),
    ('{"id": "b2", "text": ["一个", "列表"]}', "'text' must be a string, got list"),
    ('{"id": "b3", "text": "等级不对", "media_tier": "galactic"}', "media_tier is no known tier"),
]
# The publish time is optional: a malformed one is left out, with a warning, and the post kept.
TIMELESS = [
    ('{"id": "b1", "text": "时间不对", "published_at": "下个世纪的某一天吧"}', "published_at"),
    ('{"id": "b4", "text": "时间大得离谱", "published_at": 1e20}', "published_at is a number too large for a Unix time"),
    ('{"id": "b5", "text": "占位的时间", "published_at": "0001-01-01T00:00:00"}', "not a plausible publication time"),
]


@pytest.fixture
def posts_file(tmp_path: Path) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in GOOD[:3]]
    lines += [b for b, _ in BAD[:3]] + [TIMELESS[0][0], ""] + [json.dumps(r, ensure_ascii=False) for r in GOOD[3:]]
    lines += [b for b, _ in BAD[3:]] + [b for b, _ in TIMELESS[1:]]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_analyze_enriches_clusters_and_grades_every_good_line(posts_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "enriched.jsonl"
    events_out = tmp_path / "events.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts_file), "--out", str(out),
                                       "--events-out", str(events_out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["n1", "w1", "w2", "b1", "z1", "42", "e1", "b4", "b5"]
    by_id = {r["id"]: r for r in rows}
    for row in rows:
        for key in ("topic", "topic_score", "sentiment", "sentiment_score", "severity_cues", "grade_reasons",
                    "emerging", "deidentified"):
            assert key in row, (row["id"], key)
        assert row["deidentified"] is True
    incident = {by_id[k]["event_id"] for k in ("n1", "w1", "w2")}
    assert len(incident) == 1 and None not in incident
    assert by_id["w1"]["dup_of"] == "n1"
    assert by_id["z1"]["event_id"] not in incident
    news = by_id["n1"]
    assert news["grade"] in ("I", "II", "III") and news["risk"] > 0
    assert "伤亡: 3人死亡、12人受伤 → 至少III级（定级底线）" in news["grade_reasons"]
    assert "央媒报道" in " ".join(news["grade_reasons"])
    assert news["emerging"] is True
    assert {"deaths:3", "injured:12", "explosion"} <= set(news["severity_cues"])
    assert by_id["w1"]["grade"] == news["grade"] and by_id["w1"]["grade_reasons"] == news["grade_reasons"]
    assert by_id["w1"]["region"]["city"] == "长沙市" and by_id["w2"]["region"]["province"] == "湖南省"
    assert by_id["w1"]["author"].startswith("u_")
    assert "unknown_field" not in by_id["z1"]
    assert "13812345678" not in by_id["42"]["text"]
    assert by_id["e1"]["topic"] == "非民生" and by_id["e1"].get("event_id") is None
    events = [json.loads(line) for line in events_out.read_text(encoding="utf-8").splitlines()]
    assert events[0]["id"] in incident and events[0]["volume"] == 3


def test_a_post_whose_id_is_personal_data_is_written_under_its_pseudonym_as_replay_indexes_it(tmp_path: Path) -> None:
    """A review found `yuqing analyze` writing an id that is a phone number raw beside ``deidentified: true`` (replay
    put it under a pseudonym); the repost's ``dup_of`` and the event's posts name it too."""
    from analysis.deidentify import post_id_pseudonym

    phone, id_number = "13811112222", "430102199003071234"
    posts = tmp_path / "posts.jsonl"
    posts.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {**GOOD[0], "id": phone}, {**GOOD[1], "id": id_number}, GOOD[2]]) + "\n", encoding="utf-8")
    out, events_out = tmp_path / "enriched.jsonl", tmp_path / "events.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out), "--events-out", str(events_out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [post_id_pseudonym(phone), post_id_pseudonym(id_number), "w2"]  # input order
    assert rows[1]["dup_of"] == post_id_pseudonym(phone)
    (event,) = [json.loads(line) for line in events_out.read_text(encoding="utf-8").splitlines()]
    assert sorted(event["post_ids"]) == sorted(r["id"] for r in rows)
    written = out.read_text(encoding="utf-8") + events_out.read_text(encoding="utf-8") + result.output
    assert phone not in written and id_number not in written
    assert f"{posts}: the id of 2 post(s) is personal data" in result.stderr and "lines 1, 2)" in result.stderr
    assert "each is written under a keyed pseudonym" in result.stderr


def test_a_weibo_post_id_that_passes_the_card_check_is_kept(tmp_path: Path) -> None:
    """Any 16 digits passing the Luhn check read as a bank card: a tenth of Weibo's numeric post ids were written
    under a pseudonym and said to be personal data, and could no longer be joined back by id (a review)."""
    mids = ["4987654321012349", "weibo_5001234567890127"]  # Luhn-valid, not UnionPay (62…)
    posts = tmp_path / "posts.jsonl"
    posts.write_text("\n".join(json.dumps({**GOOD[i], "id": mid}, ensure_ascii=False) for i, mid in enumerate(mids))
                     + "\n", encoding="utf-8")
    out = tmp_path / "enriched.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == mids
    assert "personal data" not in result.stderr


def test_bad_lines_are_reported_by_number_and_skipped(posts_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts_file), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 0
    err = result.stderr
    for number, (_, reason) in zip([4, 5, 6, 12, 13], BAD, strict=True):
        assert f"posts.jsonl:{number}: skipped: " in err and reason in err, (number, reason, err)
    for number, (_, reason) in zip([7, 14, 15], TIMELESS, strict=True):
        assert f"posts.jsonl:{number}: left out published_at (" in err and reason in err, (number, reason, err)
    assert "analyzed 9 posts into" in err and "skipped 5 bad lines" in err


def test_a_repeated_id_loses_no_line_and_counts_a_repeated_post_once(tmp_path: Path) -> None:
    """Two sources numbering from 1 repeat ids: the second post (an explosion with deaths) was dropped, ungraded,
    and the output had fewer lines than the input (a release review)."""
    posts = tmp_path / "p.jsonl"
    lines = [{"id": "a1", "text": "A3区某小学食堂发生食物中毒，20多名学生送医", "published_at": "2026-04-08T10:00:00+08:00"},
             {"id": "b", "text": "A5区医院排队三个小时还看不上病，患者怨声载道", "published_at": "2026-04-08T10:05:00+08:00"},
             {"id": "a1", "text": "A市化工厂爆炸，已致3人死亡", "published_at": "2026-04-08T10:10:00+08:00"}]
    posts.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines + lines[1:2]), encoding="utf-8")
    out, events_out = tmp_path / "o.jsonl", tmp_path / "e.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out), "--events-out", str(events_out)])
    assert result.exit_code == 0, result.output
    assert "p.jsonl:3: its id repeats the id of line 1, with another post: both are analysed" in result.stderr
    assert "p.jsonl:4: repeats line 2 (same id, same post)" in result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["text"]) for r in rows] == [(r["id"], r["text"]) for r in lines + lines[1:2]]
    assert rows[2]["event_id"] not in (None, rows[0]["event_id"]) and rows[2]["grade"] in ("I", "II", "III")
    assert rows[3] == rows[1]
    events = [json.loads(line) for line in events_out.read_text(encoding="utf-8").splitlines()]
    assert sorted(i for e in events for i in e["post_ids"]) == ["a1", "a1", "b"]
    assert [e["volume"] for e in events if e["id"] == rows[1]["event_id"]] == [1]


def test_every_line_carries_the_contracts_fields_even_when_null(posts_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    assert CliRunner().invoke(main, ["analyze", "--in", str(posts_file), "--out", str(out)]).exit_code == 0
    for row in map(json.loads, out.read_text(encoding="utf-8").splitlines()):
        for key in ("id", "text", "title", "region", "topic", "sentiment", "dup_of", "event_id", "grade", "risk",
                    "grade_reasons"):
            assert key in row, (row["id"], key)


def test_numbers_where_text_belongs_are_read_as_text(tmp_path: Path) -> None:
    posts = tmp_path / "p.jsonl"
    posts.write_text('{"id": 1.5, "text": 12345, "title": 678, "published_at": "2026年4月8日 上午9点"}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text(encoding="utf-8"))
    assert (row["id"], row["text"], row["title"], row["topic"]) == ("1.5", "12345", "678", "非民生")
    assert row["published_at"] == "2026-04-08T09:00:00+08:00"  # as people write dates here


def test_a_malformed_optional_field_is_left_out_not_the_post(tmp_path: Path) -> None:
    posts = tmp_path / "p.jsonl"
    posts.write_text('{"id": "a", "text": "医院排队太久", "engagement": "lots"}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["id"] == "a" and row["topic"] == "就医"
    assert "p.jsonl:1: left out engagement" in result.stderr and "the post is kept" in result.stderr


def test_an_unknown_source_type_is_said_with_the_known_ones_and_the_post_kept(tmp_path: Path) -> None:
    """A review (L2): "board" for message_board passed in silence, and the post was read as news."""
    posts = tmp_path / "p.jsonl"
    posts.write_text('{"id": "a", "text": "小区停车难", "source_type": "board"}\n'
                     '{"id": "b", "text": "小区停车难", "source_type": "message_board"}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(row) for row in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["source_type"]) for r in rows] == [("a", "news"), ("b", "message_board")]
    assert ("p.jsonl:1: left out source_type (source_type is no known source type (did you mean message_board?); "
            "use one of news, rss, sitemap, message_board, social_json, weibo (news when left out)); the post is "
            "kept") in result.stderr
    assert "p.jsonl:2" not in result.stderr


def test_a_post_known_only_by_its_day_stays_so_and_is_not_counted_in_an_hour(tmp_path: Path) -> None:
    """An index export carries ``published_precision: day``; dropped as an unknown field, the post was counted in
    the event's hours as if written at its day's end."""
    posts = tmp_path / "p.jsonl"
    day_only = {"id": "d1", "text": "岳麓区化工厂爆炸已致3人死亡、12人受伤，事故原因正在调查。", "source": "weibo",
                "published_at": "2026-04-08T23:59:59+08:00", "published_precision": "day"}
    odd = {"id": "d2", "text": "医院排队太久", "published_at": "2026-04-08", "published_precision": "hour"}
    lines = [GOOD[0], GOOD[2], day_only, odd]
    posts.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    out, events_out = tmp_path / "o.jsonl", tmp_path / "e.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out), "--events-out", str(events_out)])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows["d1"]["published_precision"] == "day" and rows["d1"]["event_id"] == rows["n1"]["event_id"]
    assert "published_precision" not in rows["d2"] and "p.jsonl:4: left out published_precision" in result.stderr
    [event] = [e for e in map(json.loads, events_out.read_text(encoding="utf-8").splitlines())
               if e["id"] == rows["n1"]["event_id"]]
    assert event["volume"] == 3 and sum(h["count"] for h in event["timeline"]) == 2


def test_a_date_alone_is_read_as_the_crawler_reads_it_not_as_midnight(tmp_path: Path) -> None:
    """README (crawl): a date without its time is never that day's midnight; analyze and replay read it so too."""
    posts = tmp_path / "p.jsonl"
    posts.write_text(json.dumps({"id": "0012", "text": "医院排队太久", "published_at": "2020-04-08"}) + "\n"
                     + json.dumps({"id": "t", "text": "医院排队太久了", "published_at": "2020-04-08T09:30:00+08:00"})
                     + "\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)]).exit_code == 0
    day, timed = map(json.loads, out.read_text(encoding="utf-8").splitlines())
    assert day["published_at"] == "2020-04-08T23:59:59+08:00" and day["published_precision"] == "day"
    assert timed["published_at"] == "2020-04-08T09:30:00+08:00" and "published_precision" not in timed


def test_analyze_help_says_what_is_written_and_how_to_join_it_back() -> None:
    said = " ".join(CliRunner().invoke(main, ["analyze", "--help"]).output.split())
    assert "Only the Post fields are written" in said and "every id is written as a string" in said


def test_a_byte_order_mark_and_a_gbk_line_lose_no_post(tmp_path: Path) -> None:
    posts = tmp_path / "p.jsonl"
    posts.write_bytes(b"\xef\xbb\xbf" + '{"id": "a", "text": "医院排队太久"}\n'.encode()
                      + '{"id": "b", "text": "学校收费不合理"}\n'.encode("gbk"))
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["text"]) for r in rows] == [("a", "医院排队太久"), ("b", "学校收费不合理")]
    assert "p.jsonl:2: not UTF-8; read as GB18030" in result.stderr


@pytest.mark.parametrize("text", ["A市伊景园滨河苑诈骗钱财", "呼吁A市撤销禁摩令", "）"])
def test_a_gb18030_line_is_never_taken_for_big5(tmp_path: Path, text: str) -> None:
    """Three real board subjects a per-line guess (charset-normalizer) read as Big5: 伊景园滨河苑诈骗钱财 came out as
    A庈畛劓埶梆碩埸晥ぉヴ笙 (a review)."""
    posts = tmp_path / "p.jsonl"
    posts.write_bytes(json.dumps({"id": "gb", "text": text}, ensure_ascii=False).encode("gb18030") + b"\n")
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["text"] == text
    assert "read as GB18030" in result.stderr


def test_a_big5_line_is_read_as_big5_not_as_gb18030_nonsense(tmp_path: Path) -> None:
    posts = tmp_path / "p.jsonl"
    posts.write_bytes('{"id": "tw", "text": "颱風過後，社區積水嚴重，居民出入困難"}\n'.encode("big5"))
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["text"] == "颱風過後，社區積水嚴重，居民出入困難"
    assert "p.jsonl:1: not UTF-8; read as Big5 (Traditional Chinese)" in result.stderr


@pytest.mark.parametrize("target", ["same", "dir", "missing-dir"])
def test_an_output_that_would_destroy_the_input_or_cannot_be_written_is_refused_first(
    posts_file: Path, tmp_path: Path, target: str
) -> None:
    before = posts_file.read_bytes()
    out = {"same": posts_file, "dir": tmp_path, "missing-dir": tmp_path / "nope" / "o.jsonl"}[target]
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts_file), "--out", str(out)])
    assert result.exit_code != 0
    assert {"same": "is the input file", "dir": "is a directory", "missing-dir": "does not exist"}[target] in (
        result.output + result.stderr)
    assert posts_file.read_bytes() == before


def test_a_missing_input_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["analyze", "--in", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0 and "cannot read" in result.output + result.stderr


def test_events_list_and_show_read_the_index(es_node: str, es_client: Elasticsearch, es_layout: IndexLayout,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(config_dir(), cfg)
    settings = yaml.safe_load((cfg / "settings.yaml").read_text(encoding="utf-8"))
    settings["elasticsearch"]["index_prefix"] = es_layout.prefix
    (cfg / "settings.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("YUQING_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("YUQING_ES_URL", es_node)
    store = EventStore(es_client, es_layout, tmp_path / "spool", cut=cut_for_index, refresh=True)
    tracker = EventTracker(load_config(cfg).policy.grading, store=store)
    at = datetime(2026, 4, 8, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    event = tracker.add(Post(id="n1", source="people", media_tier=MediaTier.CENTRAL, fetched_at=at, text=NEWS,
                             tokens=tokenize(NEWS), severity_cues=["deaths:3", "injured:12", "explosion"]))
    tracker.add(Post(id="z1", source="zhengwu", fetched_at=at, text=GOOD[3]["text"],
                     tokens=tokenize(GOOD[3]["text"])))
    tracker.flush()
    assert event is not None

    runner = CliRunner()
    listed = runner.invoke(main, ["events", "list", "--min-grade", "III"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert len(lines) == 1 and event.id in lines[0] and " 苗头" in lines[0]
    assert "2026-04-08 10:00" in lines[0]  # local time, as configured: the index holds UTC (02:00 shown before)
    shown = runner.invoke(main, ["events", "show", event.id])
    assert shown.exit_code == 0, shown.output
    assert "2026-04-08 10:00 → 2026-04-08 10:00 (Asia/Shanghai)" in shown.output
    assert "至少III级（定级底线）" in shown.output and "首批 1 条即出现严重线索" in shown.output
    assert "tiers central 1" in shown.output and "{'" not in shown.output  # (a Python dict: tiers {'local': 4})
    missing = runner.invoke(main, ["events", "show", "ev-nope"])
    assert missing.exit_code != 0 and "no event 'ev-nope'" in missing.output


def test_events_show_without_an_id_says_so() -> None:
    """An empty id reached Elasticsearch, whose refusal came back as a traceback."""
    result = CliRunner().invoke(main, ["events", "show", " "])
    assert result.exit_code == 2 and "give an event id" in result.output


POLLUTION = {"id": "p1", "title": "化工厂夜里偷排废气 刺鼻异味",
             "text": "化工厂每天夜里偷排废气，刺鼻异味熏得人睡不着，河道污水发黑发臭，排污口就在小区旁边。"}


def test_a_topic_the_taxonomy_no_longer_has_is_not_given_and_the_deployer_is_told(tmp_path: Path) -> None:
    """A removed topic would route nowhere: its posts get the fallback, and stderr says to retrain."""
    cfg = tmp_path / "config"
    shutil.copytree(config_dir(), cfg)
    remove_ecology(cfg)
    posts, out = tmp_path / "p.jsonl", tmp_path / "p.out.jsonl"
    posts.write_text(json.dumps(POLLUTION, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert f"warning: the topic model in use ({TopicModel.default_dir}) predicts 生态环境, which " in result.output
    assert "such posts get the fallback topic 非民生 instead" in result.output
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["topic"] == "非民生", row["topics"]
    assert "生态环境" not in row["topics"]


def test_a_topic_added_to_the_taxonomy_is_said_to_need_retraining(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(config_dir(), cfg)
    add_heating(cfg)
    posts, out = tmp_path / "p.jsonl", tmp_path / "p.out.jsonl"
    posts.write_text(json.dumps(POLLUTION, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert (f"warning: topic(s) 供暖 of {cfg / 'taxonomy.yaml'} are not among the labels of the topic model in use"
            in result.output)
    assert "`yuqing train topic --shipped`" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["topic"] == "生态环境"


def test_a_broken_region_alias_table_stops_analysis_with_one_message(tmp_path: Path) -> None:
    """A review: one wrong code in config/region_aliases.yaml gave a traceback per post and every post its source's
    region (a Nanjing accident written as the district's own), exit 0. Now nothing is written, and it is said once."""
    cfg = tmp_path / "config"
    shutil.copytree(config_dir(), cfg)
    shipped = Path(__file__).resolve().parents[2] / "analysis" / "resources" / "region_aliases.yaml"
    (cfg / "region_aliases.yaml").write_text(shipped.read_text(encoding="utf-8").replace(
        "names:\n", "names:\n  玉林街道: {code: \"5101077\"}\n", 1), encoding="utf-8")
    posts = tmp_path / "posts.jsonl"
    posts.write_text("\n".join(json.dumps({"id": f"n{i}", "text": "南京市鼓楼区一在建工地塔吊倒塌 致2死3伤",
                                           "region": "四川省成都市武侯区"}, ensure_ascii=False)
                               for i in range(3)) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--config", str(cfg), "--in", str(posts), "--out", str(out)])
    said = result.output  # (standard error included)
    assert result.exit_code == 1, said
    assert said.count("names.玉林街道.code: '5101077' is not in the gazetteer") == 1 and "nothing was written" in said
    assert not out.exists()


def test_a_source_naming_a_known_outlet_gives_the_post_its_tier(tmp_path: Path) -> None:
    """A release judge: 人民日报, 新华社 and news.sina.com.cn carried an explosion with 3 dead and every post was
    ``self-media``, graded 「仅自媒体/网民发帖 (+3.0)」, 12 points low. The issue's contract gives the source, not the tier;
    the outlet table maps names, hosts and URLs, a deployment adds its own outlets, a line's media_tier or a configured
    source's tier wins, and a source nobody names is ``unknown``, never said to be self-media."""
    cfg = tmp_path / "config"
    shutil.copytree(config_dir(), cfg)
    (cfg / "media_outlets.yaml").write_text(
        "outlets:\n  - {name: 长沙晚报, aliases: [长沙晚报网], domains: [icswb.com], tier: local}\n", encoding="utf-8")
    blast = "湖南长沙岳麓区一化工厂发生爆炸，已造成3人死亡、12人受伤，伤者已送医救治"
    at = "2026-11-20T09:{:02d}:00+08:00"
    rows = [{"id": "p01", "text": blast, "source": "人民日报"}, {"id": "p02", "text": blast, "source": "新华社"},
            {"id": "p03", "text": "转发微博//@岳麓发布:" + blast, "source": "weibo"},
            {"id": "p04", "text": "【突发】" + blast, "source": "news.sina.com.cn"},
            {"id": "p05", "text": "A市图书馆周末举办读书分享会，市民可免费参加", "source": "https://www.people.com.cn/n1/x.html"},
            {"id": "p06", "text": "A市公交新开通三条线路方便市民出行", "url": "https://news.163.com/20/1120/x.html"},
            {"id": "p07", "text": "小区门口的路灯坏了好几天，晚上出门很不方便", "source": "某县论坛"},
            {"id": "p08", "text": "长沙市今年新增公办幼儿园学位三千个", "source": "www.icswb.com"},
            {"id": "p09", "text": "长沙地铁六号线东延段开工建设", "source": "人民日报", "media_tier": "local"},
            {"id": "p10", "text": "A市新闻网报道本市举行消防演练", "source": "demo_news"}]
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(json.dumps({**r, "published_at": at.format(i)}, ensure_ascii=False) + "\n"
                             for i, r in enumerate(rows)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--config", str(cfg), "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    by_id = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert {k: r["media_tier"] for k, r in by_id.items()} == {
        "p01": "central", "p02": "central", "p03": "self-media", "p04": "portal", "p05": "central", "p06": "portal",
        "p07": "unknown", "p08": "local", "p09": "local", "p10": "local"}
    blast_reasons = by_id["p01"]["grade_reasons"]
    assert by_id["p04"]["event_id"] == by_id["p01"]["event_id"] and "央媒报道 (+15.0)" in blast_reasons
    assert by_id["p01"]["risk"] >= 35 and not any("自媒体" in r for r in blast_reasons)
    assert "来源未识别，媒体层级未知 (+3.0)" in by_id["p07"]["grade_reasons"]
    assert not any("仅自媒体" in r for r in by_id["p07"]["grade_reasons"])


def test_an_account_on_a_portals_self_media_channel_is_self_media_not_the_portal(tmp_path: Path) -> None:
    """A review: 网易号 articles (www.163.com/dy/…) and 搜狐号 articles (www.sohu.com/a/…) sit on the portal's own host,
    and a story only accounts carried was graded 「主要门户网站报道 (+15.0)」 as if 网易 and 搜狐 had run it; a source
    written 网易号 某某说事 or 头条号 was unknown. The portal's own news stays the portal, a named outlet's account
    keeps its tier, and 今日头条's pages stay unknown (an aggregator)."""
    leak = "A市B区化工园区一企业储罐发生泄漏，周边居民称闻到刺鼻气味，已有5人送医"
    rows = [{"id": "d1", "text": leak, "source": "某某说事", "url": "https://www.163.com/dy/article/J5ABCDEF0512D3VJ.html"},
            {"id": "d2", "text": "【现场】" + leak, "source": "某某观察", "url": "https://www.sohu.com/a/771234567_121106842"},
            {"id": "d3", "text": leak + "，原因正在调查", "source": "网易号 某某说事"},
            {"id": "d4", "text": leak + "，厂区已停产", "source": "m.163.com/dy/article/J5ABCDEF0512D3VJ.html"},
            {"id": "n1", "text": "A市地铁三号线将于下月开通试运营", "source": "网易新闻", "url": "https://news.163.com/x.html"},
            {"id": "n2", "text": "A市今年新建城市公园十二座", "url": "https://www.163.com/news/article/J5ABCDEF000189FH.html"},
            {"id": "n3", "text": "A市举办首届马拉松比赛", "url": "https://www.163.com/dynamic/x.html"},
            {"id": "n4", "text": "A市公积金贷款额度上调", "source": "网易号：人民日报"},
            {"id": "n5", "text": "A市新增三条公交线路", "source": "头条号"},
            {"id": "n6", "text": "A市图书馆延长开放时间", "url": "https://www.toutiao.com/article/7000000000000000000/"}]
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(json.dumps({**r, "published_at": f"2026-11-20T09:{i:02d}:00+08:00"}, ensure_ascii=False)
                             + "\n" for i, r in enumerate(rows)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    by_id = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert {k: r["media_tier"] for k, r in by_id.items()} == {
        "d1": "self-media", "d2": "self-media", "d3": "self-media", "d4": "self-media", "n1": "portal",
        "n2": "portal", "n3": "portal", "n4": "central", "n5": "self-media", "n6": "unknown"}
    leak_reasons = by_id["d1"]["grade_reasons"]
    assert {by_id[k]["event_id"] for k in ("d1", "d2", "d3", "d4")} == {by_id["d1"]["event_id"]}
    assert "仅自媒体/网民发帖 (+3.0)" in leak_reasons, leak_reasons
    assert not any("门户" in r for r in leak_reasons)


def test_a_board_letter_or_a_social_post_nobody_names_is_a_citizens_post(tmp_path: Path) -> None:
    """A review (rdiff 5): each of the 4,326 board letters (source "board") read 「来源未识别，媒体层级未知」 and the
    source_type was not looked at; a letter to the board is a citizen's post (self-media), as `yuqing run` tiers it.
    An outlet the table names keeps its tier whatever the source_type (人民日报's Weibo account is central)."""
    rows = [{"id": "b1", "text": "小区门口的路灯坏了好几天，晚上出门很不方便", "source": "board"},
            {"id": "b2", "text": "小区门口的路灯坏了好几天，晚上出门很不方便", "source": "A市政务留言",
             "source_type": "message_board"},
            {"id": "b3", "text": "小区门口的路灯坏了好几天，晚上出门很不方便", "source": "某网友", "source_type": "weibo"},
            {"id": "b4", "text": "小区门口的路灯坏了好几天，晚上出门很不方便", "source": "人民日报", "source_type": "weibo"},
            {"id": "b5", "text": "小区门口的路灯坏了好几天，晚上出门很不方便", "source": "某县论坛", "source_type": "news"}]
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    by_id = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert {k: r["media_tier"] for k, r in by_id.items()} == {
        "b1": "self-media", "b2": "self-media", "b3": "self-media", "b4": "central", "b5": "unknown"}


def test_a_post_with_too_few_words_for_an_event_says_so_in_its_grade_reasons(tmp_path: Path) -> None:
    """A release judge: 350 of 2,000 real Weibo posts (来了！, [赞]), an emoji-only post and one word repeated over a megabyte
    had grade, risk and event_id null and grade_reasons empty, a null nobody explained."""
    from analysis.events import UNCLUSTERED_REASON

    posts = tmp_path / "posts.jsonl"
    rows = [{"id": "w1", "text": "来了！"}, {"id": "w2", "text": "[赞]"}, {"id": "w3", "text": "😭😭😭🔥🔥🔥"},
            {"id": "w4", "text": "医院" * 50_000}, {"id": "w5", "text": "A3区某小学食堂多名学生午饭后腹泻呕吐送医"}]
    posts.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for row in written[:4]:
        assert (row["event_id"], row["grade"], row["risk"]) == (None, None, None), row["id"]
        assert row["grade_reasons"] == [UNCLUSTERED_REASON] and "未聚类、未分级" in UNCLUSTERED_REASON
    assert written[4]["grade"] is not None and written[4]["grade_reasons"][0].startswith("风险分")
    help_text = CliRunner().invoke(main, ["analyze", "--help"]).output
    assert "fewer than two content words" in help_text and "grade_reasons says so" in help_text


def test_skipped_lines_end_standard_error_with_a_warning_and_the_help_says_the_exit_status(
        posts_file: Path, tmp_path: Path) -> None:
    """A release judge: after skipping bad lines analyze exits 0, and a script reading only the status cannot tell that
    rows were lost. The status stays 0 (the other posts were analysed; scripts treat non-zero as a failed run), and the
    last line of standard error says how many lines have no output line; --help says both."""
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts_file), "--out", str(out)])
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == (
        f"WARNING: 5 input line(s) skipped (line 4, 5, 6, 12, 13; reasons above): {out} has 9 lines, not one for each "
        "of the 14 non-blank input lines")
    help_text = " ".join(CliRunner().invoke(main, ["analyze", "--help"]).output.split())
    assert "The exit status stays 0" in help_text and "compare the line counts" in help_text
