"""Near-duplicates: reposts and copied articles count as the spread of one story."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from analysis import hashing
from analysis.dedup import (
    NearDuplicateIndex,
    _without_noise,
    _word_map,
    journal_path,
    normalise,
    shingle_hashes,
)
from tests.analysis.conftest import built_extension
from yuqing.paths import SharedDataMissing, shared_data_file

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
FIRE = (
    "长沙市岳麓区麓山路某小区昨晚发生火灾，消防部门接警后迅速赶到现场处置，"
    "目前火势已被控制，没有人员伤亡，起火原因正在进一步调查中。"
)
CRASH = (
    "长沙市岳麓区麓山路今天上午发生一起交通事故，一辆货车与电动车相撞，"
    "电动车驾驶人受伤被送往医院救治，交警正在现场处理，请过往车辆绕行。"
)


def test_a_weibo_repost_points_to_the_original() -> None:
    index = NearDuplicateIndex()
    assert index.add("orig", FIRE, T0) is None
    assert index.add("repost", f"太吓人了//@某人:{FIRE}", T0 + timedelta(hours=1)) == "orig"


def test_a_copied_article_with_another_header_points_to_the_original() -> None:
    index = NearDuplicateIndex()
    index.add("orig", FIRE, T0)
    copied = f"【本报讯】（记者 张三）{FIRE} 责任编辑：李四 http://t.cn/A6abcdE"
    assert index.add("copy", copied, T0 + timedelta(hours=2)) == "orig"


def test_two_incidents_in_the_same_place_are_two_stories() -> None:
    index = NearDuplicateIndex()
    index.add("fire", FIRE, T0)
    assert index.add("crash", CRASH, T0 + timedelta(hours=3)) is None
    assert len(index) == 2


def test_a_copy_of_a_copy_points_to_the_first_post_of_the_story() -> None:
    index = NearDuplicateIndex()
    index.add("orig", FIRE, T0)
    index.add("copy1", f"转发：{FIRE}", T0 + timedelta(hours=1))
    assert index.add("copy2", f"转发：{FIRE}！！", T0 + timedelta(hours=2)) == "orig"


def test_very_short_texts_never_match() -> None:
    index = NearDuplicateIndex()
    assert index.add("a", "转发微博", T0) is None
    assert index.add("b", "转发微博", T0) is None
    assert index.add("c", "[哈哈][哈哈]", T0) is None
    assert len(index) == 0


def test_adding_the_same_post_again_changes_nothing() -> None:
    index = NearDuplicateIndex()
    index.add("orig", FIRE, T0)
    assert index.add("copy", FIRE, T0) == "orig"
    assert index.add("copy", FIRE, T0) == "orig"
    assert index.add("orig", FIRE, T0) is None
    assert len(index) == 2


def test_query_looks_without_adding() -> None:
    index = NearDuplicateIndex()
    index.add("orig", FIRE, T0)
    assert index.query(f"//@某人:{FIRE}") == "orig"
    assert index.query(CRASH) is None
    assert len(index) == 1


def test_posts_older_than_the_window_are_forgotten() -> None:
    index = NearDuplicateIndex(window=timedelta(days=7))
    index.add("old", FIRE, T0)
    index.add("other", CRASH, T0 + timedelta(days=8))
    assert "old" not in index
    assert index.add("late copy", FIRE, T0 + timedelta(days=8, hours=1)) is None


def test_memory_is_capped() -> None:
    index = NearDuplicateIndex(max_entries=3)
    for i in range(10):
        index.add(
            f"p{i}", f"第{i}条完全不同的消息内容，编号{i * 7919}，地点各不相同{i}", T0 + timedelta(minutes=i)
        )
    assert len(index) == 3
    assert "p9" in index and "p0" not in index


def test_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "near_duplicates.npz"
    index = NearDuplicateIndex(threshold=0.6)
    index.add("orig", FIRE, T0)
    index.add("copy", f"转发：{FIRE}", T0 + timedelta(hours=1))
    index.save(path)

    restored = NearDuplicateIndex.open(path)
    assert len(restored) == 2
    assert restored.threshold == 0.6
    assert restored.add("copy", FIRE, T0) == "orig"
    assert restored.add("again", f"//@某人:{FIRE}", T0 + timedelta(hours=5)) == "orig"
    assert restored.add("crash", CRASH, T0 + timedelta(hours=5)) is None
    assert not list(path.parent.glob("*.tmp"))


def test_open_without_saved_state_starts_empty(tmp_path: Path) -> None:
    index = NearDuplicateIndex.open(tmp_path / "missing.npz", threshold=0.8)
    assert len(index) == 0 and index.threshold == 0.8


def test_timestamps_must_carry_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone"):
        NearDuplicateIndex().add("a", FIRE, datetime(2024, 3, 1, 8, 0))


def test_normalise_drops_repost_markers_links_emoticons_and_punctuation() -> None:
    text = "好！//@张三: 转发 http://t.cn/A6PqoMKY [哈哈] @李四 #武汉加油#"
    assert normalise(text) == "好转发武汉加油"


def test_similarity_estimate_follows_the_share_of_common_shingles() -> None:
    index = NearDuplicateIndex(num_perm=64)
    base = FIRE + CRASH
    for cut in (10, 40, 70):
        variant = base[: len(base) - cut] + "完全不同的结尾" * (cut // 7)
        a, b = set(shingle_hashes(base).tolist()), set(shingle_hashes(variant).tolist())
        true_jaccard = len(a & b) / len(a | b)
        sig_a, sig_b = index.signature(base), index.signature(variant)
        assert sig_a is not None and sig_b is not None
        estimate = float(np.mean(sig_a == sig_b))
        assert abs(estimate - true_jaccard) < 0.2


def test_an_unreadable_state_file_is_set_aside_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "near_duplicates.npz"
    path.write_bytes(b"not a numpy archive")
    index = NearDuplicateIndex.open(path)
    assert len(index) == 0
    [kept] = tmp_path.glob("near_duplicates.npz.damaged-*")
    assert kept.read_bytes() == b"not a numpy archive"
    assert f"moved it to {kept}" in caplog.text
    with pytest.raises(ValueError):
        NearDuplicateIndex.load(kept)


def test_posts_added_after_the_last_save_come_back_from_the_journal(tmp_path: Path) -> None:
    """Only a save kept the index: a process killed between two saves lost every post it had added since."""
    path = tmp_path / "near_duplicates.npz"
    index = NearDuplicateIndex()
    index.add("orig", FIRE, T0)
    index.save(path)
    index.add("crash", CRASH, T0 + timedelta(hours=1))
    assert index.append_journal(path) == 1
    assert index.append_journal(path) == 0, "a post is journaled once"
    # killed here: no save
    restored = NearDuplicateIndex.open(path)
    assert len(restored) == 2
    assert restored.add("crash-copy", f"转发：{CRASH}", T0 + timedelta(hours=2)) == "crash"
    restored.save(path)
    assert not journal_path(path).exists(), "a save holds everything the journal held"
    assert len(NearDuplicateIndex.open(path)) == 3


def test_two_crawls_sharing_one_state_keep_each_others_posts(tmp_path: Path) -> None:
    """A manual `yuqing crawl` while `yuqing run` crawled: each loaded the state when it started, and the last to save
    overwrote the other's posts and emptied the journal lines the other had appended (the durability review)."""
    path = tmp_path / "near_duplicates.npz"
    scheduler, manual = NearDuplicateIndex.open(path), NearDuplicateIndex.open(path)
    scheduler.add("fire", FIRE, T0)
    scheduler.append_journal(path)
    manual.add("crash", CRASH, T0 + timedelta(minutes=5))
    manual.append_journal(path)
    manual.save(path)  # the manual crawl ends first
    scheduler.add("fire-2", f"转发：{FIRE}", T0 + timedelta(minutes=10))
    scheduler.save(path)  # then the scheduler's
    merged = NearDuplicateIndex.open(path)
    assert all(key in merged for key in ("fire", "crash", "fire-2"))
    assert merged.add("crash-copy", f"转发：{CRASH}", T0 + timedelta(hours=1)) == "crash"
    assert not journal_path(path).exists()


def test_a_journal_line_cut_short_by_a_kill_is_dropped_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "near_duplicates.npz"
    index = NearDuplicateIndex()
    index.add("orig", FIRE, T0)
    index.append_journal(path)
    with journal_path(path).open("ab") as fh:
        fh.write(b'["half", null, 17')  # the process died in the middle of this write
    restored = NearDuplicateIndex.open(path)
    assert "orig" in restored and len(restored) == 1
    restored.add("crash", CRASH, T0)
    restored.append_journal(path)  # continues on a line of its own
    again = NearDuplicateIndex.open(path)
    assert "orig" in again and "crash" in again


def test_a_damaged_journal_is_set_aside_and_every_line_it_could_read_kept(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "near_duplicates.npz"
    index = NearDuplicateIndex()
    index.add("orig", FIRE, T0)
    index.append_journal(path)
    with journal_path(path).open("ab") as fh:
        fh.write(b"garbage in the middle\n")
    index.add("crash", CRASH, T0)
    index.append_journal(path)
    restored = NearDuplicateIndex.open(path)
    assert "orig" in restored and "crash" in restored
    [kept] = tmp_path.glob("near_duplicates.npz.journal.damaged-*")
    assert f"moved it to {kept}" in caplog.text and "line 2" in caplog.text
    again = NearDuplicateIndex.open(path)
    assert "orig" in again and "crash" in again, "what it could read is saved at once"


def _zhengwu(limit: int) -> list[tuple[str, str]]:
    try:
        path = shared_data_file("zhengwu/messages_with_votes.csv")
    except SharedDataMissing as exc:
        pytest.skip(str(exc))
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:limit]
    return [(r["msg_id"], f"{r['subject']}\n{r['detail']}") for r in rows]


def test_real_messages_and_their_reposts_form_one_story_each() -> None:
    messages = [(i, t) for i, t in _zhengwu(400) if len(normalise(t)) >= 60]
    index = NearDuplicateIndex()
    roots = {}
    for n, (msg_id, text) in enumerate(messages):
        roots[msg_id] = index.add(msg_id, text, T0 + timedelta(minutes=n)) or msg_id
    missed = [
        msg_id
        for n, (msg_id, text) in enumerate(messages)
        if index.add(f"repost-{msg_id}", f"转发理由：关注！//@网友{n}:{text}", T0 + timedelta(days=1))
        != roots[msg_id]
    ]
    assert len(missed) <= len(messages) * 0.02
    distinct_stories = len(set(roots.values()))
    assert distinct_stories > len(messages) * 0.8



# 67 permutations: not a multiple of the four the extension takes a pass.
_SIGNING = NearDuplicateIndex(num_perm=67)


def _numpy_signatures(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray | None]:
    monkeypatch.setenv("YUQING_NATIVE", "0")
    hashing.native.cache_clear()
    try:
        return [_SIGNING.signature(t) for t in texts]
    finally:
        monkeypatch.undo()
        hashing.native.cache_clear()


def _native_signature(text: str) -> np.ndarray | None:
    """What the index asks the extension for, and checked to be what the index gives."""
    index = _SIGNING
    values = built_extension().minhash(_without_noise(text), _word_map(), index._a, index._b, index.min_chars - 2)
    signature = None if values is None else np.frombuffer(values, dtype=np.uint32)
    given = index.signature(text)
    assert given is None if signature is None else np.array_equal(given, signature)
    return signature


def test_the_extension_computes_the_signatures_numpy_computes(monkeypatch: pytest.MonkeyPatch) -> None:
    """analysis._native's MinHash is numpy's to the bit: an index saved by one is read by the other."""
    too_short = ["好！//@张三: 转发 http://t.cn/A6PqoMKY [哈哈] @李四", "短文本", "", "abc"]
    texts = [t for _, t in _zhengwu(300)] + [
        f"太吓人了//@某人:{FIRE}", "ＡＢＣ１２３ａｂｃ全角", "表情😀𠀋不在基本平面的字", "字" * 5000, *too_short]
    native = [_native_signature(t) for t in texts]
    numpy = _numpy_signatures(texts, monkeypatch)
    assert [s is None for s in native] == [s is None for s in numpy] == [t in too_short for t in texts]
    for ours, theirs in zip(native, numpy, strict=True):
        if ours is not None and theirs is not None:
            assert ours.dtype == theirs.dtype == np.uint32
            assert np.array_equal(ours, theirs)


def test_a_lone_surrogate_raises_the_encoding_error_in_both(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "火灾\ud800现场消防部门接警后迅速赶到"
    with pytest.raises(UnicodeEncodeError):
        _native_signature(text)
    with pytest.raises(UnicodeEncodeError):
        _numpy_signatures([text], monkeypatch)
