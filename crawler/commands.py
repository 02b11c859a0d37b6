"""``yuqing crawl`` and ``yuqing demo-web``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from yuqing import paths
from yuqing.paths import config_file, output_file_problem
from yuqing.settings import ConfigError, load_config


def _settings_pairs(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        if "=" not in value:
            raise click.BadParameter(
                f"{value!r} is not NAME=VALUE (e.g. -s CLOSESPIDER_ITEMCOUNT=10)", param_hint="-s/--set"
            )
        name, _, setting = value.partition("=")
        out[name.strip()] = setting
    return out


@click.command("crawl")
@click.argument("sources", nargs=-1)
@click.option("--all", "crawl_all", is_flag=True, help="Crawl every enabled source in sources.yaml.")
@click.option(
    "--distributed",
    is_flag=True,
    help="Share the queue and dupefilter with other crawler processes through Redis (scrapy-redis).",
)
@click.option(
    "--redis-url", help="Redis for --distributed (default: the variable named by crawler.redis_url_env)."
)
@click.option(
    "--crawl-id",
    help="--distributed: processes with the same id share one crawl "
    "(default: one crawl per source interval).",
)
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Scrapy or YUQING_* setting, as with `scrapy crawl -s`.",
)
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    help="Scrapy's log level (stderr).",
)
@click.option("--health", "show_health", is_flag=True, help="Print each source's health and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def crawl_command(
    sources: tuple[str, ...],
    crawl_all: bool,
    distributed: bool,
    redis_url: str | None,
    crawl_id: str | None,
    overrides: tuple[str, ...],
    log_level: str,
    show_health: bool,
    as_json: bool,
) -> None:
    """Crawl SOURCE(s) from config/sources.yaml into Elasticsearch; print how many posts were indexed."""
    try:
        config = load_config()
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    if show_health:
        _print_health(config, as_json)
        return
    if crawl_all:
        names = [s.name for s in config.sources.sources if s.enabled]
    else:
        names = list(sources)
    if not names:
        known = ", ".join(s.name for s in config.sources.sources)
        raise click.UsageError(f"name the source(s) to crawl, or pass --all (sources: {known})")
    for name in names:
        try:
            config.sources.get(name)
        except KeyError as exc:
            raise click.BadParameter(str(exc.args[0]), param_hint="SOURCE") from None
    settings = _settings_pairs(overrides)
    settings["LOG_LEVEL"] = log_level
    log_file = settings.get("LOG_FILE")
    problem = output_file_problem(Path(str(log_file))) if log_file else None
    if problem:  # (said before crawling: Scrapy's handler failed with a traceback once the crawl had begun)
        raise click.BadParameter(f"LOG_FILE={log_file}: {problem}", param_hint="-s")
    if distributed:
        settings["YUQING_DISTRIBUTED"] = "1"
        if redis_url:
            settings["YUQING_REDIS_URL"] = redis_url
        if crawl_id:
            settings["YUQING_CRAWL_ID"] = crawl_id
    from crawler.runner import run_crawls

    started = time.monotonic()
    runs = run_crawls(config, names, settings)
    elapsed = time.monotonic() - started
    indexed = sum(r.count("yuqing/posts_indexed") for r in runs)
    spooled = sum(r.count("yuqing/posts_spooled") for r in runs)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "indexed": indexed,
                    "spooled": spooled,
                    "seconds": round(elapsed, 1),
                    "sources": [
                        {
                            "source": r.source,
                            "type": r.type,
                            "finish_reason": r.finish_reason,
                            "failure": r.failure,
                            "unreachable": r.unreachable,
                            "collected_nothing": r.collected_nothing,
                            "not_stored": r.not_stored,
                            "stats": r.stats or {},
                        }
                        for r in runs
                    ],
                },
                ensure_ascii=False,
                default=str,
            )
        )
    else:
        for run in runs:
            click.echo(run.summary())
        tail = f", {spooled} spooled for later" if spooled else ""
        click.echo(f"{indexed} posts indexed from {len(runs)} source(s) in {elapsed:.1f} s{tail}")
    if any(r.interrupted for r in runs):
        click.echo("crawl interrupted; run the same command again to go on (each source's queue is kept)", err=True)
        sys.exit(130)
    if any(r.failure or r.unreachable or r.collected_nothing or r.not_stored for r in runs):
        sys.exit(1)


def _print_health(config, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    """Every source's health as of the clock the dashboards' /sources judges by: in a sandbox, the sandbox's."""
    from crawler.health import source_health
    from yuqing.sandbox_clock import SandboxClock, clock_of_records

    clock = clock_of_records(config.settings.tz(), config.settings.database.effective_url())
    now = clock.now()
    health = source_health(config, now)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in health], ensure_ascii=False))
        return
    simulated = clock.simulated() if isinstance(clock, SandboxClock) else None
    judged = (f"; judged at {now:%Y-%m-%d %H:%M}, the clock of the sandbox {paths.sandbox()!r} (a simulated run left "
              "it there; its dashboards judge by it too)" if simulated is not None else "")
    click.echo(f"times in {config.settings.timezone}{judged}")
    for h in health:
        last = f"{h.last_run_finished:%Y-%m-%d %H:%M}" if h.last_run_finished else "never"
        click.echo(
            f"{h.source:20} {h.status:9} last run {last:16} items {h.items_total:6} "
            f"errors(last run) {h.errors_last_run}"
        )
        for event in h.open_events:
            click.echo(f"    {event.kind} since {event.at:%Y-%m-%d %H:%M}: {event.detail}")


@click.command("demo-web")
@click.option(
    "--port", type=int, default=None,
    help="Port on 127.0.0.1 (0: any free port); default: the port the demo_* sources in sources.yaml crawl (8700).",
)
@click.option(
    "--scenario",
    default="static",
    show_default=True,
    help="When posts appear: a bundled scenario (static, live) or a YAML file of releases.",
)
@click.option(
    "--pages", default=0, show_default=True, type=int, help="Add this many generated news articles."
)
@click.option(
    "--delay", "delay_s", default=0.0, show_default=True, type=float, help="Seconds to wait per response."
)
@click.option("--access-log", type=click.Path(path_type=Path), help="Append every request to this file.")
def demo_web_command(port: int | None, scenario: str, pages: int, delay_s: float, access_log: Path | None) -> None:
    """Serve the local demo web (fictional A市 news, message board, feeds, Weibo-shaped API) on 127.0.0.1."""
    from crawler.config import DEMO_WEB_PORT, demo_web_port
    from crawler.demo_web import DemoWeb

    if port is None:
        try:
            port = demo_web_port(load_config())
        except (ConfigError, ValueError) as exc:
            click.echo(f"warning: {exc}; serving on {DEMO_WEB_PORT}", err=True)
            port = DEMO_WEB_PORT
    try:
        web = DemoWeb(port=port, scenario=scenario, pages=pages, delay_s=delay_s, access_log_path=access_log)
    except OSError as exc:
        raise click.ClickException(f"{exc}: choose another with --port (0 picks a free one) and point the demo_* "
                                   f"sources' start_urls in {config_file('sources.yaml')} at it") from exc
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"demo web at {web.url}/ (scenario {web.site.scenario.name}, "
        f"{len(web.site.catalogue.news)} news articles); Ctrl-C stops it"
    )
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        web.server.server_close()
