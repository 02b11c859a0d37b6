"""Replay: the whole pipeline over time-stamped posts with a simulated clock, hours passing in seconds.

Posts are fed when the clock reaches their ``published_at``; rules run as they arrive (and every few
simulated minutes in between); after the last post the clock keeps going, with nobody acknowledging,
until every deadline has fallen due and every escalation has gone out. This is the contract releases
are judged on: the same code as ``yuqing run``, only the clock differs.

The clock moves in steps, from one thing that happens to the next (a post, an evaluation, a reminder,
a deadline, an escalation, a digest), and stands still while the pipeline works: a replay gives the same
cases, deadlines and escalations on a fast machine and a slow one. Between steps it waits
``gap / speed`` real seconds, at most ``max_wait_s``, so quiet stretches pass quickly and a three-week
working-day deadline takes seconds to replay.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import BinaryIO

from alerts.outbox import OutboxWorker
from alerts.pipeline import EvaluationReport, Pipeline
from analysis.deidentify import PersonalPostIds
from yuqing.clock import DEFAULT_TZ, ManualClock
from yuqing.contract import Post
from yuqing.postlines import BadLine, RegionResolver, TierResolver, load_json_line, post_from_record

Echo = Callable[[str], None]
# A step never waits longer than this in real time; a longer gap is jumped over.
MAX_REAL_WAIT_S = 0.5
MAX_STEPS = 200_000


class ReplayInputError(ValueError):
    """The posts file cannot be replayed; the message names the line and the fix."""


@dataclass
class ReplayReport:
    posts: int = 0
    evaluations: int = 0
    cases_opened: list[int] = field(default_factory=list)
    reminders: int = 0
    overdue: int = 0
    escalations: int = 0
    digests: int = 0
    delivered: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    wall_seconds: float = 0.0
    complete: bool = True


def read_posts(path: Path, tz: tzinfo = DEFAULT_TZ, resolve_region: RegionResolver | None = None,
               warnings: list[str] | None = None, resolve_tier: TierResolver | None = None) -> list[Post]:
    """Posts from a JSON-lines file, oldest first (each line a Post as ``yuqing.postlines`` reads one, as
    ``yuqing analyze`` does, but UTF-8 only, and each needs a time).
    A line repeating an earlier id is kept (the later version replaces the earlier, as an edited post does) and
    said in ``warnings``. An id that is itself personal data (a phone number, an ID number, an e-mail address) is
    replaced by its keyed pseudonym, the same for the same id, before anything indexes or shows it; ``warnings``
    says so by line number, never by the value."""
    if not path.exists():
        raise ReplayInputError(f"{path}: no such file; pass a JSON-lines file of posts with --posts")
    if not path.is_file():
        raise ReplayInputError(f"{path}: not a file; pass a JSON-lines file of posts with --posts")
    posts = []
    first_line: dict[str, int] = {}
    personal_ids = PersonalPostIds()
    with path.open("rb") as handle:
        for number, line in enumerate(_lines(path, handle), 1):
            if not line.strip():
                continue
            try:
                data = load_json_line(line)
            except BadLine as exc:
                raise ReplayInputError(f"{path}:{number}: {exc}; write one complete post object per line") from exc
            if isinstance(data, dict) and not (data.get("published_at") or data.get("fetched_at")):
                raise ReplayInputError(f"{path}:{number}: no published_at or fetched_at; replay orders posts by "
                                       "time, so give each line one (e.g. 2026-03-02T09:00:00+08:00)")
            try:
                post = post_from_record(data, tz, datetime.now(tz), resolve_region=resolve_region, absolute_times=True,
                                        resolve_tier=resolve_tier)
            except BadLine as exc:
                raise ReplayInputError(f"{path}:{number}: {exc}") from exc
            post = personal_ids.safe(post, number)
            posts.append(post)
            post_id = post.id
            if post_id in first_line and warnings is not None:
                warnings.append(f"{path}:{number}: its id was already on line {first_line[post_id]}; the later line "
                                "replaces the earlier one (as an edited post does)")
            first_line.setdefault(post_id, number)
    if not posts:
        raise ReplayInputError(f"{path}: no posts in the file")
    note = personal_ids.note(path, "indexed and shown")
    if note is not None and warnings is not None:
        warnings.insert(0, note)
    return sorted(posts, key=lambda p: p.timestamp())


def _lines(path: Path, handle: BinaryIO) -> Iterator[str]:
    """The file's lines as text; a line that is not UTF-8 is reported by its number instead of a traceback."""
    for number, raw in enumerate(handle, 1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise ReplayInputError(f"{path}:{number}: not UTF-8 text (byte {exc.start + 1} of the line); save the "
                                   "file as UTF-8 JSON lines") from exc


class Replay:
    """Drives one pipeline and one outbox worker by a simulated clock."""

    def __init__(self, pipeline: Pipeline, outbox: OutboxWorker, clock: ManualClock, *, speed: float = 3600.0,
                 evaluate_every: timedelta = timedelta(minutes=15), max_wait_s: float = MAX_REAL_WAIT_S,
                 echo: Echo | None = None):
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        if not evaluate_every > timedelta(0):
            raise ValueError(f"evaluate_every must be positive, got {evaluate_every}")
        self.pipeline = pipeline
        self.outbox = outbox
        self.clock = clock
        self.speed = speed
        self.max_wait_s = max_wait_s
        self.evaluate_every = evaluate_every
        self.echo = echo or (lambda line: None)
        self.report = ReplayReport()
        self.tz = pipeline.config.settings.tz()

    def _say(self, text: str) -> None:
        self.echo(f"[{self.clock.now().astimezone(self.tz):%Y-%m-%d %H:%M}] {text}")

    def run(self, posts: list[Post]) -> ReplayReport:
        started = time.monotonic()
        report = self.report
        report.started_at = self.clock.now()
        pending = sorted(posts, key=lambda p: p.timestamp())
        last_eval: datetime | None = None
        last_post: datetime | None = None
        settle = self._settle_time()
        feed_done = False
        for _ in range(MAX_STEPS):
            now = self.clock.now()
            due = [p for p in pending if p.timestamp() <= now]
            if due:
                pending = pending[len(due):]
                # The replay "fetches" each post the moment it appears, as a poller would.
                fetched = [p.model_copy(update={"fetched_at": now}) for p in due]
                report.posts += self.pipeline.ingest(fetched)
                last_post = now
                self._say(f"{len(due)} post(s) in; {report.posts} so far")
            if not feed_done and (due or last_eval is None or now - last_eval >= self.evaluate_every):
                self._evaluate(quiet=not due and last_eval is not None)
                last_eval = now
                if not pending:
                    feed_done = True
                    self._say("last post replayed; the clock runs on with nobody acknowledging")
            elif feed_done:
                self._record_replies()
            self._tick()
            report.delivered += self.outbox.run_once()
            upcoming = self.pipeline.next_due()
            reply_at = self.pipeline.next_reply()
            if feed_done and upcoming is None and reply_at is None and not self._outbox_due():
                break
            targets = [t for t in (
                pending[0].timestamp() if pending else None,
                reply_at,
                last_eval + self.evaluate_every if (last_eval is not None and not feed_done and last_post is not None
                                                    and now - last_post < settle) else None,
                upcoming,
                self.pipeline.next_digest(),
            ) if t is not None]
            self._wait_until(min(targets) if targets else now)
        else:
            self._say(f"stopped after {MAX_STEPS} steps with duties still due; the report is incomplete")
            report.complete = False
        report.ended_at = self.clock.now()
        report.wall_seconds = time.monotonic() - started
        return report

    def _settle_time(self) -> timedelta:
        """How long after a post the rules keep being evaluated on the clock (windows close, sources go
        silent); longer quiet stretches are jumped over to the next post."""
        windows = [r.timeframe_minutes or 60 for r in self.pipeline.config.policy.rules if r.enabled]
        return timedelta(minutes=2 * max(windows, default=60))

    def _evaluate(self, quiet: bool = False) -> None:
        result = self.pipeline.evaluate(quiet=quiet)
        self.report.evaluations += 1
        self.report.cases_opened += result.opened
        for line in result.lines:
            self._say(line)

    def _record_replies(self) -> None:
        """Official replies whose time has come, once the posts have all been fed (before, each evaluation does it)."""
        result = EvaluationReport(self.clock.now())
        self.pipeline.record_replies(result)
        for line in result.lines:
            self._say(line)

    def _tick(self) -> None:
        tick = self.pipeline.escalator.tick(self.pipeline.database, self.clock)
        self.report.reminders += tick.reminders
        self.report.overdue += tick.overdue
        self.report.escalations += tick.escalations
        self.report.digests += tick.digests
        for line in tick.lines:
            self._say(line)

    def _outbox_due(self) -> bool:
        from sqlalchemy import func, select

        from alerts.outbox import DUE_STATUSES
        from yuqing.db.models import Notification

        with self.pipeline.database.sessions() as session:
            count = session.scalar(select(func.count()).select_from(Notification).where(
                Notification.status.in_(DUE_STATUSES), Notification.next_attempt_at <= self.clock.now()))
        return bool(count)

    def _wait_until(self, target: datetime) -> None:
        """Step the clock to ``target`` after ``gap / speed`` real seconds (at most ``max_wait_s``)."""
        gap = (target - self.clock.now()).total_seconds()
        if gap <= 0:
            return
        time.sleep(min(gap / self.speed, self.max_wait_s))
        self.clock.set(target)
