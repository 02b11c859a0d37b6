"""Payloads shaped like the case side's (alerts.cases.case_payload), with hostile text from "the web"."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

HOSTILE_TITLE = "<!channel> A3区某校食堂 *疑似* 食物中毒 <script>alert(1)</script> & [点此](http://evil.example)"
HOSTILE_SUMMARY = "家长称 <@U999> 孩子呕吐 & 发烧；<http://evil.example|官方通报>\n# 不是标题"


def case_payload(now: datetime, *, case_id: int = 42, kind: str = "alert", **overrides: Any) -> dict[str, Any]:
    """A grade-II case alert due in 5 h / 24 h, its title and summary full of markup to be escaped."""
    payload: dict[str, Any] = {
        "title": HOSTILE_TITLE,
        "summary": HOSTILE_SUMMARY,
        "grade": "II",
        "grade_colour": "橙",
        "risk": 71.5,
        "topic": "就学",
        "region": "湖南省A市A3区",
        "unit": "a3-edu",
        "unit_name": "A3区教育局",
        "joint_units": [{"id": "a-publicity", "name": "A市委宣传部（市政府新闻办）"}, {"id": "a-cac", "name": "A市委网信办"}],
        "deadlines": [
            {"kind": "authoritative_release", "due_at": (now + timedelta(hours=4, minutes=30)).isoformat(),
             "basis": "国办发〔2016〕80号：5小时内发布权威信息", "met_at": None},
            {"kind": "press_conference", "due_at": (now + timedelta(hours=23)).isoformat(),
             "basis": "国办发〔2016〕61号：24小时内举行新闻发布会", "met_at": None},
        ],
        "factors": ["风险分 71.5 (≥ 60) → II级 (橙)", "涉及未成年人 (+15.0)", "传播速度 12 条/小时 (+9.3)"],
        "case_id": case_id,
        "state": "notified",
        "links": {"case": f"http://127.0.0.1:8600/cases/{case_id}"},
        "kind": kind,
        "escalation_level": 0,
        "recipient_unit": "a3-edu",
        "recipient_role": "responsible",
    }
    payload.update(overrides)
    return payload


def digest_payload(now: datetime, count: int = 3) -> dict[str, Any]:
    return {"kind": "digest", "title": "每日舆情摘要", "cases": [case_payload(now, case_id=i + 1) for i in range(count)]}
