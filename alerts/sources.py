"""Operational alerts about the sources: the press office hears when a source stops being collected (its fetches fail,
its runs stop, or, never having collected an item, nothing is found on its pages), and above all when every source
has (采集中断) — the dashboards and the flatline rule then look calm only because nothing arrives.

The health itself is the crawler's (``crawler.health``, read from its state file); the command line wires a reader
of it into the scheduler, as alerts reads nothing of the crawler directly. What the check has seen and told lives
in one schedule mark, written in the transaction that queues the alert: a restart neither starts a spell's clock
again nor tells it twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from sqlalchemy.orm import Session

from alerts.operations import down_for, tell_operations
from alerts.routing import Router
from yuqing.contract import SOURCE_STATUS_NAMES, SOURCE_TYPE_NAMES
from yuqing.db.models import ScheduleMark
from yuqing.db.session import Database
from yuqing.settings import Config

SOURCES_DOWN_MARK = "sources:down"
# The press office is told once the check has seen a source collect nothing for this many of the source's own
# intervals. The crawler is patient already (failing after an interval without success, overdue after three without
# a run); two more runs that could have worked let a blip pass, and let the crawls a restart after a long stop
# starts finish first (every source reads overdue until they do).
SOURCE_DOWN_INTERVALS = 2
# ... and never sooner than an Elasticsearch outage is told (alerts.scheduler.OUTAGE_ALERT_AFTER): a source crawled
# every minute is no reason to tell sooner.
SOURCE_DOWN_AT_LEAST = timedelta(minutes=10)
# How much of a source's last error an alert quotes (a Scrapy failure can run to a traceback's length).
ERROR_CHARS = 200
WHAT_TO_DO = "请检查本机网络和这些数据源的网站（yuqing crawl --health 列出各数据源的状态和错误，看板的“数据源状态”页同样）。"


class SourceStatus(Protocol):
    """What the check needs of one source's health (``crawler.health.SourceHealth`` provides it)."""

    @property
    def source(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def enabled(self) -> bool: ...

    @property
    def status(self) -> str: ...

    @property
    def interval_minutes(self) -> float: ...

    @property
    def last_ok_at(self) -> datetime | None: ...

    @property
    def last_error(self) -> str | None: ...

    @property
    def never_collected(self) -> bool: ...

    @property
    def down_since(self) -> datetime | None: ...


@dataclass
class SourcesReport:
    """What one check found and told."""

    down: list[str] = field(default_factory=list)
    told: list[str] = field(default_factory=list)
    stopped: bool = False  # every enabled source collects nothing
    notifications: int = 0
    lines: list[str] = field(default_factory=list)
    recoveries: list[str] = field(default_factory=list)  # sources that work again: good news, logged apart from lines


def alert_after(interval_minutes: float) -> timedelta:
    """How long a source may be seen collecting nothing before the press office is told."""
    return max(timedelta(minutes=interval_minutes * SOURCE_DOWN_INTERVALS), SOURCE_DOWN_AT_LEAST)


def check_sources(database: Database, config: Config, router: Router, health: Sequence[SourceStatus],
                  now: datetime) -> SourcesReport:
    """Note the enabled sources that collect nothing (failing, overdue, or silent never having collected an item:
    ``down_since``) and tell the press office of those seen so
    for long enough, once per spell; when every enabled source collects nothing, one alert says collection stopped."""
    enabled = [h for h in health if h.enabled]
    down = {h.source: h for h in enabled if h.down_since is not None}
    report = SourcesReport(down=sorted(down), stopped=bool(enabled) and len(down) == len(enabled))
    tz = config.settings.tz()
    with database.transaction() as session:
        mark = session.get(ScheduleMark, SOURCES_DOWN_MARK)
        before: dict[str, Any] = mark.details if mark is not None else {}
        spells: dict[str, dict[str, Any]] = {}
        for name, h in sorted(down.items()):
            since = _since(h).isoformat()
            known = before.get("sources", {}).get(name)
            if known and known["since"] == since:
                spells[name] = dict(known)  # a copy: the mark's stored value changed in place would not be written
                continue
            spells[name] = {"since": since, "seen": now.isoformat(), "told": False}
            at = _since(h).astimezone(tz).isoformat(timespec="minutes")
            if h.last_ok_at is None:
                worked = f"never worked (failing since {at})"
            elif h.never_collected:  # its pages fetch, so it "worked": the spell is since it has parsed nothing
                worked = f"never collected an item ({h.status} since {at})"
            else:
                worked = f"last worked {at}"
            report.lines.append(f"source {name} collects nothing ({h.status}; {worked}); the press office is told "
                                f"if it is still so at {(now + alert_after(h.interval_minutes)).astimezone(tz):%H:%M}")
        statuses = {h.source: h.status for h in health}
        report.recoveries = [f"source {name} is {statuses.get(name, 'no longer configured')} now"
                             for name in sorted(before.get("sources", {})) if name not in down]
        due = [name for name in sorted(spells) if now - datetime.fromisoformat(spells[name]["seen"])
               >= alert_after(down[name].interval_minutes)]
        # Every source down at once is told when the most often crawled has had its runs to prove otherwise.
        stop = dict(before.get("stop") or {"seen": now.isoformat(), "told": False}) if report.stopped else None
        stopping = stop is not None and not stop["told"] and now - datetime.fromisoformat(stop["seen"]) >= min(
            alert_after(h.interval_minutes) for h in enabled)
        told = sorted(down) if stopping else [name for name in due if not spells[name]["told"]]
        if told:
            report.notifications = _tell(session, config, router, [down[n] for n in told], now, stopped=stopping)
            report.lines.append(("collection stopped: every enabled source collects nothing; " if stopping else "")
                                + f"the press office is told of {', '.join(told)}")
        for name in told:
            spells[name]["told"] = True
        report.told = told
        report.notifications += _tell_recovered(session, config, router, before, down,
                                                {h.source for h in enabled if h.source not in down}, now,
                                                stopped=report.stopped)
        if spells:
            if mark is None:
                mark = ScheduleMark(key=SOURCES_DOWN_MARK, at=now, details={})
                session.add(mark)
            mark.at, mark.details = now, {"sources": spells, "stop": stop and {**stop, "told": stop["told"] or stopping}}
        elif mark is not None:
            session.delete(mark)  # every source works again: the next spell has its own clock and alert
    return report


def _since(h: SourceStatus) -> datetime:
    assert h.down_since is not None  # (only sources that collect nothing are checked)
    return h.down_since


def _tell(session: Session, config: Config, router: Router, sources: list[SourceStatus], now: datetime, *,
          stopped: bool) -> int:
    """One alert to the press office (the default receiver) naming ``sources``; ``stopped``: they are all there are."""
    tz, labels = config.settings.tz(), config.sources.labels()
    lines = "\n".join(_line(h, tz, labels) for h in sources)
    if stopped:
        since = max(_since(h) for h in sources)  # when the last source that worked stopped working
        title = f"数据采集中断：全部 {len(sources)} 个数据源都无法采集"
        summary = (f"自 {since.astimezone(tz):%Y-%m-%d %H:%M} 起，全部 {len(sources)} 个启用的数据源都没有采集到信息（采集中断）："
                   f"新的舆情不会进入系统，看板和规则显得平静只是因为没有数据，并不代表没有舆情。\n{lines}\n{WHAT_TO_DO}")
        key = f"collection-stopped:{since.isoformat()}"
    else:
        title = f"数据源无法采集：{'、'.join(labels.get(h.source, h.source) for h in sources)}"
        summary = f"以下数据源已有一段时间没有采集到信息，来自这些来源的新舆情不会被发现：\n{lines}\n{WHAT_TO_DO}"
        key = "source-down:" + ";".join(f"{h.source}@{_since(h).isoformat()}" for h in sources)
    return tell_operations(session, config, router, title=title, summary=summary, page="/sources", key=key, at=now,
                           rule="collection_stopped" if stopped else "source_down",
                           sources=[h.source for h in sources])


def _tell_recovered(session: Session, config: Config, router: Router, before: dict[str, Any],
                    down: dict[str, SourceStatus], working: set[str], now: datetime, *, stopped: bool) -> int:
    """The all-clear of what the press office was told (a spell nobody heard of ends silently), once per spell:
    collection resumed when a told stop ends (it names the sources working again), else the told sources that
    work again."""
    spells: dict[str, dict[str, Any]] = before.get("sources", {})
    labels = config.sources.labels()

    def named(names: Iterable[str]) -> str:
        return "、".join(labels.get(name, name) for name in names)

    recovered = sorted(name for name, spell in spells.items() if name in working and spell["told"])
    stop = before.get("stop") or {}
    if stop.get("told") and not stopped:
        since = datetime.fromisoformat(stop["seen"])
        resumed = sorted(name for name in spells if name in working)
        still = f"\n仍无法采集：{named(sorted(down))}。{WHAT_TO_DO}" if down else ""
        return tell_operations(
            session, config, router, title="数据采集已恢复", rule="collection_resumed", page="/sources",
            recovered=True, key=f"collection-resumed:{stop['seen']}", at=now, sources=resumed,
            summary=f"数据采集已恢复（{down_for(config, since, now)}）：新的舆情重新进入系统，看板和规则恢复反映实际情况。"
                    f"恢复采集的数据源：{named(resumed)}。{still}")
    if not recovered:
        return 0
    lines = "\n".join(f"- {named([name])}：{down_for(config, datetime.fromisoformat(spells[name]['since']), now)}"
                      for name in recovered)
    return tell_operations(
        session, config, router, title=f"数据源已恢复采集：{named(recovered)}", rule="source_recovered",
        page="/sources", recovered=True, at=now, sources=recovered,
        key="source-recovered:" + ";".join(f"{name}@{spells[name]['since']}" for name in recovered),
        summary=f"以下数据源已恢复采集，来自这些来源的新舆情重新进入系统：\n{lines}")


def _line(h: SourceStatus, tz: tzinfo, labels: Mapping[str, str]) -> str:
    """One source's line: its label, with the id beside it that `yuqing crawl` and sources.yaml know it by."""
    since = f"{_since(h).astimezone(tz):%Y-%m-%d %H:%M}"
    kind = SOURCE_TYPE_NAMES.get(h.type, h.type)
    label = labels.get(h.source, h.source)
    name = f"{h.source}（{kind}）" if label == h.source else f"{label}（{h.source}，{kind}）"
    if h.status == "silent":  # its pages come back: no error to quote, the cause is most likely its configuration
        return (f"- {name}：{SOURCE_STATUS_NAMES['silent']}，从未采集到信息（自 {since} 起页面能取到，却没有"
                f"解析出信息：网页改版，或 sources.yaml 中它的选择器不对？）")
    worked = f"自 {since} 起未能采集" if h.last_ok_at is not None else f"从未采集成功（首次失败 {since}）"
    error = " ".join((h.last_error or "无记录").split())
    if len(error) > ERROR_CHARS:
        error = error[:ERROR_CHARS - 1] + "…"
    return f"- {name}：{SOURCE_STATUS_NAMES.get(h.status, h.status)}，{worked}；最近错误：{error}"
