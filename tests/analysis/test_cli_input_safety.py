"""`yuqing train`, `predict` and `analyze` never lose or overwrite a user's data silently, and their held-out scores
stay honest. Each case failed once, in a review that used the commands as a release judge would (2026-11-26)."""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from analysis import commands
from analysis.commands import predict_command, train_command
from analysis.datasets import weibo_senti_100k
from analysis.model_topics import SHIPPED_TOPIC_MODEL
from analysis.text_model import PersistedTextModel
from tests.analysis.test_train_cli import labelled_rows, write_csv
from yuqing.cli import main

TRAIN = ["--text-column", "content", "--label-column", "category"]


def analyzed(tmp_path: Path, lines: str, *options: str) -> tuple[Result, Path]:
    """``yuqing analyze`` over ``lines`` (written to p.jsonl): its result and its output file, o.jsonl."""
    posts, out = tmp_path / "p.jsonl", tmp_path / "o.jsonl"
    posts.write_text(lines, encoding="utf-8")
    return CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out), *options]), out


def rows_csv(tmp_path: Path, name: str = "in.csv") -> Path:
    return write_csv(tmp_path / name, [{"id": "1", "text": "学校食堂饭菜太差"}, {"id": "2", "text": "医院排队太久"}])


# --------------------------------------------------------------------------- reading


def test_a_quote_never_closed_is_an_error_at_its_line_not_half_the_rows(tmp_path: Path) -> None:
    data = tmp_path / "stray.csv"
    data.write_text('id,text\n1,好的标题\n2,"第二行没有收尾的引号\n3,第三行\n4,第四行\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data), "--out", str(out)])
    assert result.exit_code != 0
    assert "the row that starts on line 3" in result.output and "must end with one" in result.output
    assert not out.exists()
    labelled = tmp_path / "labelled.csv"
    labelled.write_text('text,label\n好的标题,a\n"第二行没有收尾的引号,b\n第三行,a\n', encoding="utf-8")
    trained = CliRunner().invoke(train_command, ["topic", "--data", str(labelled), "--out", str(tmp_path / "m")])
    assert trained.exit_code != 0 and "the row that starts on line 3" in trained.output


def test_a_semicolon_separated_file_is_named_as_such(tmp_path: Path) -> None:
    data = tmp_path / "semi.csv"
    data.write_text("id;text\n1;你好\n", encoding="utf-8")
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data)])
    assert result.exit_code != 0 and "separated by semicolons" in result.output


@pytest.mark.parametrize(("third_row", "said"), [
    ("3,排队太久\n".encode("gb18030"), "iconv -f GB18030 -t UTF-8"),  # (排 is C5 C5: no UTF-8 start)
    (b"3,\xff\xfe\xff\n", "re-save it as UTF-8 CSV"),
])
def test_a_csv_that_is_not_utf8_is_named_with_the_line_and_byte(tmp_path: Path, third_row: bytes, said: str) -> None:
    data = tmp_path / "mixed.csv"
    head = "\ufeffid,text\n1,学校食堂饭菜太差\n".encode()
    data.write_bytes(head + third_row)
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data)])
    assert result.exit_code != 0
    assert f"mixed.csv, line 3, byte {len(head) + 2:,} (0x{third_row[2]:02x}): not UTF-8" in result.output
    assert said in result.output
    if "iconv" in said:
        assert "--encoding gb18030" in result.output


def test_a_gbk_csv_is_read_when_the_user_names_its_encoding(tmp_path: Path) -> None:
    """Excel on a Chinese Windows saves GBK; said with --encoding, predict reads it and train trains on it."""
    data = tmp_path / "excel.csv"
    data.write_bytes("id,text\n1,孩子上小学报名入学太难了\n2,医院排队太久\n".encode("gbk"))
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data), "--encoding", "GBK",
                                                  "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["text"] for r in rows] == ["孩子上小学报名入学太难了", "医院排队太久"]
    assert rows[0]["label"] == "就学" and rows[1]["label"] == "就医"
    labelled = write_csv(tmp_path / "labelled.csv", labelled_rows())
    labelled.write_bytes(labelled.read_text(encoding="utf-8").encode("gb18030"))
    model = tmp_path / "m"
    trained = CliRunner().invoke(train_command, ["topic", "--data", str(labelled), *TRAIN, "--encoding", "gb18030",
                                                 "--out", str(model)])
    assert trained.exit_code == 0, trained.output
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    assert sorted(meta["labels"]) == sorted({r["category"] for r in labelled_rows()})


def test_a_big5_csv_is_named_as_big5_and_read_when_the_user_says_so(tmp_path: Path) -> None:
    """A release review: a Big5 file (Traditional Chinese) was told to pass --encoding gb18030, which read it as
    nonsense (醫院排隊 as 洛皘逼钉) labelled with a confident topic."""
    data = tmp_path / "tw.csv"
    data.write_bytes("id,text\n1,醫院排隊三小時，投訴無門\n2,學校亂收費\n".encode("big5"))
    refused = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data)])
    assert refused.exit_code != 0
    assert "it reads as Big5 (Traditional Chinese): pass --encoding big5" in refused.output
    assert "gb18030" not in refused.output
    out = tmp_path / "out.csv"
    read = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data), "--encoding", "big5",
                                                "--out", str(out)])
    assert read.exit_code == 0, read.output
    with out.open(encoding="utf-8-sig") as handle:
        assert [r["text"] for r in csv.DictReader(handle)] == ["醫院排隊三小時，投訴無門", "學校亂收費"]


def test_a_file_not_in_the_named_encoding_is_named_with_its_row(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_bytes("id,text\n1,学校\n".encode("gbk") + b"2,\x81\x20\n")
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data), "--encoding", "gb18030"])
    assert result.exit_code != 0
    assert "bad.csv, line 3, byte 17 (0x81): not GB18030" in result.output
    assert "pass the right --encoding" in result.output


def predicted(tmp_path: Path, content: bytes, *options: str, name: str = "in.csv") -> tuple[Result, bytes]:
    """``yuqing predict --model topic`` over ``content``: its result and the bytes it wrote."""
    data, out = tmp_path / name, tmp_path / "out.csv"
    data.write_bytes(content)
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data), "--out", str(out),
                                                  *options])
    assert result.exit_code == 0, result.output
    return result, out.read_bytes()


def test_every_row_of_a_one_column_file_gets_a_row_and_a_blank_line_elsewhere_is_said(tmp_path: Path) -> None:
    """A spreadsheet writes an empty cell of a one-column sheet as a blank line: skipped, it shifted every later
    row against its input (a release review)."""
    _, written = predicted(tmp_path, "text\n医院排队太久\n\n孩子上学难\n\n".encode())
    rows = list(csv.DictReader(written.decode().splitlines()))
    assert [r["text"] for r in rows] == ["医院排队太久", "", "孩子上学难"]
    assert rows[1]["label"] == "非民生" and rows[2]["label"] == "就学"
    result, written = predicted(tmp_path, "id,text\n1,医院排队太久\n\n2,孩子上学难\n".encode())
    assert [r["id"] for r in csv.DictReader(written.decode().splitlines())] == ["1", "2"]
    assert "1 blank line(s) (line 3) are no row of this 2-column file" in result.stderr


def test_a_tab_separated_file_is_read_as_such(tmp_path: Path) -> None:
    for name, content in (("in.tsv", "id\ttext, more\n1\t医院排队太久\n"), ("in.csv", "id\ttext\n1\t医院排队太久\n")):
        _, written = predicted(tmp_path, content.encode(), "--text-column", content.split("\n")[0].split("\t")[1],
                               name=name)
        [row] = list(csv.DictReader(written.decode().splitlines()))
        assert row["id"] == "1" and row["label"] == "就医", name


def test_excels_csv_gets_an_output_excel_opens_and_others_plain_utf8(tmp_path: Path) -> None:
    """Excel reads a CSV without a byte-order mark in the system's code page: GBK users saw mojibake."""
    gbk, written = predicted(tmp_path, "id,text\n1,医院排队太久\n".encode("gbk"), "--encoding", "gbk")
    assert written.startswith(codecs.BOM_UTF8 + b"id,text,") and "UTF-8 with a byte-order mark" in gbk.stderr
    _, written = predicted(tmp_path, codecs.BOM_UTF8 + "id,text\n1,医院排队太久\n".encode())
    assert written.startswith(codecs.BOM_UTF8 + b"id,text,")
    plain, written = predicted(tmp_path, "id,text\n1,医院排队太久\n".encode())
    assert written.startswith(b"id,text,") and "(UTF-8)" in plain.stderr


def test_a_field_over_the_size_limit_is_named_as_such_not_as_a_quoting_error(tmp_path: Path) -> None:
    from analysis.csvinput import MAX_FIELD_CHARS

    data = tmp_path / "huge.csv"
    data.write_bytes(b'id,text\n1,"' + b"a" * (MAX_FIELD_CHARS + 1) + b'"\n')
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data)])
    assert result.exit_code != 0
    assert f"line 2: a field longer than {MAX_FIELD_CHARS:,} characters" in result.output
    assert "written twice" not in result.output


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("link", ["same", "hard"])
def test_predict_refuses_to_write_over_its_input(tmp_path: Path, link: str) -> None:
    data = rows_csv(tmp_path)
    before = data.read_bytes()
    out = data
    if link == "hard":
        out = tmp_path / "linked.csv"
        os.link(data, out)
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data), "--out", str(out)])
    assert result.exit_code != 0 and "is the input file" in result.output
    assert data.read_bytes() == before


def test_analyze_refuses_an_output_hard_linked_to_its_input(tmp_path: Path) -> None:
    posts = tmp_path / "p.jsonl"
    posts.write_text('{"id": "a", "text": "医院排队太久"}\n', encoding="utf-8")
    os.link(posts, tmp_path / "h.jsonl")
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(tmp_path / "h.jsonl")])
    assert result.exit_code != 0 and "is the input file" in result.output
    assert posts.read_text(encoding="utf-8") == '{"id": "a", "text": "医院排队太久"}\n'


def test_an_interrupted_predict_leaves_the_previous_output_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    data = write_csv(tmp_path / "in.csv", [{"text": f"医院排队太久第{i}次"} for i in range(6)])
    out = tmp_path / "out.csv"
    out.write_text("the previous run's labels\n", encoding="utf-8")
    calls = []
    real = PersistedTextModel.predict

    def fails_on_the_second_batch(self: PersistedTextModel, texts: list[str]) -> list[tuple[str, float]]:
        calls.append(len(texts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, texts)

    monkeypatch.setattr(commands, "BATCH", 2)
    monkeypatch.setattr(PersistedTextModel, "predict", fails_on_the_second_batch)
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data), "--out", str(out)])
    assert result.exit_code != 0
    assert out.read_text(encoding="utf-8") == "the previous run's labels\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]  # no partial file left behind


def test_a_full_disk_is_a_message_and_a_device_stays_a_device(tmp_path: Path) -> None:
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(rows_csv(tmp_path)),
                                                  "--out", "/dev/full"])
    assert result.exit_code != 0 and "cannot write /dev/full: No space left on device" in result.output
    assert not Path("/dev/full").is_file()


@pytest.mark.parametrize("command", ["predict", "analyze"])
def test_a_full_standard_output_is_a_message_not_a_traceback(tmp_path: Path, command: str) -> None:
    if command == "predict":
        args = ["predict", "--model", "topic", "--data", str(rows_csv(tmp_path))]
    else:
        posts = tmp_path / "p.jsonl"
        posts.write_text('{"id": "a", "text": "医院排队太久"}\n', encoding="utf-8")
        args = ["analyze", "--in", str(posts), "--out", "-"]
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "yuqing.cli", *args], stdout=full, stderr=subprocess.PIPE,
                              text=True, cwd=Path(__file__).parents[2])
    assert done.returncode == 1
    assert "cannot write to standard output: No space left on device" in done.stderr
    assert "Traceback" not in done.stderr


def test_dash_means_standard_input_and_output(tmp_path: Path) -> None:
    data = rows_csv(tmp_path)
    runner = CliRunner()
    result = runner.invoke(predict_command, ["--model", "topic", "--data", "-", "--out", "-"],
                           input=data.read_text(encoding="utf-8"))
    assert result.exit_code == 0, result.output
    labelled = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["id"] for r in labelled] == ["1", "2"] and labelled[1]["label"] == "就医"
    assert not Path("-").exists()


def test_train_refuses_a_directory_that_holds_other_things(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "labelled.csv", labelled_rows())
    project = tmp_path / "proj"
    project.mkdir()
    (project / "notes.md").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(train_command, ["topic", "--data", str(data), *TRAIN, "--out", str(project)])
    assert result.exit_code != 0 and "holds files that are not the model's (notes.md)" in result.output
    assert [p.name for p in project.iterdir()] == ["notes.md"]
    model = tmp_path / "model"
    assert CliRunner().invoke(train_command, ["topic", "--data", str(data), *TRAIN, "--out", str(model)]).exit_code == 0
    again = CliRunner().invoke(train_command, ["topic", "--data", str(data), *TRAIN, "--out", str(model)])
    assert again.exit_code == 0, again.output  # the same kind is retrained in place
    other = CliRunner().invoke(train_command, ["sentiment", "--data", str(data), *TRAIN, "--out", str(model)])
    assert other.exit_code != 0 and "already holds a topic model" in other.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.csv", "model", "proj"]
    # a model directory that also keeps the user's files is not emptied by retraining (a review found it was)
    shutil.copy(data, model / "train.csv")
    kept = CliRunner().invoke(train_command, ["topic", "--data", str(model / "train.csv"), *TRAIN, "--out", str(model)])
    assert kept.exit_code != 0 and "(train.csv)" in kept.output and (model / "train.csv").exists()
    (model / "train.csv").unlink()
    link = tmp_path / "current"
    link.symlink_to(model, target_is_directory=True)
    relinked = CliRunner().invoke(train_command, ["topic", "--data", str(data), *TRAIN, "--out", str(link)])
    assert relinked.exit_code == 0, relinked.output
    assert link.is_symlink() and (model / "model.joblib").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "labelled.csv", "model", "proj"]


# --------------------------------------------------------------------------- honest scores


def test_repeated_texts_are_trained_on_once(tmp_path: Path) -> None:
    rows = labelled_rows()
    data = write_csv(tmp_path / "labelled.csv", rows + rows[:30])
    result = CliRunner().invoke(train_command, ["topic", "--data", str(data), *TRAIN, "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert "left out 30 row(s) repeating an earlier row's text" in result.output
    assert f"{len(rows)} rows, 3 labels" in result.output


def test_a_csv_of_the_scorers_own_posts_gets_a_scorer_that_never_saw_them(tmp_path: Path) -> None:
    texts, labels = weibo_senti_100k()
    picked = list(range(0, 400, 2)) + list(range(len(texts) - 400, len(texts), 2))
    data = write_csv(tmp_path / "senti.csv", [{"content": texts[i], "category": labels[i]} for i in picked])
    out = tmp_path / "m"
    result = CliRunner().invoke(train_command, ["sentiment", "--data", str(data), *TRAIN, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "400 posts of this CSV are in weibo_senti_100k" in result.output
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "refitted on weibo_senti_100k without the 400 posts" in card


def test_text_without_chinese_or_a_text_column_as_labels_is_refused_readably(tmp_path: Path) -> None:
    english = write_csv(tmp_path / "en.csv", [{"content": f"the bus is late again {i}", "category": "a b"[i % 2 * 2]}
                                              for i in range(60)])
    result = CliRunner().invoke(train_command, ["topic", "--data", str(english), *TRAIN, "--out", str(tmp_path / "m")])
    assert result.exit_code != 0 and "contain Chinese" in result.output
    data = write_csv(tmp_path / "labelled.csv", labelled_rows())
    wrong = CliRunner().invoke(train_command, ["topic", "--data", str(data), "--text-column", "content",
                                               "--label-column", "id", "--out", str(tmp_path / "m")])
    assert wrong.exit_code != 0 and "looks like a text column" in wrong.output
    assert "labels in column 'id' have fewer than 10 rows" in wrong.output and len(wrong.output) < 1000
    # a small file with few labels is trained on, not told to check --label-column
    rows = labelled_rows()
    small = write_csv(tmp_path / "small.csv", [r for label in {r["category"] for r in rows}
                                               for r in [x for x in rows if x["category"] == label][:1]])
    few = CliRunner().invoke(train_command, ["topic", "--data", str(small), *TRAIN, "--out", str(tmp_path / "m")])
    assert few.exit_code == 0 and "looks like a text column" not in few.output and "add examples" in few.output


def test_a_label_with_few_rows_is_fitted_on_all_of_them_and_left_out_of_the_scores(tmp_path: Path) -> None:
    """A rare label (common in a real taxonomy) refused the whole CSV: no model at all (a release review)."""
    rows = labelled_rows() + [{"id": f"r{i}", "content": text, "category": "就医"}
                              for i, text in enumerate(["医院排队三小时看不上病", "医生态度恶劣还乱收费", "挂号难，专家号一号难求"])]
    out = tmp_path / "m"
    result = CliRunner().invoke(train_command, ["topic", "--data", str(write_csv(tmp_path / "rare.csv", rows)), *TRAIN,
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "label(s) '就医' have fewer than 10 rows in column 'category': the model is fitted on all" in result.output
    assert "| 交通 |" in result.output and "| 就医 |" not in result.output
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert "就医" in meta["labels"] and list(meta["scores"].values())[0]["n"] == 29
    assert "not scored: '就医'" in meta["training_data"][0]  # masked and cut, as on stderr


@pytest.mark.parametrize("kind", ["topic", "sentiment"])
def test_a_tiny_file_trains_on_every_row_and_says_it_is_unscored(tmp_path: Path, kind: str) -> None:
    from tests.analysis.test_train_cli import SENTIMENT_TEMPLATES

    if kind == "topic":
        rows = [r for r in labelled_rows() if r["category"] == "交通"][:6] + [
            r for r in labelled_rows() if r["category"] == "教育"][:3] + labelled_rows()[-1:]
    else:
        rows = [{"content": t.format(p=p), "category": y} for p in ("A1区", "B2县") for t, y in SENTIMENT_TEMPLATES][:10]
    out = tmp_path / "m"
    result = CliRunner().invoke(train_command, [kind, "--data", str(write_csv(tmp_path / "tiny.csv", rows)), *TRAIN,
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "no held-out score could be computed" in result.output and "macro-F1" not in result.output
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["scores"] == {} and len(meta["labels"]) == 3


def test_swapped_text_and_label_columns_are_named_as_such_without_printing_posts(tmp_path: Path) -> None:
    """Repeated texts were left out first: the labels used as texts left one row each, so the posts used as labels
    were few, and the message said to add examples, printing them whole."""
    data = write_csv(tmp_path / "labelled.csv", labelled_rows())
    result = CliRunner().invoke(train_command, ["topic", "--data", str(data), "--text-column", "category",
                                                "--label-column", "content", "--out", str(tmp_path / "m")])
    assert result.exit_code != 0 and "it looks like a text column: check --label-column" in result.output
    assert "公交车" not in result.output and "add examples" not in result.output


# --------------------------------------------------------------------------- broken model directories


def test_the_retrain_command_works_from_anywhere_and_quotes_its_paths(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    spaced = tmp_path / "sp ace"
    spaced.mkdir()
    data = write_csv(spaced / "my data.csv", labelled_rows())
    monkeypatch.chdir(spaced)
    assert CliRunner().invoke(train_command, ["topic", "--data", "my data.csv", *TRAIN, "--out", "my model"]
                              ).exit_code == 0
    (spaced / "my model" / "model.joblib").unlink()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(predict_command, ["--model", str(spaced / "my model"), "--data",
                                                  str(rows_csv(tmp_path))])
    assert result.exit_code != 0
    assert f"--data '{data}'" in result.output and f"--out '{spaced / 'my model'}'" in result.output


@pytest.mark.parametrize(("meta", "model"), [("[1, 2]", None), (None, {"not": "a model"})])
def test_a_broken_model_directory_is_a_message_not_a_traceback(tmp_path: Path, meta: str | None,
                                                              model: object) -> None:
    import joblib

    directory = tmp_path / "m"
    shutil.copytree(SHIPPED_TOPIC_MODEL, directory)
    if meta is not None:
        (directory / "meta.json").write_text(meta, encoding="utf-8")
    if model is not None:
        joblib.dump(model, directory / "model.joblib")
    result = CliRunner().invoke(predict_command, ["--model", str(directory), "--data", str(rows_csv(tmp_path))])
    assert result.exit_code != 0 and "with: yuqing train topic" in result.output
    assert not isinstance(result.exception, AttributeError | TypeError)


def test_a_directory_named_like_a_shipped_model_is_pointed_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    (tmp_path / "topic").mkdir()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(rows_csv(tmp_path))])
    assert result.exit_code == 0 and "write --model ./topic" in result.stderr


# --------------------------------------------------------------------------- analyze


def test_analyze_reads_utf16_and_refuses_a_file_with_no_post(tmp_path: Path) -> None:
    posts = tmp_path / "u16.jsonl"
    posts.write_text('{"id": "a", "text": "医院排队太久了"}\n', encoding="utf-16")
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["analyze", "--in", str(posts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["id"] == "a"
    broken = tmp_path / "u16bad.jsonl"  # a truncated code unit at the end
    broken.write_bytes('{"id": "b", "text": "学校食堂太差"}\n'.encode("utf-16") + b"\x00")
    damaged = CliRunner().invoke(main, ["analyze", "--in", str(broken), "--out", str(tmp_path / "b.jsonl")])
    assert damaged.exit_code == 0 and "not valid UTF-16" in damaged.stderr
    garbage = tmp_path / "g.jsonl"
    garbage.write_text("garbage\n[1]\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["analyze", "--in", str(garbage), "--out", str(tmp_path / "g.out")])
    assert refused.exit_code != 0 and "none of the 2 lines" in refused.output
    assert not (tmp_path / "g.out").exists()


@pytest.mark.parametrize(("line", "said"), [
    ('{"id": "a", "text": "医院排队太久", "published_at": "2019-13-01"}', "has no such date"),
    ('{"id": "a", "text": "医院排队太久", "published_at": "2019/13/01"}', "has no such date"),
    ('{"id": "a", "text": "医院排队太久", "published_at": "2019年13月1日"}', "has no such date"),
    ('{"id": "a", "text": "医院排队太久", "published_at": "-1"}', "is not a date-time"),
    ('{"id": "a", "text": "医院排队太久", "published_at": 0}', "is a placeholder"),
    ('{"id": "a", "text": "医院排队太久", "published_at": "²²²²²²²²²²"}', "is not a date-time"),
    ('{"id": "a", "text": "医院排队太久", "region": 123}', "left out region"),
])
def test_a_malformed_time_or_region_is_left_out_and_said(tmp_path: Path, line: str, said: str) -> None:
    result, out = analyzed(tmp_path, line + "\n")
    assert result.exit_code == 0, result.output
    assert said in result.stderr
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["id"] == "a" and not str(row.get("published_at", "")).startswith(("1970", "2019-01-13", "2026-01"))


PERSONAL = ("13812345678", "13912345678", "430104199001011234", "张伟", "13712345678", "13612345678",
            "13512345678")


def test_a_warning_about_a_field_never_shows_the_personal_data_it_holds(tmp_path: Path) -> None:
    """A field filled from the wrong column (a phone, an ID number, a name) is named with its line and fixed
    from there; standard error, a terminal or a log, shows none of it (domain.md §6)."""
    result, out = analyzed(tmp_path, "\n".join([
        '{"id": "a", "text": "医院排队太久", "published_at": "13812345678"}',
        '{"id": "b", "text": "医院排队太久", "published_at": "13912345678 张伟"}',
        '{"id": "c", "text": "医院排队太久", "fetched_at": 430104199001011234}',
        '{"id": "d", "text": "医院排队太久", "media_tier": "13712345678"}',
        '{"id": {"phone": "13612345678"}, "text": "医院排队太久"}',
        '{"id": "13512345678", "text": "学校食堂太差"}',
        '{"id": "13512345678", "text": "学校食堂太差了"}',
    ]) + "\n")
    assert result.exit_code == 0, result.output
    err = result.stderr
    for said in ("p.jsonl:1: left out published_at (published_at is not a date-time",
                 "p.jsonl:2: left out published_at (published_at is not a date-time",
                 "p.jsonl:3: left out fetched_at (fetched_at is a number too large",
                 "p.jsonl:4: skipped: media_tier is no known tier", "p.jsonl:5: skipped: 'id' must be a string",
                 "p.jsonl:7: its id repeats the id of line 6"):
        assert said in err, (said, err)
    assert not [value for value in PERSONAL if value in err], err
    # nor does the output: an id that is a phone number is written under its pseudonym (analyze_command)
    assert "13512345678" not in out.read_text(encoding="utf-8")


def test_csv_columns_and_labels_named_in_a_message_are_de_identified(tmp_path: Path) -> None:
    """A CSV without its header row has a post where the column names belong; a label column that holds posts
    has posts as labels. Both are named in the message that says so, masked."""
    headless = tmp_path / "headless.csv"
    headless.write_text("联系人张伟,电话13812345678\n学校食堂太差,13912345678\n", encoding="utf-8")
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(headless)])
    assert result.exit_code != 0 and "no column 'text' (columns: '联系人张*', '电话138****5678')" in result.output
    # a number the 20-character cut falls inside is masked first (a review: 138123456… showed nine digits)
    cut = tmp_path / "cut.csv"
    cut.write_text("小区业主刘建国联系电话13812345678,投诉人身份证430102199001011234\n学校食堂太差,13912345678\n",
                   encoding="utf-8")
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(cut)])
    assert result.exit_code != 0 and "138****" in result.output, result.output
    assert "1381234" not in result.output and "4301021990" not in result.output, result.output
    rows = [{"content": f"第{i}号楼业主反映小区停水，联系电话1381234{i:04d}", "category": "停水" if i < 36 else
             "电话13912345678"} for i in range(40)]
    data = write_csv(tmp_path / "labelled.csv", rows)
    for label_column, said in (("content", "40 of the 40 labels in column 'content' have fewer than 10 rows"),
                               ("category", "label(s) '电话139****5678' have fewer than 10 rows")):
        wrong = CliRunner().invoke(train_command, ["topic", "--data", str(data), "--text-column", "content",
                                                   "--label-column", label_column, "--out", str(tmp_path / "m")])
        assert said in wrong.output, wrong.output
        assert "1381234" not in wrong.output and "13912345678" not in wrong.output, wrong.output


def test_a_nan_id_is_refused(tmp_path: Path) -> None:
    result, _ = analyzed(tmp_path, '{"id": NaN, "text": "医院排队太久"}\n{"id": "b", "text": "学校食堂太差"}\n')
    assert result.exit_code == 0 and "p.jsonl:1: skipped: 'id' is NaN or infinite" in result.stderr


def test_analyze_without_its_shipped_models_is_an_error_not_a_file_of_fallbacks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.topic import TopicModel

    monkeypatch.setattr(TopicModel, "default_dir", tmp_path / "no-model")
    result, out = analyzed(tmp_path, '{"id": "a", "text": "医院排队太久"}\n')
    assert result.exit_code != 0 and "no topic model at" in result.output and "yuqing train topic" in result.output
    assert not out.exists()


@pytest.mark.parametrize(("written", "iso"), [("1556676000", "2019-05-01T10:00:00+08:00"),
                                              ("1556676000000", "2019-05-01T10:00:00+08:00"),
                                              ("20190501103000", "2019-05-01T10:30:00+08:00")])
def test_a_unix_time_or_a_compact_date_written_as_text_is_read(tmp_path: Path, written: str, iso: str) -> None:
    result, out = analyzed(tmp_path, json.dumps({"id": "a", "text": "医院排队太久", "published_at": written}) + "\n")
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["published_at"] == iso


def test_an_output_through_a_link_is_written_where_the_link_points_with_its_permissions(tmp_path: Path) -> None:
    """A review: the output became private (mkstemp's 0600) and a link to the output was replaced by a file."""
    target = tmp_path / "labels.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o644)
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(rows_csv(tmp_path)),
                                                  "--out", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and "label,score" in target.read_text(encoding="utf-8")
    assert target.stat().st_mode & 0o777 == 0o644
    fresh = tmp_path / "fresh.csv"
    CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(rows_csv(tmp_path)), "--out", str(fresh)])
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


def test_the_command_offered_for_a_directory_of_other_files_is_one_train_accepts(tmp_path: Path) -> None:
    """predict --model ../work (a working directory) offered `train … --out ../work`, which train refuses."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(predict_command, ["--model", str(work), "--data", str(rows_csv(tmp_path)),
                                                  "--out", str(tmp_path / "out.csv")])
    assert result.exit_code != 0 and f"--out {work / 'model'}" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(predict_command, ["--model", str(empty), "--data", str(rows_csv(tmp_path)),
                                                  "--out", str(tmp_path / "out.csv")])
    assert result.exit_code != 0 and f"--out {empty}" in result.output and f"--out {empty / 'model'}" not in result.output


@pytest.mark.parametrize("field", ["id", "source", "title", "region", "url", "author"])
def test_a_lone_surrogate_in_any_field_is_replaced_and_said_not_a_crash(tmp_path: Path, field: str) -> None:
    record = {"id": "a", "text": "医院排队太久", "url": "https://example.org/a", "author": "网友"}
    record[field] = "坏\\udcc3字"  # the JSON escape of a lone surrogate, as the line carries it
    result, out = analyzed(tmp_path, json.dumps(record, ensure_ascii=False).replace("\\\\udcc3", "\\udcc3") + "\n")
    assert "\\udcc3" in (tmp_path / "p.jsonl").read_text(encoding="utf-8")
    assert result.exit_code == 0, result.output
    assert f"p.jsonl:1: {field}: lone surrogates" in result.stderr
    row = json.loads(out.read_bytes().decode("utf-8"))  # strict: the file is UTF-8 throughout
    if field in ("id", "source", "title"):
        assert row[field] == "坏\ufffd字"


@pytest.mark.parametrize(("line", "said"), [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"id": ' + "9" * 5000 + ', "text": "医院排队太久"}', "cannot be read"),
])
def test_a_line_json_cannot_read_is_skipped_and_named(tmp_path: Path, line: str, said: str) -> None:
    result, out = analyzed(tmp_path, line + '\n{"id": "b", "text": "学校食堂太差"}\n')
    assert result.exit_code == 0, result.output
    assert "p.jsonl:1: skipped:" in result.stderr and said in result.stderr
    assert [json.loads(r)["id"] for r in out.read_text(encoding="utf-8").splitlines()] == ["b"]


@pytest.mark.parametrize("case", ["a file", "a model directory without meta.json", "a model of another kind"])
def test_the_directory_a_retrain_hint_offers_is_one_train_accepts(tmp_path: Path, case: str) -> None:
    """The hint offered --out at the very place train refuses to write: a file, a broken model, another model."""
    given = tmp_path / "m"
    shutil.copytree(SHIPPED_TOPIC_MODEL, given)
    if case == "a file":
        shutil.rmtree(given)
        given.write_bytes(b"not a model")
    elif case == "a model directory without meta.json":
        (given / "meta.json").unlink()
    if case == "a model of another kind":  # the shipped topic model given as the sentiment model
        result, _ = analyzed(tmp_path, '{"id": "a", "text": "医院排队太久"}\n', "--sentiment-model", str(given))
    else:
        result = CliRunner().invoke(predict_command, ["--model", str(given), "--data", str(rows_csv(tmp_path))])
    assert result.exit_code != 0
    offered = re.findall(r"--out (\S+)", result.output)
    assert offered, result.output
    out = Path(shlex.split(offered[-1])[0])
    assert out != given
    before = sorted(p.name for p in given.iterdir()) if given.is_dir() else given.read_bytes()
    data = write_csv(tmp_path / "labelled.csv", labelled_rows())
    trained = CliRunner().invoke(train_command, ["topic", "--data", str(data), *TRAIN, "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    assert (out / "meta.json").is_file()
    assert (sorted(p.name for p in given.iterdir()) if given.is_dir() else given.read_bytes()) == before


def test_train_into_a_place_it_cannot_write_is_refused_before_training(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "labelled.csv", labelled_rows())
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    for out, said in ((blocker / "model", "is a file, so no directory can be made under it"),
                      (Path("/proc/yuqing-model"), "cannot write in /proc")):
        result = CliRunner().invoke(train_command, ["topic", "--data", str(data), *TRAIN, "--out", str(out)])
        assert result.exit_code != 0 and said in result.output, result.output
        assert "held-out" not in result.output  # refused before it trained


def test_a_line_without_text_is_analysed_and_said(tmp_path: Path) -> None:
    """A line with no text field was taken as an empty post in silence (the contract: id and text)."""
    result, out = analyzed(tmp_path, '{"id":"a"}\n{"id":"b","title":"A3区某小学食堂疑似食物中毒"}\n'
                                     '{"id":"c","text":null}\n')
    assert result.exit_code == 0
    assert "p.jsonl:1: no 'text' field: analysed as an empty post" in result.stderr
    assert "p.jsonl:2: no 'text' field: the title alone is analysed" in result.stderr
    assert "p.jsonl:3: 'text' is null: analysed as an empty post" in result.stderr  # (said nothing)
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["a", "b", "c"]
