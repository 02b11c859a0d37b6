"""Shared makings of the case, routing and escalation tests: the shipped configuration, events, a clock."""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select

from alerts.cases import sync_units
from yuqing.contract import Event, Grade, Region
from yuqing.db.models import Case, Notification
from yuqing.db.session import Database
from yuqing.settings import Config, load_config

REPO = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9AM = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


def deployment(tmp_path: Path, es_url: str) -> dict[str, str]:
    """Environment of a deployment of its own: a config copy with a unique index prefix, a SQLite file and
    a state folder, for commands run as a user runs them."""
    config_dir = tmp_path / "config"
    shutil.copytree(REPO / "config", config_dir)
    settings = yaml.safe_load((config_dir / "settings.yaml").read_text(encoding="utf-8"))
    settings["elasticsearch"]["index_prefix"] = f"c{uuid.uuid4().hex[:10]}"
    (config_dir / "settings.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    return {"YUQING_CONFIG_DIR": str(config_dir), "YUQING_HOME": str(home), "YUQING_ES_URL": es_url,
            "YUQING_DATABASE_URL": f"sqlite:///{tmp_path / 'yuqing.db'}", "YUQING_SLACK_TOKEN": ""}


def index_prefix(env: dict[str, str]) -> str:
    settings = yaml.safe_load(Path(env["YUQING_CONFIG_DIR"], "settings.yaml").read_text(encoding="utf-8"))
    return str(settings["elasticsearch"]["index_prefix"])


def shipped_config() -> Config:
    return load_config(REPO / "config")


def make_event(event_id: str = "ev-a3-school", *, title: str = "A3区某小学校车超载多名学生挤在过道", topic: str | None = "就学",
               district: str | None = "A3区", grade: Grade | None = Grade.III, volume: int = 12,
               keywords: tuple[str, ...] = ("学生", "校车"), at: datetime = MONDAY_9AM,
               risk: float = 42.0) -> Event:
    region = Region(province="湖南省", city="A市", district=district)
    return Event(id=event_id, title=title, keywords=list(keywords), first_seen=at, last_seen=at, region=region,
                 topic=topic, volume=volume, grade=grade, risk=risk,
                 grade_reasons=[f"规模: {volume} 条帖子", "涉及弱势群体: 学生"])


def prepare(database: Database, config: Config) -> None:
    with database.transaction() as session:
        sync_units(session, config.units)


def notifications(database: Database, **where: object) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    with database.sessions() as session:
        return list(session.scalars(query))


def the_case(database: Database, event_id: str = "ev-a3-school") -> Case:
    from sqlalchemy.orm import selectinload

    with database.sessions() as session:
        return session.scalars(select(Case).where(Case.event_id == event_id)
                               .options(selectinload(Case.events), selectinload(Case.deadlines))).one()
