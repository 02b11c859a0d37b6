"""The ``yuqing`` command line. Commands read like sentences: ``yuqing es start``, ``yuqing config check``.

The core's own commands live here; each stage contributes its commands as click objects, loaded only
when called (so ``yuqing config check`` does not pay for loading models or Scrapy).
"""

from __future__ import annotations

import errno
import functools
import importlib
import json
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import click

from yuqing import paths
from yuqing.settings import ConfigError, load_config, redact_url, summary

# name → "module:attribute" of a click command or group provided by a stage.
STAGE_COMMANDS: dict[str, str] = {
    "demo": "yuqing.demo:demo_command",
    "crawl": "crawler.commands:crawl_command",
    "demo-web": "crawler.commands:demo_web_command",
    "extract": "crawler.extract_command:extract_command",
    "train": "analysis.commands:train_command",
    "predict": "analysis.commands:predict_command",
    "analyze": "analysis.analyze_command:analyze_command",
    "events": "analysis.analyze_command:events_command",
    "rules": "alerts.rules_command:rules_group",
    "route": "alerts.rules_command:route_group",
    "cases": "alerts.cases_command:cases_group",
    "notifications": "alerts.notifications_command:notifications_group",
    "replay": "alerts.replay_command:replay_command",
    "run": "alerts.run_command:run_command",
    "slack-endpoint": "alerts.slack_actions:slack_endpoint_command",
}


class YuqingGroup(click.Group):
    """A group whose stage commands are imported on first use, and which reports problems of the environment
    (state directory, database, Elasticsearch) as messages, whichever command meets them."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            message = environment_problem(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(STAGE_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in STAGE_COMMANDS:
            return command
        module_name, attribute = STAGE_COMMANDS[cmd_name].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and (exc.name == module_name or module_name.startswith(exc.name + ".")):
                return _unavailable(cmd_name, f"{module_name} is not part of this installation yet")
            raise
        return getattr(module, attribute)


def environment_problem(exc: Exception) -> str | None:
    """The message for an exception that comes from the machine or the configuration rather than from a bug:
    an unusable state directory, a database or Elasticsearch that cannot be used. None for anything else."""
    from yuqing.paths import StateDirUnusable
    from yuqing.settings import ConfigError

    if isinstance(exc, StateDirUnusable | ConfigError):  # (a stage that loads the configuration itself)
        return str(exc)
    module = type(exc).__module__
    if module.startswith("sqlalchemy"):
        from sqlalchemy.exc import DatabaseError, OperationalError

        from yuqing.db.session import database_refused

        # Read-only, locked, not a database file — not a constraint the code broke (IntegrityError is a bug).
        if isinstance(exc, OperationalError) or type(exc) is DatabaseError:
            settings = load_or_exit().settings
            return str(database_refused(settings.database.effective_url(), exc))
    if module.startswith(("yuqing.db", "yuqing.es")) and type(exc).__name__.endswith("Unavailable"):
        return str(exc)
    return None


def _unavailable(name: str, why: str) -> click.Command:
    @click.command(name=name, help=f"(unavailable: {why})")
    def _missing() -> None:
        raise click.ClickException(f"`yuqing {name}` is unavailable: {why}")

    return _missing


@click.group(cls=YuqingGroup)
@click.version_option(package_name="yuqing")
@click.option("--sandbox", metavar="NAME", envvar=paths.SANDBOX_ENV,
              help="Work in a sandbox: its own database, indices and state beside the deployment's. `yuqing demo` "
                   "runs in the sandbox 'demo' and `yuqing replay` in 'replay', so their simulated cases never mix "
                   "with real ones: look at them with e.g. `yuqing --sandbox demo dashboard`.")
def main(sandbox: str | None) -> None:
    """yuqing — catch emerging public opinion early, route it, answer it in time."""
    if sandbox:  # (the stages and the crawler's processes read it from the environment)
        context = click.get_current_context()
        try:
            context.with_resource(paths.in_sandbox(sandbox))
            if context.invoked_subcommand in READS_A_SANDBOX and sandbox not in paths.sandboxes():
                known = paths.sandboxes()
                raise click.BadParameter(
                    f"there is no sandbox {sandbox!r} in {paths.home_dir()} (existing: "
                    f"{', '.join(known) if known else 'none'}); check the name, or make it first with "
                    f"`{paths.command('demo', sandbox)}`, `{paths.command('replay --posts FILE', sandbox)}` or "
                    f"`{paths.command('run', sandbox)}`",
                    param_hint="--sandbox")
        except paths.StateDirUnusable as exc:
            raise click.BadParameter(str(exc), param_hint="--sandbox") from None


# Commands that only read what a sandbox holds: a mistyped name must not show an empty sandbox (or make one).
READS_A_SANDBOX = frozenset({"cases", "dashboard", "events", "notifications", "slack-endpoint"})


# ----------------------------------------------------------------------------- config


@main.group()
def config() -> None:
    """The configuration (config/*.yaml): `yuqing config check` validates it."""


@config.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def config_check(directory: Path | None) -> None:
    """Validate every config file; list each problem with file, key, value and fix (exit 2)."""
    try:
        cfg = load_config(directory)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    problems = stage_problems(cfg)
    if problems:
        click.echo(f"configuration in {cfg.directory} has {len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(2)
    from alerts.calendar import WorkCalendar
    from yuqing.clock import SystemClock

    warnings = [WorkCalendar(cfg.policy.calendar).coverage_warning(SystemClock(cfg.settings.tz()).now().date())]
    from yuqing.keyed import PSEUDONYM_KEY_ENV

    if not os.environ.get(PSEUDONYM_KEY_ENV):
        warnings.append(f"{PSEUDONYM_KEY_ENV} is not set: authors' pseudonyms use the public development key, so "
                        "anyone who guesses a name can check it. Set it to a secret in production")
    from alerts.escalation import leaderless_units, short_escalation_chains
    from alerts.notifiers import delivery_warnings, silent_units

    warnings += delivery_warnings(cfg) + silent_units(cfg) + leaderless_units(cfg) + short_escalation_chains(cfg)
    from alerts.routing import unit_kind_warnings

    warnings += unit_kind_warnings(cfg.units, cfg.taxonomy)
    warnings += unrouted_topics(cfg) + sources_outside_jurisdiction(cfg) + topic_model_disagreement(cfg)
    warnings += _orphaned_cases(cfg)
    for warning in filter(None, warnings):
        click.echo(f"warning: {warning}", err=True)
    click.echo(summary(cfg))


def _orphaned_cases(cfg) -> list[str]:  # type: ignore[no-untyped-def]
    """Open cases of the recorded workflow whose unit this units.yaml no longer has; nothing when nothing is
    recorded here yet, or the database cannot be read."""
    from alerts.cases import orphaned_cases
    from alerts.wiring import open_database

    try:
        database = open_database(cfg, migrate=False, existing=True)
    except click.ClickException:
        return []  # no workflow database here (yet): no cases to check
    try:
        with database.sessions() as session:
            return orphaned_cases(session, cfg.units)
    finally:
        database.dispose()


def unrouted_topics(cfg) -> list[str]:  # type: ignore[no-untyped-def]
    """Topics of taxonomy.yaml that no route of units.yaml names: their cases go to the default receiver."""
    from yuqing.settings import walk_routes

    routed = set()
    for _, route in walk_routes(cfg.units.route, "route"):
        topic = route.match.get("topic")
        routed.update([topic] if isinstance(topic, str) else (topic or []))
    return [f"topic {t.id} (taxonomy.yaml, unit kind {t.unit}) has no route in units.yaml; its cases go to the default "
            f"receiver {cfg.units.route.receiver}. Add {{match: {{topic: {t.id}}}, receiver_kind: {t.unit}}} to route.routes"
            for t in cfg.taxonomy.topics if t.id != cfg.taxonomy.fallback and t.id not in routed]


def sources_outside_jurisdiction(cfg) -> list[str]:  # type: ignore[no-untyped-def]
    """Sources whose region lies outside the units' jurisdiction (a half-done move to another place): their posts
    that name no other place are placed there, and open no case."""
    from alerts.routing import Router
    from yuqing.contract import Region

    router = Router(cfg.units)
    outside: dict[str, list[str]] = {}
    for source in cfg.sources.sources:
        if source.enabled and source.region is not None:
            why = router.outside(Region(**source.region.model_dump()))
            if why:
                outside.setdefault(why, []).append(source.name)
    return [f"sources.yaml: source(s) {', '.join(names)} lie outside the units' jurisdiction ({why}): their posts that "
            "name no other place open no case. Make units.yaml and sources.yaml describe the same place"
            for why, names in outside.items()]


def topic_model_disagreement(cfg) -> list[str]:  # type: ignore[no-untyped-def]
    """Topics taxonomy.yaml and the shipped topic model do not share: topics are learnt, so editing them needs
    retraining. Read from the model's meta.json: checking does not load the model."""
    from analysis.model_topics import (
        RETRAIN_SHIPPED_TOPIC,
        SHIPPED_TOPIC_MODEL,
        disagreement,
        shipped_model_labels,
    )

    labels = shipped_model_labels()
    if labels is None:
        return []  # no readable model: loading it says so, with the command that rebuilds it
    return disagreement(labels, cfg.taxonomy.ids()).warnings(
        SHIPPED_TOPIC_MODEL, cfg.directory / "taxonomy.yaml", cfg.taxonomy.fallback, RETRAIN_SHIPPED_TOPIC)


def stage_problems(cfg) -> list[str]:  # type: ignore[no-untyped-def]
    """What only the stages can judge: the routing tree as a whole, escalation chains, rule fields, grade floors,
    region_aliases.yaml and the place names against the gazetteer, media_outlets.yaml, the sources' selectors.

    The same checks refuse `yuqing run`, `replay` and `demo` at start-up; here they are listed all at once.
    """
    from alerts.deadlines import DeadlinePolicyError, check_deadline_policy
    from alerts.escalation import EscalationConfigError, Escalator
    from alerts.routing import Router, RoutingError
    from alerts.rules import RuleError, check_rule
    from analysis.grading import UnknownFloorCue, check_policy
    from analysis.media_outlets import media_outlet_problems

    checks: list[Callable[[], object]] = [lambda: Router(cfg.units), lambda: Escalator(cfg),
                                          lambda: check_policy(cfg.policy.grading),
                                          lambda: check_deadline_policy(cfg.policy)]
    checks += [functools.partial(check_rule, rule) for rule in cfg.policy.rules]
    problems = media_outlet_problems(cfg)
    for check in checks:
        try:
            check()
        except (RoutingError, EscalationConfigError, RuleError, UnknownFloorCue, DeadlinePolicyError) as exc:
            problems.append(str(exc))
    from analysis.region_names import region_problems
    from crawler.spiders import config_problems

    return problems + region_problems(cfg) + config_problems(cfg)


def load_or_exit(directory: Path | None = None):  # type: ignore[no-untyped-def]
    """Load the configuration for a command, or print the problems and exit 2 before starting anything."""
    try:
        return load_config(directory)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


# ----------------------------------------------------------------------------- elasticsearch


@main.group()
def es() -> None:
    """Manage the local Elasticsearch node (127.0.0.1) or check a configured cluster."""


@es.command("start")
def es_start() -> None:
    """Start the local single node (fetched once from Maven Central) and wait until it is healthy."""
    from yuqing.es.node import LocalNode, NodeError

    cfg = load_or_exit()
    if cfg.settings.elasticsearch.effective_url():
        click.echo(f"using the configured cluster {cfg.settings.elasticsearch.effective_url()}; nothing to start")
        return
    node = LocalNode(cfg.settings.elasticsearch)
    try:
        seconds = node.start()
    except NodeError as exc:
        raise click.ClickException(str(exc)) from exc
    if seconds == 0.0:
        click.echo(f"Elasticsearch already running at {node.url} (home {node.home})")
    else:
        click.echo(f"Elasticsearch {node.version} healthy at {node.url} after {seconds:.1f} s (home {node.home})")
    _ensure_indices(cfg)


def _ensure_indices(cfg) -> None:  # type: ignore[no-untyped-def]
    from yuqing.es.client import ElasticsearchUnavailable, connect
    from yuqing.es.indices import IndexLayout, MappingOutdated

    try:
        client = connect(cfg.settings.elasticsearch)
        IndexLayout(cfg.settings.elasticsearch.index_prefix).ensure(client)
    except (ElasticsearchUnavailable, MappingOutdated) as exc:
        raise click.ClickException(str(exc)) from exc


@es.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def es_status(as_json: bool) -> None:
    """Say whether Elasticsearch answers, its health and how many posts and events it holds."""
    from yuqing.es.client import shown_es_url
    from yuqing.es.node import LocalNode

    cfg = load_or_exit()
    settings = cfg.settings.elasticsearch
    info: dict = {"url": shown_es_url(settings), "managed": not settings.effective_url()}
    if info["managed"]:
        node = LocalNode(settings)
        status = node.status()
        info.update(running=status.running, pid=status.pid, health=status.health, version=status.version,
                    home=str(status.home))
        mismatch = node.port_mismatch()
        if mismatch:
            info["note"] = mismatch
        elif status.foreign:
            info["note"] = (f"the node answering on {status.url} was not started from {status.home} (another "
                            "YUQING_HOME, or by hand): `yuqing es stop` here leaves it running")
    counts = _counts(cfg) if info.get("health") or not info["managed"] else {}
    info.update(counts)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False))
    else:
        if info["managed"] and not info.get("running"):
            info = {"url": info["url"], "managed": True, "running": False, "home": info["home"],
                    "note": "not running; start it with `yuqing es start`"}  # (not health None / version None)
        for key, value in info.items():
            click.echo(f"{key:10} {value}")
    if not info.get("health") or info.get("error"):  # exit 1 whenever Elasticsearch does not answer
        sys.exit(1)


def _counts(cfg) -> dict:  # type: ignore[no-untyped-def]
    from elasticsearch import Elasticsearch

    from yuqing.es.client import ES_ERRORS, es_url
    from yuqing.es.indices import IndexLayout

    settings = cfg.settings.elasticsearch
    layout = IndexLayout(settings.index_prefix)
    out = {}
    try:
        client = Elasticsearch(es_url(settings), basic_auth=settings.credentials(), request_timeout=5)
        out["health"] = client.cluster.health()["status"]
        for kind in layout.kinds():
            if client.indices.exists_alias(name=kind.alias):
                out[kind.kind] = client.count(index=kind.alias)["count"]
    except (*ES_ERRORS, ValueError) as exc:  # report an unreachable cluster or an unusable URL, don't crash
        out["error"] = f"{type(exc).__name__}: {redact_url(str(exc))}"
    return out


@es.command("stop")
def es_stop() -> None:
    """Stop the local node (a configured cluster is never touched)."""
    from yuqing.es.node import LocalNode

    cfg = load_or_exit()
    if cfg.settings.elasticsearch.effective_url():
        click.echo("a configured cluster is in use; yuqing does not stop it")
        return
    node = LocalNode(cfg.settings.elasticsearch)
    other_port = node.configured_port() if node.port_mismatch() else None
    stopped = node.stop()
    if stopped:
        click.echo("Elasticsearch stopped" + (
            f" (the node of {node.home}; it listened on port {other_port}, per its elasticsearch.yml, not on "
            f"{node.port} ({node.port_source}); `yuqing es start` with this environment starts it on {node.port})"
            if other_port else ""))
    elif node.health():  # "was not running" while `es status` said running True
        raise click.ClickException(f"the Elasticsearch answering on {node.url} was not started from this state "
                                   f"directory ({node.home}), so it was left running; stop it with the YUQING_HOME "
                                   "that started it, or where you started it by hand")
    else:
        click.echo(f"Elasticsearch was not running: no node started from {node.home} runs, and none answers on "
                   f"{node.url}. A node started with another YUQING_HOME (or YUQING_ES_PORT) is stopped with the same "
                   "ones")


@es.command("migrate")
@click.option("--force", is_flag=True, help="Roll over even an index that has the current mapping.")
def es_migrate(force: bool) -> None:
    """Install the current index templates and roll each alias with an older mapping over into a new index."""
    from yuqing.es.client import ElasticsearchUnavailable, connect
    from yuqing.es.indices import IndexLayout, MappingOutdated

    cfg = load_or_exit()
    try:
        client = connect(cfg.settings.elasticsearch)
        moved = IndexLayout(cfg.settings.elasticsearch.index_prefix).migrate(client, force)
    except (ElasticsearchUnavailable, MappingOutdated) as exc:
        raise click.ClickException(str(exc)) from exc
    for kind, (index, new) in moved.items():
        click.echo(f"{kind}: now writing to {index}" if new else f"{kind}: {index} has the current mapping; kept")


@es.command("rollover")
@click.option("--dry-run", is_flag=True, help="Say whether each alias would roll over, and change nothing.")
def es_rollover(dry_run: bool) -> None:
    """Roll the posts and events aliases over when the configured age, size or count is reached."""
    from yuqing.es.client import ElasticsearchUnavailable, connect
    from yuqing.es.indices import IndexLayout

    cfg = load_or_exit()
    settings = cfg.settings.elasticsearch
    try:
        client = connect(settings)
    except ElasticsearchUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    r = settings.rollover
    result = IndexLayout(settings.index_prefix).rollover(client, r.max_age, r.max_docs, r.max_primary_shard_size,
                                                         dry_run=dry_run)
    for kind, body in result.items():
        if dry_run:  # Elasticsearch's dry run never rolls over; its conditions say which were reached
            reached = any((body.get("conditions") or {}).values())
            done = "would roll over" if reached else "would stay (no condition reached)"
        else:
            done = "rolled over" if body["rolled_over"] else "stays (no condition reached)"
        click.echo(f"{kind}: {body['old_index']} → {body['new_index']}: {done}")


# ----------------------------------------------------------------------------- database


@main.group()
def db() -> None:
    """The workflow database (cases, units, audit, outbox)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision (safe to run again)."""
    from yuqing.db.session import DatabaseUnavailable, upgrade

    cfg = load_or_exit()
    url = cfg.settings.database.effective_url()
    try:
        upgrade(url)
    except DatabaseUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"database schema up to date ({redact_url(url)})")


@db.command("copy")
@click.option("--from", "source_url", metavar="URL", default=None,
              help="The database to copy (default: the one in use: YUQING_DATABASE_URL, settings.yaml or the "
                   "SQLite file in the state directory).")
@click.option("--to", "target_url", metavar="URL", required=True,
              help="An empty database brought up with `YUQING_DATABASE_URL=URL yuqing db upgrade`.")
def db_copy(source_url: str | None, target_url: str) -> None:
    """Copy every case, its timeline, deadlines, messages, outbox and jobs into an empty database (e.g. from the
    SQLite trial to PostgreSQL), ids and times kept, in one transaction, and mark the old one as moved (every yuqing
    process then refuses it). Stop `yuqing run`, `yuqing slack-endpoint` and `yuqing dashboard` first."""
    from contextlib import ExitStack

    from sqlalchemy.engine import make_url

    from yuqing.db.scheduler_lock import COPY, SchedulerLock, SchedulerLockHeld
    from yuqing.db.session import Database, DatabaseUnavailable
    from yuqing.db.transfer import CopyRefused, copy_workflow, refuse_same

    cfg = load_or_exit()
    source_url = source_url or cfg.settings.database.effective_url()
    state_dir = paths.state_dir()
    try:
        lock = paths.hold_run_lock(state_dir)  # held through the copy: a run started meanwhile waits for nothing
    except paths.RunLockHeld as held:
        raise click.ClickException(f"a `yuqing run` (pid {held.holder}) is running on the state directory "
                                   f"{state_dir} and would go on writing cases the copy misses; stop it first, "
                                   "copy, then start it with YUQING_DATABASE_URL set to the new database") from None
    with lock, ExitStack() as scheduler_locks:
        for url, fix in ((source_url, "give the one in use with --from URL (`yuqing paths` shows where yuqing "
                                      "looks)"),
                         (target_url, f"make it with `YUQING_DATABASE_URL={redact_url(target_url)} yuqing db "
                                      "upgrade`, or check the path")):
            sqlite_file = Path(make_url(url).database or "") if url.startswith("sqlite") else None
            if sqlite_file is not None and not sqlite_file.is_file():  # (opening it would make an empty one)
                raise click.ClickException(f"no workflow database at {sqlite_file} ({redact_url(url)}); {fix}")
        try:
            refuse_same(source_url, target_url)
        except CopyRefused as exc:
            raise click.ClickException(str(exc)) from exc
        for url, which in ((source_url, "--from"), (target_url, "--to")):
            try:  # a `yuqing run` on either database, from any state directory or host, would write what is not copied
                scheduler_locks.callback(SchedulerLock.take(url, COPY).release)
            except SchedulerLockHeld as exc:
                raise click.ClickException(f"{which}: {exc}") from None
        databases = []
        try:
            for url, which in ((source_url, "--from"), (target_url, "--to")):
                database = Database(url)
                databases.append(database)
                try:
                    database.check_schema(f"YUQING_DATABASE_URL={redact_url(url)} yuqing db upgrade")
                except DatabaseUnavailable as exc:
                    raise click.ClickException(f"{which}: {exc}") from exc
            counts = copy_workflow(*databases)
        except CopyRefused as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            for database in databases:
                database.dispose()
    for table, count in counts.items():
        click.echo(f"{table}: {count} row(s)")
    click.echo(f"copied {sum(counts.values())} row(s) from {redact_url(source_url)} to {redact_url(target_url)}, "
               f"and marked {redact_url(source_url)} as moved: yuqing refuses to write it from now on. Set "
               f"YUQING_DATABASE_URL={redact_url(target_url)} (or database.url in settings.yaml) for `yuqing run`, "
               "`yuqing slack-endpoint` and `yuqing dashboard` (their unit files too) and start all three; one still "
               "running on the old database stops recording sign-offs, responses and assessments until it is "
               "restarted")


@db.command("unmark-moved")
@click.option("--from", "source_url", metavar="URL", default=None,
              help="The database `yuqing db copy` marked (default: the one in use).")
def db_unmark_moved(source_url: str | None) -> None:
    """Use a database again that `yuqing db copy` marked as moved (the move was abandoned). What was written to the
    copy since is not brought back."""
    from sqlalchemy import delete

    from yuqing.db.models import ScheduleMark
    from yuqing.db.session import MOVED_MARK, Database, DatabaseMoved, DatabaseUnavailable

    cfg = load_or_exit()
    url = source_url or cfg.settings.database.effective_url()
    database = Database(url)
    try:
        try:
            database.check_schema()
        except DatabaseMoved:
            with database.engine.begin() as connection:
                mark = connection.execute(delete(ScheduleMark).where(ScheduleMark.key == MOVED_MARK)
                                          .returning(ScheduleMark.details, ScheduleMark.at)).one()
            click.echo(f"{redact_url(url)} is in use again (it was copied to {mark.details.get('to')} at "
                       f"{mark.at.isoformat(timespec='seconds')}); what was recorded in that copy since is not here")
            return
        except DatabaseUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
    finally:
        database.dispose()
    click.echo(f"{redact_url(url)} is not marked as moved; nothing to do")


@main.command("dashboard")
@click.option("--host", default=None, help="Bind address (default from settings: 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default from settings: 8600).")
def dashboard(host: str | None, port: int | None) -> None:
    """Serve the press office, unit, leader and evaluator dashboards."""
    import uvicorn

    from analysis.tokenizer import cut_for_index
    from crawler.health import recorded_health
    from dashboards.app import create_app
    from dashboards.scoring import EvaluatorConfigError, Evaluators
    from yuqing.db.session import Database, DatabaseUnavailable
    from yuqing.es.client import ElasticsearchUnavailable, client_for, connect
    from yuqing.es.indices import IndexLayout
    from yuqing.sandbox_clock import clock_for

    cfg = load_or_exit()
    settings = cfg.settings
    host = host or settings.dashboard.host
    port = port or settings.dashboard.port
    listening = _listen(host, port, f"--port, or dashboard.port in {paths.config_file('settings.yaml')}")  # first: said at once
    try:
        database = Database(settings.database.effective_url())
        database.check_schema()
    except DatabaseUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        client = connect(settings.elasticsearch, wait_s=10)
    except ElasticsearchUnavailable as exc:
        # Cases, deadlines and the evaluation's timeliness need only the database: serve them, and say so.
        click.echo(f"warning: {exc}. The dashboards start anyway: cases, deadlines and timeliness are shown; "
                   "posts, events and response effect come back when Elasticsearch answers.", err=True)
        client = client_for(settings.elasticsearch)
    variable = settings.dashboard.evaluators_env
    try:
        evaluators = Evaluators.parse(os.environ.get(variable), variable)
    except EvaluatorConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    clock = clock_for(settings.tz(), database)  # in a sandbox, the one its commands use too
    app = create_app(client, IndexLayout(settings.elasticsearch.index_prefix), database, cut_for_index,
                     clock, {u.id: u.name for u in cfg.units.units},
                     evaluators=evaluators, evaluators_env=variable, sandbox=paths.sandbox(),
                     source_health=lambda now: recorded_health(cfg, now),  # as `yuqing crawl --health` reads it
                     topics=cfg.taxonomy.ids(), source_labels=cfg.sources.labels())
    if evaluators:
        click.echo(f"{len(evaluators.by_passphrase)} evaluator(s) may score cases on their pages ({variable})")
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL goes in brackets
    click.echo(f"dashboards at http://{shown}:{port}/ (press office), /search, /units (responsible units), /leader, "
               "/evaluator, /sources (the sources' health)")
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[listening])


def _listen(host: str, port: int, where: str) -> socket.socket:
    """A socket bound to host:port, or a message that says who to stop or what to change (uvicorn printed
    "dashboards at …", then "[Errno 98] address already in use", and exited 3)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise click.ClickException(f"cannot listen on {host}: {exc.strerror}; give --host an address of this "
                                   "machine, e.g. 127.0.0.1") from None
    listening = socket.socket(family, kind, proto)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind(address)
    except OSError as exc:
        listening.close()
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}; another program (perhaps "
                                       f"another `yuqing dashboard`) uses it: stop it, or choose a free port "
                                       f"({where})") from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}; give --host an address of "
                                   "this machine, e.g. 127.0.0.1") from None
    return listening


@main.command("paths")
def show_paths() -> None:
    """Where configuration, state and the shared data set are looked for."""
    click.echo(f"config       {paths.config_dir()}")
    if os.environ.get(paths.SANDBOX_ENV):
        click.echo(f"sandbox      {os.environ[paths.SANDBOX_ENV]} (its own database, indices and state)")
    try:
        click.echo(f"state        {paths.state_dir()}")
    except paths.StateDirUnusable as exc:
        click.echo(f"state        unusable: {exc}")
    shared = paths.shared_data_dir()
    missing = "" if shared.is_dir() else "  (missing: only training and the benchmarks need it; set YUQING_SHARED_DATA)"
    click.echo(f"shared data  {shared}{missing}")


if __name__ == "__main__":
    main()
