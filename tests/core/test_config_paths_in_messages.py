"""Messages that send a deployer to a configuration file name the file in use (YUQING_CONFIG_DIR), not config/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alerts.notifiers import delivery_warnings
from crawler.runner import SourceRun
from yuqing.settings import load_config

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def deployed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "b-city"
    shutil.copytree(REPO_CONFIG, directory)
    monkeypatch.setenv("YUQING_CONFIG_DIR", str(directory))
    return directory


def test_a_crawl_that_collected_nothing_names_the_sources_file_in_use(deployed: Path) -> None:
    run = SourceRun("bcity_404", "rss", finish_reason="finished",
                    stats={"downloader/response_count": 1, "yuqing/errors/HTTP 404": 1})
    assert f"check the source in {deployed / 'sources.yaml'} and the site" in run.summary()


def test_a_crawl_that_reached_nothing_names_the_sources_file_in_use(deployed: Path) -> None:
    run = SourceRun("bcity_down", "news", finish_reason="finished",
                    stats={"downloader/exception_count": 1,
                           "downloader/exception_type_count/twisted.internet.error.ConnectionRefusedError": 1})
    assert f"check the source's URL in {deployed / 'sources.yaml'} and that the site is up" in run.summary()


def test_undelivered_channels_name_the_units_file_in_use(deployed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(deployed)
    monkeypatch.delenv(config.settings.notifications.slack.token_env, raising=False)
    warnings = delivery_warnings(config, env={})
    assert any(f"Slack messages to the units in {deployed / 'units.yaml'} are written" in w for w in warnings), warnings
    assert any(f"e-mail to the units and leaders in {deployed / 'units.yaml'} is written" in w for w in warnings)
