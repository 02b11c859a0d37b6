"""Downloadable reports: the evaluator's workbook (.xlsx) and the press office's periodic brief (.docx).

Text from the web goes into cells and paragraphs as plain text; a cell that would start with a
formula character is prefixed with an apostrophe so a spreadsheet never evaluates it (CSV/formula
injection). Characters no XML document can hold (U+FFFE in a title stored before ingestion took them out) are
left out of both files, which could not be written otherwise.
"""

from __future__ import annotations

import io
from datetime import datetime, tzinfo
from typing import Any

from docx import Document
from openpyxl import Workbook

from dashboards.queries import OWED_REPLY_CARRIED
from yuqing.contract import GRADE_COLOUR, Grade, deadline_kind_name, duration_text, xml_text
from yuqing.db.models import Case
from yuqing.evaluation import FINDINGS, CaseVerdict, Evaluation, deadline_state, stored_aware

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: no formula, nothing XML cannot hold."""
    if not isinstance(value, str):
        return value
    value = xml_text(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _append(sheet: Any, values: list[Any]) -> None:
    """A row whose every text passes ``cell_text``: one title stored with U+FFFE must not cost the whole workbook."""
    sheet.append([cell_text(value) for value in values])


def _rate(value: float | None) -> float | str:
    return round(value, 4) if value is not None else "—"


def _yes_no(value: bool | None, yes: str, no: str, unknown: str = "—") -> str:
    return unknown if value is None else (yes if value else no)


PERCENT = "0.0%"


def _percent_columns(sheet: Any, columns: tuple[int, ...]) -> None:
    """Rates shown as 33.3% as on the web page, not 0.3333 (the cell keeps the number)."""
    for row in sheet.iter_rows(min_row=2):
        for index in columns:
            if isinstance(row[index].value, float):
                row[index].number_format = PERCENT


def _case_list(case_ids: list[int]) -> str:
    """How many cases and which: "2 起：#3、#7" — a bare "3" read as a count of three cases, not case #3."""
    return f"{len(case_ids)} 起：" + "、".join(f"#{case_id}" for case_id in case_ids) if case_ids else ""


def evaluation_workbook(evaluation: Evaluation, unit_names: dict[str, str], unavailable: str | None = None,
                        tz: tzinfo | None = None) -> bytes:
    """回应评估: a summary sheet, one row per unit, one row per case, one row per board message (each judged on its own
    reply deadline, ``metrics.judge_message``; times in ``tz``). The units' finding columns, their proposals and the
    cases' 问责认定 read the same findings (``metrics.case_findings``) and name the cases behind them.
    ``unavailable`` says why the effect columns (from Elasticsearch) are empty, so an empty column is not read as
    "no effect"."""
    tz = tz or evaluation.now.tzinfo
    book = Workbook()
    summary = book.active
    summary.title = "总览"
    if unavailable:
        _append(summary, ["注意", f"回应效果（负面占比、效果、处置不得力）未能统计：{unavailable}"])
    _append(summary, ["指标", "数值"])
    for label, value in (("案件数", len(evaluation.verdicts)), ("回应率", _rate(evaluation.response_rate)),
                         ("回应及时率", _rate(evaluation.timely_rate)),
                         ("留言答复及时率", _rate(evaluation.message_timely_rate)),
                         ("报告及时率（向上报告）", _rate(evaluation.report_timely_rate)),
                         ("首次回应用时中位数（小时）", _rate(evaluation.median_hours_to_response)),
                         ("签收用时中位数（小时）", _rate(evaluation.median_hours_to_ack)),
                         ("统计时间", evaluation.now.isoformat(timespec="minutes"))):
        _append(summary, [label, value])
    late = evaluation.late_entered
    if late:  # a unit's own word that it was on time, given once it was overdue: counted late until confirmed
        _append(summary, ["补录待核实（计为超时）", _case_list([v.case_id for v in late if v.unconfirmed_entries])])
        _append(summary, ["补录已核实（计为按时）", _case_list([v.case_id for v in late
                                                          if any(e.confirmed_by for e in v.late_entries)])])
        _append(summary, ["注", "补录待核实的回应按登记时间计首次回应用时、签收用时、效果评估的起点和回应单位"])
    early = evaluation.answered_before_opening
    if early:  # the medians above leave them out: say which, so that a median of fewer cases is not read as all
        _append(summary, ["立案前已答复（不计入用时中位数）", _case_list([v.case_id for v in early])])
    for row in summary.iter_rows():
        if row[0].value in ("回应率", "回应及时率", "留言答复及时率", "报告及时率（向上报告）") and isinstance(row[1].value, float):
            row[1].number_format = PERCENT
    units = book.create_sheet("各单位")
    _append(units, ["单位", "案件", "回应率", "及时率", "留言到期", "留言已答复", "留言按时答复", "留言超期未答复",
                  "留言答复及时率", "向上报告到期", "按时报告", "报告及时率", "签收用时中位数（小时）", "承办期间未签收（小时）", "超时案件（各级）", *(f"{finding}（I/II级案件）" for finding in FINDINGS), "问责建议"])
    for u in evaluation.units:
        _append(units, [unit_names.get(u.unit_id, u.unit_id), u.cases, _rate(u.response_rate),
                      _rate(u.timely_rate), u.messages_due, u.messages_answered, u.messages_on_time, u.messages_overdue,
                      _rate(u.message_timely_rate), u.reports_due, u.reports_on_time, _rate(u.report_timely_rate),
                      _rate(u.median_hours_to_ack),
                      "、".join(f"#{case_id}（{hours:.1f}）" for case_id, hours in u.unsigned.items()),
                      _case_list(u.late), *(_case_list(u.found(f)) for f in FINDINGS),
                      u.accountability or ""])
    cases = book.create_sheet("逐案")
    _append(cases, ["案件", "标题", "级别", "责任单位", "已回应", "按时", "签收用时(h)", "回应用时(h)",
                  "超时事项", "负面占比(回应前24h)", "负面占比(回应后24h)", "效果", "应对评估总分", "评估等级", "评估人数",
                  "问责认定", "网民留言（逐条答复）", "补录（期限过后登记）", "各承办单位签收"])
    for v in evaluation.verdicts:
        findings = "；".join(f"{finding}：{'、'.join(grounds)}"
                            + (f"（{unit_names.get(unit_id, unit_id)}）" if unit_id != (v.unit_id or "（未分派）") else "")
                            for unit_id, finding, grounds in evaluation.findings_on(v.case_id))
        _append(cases, [v.case_id, v.title, v.grade or "", unit_names.get(v.unit_id or "", v.unit_id or ""),
                      _responded(v, tz), _yes_no(v.on_time, "是", "否"),
                      _rate(v.hours_to_ack), _rate(v.hours_to_response), "、".join(map(deadline_kind_name, v.overdue_kinds)),
                      _rate(v.negative_before), _rate(v.negative_after),
                      _yes_no(v.effective, "有效", f"效果不佳（{v.ineffective_because}）"), v.assessed_total if v.assessed_total is not None else "",
                      f"{v.assessed_level.colour}（{v.assessed_level.verdict}）" if v.assessed_level else "",
                      v.assessors, findings, _messages_judged(v),
                      "；".join(e.shown(tz) for e in v.late_entries), _stints(v, unit_names, tz)])
    messages = book.create_sheet("逐条留言")
    _append(messages, ["案件", "留言", "类别", "收到", "答复期限", "答复时间", "答复单位", "状态", "承办单位（期限届满时）",
                     "依据"])
    for v in evaluation.verdicts:
        for m in v.messages:
            _append(messages, [v.case_id, m.title or m.post_id, deadline_kind_name(m.kind),
                             _stamp(m.received_at, tz), _stamp(m.due_at, tz),
                             m.replied_shown(tz) if m.replied_at is not None and m.answered else "",
                             (m.replier or "") if m.answered else "", m.state(evaluation.now),
                             unit_names.get(m.unit_id or "", m.unit_id or "（未分派）"), m.basis])
    _percent_columns(units, (2, 3, 8, 11))
    _percent_columns(cases, (9, 10))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _stints(verdict: CaseVerdict, unit_names: dict[str, str], tz: tzinfo | None) -> str:
    """Each unit's time holding a case handed over (转办) and its own sign-off: "A3区住建局 10-28 15:07 起 未签收
    （1122.4 小时，至转办）；A市住建局 12-14 09:30 起 签收 0.0 小时". Empty for a case one unit held throughout,
    whose 签收用时 column says it all."""
    if len(verdict.stints) < 2:
        return ""
    parts = []
    for s in verdict.stints:
        name = unit_names.get(s.unit_id or "", s.unit_id or "（未分派）")
        match s.sign_off_state:
            case "signed":
                state = f"签收 {s.hours_to_sign_off:.1f} 小时"
            case "answered_before_opening":
                state = "立案前已答复"
            case "unsigned":
                state = f"未签收（{s.silent_hours:.1f} 小时，{'至转办' if s.ended is not None else '至今'}）"
            case "closed_unsigned":
                state = "未签收（结案）"
        parts.append(f"{name} {s.began.astimezone(tz):%m-%d %H:%M} 起 {state}")
    return "；".join(parts)


def _responded(verdict: CaseVerdict, tz: tzinfo | None) -> str:
    """已回应 in the workbook: 是, 否, 待回应, 不考核 — or 是（立案前已答复 …）, which says why its times are empty."""
    if verdict.answered_before_opening is not None:
        return f"是（立案前已答复 {_stamp(verdict.answered_before_opening, tz)}）"
    return _yes_no(verdict.responded, "是", "否", "待回应" if verdict.awaiting else "不考核")


def _messages_judged(verdict: CaseVerdict) -> str:
    """A case's board messages judged one by one, in a line: "到期 3 条：按时答复 1，逾期答复 1，超期未答复 1"."""
    if not verdict.messages:
        return ""
    due = [m for m in verdict.messages if m.due]
    on_time = sum(m.on_time for m in due)
    late = sum(m.answered and not m.on_time for m in due)
    overdue = sum(m.overdue for m in due)
    waiting = len(verdict.messages) - len(due)
    return (f"到期 {len(due)} 条：按时答复 {on_time}，逾期答复 {late}，超期未答复 {overdue}"
            + (f"；未到期 {waiting} 条" if waiting else ""))


def _stamp(value: datetime, tz: tzinfo | None) -> str:
    """A time as the pages show it: local, to the minute."""
    return f"{_local(value, tz):%Y-%m-%d %H:%M}"


def _grade_label(grade: str | None) -> str:
    try:
        return f"{grade}级（{GRADE_COLOUR[Grade(grade)]}）" if grade else "未定级"
    except ValueError:
        return str(grade)


def _local(value: datetime, tz: tzinfo | None) -> datetime:
    """A stored time in the brief's zone."""
    return stored_aware(value).astimezone(tz)


def _answered(case: Case, verdict: CaseVerdict, tz: tzinfo | None) -> str:
    """Whether the case was answered, in the evaluator's words."""
    if verdict.responded and verdict.answered_before_opening is not None:
        return f"已回应（立案前已答复，{_local(verdict.answered_before_opening, tz):%m-%d %H:%M}）"
    if verdict.responded:
        return "已回应" + (f"（用时 {duration_text(verdict.hours_to_response * 3600)}）" if verdict.hours_to_response is not None else "")
    if verdict.responded is False:
        return "未回应（期限已过）"
    return "未回应（已关闭）" if case.state == "closed" else "待回应"


def _case_table(doc: Any, cases: list[tuple[Case, CaseVerdict]], unit_names: dict[str, str], now: datetime) -> None:
    """需关注的案件: each case with its unit, grade, answer and every deadline, met or not, as the case page says."""
    doc.add_heading(f"需关注的案件（重大、超时或未回应，共 {len(cases)} 起）", level=2)
    if not cases:
        doc.add_paragraph("暂无。")
        return
    table = doc.add_table(rows=1, cols=7)
    for cell, text in zip(table.rows[0].cells, ("案件", "级别", "责任单位", "立案", "回应", "期限", "回应按期"), strict=True):
        cell.text = text
    for case, verdict in cases:
        deadlines = "；".join(f"{deadline_kind_name(d.kind)}（{_local(d.due_at, now.tzinfo):%m-%d %H:%M}）"
                             f"{deadline_state(case, d, now)[0]}" for d in sorted(case.deadlines, key=lambda d: d.due_at))
        values = (f"#{case.id} {case.title}", _grade_label(case.grade),
                  unit_names.get(case.unit_id or "", case.unit_id or "（未分派）"),
                  f"{_local(case.opened_at, now.tzinfo):%m-%d %H:%M}", _answered(case, verdict, now.tzinfo), deadlines or "—",
                  _yes_no(verdict.on_time, "是", "否", "不考核" if case.state == "closed" else "未到期"))
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = xml_text(text)


def _message_table(doc: Any, cases: list[tuple[Case, CaseVerdict]], now: datetime) -> None:
    """网民留言: every board message of the listed cases, each judged on its own reply deadline (皖政办〔2015〕12号), as the
    case page lists them: a case answered by its first reply may owe other citizens theirs. Subjects as recorded:
    de-identified at ingestion, or the message's id for one that was not."""
    messages = [(case, m) for case, verdict in cases for m in verdict.messages]
    doc.add_heading(f"网民留言（逐条答复，共 {len(messages)} 条）", level=2)
    if not messages:
        doc.add_paragraph("暂无。")
        return
    table = doc.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, ("案件", "留言", "答复期限", "状态"), strict=True):
        cell.text = text
    for case, m in messages:
        values = (f"#{case.id}", m.title or m.post_id, _stamp(m.due_at, now.tzinfo), m.state(now))
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = xml_text(text)


def daily_brief(overview: dict[str, Any], now: datetime, cases: list[tuple[Case, CaseVerdict]],
                unit_names: dict[str, str], unavailable: str | None = None,
                owed_backlog: tuple[int, int] = (0, 0)) -> bytes:
    """舆情简报: volume and sentiment, the cases that need attention (major, late or unanswered: ``queries.brief_cases``)
    and their board messages, emerging issues, and the events by risk, with the reasons. Titles are the stored, de-identified text. Without
    Elasticsearch (``unavailable`` says why) the brief still lists the cases, which need only the database.
    ``owed_backlog`` (``queries.owed_reply_backlog``): the older closed cases still owing replies, as one line."""
    doc = Document()
    doc.add_heading(f"舆情简报（{now:%Y年%m月%d日 %H:%M}，近{overview['hours']}小时）", level=1)
    if unavailable:
        doc.add_paragraph(f"注意：信息与事件未能统计：{unavailable}")
    else:
        doc.add_paragraph(f"共监测信息 {overview['posts']} 条，其中负面 {overview['negative']} 条；"
                          f"事件 {overview['events_total']} 起，苗头性舆情 {overview['emerging_total']} 起。")
    _case_table(doc, cases, unit_names, now)
    _message_table(doc, cases, now)
    backlog_cases, backlog_messages = owed_backlog
    if backlog_messages:
        doc.add_paragraph(f"另有 {backlog_cases} 件已结案件共 {backlog_messages} 条留言超期 "
                          f"{OWED_REPLY_CARRIED.days} 天以上未答复（不再逐条列出，见各案件页）。")
    if unavailable:
        return _saved(doc)
    doc.add_heading("苗头性舆情", level=2)
    if not overview["emerging"]:
        doc.add_paragraph("暂无。")
    for event in overview["emerging"]:
        doc.add_paragraph(xml_text(f"{event.get('title', '')}（{_grade_label(event.get('grade'))}）："
                                   + "；".join(event.get("emerging_reasons") or [])), style="List Bullet")
    shown = len(overview["events"])
    doc.add_heading("事件（按风险排序）" + (f"，共 {overview['events_total']} 起，列前 {shown} 起"
                                            if overview["events_total"] > shown else ""), level=2)
    if not overview["events"]:
        doc.add_paragraph("暂无。")
    else:
        table = doc.add_table(rows=1, cols=5)
        for cell, text in zip(table.rows[0].cells, ("事件", "话题", "级别", "风险", "定级依据"), strict=True):
            cell.text = xml_text(text)
        for event in overview["events"]:
            row = table.add_row().cells
            risk = event.get("risk")
            values = (event.get("title", ""), event.get("topic") or "—", _grade_label(event.get("grade")),
                      f"{risk:.0f}" if isinstance(risk, int | float) else "—",
                      "；".join(event.get("grade_reasons") or []))
            for cell, text in zip(row, values, strict=True):
                cell.text = xml_text(str(text))
    doc.add_heading("民生话题", level=2)
    if not overview["topics"]:
        doc.add_paragraph("暂无。")
    for topic in overview["topics"]:
        doc.add_paragraph(f"{topic['topic']}：{topic['posts']} 条，负面 {topic['negative']} 条"
                          f"（{topic['negative_share'] * 100:.0f}%）", style="List Bullet")
    return _saved(doc)


def _saved(doc: Any) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
