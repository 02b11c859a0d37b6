"""`yuqing config check`: every problem named with file, key, value and fix; exit 2; nothing started."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.taxonomy import add_heating, remove_ecology
from yuqing.cli import main
from yuqing.settings import ConfigError, load_config

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO_CONFIG, target)
    return target


def check(directory: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["config", "check", str(directory)])
    return result.exit_code, result.output


def check_edited(directory: Path, file: str, old: str, new: str) -> tuple[int, str]:
    """``config check`` after the first ``old`` in ``file`` (which must hold it) became ``new``."""
    text = (directory / file).read_text(encoding="utf-8")
    assert old in text
    (directory / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return check(directory)


def test_the_shipped_configuration_is_valid_and_summarised() -> None:
    code, out = check(REPO_CONFIG)
    assert code == 0, out
    assert "configuration OK" in out
    assert "response 48 h" in out and "authoritative_release 5 h" in out
    assert "就学" in out and "养老服务" in out


def test_broken_yaml_names_the_file_and_line(config_copy: Path) -> None:
    (config_copy / "policy.yaml").write_text("version: 1\ngrading:\n  weights: [unclosed\n", encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2
    assert "policy.yaml: line" in out and "YAML syntax error" in out and "Fix:" in out


def test_unknown_key_wrong_type_and_bad_value_are_all_listed(config_copy: Path) -> None:
    text = (config_copy / "settings.yaml").read_text(encoding="utf-8")
    text = text.replace("http_port: 9200", "http_port: ninety").replace("timezone: Asia/Shanghai",
                                                                       "timezone: Mars/Olympus\ntimezon: x")
    (config_copy / "settings.yaml").write_text(text, encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2
    assert "settings.yaml: elasticsearch.http_port" in out and "'ninety'" in out and "whole number" in out
    assert "settings.yaml: timezon" in out and "remove the key or correct its spelling" in out
    assert "unknown time zone 'Mars/Olympus'" in out


def test_a_route_to_an_unknown_unit_is_a_dangling_reference(config_copy: Path) -> None:
    text = (config_copy / "units.yaml").read_text(encoding="utf-8")
    text = text.replace("receiver_kind: 民政局}", "receiver: a-nursing-bureau}")
    (config_copy / "units.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config_copy)
    problems = caught.value.problems
    assert len(problems) == 1
    assert problems[0].file == "units.yaml"
    assert problems[0].key == "route.routes[6].receiver"
    assert problems[0].value == "a-nursing-bureau"
    assert "unknown unit" in problems[0].message


def test_a_route_to_a_topic_not_in_the_taxonomy_is_refused(config_copy: Path) -> None:
    text = (config_copy / "units.yaml").read_text(encoding="utf-8").replace("{topic: 就学}", "{topic: 上学}")
    (config_copy / "units.yaml").write_text(text, encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2 and "route.routes[0].match.topic" in out and "'上学'" in out


def test_deadline_and_threshold_rules_explain_the_fix(config_copy: Path) -> None:
    text = (config_copy / "policy.yaml").read_text(encoding="utf-8")
    text = text.replace("thresholds: {I: 75, II: 55, III: 35}", "thresholds: {I: 30, II: 55, III: 35}")
    text = text.replace("{kind: response, hours: 48,", "{kind: response, hours: 48, working_days: 2,")
    (config_copy / "policy.yaml").write_text(text, encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2
    assert "thresholds must fall from I to III" in out
    assert "needs exactly one of hours or working_days" in out


def test_missing_file_and_missing_directory(config_copy: Path, tmp_path: Path) -> None:
    (config_copy / "sources.yaml").unlink()
    code, out = check(config_copy)
    assert code == 2 and "sources.yaml: file is missing" in out
    code, out = check(tmp_path / "nowhere")
    assert code == 2 and "configuration directory not found. Fix:" in out and "(value: None)" not in out


def test_commands_that_start_things_refuse_a_broken_config(config_copy: Path, monkeypatch) -> None:
    (config_copy / "units.yaml").write_text("version: 1\nunits: []\nroute: {receiver: ghost}\n", encoding="utf-8")
    monkeypatch.setenv("YUQING_CONFIG_DIR", str(config_copy))
    result = CliRunner().invoke(main, ["es", "start"])
    assert result.exit_code == 2
    assert "units.yaml: units" in result.output


def test_secrets_come_from_the_environment_only(config_copy: Path, monkeypatch) -> None:
    monkeypatch.setenv("YUQING_ES_USERNAME", "elastic")
    monkeypatch.setenv("YUQING_ES_PASSWORD", "s3cret")
    cfg = load_config(config_copy)
    assert cfg.settings.elasticsearch.credentials() == ("elastic", "s3cret")
    for name in ("settings.yaml", "units.yaml"):
        assert "s3cret" not in (config_copy / name).read_text(encoding="utf-8")
    monkeypatch.setenv("YUQING_DATABASE_URL", "postgresql+psycopg://yq@127.0.0.1:5432/yuqing")
    monkeypatch.setenv("YUQING_DATABASE_PASSWORD", "pw")
    assert cfg.settings.database.effective_url() == "postgresql+psycopg://yq:pw@127.0.0.1:5432/yuqing"


def test_stage_checks_join_the_config_check(config_copy: Path) -> None:
    text = (config_copy / "policy.yaml").read_text(encoding="utf-8")
    text = text.replace("- {cue: deaths_ge_30, min_grade: I}", "- {cue: dragons_sighted, min_grade: I}")
    text = text.replace("    group_by: topic\n    num_events: 20", "    group_by: mood\n    num_events: 20")
    (config_copy / "policy.yaml").write_text(text, encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2
    assert "dragons_sighted" in out
    assert "livelihood_negative_burst" in out and "mood" in out


def test_each_problem_of_the_media_outlet_table_is_listed_with_its_entry_and_fix(config_copy: Path) -> None:
    """A review (rdiff 6): config check listed only the table's first error, although it promises each problem."""
    (config_copy / "media_outlets.yaml").write_text(
        "outlets:\n  - {name: 本地日报, domains: [https://bendi.cn/], tier: provincial}\n  - {name: 晚报, tier: tabloid}\n"
        "  - {name: 都市报, tier: local, site: x}\n", encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2
    table = config_copy / "media_outlets.yaml"
    assert "has 3 problem(s)" in out
    assert (f"{table}: outlets[0].domains: 'https://bendi.cn/' is no domain. Fix: write it as people.com.cn (no "
            "scheme, path or port, lower case)") in out
    assert f"{table}: outlets[1].tier: Input should be 'central'" in out and "(value: 'tabloid')" in out
    assert "'self-media' or 'unknown'" not in out  # (unknown is what a source the table leaves out gets)
    assert f"{table}: outlets[2].site: Extra inputs are not permitted" in out and "Fix: remove the key" in out


def test_each_media_outlet_path_that_is_no_host_and_folder_is_named_with_its_fix(config_copy: Path) -> None:
    """config/media_outlets.yaml's paths are checked as its domains are, each wrong one named by its place with its
    fix; the shipped table's paths (网易号 at www.163.com/dy/) pass."""
    assert check(config_copy)[0] == 0
    (config_copy / "media_outlets.yaml").write_text(
        "outlets:\n  - {name: 本地日报网友社区, paths: [https://www.bendi.cn/bbs/, www.bendi.cn/bbs/, www.bendi.cn/, "
        "WWW.BENDI.CN/bbs/, 'www.bendi.cn/bbs/*'], tier: self-media}\n"
        "  - {name: 本地日报, domains: [bendi.cn], paths: [bendi.cn:8080/news/], tier: local}\n", encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2
    table = config_copy / "media_outlets.yaml"
    assert "has 5 problem(s)" in out
    assert (f"{table}: outlets[0].paths[0]: no host and folder (value: 'https://www.bendi.cn/bbs/'). Fix: write it as "
            "www.163.com/dy/ (the host as the URL has it, lower case, then the folder; no scheme, port, ?, # or *: a "
            "folder covers every page under it)") in out
    assert (f"{table}: outlets[0].paths[2]: a whole host, no folder of it (value: 'www.bendi.cn/'). Fix: give the "
            "folder (www.163.com/dy/), or list the site under domains") in out
    assert f"{table}: outlets[0].paths[3]: no host and folder (value: 'WWW.BENDI.CN/bbs/')" in out
    assert f"{table}: outlets[0].paths[4]: no host and folder (value: 'www.bendi.cn/bbs/*')" in out
    assert f"{table}: outlets[1].paths[0]: no host and folder (value: 'bendi.cn:8080/news/')" in out
    assert "paths[1]" not in out


def test_an_unknown_sentiment_model_is_refused_with_the_choices(config_copy: Path) -> None:
    text = (config_copy / "settings.yaml").read_text(encoding="utf-8")
    (config_copy / "settings.yaml").write_text(
        text.replace("sentiment_model: sentiment", "sentiment_model: sentiment-bert"), encoding="utf-8"
    )
    code, out = check(config_copy)
    assert code == 2
    assert "settings.yaml: analysis.sentiment_model" in out and "'sentiment-bert'" in out
    assert "sentiment-e5" in out and "yuqing train sentiment" in out


def test_emerging_thresholds_are_summarised_and_checked(config_copy: Path) -> None:
    """The 持续集中反映 and early-warning thresholds live in policy.yaml: shown by ``config check``, and a value that
    would flag every single post is refused naming the key."""
    code, out = check(config_copy)
    assert code == 0 and "持续集中反映 from 4 independent posts in 7 days" in out
    code, out = check_edited(config_copy, "policy.yaml", "accumulation_min_posts: 4", "accumulation_min_posts: 1")
    assert code == 2 and "emerging.accumulation_min_posts" in out and "greater than or equal to 2" in out


def test_regrowth_and_rumour_settings_are_checked(config_copy: Path) -> None:
    policy = (config_copy / "policy.yaml").read_text(encoding="utf-8")
    (config_copy / "policy.yaml").write_text(policy.replace("volume_factor: 2.0", "volume_factor: 0.5"), encoding="utf-8")
    units = (config_copy / "units.yaml").read_text(encoding="utf-8")
    (config_copy / "units.yaml").write_text(units.replace("unit_kinds: [公安局, 网信办]", "unit_kinds: 公安局"),
                                            encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2
    assert "regrowth.volume_factor" in out and "greater than 1" in out
    assert "rumour.unit_kinds" in out


def test_an_incident_weight_that_would_not_rank_the_incident_first_is_refused(config_copy: Path) -> None:
    text = (config_copy / "taxonomy.yaml").read_text(encoding="utf-8").replace("incident_weight: 0.6",
                                                                               "incident_weight: 0.4")
    (config_copy / "taxonomy.yaml").write_text(text, encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2 and "taxonomy.yaml: incident_weight" in out and "0.4" in out and "greater than 0.5" in out


def test_selectors_a_spider_would_refuse_are_listed_before_any_crawl(config_copy: Path) -> None:
    """A misspelt selector key and one that is neither CSS nor XPath: both named with the source and the fix."""
    text = (config_copy / "sources.yaml").read_text(encoding="utf-8")
    text = text.replace('title: "h1.article-title"', 'titel: "h1.article-title"')
    text = text.replace('content: ".msg-detail p"', 'content: "span[[["')
    (config_copy / "sources.yaml").write_text(text, encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2, out
    assert "source 'demo_news': selectors.titel is not used by news sources; use one of: title" in out
    assert "source 'demo_board': selector content: 'span[[[' is not valid CSS or XPath" in out


def test_config_check_warns_about_a_missing_pseudonym_key_but_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YUQING_PSEUDONYM_KEY", raising=False)
    code, out = check(REPO_CONFIG)
    assert code == 0 and "warning: YUQING_PSEUDONYM_KEY is not set" in out
    monkeypatch.setenv("YUQING_PSEUDONYM_KEY", "a-secret")
    assert "YUQING_PSEUDONYM_KEY" not in check(REPO_CONFIG)[1]


def test_config_check_warns_when_slack_messages_would_only_be_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YUQING_SLACK_TOKEN", raising=False)
    code, out = check(REPO_CONFIG)
    assert code == 0 and "warning: YUQING_SLACK_TOKEN is not set" in out and "not delivered" in out
    monkeypatch.setenv("YUQING_SLACK_TOKEN", "xoxb-test")
    assert "YUQING_SLACK_TOKEN" not in check(REPO_CONFIG)[1]


def test_a_key_given_twice_is_refused_not_silently_replaced(config_copy: Path) -> None:
    with (config_copy / "policy.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\nrules:\n  - {name: school_burst, type: frequency, num_events: 3, timeframe_minutes: 60}\n")
    code, out = check(config_copy)
    assert code == 2, out
    assert "policy.yaml: line" in out and "key 'rules' is given twice" in out and "merge the two blocks" in out


def test_source_windows_keyword_urls_and_hosts_the_crawler_would_refuse(config_copy: Path) -> None:
    text = (config_copy / "sources.yaml").read_text(encoding="utf-8")
    text = text.replace('start_urls: ["http://127.0.0.1:8700/rss.xml"]',
                        'start_urls: ["http://127.0.0.1:8700/rss.xml", "http://127.0.0.1:8700/s?q={keyword}"]\n'
                        '    since: last week')
    (config_copy / "sources.yaml").write_text(text, encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2, out
    assert "source 'demo_rss': since: 'last week' is neither a duration nor a date" in out
    assert "has a {keyword} placeholder but the source has no keywords" in out
    (config_copy / "sources.yaml").write_text(
        text.replace("http://127.0.0.1:8700/s?q={keyword}", "http://127.0.0.1:99999/"), encoding="utf-8")
    assert "the port is not valid" in check(config_copy)[1]
    (config_copy / "sources.yaml").write_text(
        text.replace("http://127.0.0.1:8700/s?q={keyword}", "http://exa mple.com/"), encoding="utf-8")
    assert "is not an http(s) URL with a host" in check(config_copy)[1]


@pytest.mark.parametrize(("domains", "expected"), [
    ('["http://127.0.0.1:8700/"]', "'http://127.0.0.1:8700/' is not a host name"),
    ('["127.0.0.1:8700"]', "'127.0.0.1:8700' is not a host name"),
    ('["example.gov.cn"]', "start URL 'http://127.0.0.1:8700/rss.xml' is on 127.0.0.1, outside allowed_domains "
                           "(example.gov.cn), so nothing would be fetched"),
])
def test_allowed_domains_are_hosts_that_hold_the_start_urls(config_copy: Path, domains: str, expected: str) -> None:
    """Both crawled nothing and reported success: the offsite filter dropped every request."""
    old = 'start_urls: ["http://127.0.0.1:8700/rss.xml"]'
    code, out = check_edited(config_copy, "sources.yaml", old, f"{old}\n    allowed_domains: {domains}")
    assert code == 2 and expected in out, out
    assert "Fix: write the host alone" in out or "Fix: add 127.0.0.1 to allowed_domains" in out


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("thresholds: {I: 75, II: 55, III: 35}", "thresholds: {I: 750, II: 550, III: 350}", "I at most 100"),
    ("thresholds: {I: 75, II: 55, III: 35}", "thresholds: {I: 75, II: 55, III: -5}", "III must be above 0"),
    ("volume: 0.20 ", "volume: -5 ", "weights must be 0 or more"),
    ("central: 1.0,", "central: 7.0,", "media_tier_score values are factors between 0 and 1"),
    ("filter: {sentiment: negative}", "filter: {sentiment: negativ}", "so the rule would never fire"),
    ("levels: {I: 4, II: 3, III: 2, IV: 2}", "levels: {I: 4, II: 3, III: 2}", "levels needs a number for every grade"),
    ("levels: {I: 4, II: 3, III: 2, IV: 2}", "levels: {I: 4, II: 0, III: 2, IV: 2}", "1 or more"),
    ('quiet_hours: {from: "22:00", to: "07:30"', 'quiet_hours: {from: 22:00, to: "07:30"', 'write it in quotes, e.g. "22:00"'),
    ('quiet_hours: {from: "22:00", to: "07:30"', 'quiet_hours: {from: "22:00", to: "7.30"', 'is not a time of day'),
    ("grades: [III, IV]}", "grades: [II, III, IV]}", "grades II have 2 h / 5 h / 24 h deadlines and are never held"),
])
def test_grading_and_rule_values_that_cannot_work_are_refused(config_copy: Path, old: str, new: str,
                                                               expected: str) -> None:
    code, out = check_edited(config_copy, "policy.yaml", old, new)
    assert code == 2 and expected in out, out


def test_units_whose_parents_go_round_in_a_circle_are_refused(config_copy: Path) -> None:
    text = (config_copy / "units.yaml").read_text(encoding="utf-8")
    old = 'kind: 政府办公室, level: province, region: {province: 湖南省},\n     contacts:'
    assert old in text
    (config_copy / "units.yaml").write_text(text.replace(old, old.replace("contacts:", "parent: a-gov-office, contacts:")),
                                            encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2 and "the parents go round in a circle (hn-gov-office → a-gov-office → hn-gov-office)" in out
    assert "(hn-gov-office).parent" in out  # the unit named by its id, not only by its place in the list


def test_units_without_leaders_are_named_with_where_their_escalations_go(config_copy: Path) -> None:
    """A unit with no leaders passed the check, and its case's first escalation went straight to the city office."""
    code, out = check(config_copy)
    assert code == 0 and "unit(s) list no leaders" in out and "a-hrss → a-gov-office" in out
    assert "a3-edu →" not in out  # it has leaders of its own


def test_a_topic_without_a_route_is_warned_about(config_copy: Path) -> None:
    text = (config_copy / "units.yaml").read_text(encoding="utf-8")
    old = "    - {match: {topic: 养老服务}, receiver_kind: 民政局}\n"
    assert old in text
    (config_copy / "units.yaml").write_text(text.replace(old, ""), encoding="utf-8")
    code, out = check(config_copy)
    assert code == 0 and "warning: topic 养老服务 (taxonomy.yaml, unit kind 民政局) has no route in units.yaml" in out
    assert "topic 就学" not in out


def test_merge_keys_still_work_and_a_list_as_a_key_is_a_message(config_copy: Path) -> None:
    text = (config_copy / "policy.yaml").read_text(encoding="utf-8")
    old = "  - name: source_silent\n    type: flatline\n    index: posts\n"
    assert old in text
    (config_copy / "policy.yaml").write_text(text.replace(old, old.replace("    index: posts\n",
                                                                           "    <<: {index: posts}\n")),
                                             encoding="utf-8")
    code, out = check(config_copy)
    assert code == 0, out
    settings = (config_copy / "settings.yaml").read_text(encoding="utf-8")
    (config_copy / "settings.yaml").write_text(settings + "\n? [a, b]\n: 1\n", encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2 and "a key must be a plain value" in out


def test_dates_in_yaml_are_checked_by_key_not_by_a_traceback(config_copy: Path) -> None:
    """An impossible date (2027-02-30) named with its key instead of a ValueError for the whole file; an unquoted
    ``since: 2026-11-01`` is a date as written; since: 2026-13-01 is no date (it was read as 13 January)."""
    policy = (config_copy / "policy.yaml").read_text(encoding="utf-8")
    (config_copy / "policy.yaml").write_text(policy.replace("holidays: [", "holidays: [2027-02-30, "), encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2, out
    assert "policy.yaml: calendar.holidays[0]" in out and "2027-02-30" in out and "Traceback" not in out
    (config_copy / "policy.yaml").write_text(policy, encoding="utf-8")
    sources = (config_copy / "sources.yaml").read_text(encoding="utf-8")
    dated = sources.replace('start_urls: ["http://127.0.0.1:8700/rss.xml"]',
                            'start_urls: ["http://127.0.0.1:8700/rss.xml"]\n    since: 2026-11-01')
    (config_copy / "sources.yaml").write_text(dated, encoding="utf-8")
    code, out = check(config_copy)
    assert code == 0, out
    (config_copy / "sources.yaml").write_text(dated.replace("since: 2026-11-01", "since: 2026-13-01"),
                                              encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2 and "since: '2026-13-01' is not a real date" in out


@pytest.mark.parametrize("heap", ['"512"', "512", "1.5g", "512mb"])
def test_a_heap_without_its_unit_is_refused_before_the_jvm_refuses_it(config_copy: Path, heap: str) -> None:
    """heap: "512" passed the check (it is a string) and the node then failed with 'Too small maximum heap'."""
    text = (config_copy / "settings.yaml").read_text(encoding="utf-8").replace("heap: 512m", f"heap: {heap}")
    (config_copy / "settings.yaml").write_text(text, encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2 and "elasticsearch.heap" in out and "e.g. 512m or 1g" in out
    assert out.count("a bare number is bytes") == 1  # said once, as the fix


@pytest.mark.parametrize(("file", "old", "new", "expected"), [
    ("policy.yaml", "kind: press_conference, hours: 24", "kind: press_conferense, hours: 24",
     "deadlines.major[2].kind 'press_conferense' is unknown. Fix: use one of"),
    ("policy.yaml", "kind: reply_complaint, working_days: 15", "kind: complaint, working_days: 15",
     "kind 'complaint' must start with reply_"),
    ("units.yaml", "unit_kinds: [公安局, 网信办]", "unit_kinds: [公安局, 网信局]", "rumour.unit_kinds[1]"),
])
def test_misspelt_deadline_and_rumour_kinds_are_refused(config_copy: Path, file: str, old: str, new: str,
                                                         expected: str) -> None:
    """Both passed: a misspelt deadline kind is met by any public answer; a misspelt kind drops 网信办 silently."""
    code, out = check_edited(config_copy, file, old, new)
    assert code == 2 and expected in out, out
    assert "(value: {" not in out  # the whole section was dumped after the message


def test_a_unit_without_contacts_is_warned_about(config_copy: Path) -> None:
    old = 'contacts: {slack_channel: "#a-publicity", email: press@a.gov.example}'
    code, out = check_edited(config_copy, "units.yaml", old, "contacts: {}")
    assert code == 0 and "unit a-publicity (" in out and "has no contacts, so its cases alert nobody" in out


def test_the_summary_names_the_port_the_local_node_really_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    """With YUQING_ES_PORT=9270 the service used 9270 and config check said 9200 (an operator review)."""
    monkeypatch.setenv("YUQING_ES_PORT", "9270")
    monkeypatch.delenv("YUQING_ES_URL", raising=False)
    code, out = check(REPO_CONFIG)
    assert code == 0 and "local node 127.0.0.1:9270" in out


def test_a_slack_user_listed_for_two_units_is_refused_naming_both_places(config_copy: Path) -> None:
    """The Slack endpoint decides by slack_user who may sign a case off for which unit: one person, one unit."""
    code, out = check_edited(config_copy, "units.yaml", "{name: A3区教育局新闻发言人, slack_user: U0A3EDU02}",
                             "{name: A3区教育局新闻发言人, slack_user: U0APOL001}")
    assert code == 2, out
    assert "units.yaml: units[17] (a3-edu).staff[0].slack_user" in out
    assert "Slack user already listed at units[5] (a-police).leaders[0].slack_user" in out
    assert "list each Slack user once" in out


def test_a_slack_user_that_is_no_member_id_is_refused(config_copy: Path) -> None:
    code, out = check_edited(config_copy, "units.yaml", "slack_user: U0A3EDU03", "slack_user: '@zhang.wei'")
    assert code == 2 and "(a3-edu).staff[1].slack_user" in out and "Copy member ID" in out, out


@pytest.mark.parametrize(("old", "new", "key"), [
    ("email: office@a.gov.example", "email: office-at-a.gov.example", "units[2] (a-gov-office).contacts.email"),
    ("email: secretary@a.gov.example", "email: secretary@localhost", "units[2] (a-gov-office).leaders[0].email"),
    ("email: chief@police.a.gov.example", "email: 'chief @police.a.gov.example'",
     "units[5] (a-police).leaders[0].email"),
    ("email: press@a.gov.example", "email: press@@a.gov.example", "units[3] (a-publicity).contacts.email"),
    ("slack_user: U0A3EDU02}", "slack_user: U0A3EDU02, email: spokesman}", "units[17] (a3-edu).staff[0].email"),
])
def test_an_email_address_no_server_could_deliver_to_is_refused(config_copy: Path, old: str, new: str,
                                                                   key: str) -> None:
    """A typing slip in a unit's address would surface only as an alert that never arrives."""
    code, out = check_edited(config_copy, "units.yaml", old, new)
    assert code == 2, out
    assert f"units.yaml: {key}: not an e-mail address" in out
    assert "write the full address" in out



def test_a_topic_added_to_the_taxonomy_is_one_the_topic_model_cannot_predict(config_copy: Path) -> None:
    """Topics are learnt: a deployer who adds one must hear that it needs `yuqing train topic`."""
    add_heating(config_copy)
    code, out = check(config_copy)
    assert code == 0, out
    assert (f"warning: topic(s) 供暖 of {config_copy / 'taxonomy.yaml'} are not among the labels of the topic model "
            "in use") in out
    assert "no post is ever given them. Retrain the model on the taxonomy with `yuqing train topic --shipped`" in out
    assert "configuration OK" in out


def test_a_topic_removed_from_the_taxonomy_that_the_model_still_predicts_is_warned_about(config_copy: Path) -> None:
    remove_ecology(config_copy)
    code, out = check(config_copy)
    assert code == 0, out
    assert (f"predicts 生态环境, which {config_copy / 'taxonomy.yaml'} no longer has: such posts get the fallback "
            "topic 非民生 instead") in out
    assert "put the topic(s) back in taxonomy.yaml with a route in units.yaml" in out


def test_a_source_label_is_optional_and_a_blank_one_is_refused(config_copy: Path) -> None:
    """The press office reads a source's label (A市新闻网); a source without one is shown by its name."""
    code, out = check_edited(config_copy, "sources.yaml", "    label: A市新闻网\n", "")
    assert code == 0, out
    labels = load_config(config_copy).sources.labels()
    assert labels["demo_news"] == "demo_news" and labels["demo_board"] == "A市市长信箱"
    code, out = check_edited(config_copy, "sources.yaml", "    label: A市市长信箱\n", "    label: '  '\n")
    assert code == 2 and "sources.yaml: sources[2].label" in out and "the label is blank" in out, out


def test_a_place_name_the_gazetteer_does_not_show_is_refused_with_the_name_meant(config_copy: Path) -> None:
    """A review (成都市武侯区): units in '成都' passed the check, and then no post was ever inside the jurisdiction —
    posts carry the gazetteer's 成都市 — so not even three deaths opened a case. The demo's masked A市 and A3区 are
    known through the alias table's patterns, and pass (the shipped configuration is checked above)."""
    code, out = check_edited(config_copy, "units.yaml", "region: {province: 湖南省},", "region: {province: 湖南},")
    assert code == 2, out
    assert ("units.yaml: units[0] (hn-gov-office).region.province: 省份 '湖南' 不在行政区划表中；是否指 湖南省？ "
            "(value: '湖南'). Fix: 写作 湖南省") in out
    (config_copy / "units.yaml").write_text((REPO_CONFIG / "units.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    code, out = check_edited(config_copy, "sources.yaml", "region: {province: 湖南省, city: A市}",
                             "region: {province: 湖南省, city: 长沙, district: 岳麓区}")
    assert code == 2 and "sources.yaml: sources[0] (demo_news).region.city: 城市 '长沙' 不在行政区划表中；是否指 长沙市？" in out
    (config_copy / "sources.yaml").write_text(
        (REPO_CONFIG / "sources.yaml").read_text(encoding="utf-8").replace(
            "region: {province: 湖南省, city: A市}", "region: {province: 湖南省, city: 长沙市, district: 岳麓}", 1),
        encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2 and "sources[0] (demo_news).region.district: 区县 '岳麓' 不在行政区划表中；是否指 岳麓区？" in out
    (config_copy / "sources.yaml").write_text((REPO_CONFIG / "sources.yaml").read_text(encoding="utf-8"),
                                              encoding="utf-8")
    # A route that can never match: nothing labels a post 'A3' — the units' own A3区 is what was meant.
    code, out = check_edited(config_copy, "units.yaml", "match: {topic: 就医}", "match: {topic: 就医, district: A3}")
    assert code == 2 and "units.yaml: route.routes[1].match.district: 区县 'A3' 不在行政区划表中；是否指 A3区？" in out


def test_a_broken_region_alias_table_fails_the_check(config_copy: Path) -> None:
    """config/region_aliases.yaml replaces the shipped table; one wrong code passed the check, and then every post
    silently took its source's region (a Nanjing accident became the district's own)."""
    shipped = Path(__file__).resolve().parents[2] / "analysis" / "resources" / "region_aliases.yaml"
    table = shipped.read_text(encoding="utf-8").replace("names:\n", "names:\n  玉林街道: {code: \"5101077\"}\n", 1)
    (config_copy / "region_aliases.yaml").write_text(table, encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2, out
    assert "region_aliases.yaml: names.玉林街道.code: '5101077' is not in the gazetteer" in out
    (config_copy / "region_aliases.yaml").write_text(shipped.read_text(encoding="utf-8").replace(
        "names:\n", "names:\n  玉林街道: {province: 四川省, city: 成都市, distrct: 武侯区}\n", 1), encoding="utf-8")
    code, out = check(config_copy)
    assert code == 2 and "region_aliases.yaml: names.玉林街道.distrct" in out, out
    (config_copy / "region_aliases.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    assert check(config_copy)[0] == 0


def test_an_unset_robot_webhook_variable_a_unit_names_is_warned_about(config_copy: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A review: a unit's WeCom webhook variable was unset, config check said nothing, and its alerts failed for good."""
    monkeypatch.delenv("YQ_A3_WECOM", raising=False)
    code, out = check_edited(config_copy, "units.yaml", 'contacts: {slack_channel: "#a3-edu"',
                             'contacts: {wecom_webhook_env: YQ_A3_WECOM, slack_channel: "#a3-edu"')
    assert code == 0, out
    assert (f"warning: YQ_A3_WECOM is not set ({config_copy / 'units.yaml'}, contacts.wecom_webhook_env of a3-edu): "
            "WeCom alerts to it fail and are given up, not delivered. Set it to the WeCom group robot webhook URL") in out
    monkeypatch.setenv("YQ_A3_WECOM", "http://127.0.0.1:9/robot")
    assert "YQ_A3_WECOM" not in check(config_copy)[1]


def test_escalation_levels_deeper_than_the_units_hierarchy_are_noted(config_copy: Path) -> None:
    """A review: a district-only units.yaml kept the shipped {II: 3, I: 4}; a 12-death case's escalation stopped at
    the district office and nothing had said it would."""
    code, out = check_edited(config_copy, "policy.yaml", "levels: {I: 4, II: 3,", "levels: {I: 6, II: 3,")
    assert code == 0, out
    assert ("warning: policy.yaml escalation.levels (I: 6) climb further than units.yaml's leaders reach: at most 5 "
            "level(s) (a3-edu → a3-gov-office → a-edu → a-gov-office → hn-gov-office), so such escalations stop at "
            "hn-gov-office") in out
    assert "escalation.levels" not in check(REPO_CONFIG)[1]


def test_sources_outside_the_units_jurisdiction_are_warned_about(config_copy: Path) -> None:
    """A review: new sources of 成都市 beside the shipped A市 units (a half-done move) passed as OK; no case would open."""
    code, out = check_edited(config_copy, "sources.yaml", "region: {province: 湖南省, city: A市}",
                             "region: {province: 四川省, city: 成都市}")
    assert code == 0, out
    assert ("warning: sources.yaml: source(s) demo_news lie outside the units' jurisdiction (成都市不在 units.yaml "
            "所辖城市（A市）之内): their posts that name no other place open no case") in out
    assert "outside the units' jurisdiction" not in check(REPO_CONFIG)[1]


def test_run_replay_and_demo_refuse_to_start_on_a_place_name_the_gazetteer_does_not_show(
        config_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The reviewer's run with units in '成都' opened no case at all and said so only in INFO lines."""
    from alerts.wiring import checked_config

    check_edited(config_copy, "units.yaml", "region: {province: 湖南省},", "region: {province: 湖南},")
    with pytest.raises(SystemExit) as exited:
        checked_config(load_config(config_copy))
    assert exited.value.code == 2
    assert "refusing to start: the place names cannot be used" in capsys.readouterr().err


@pytest.mark.parametrize(("unit", "old", "new", "meant", "topic"), [
    ("units[10] (a-emergency, A市应急管理局)", "kind: 应急管理局, level: city", "kind: 应急局, level: city", "应急管理局",
     "route.routes[3] (安全生产)"),
    ("units[6] (a-edu, A市教育局)", "kind: 教育局, level: city", "kind: 教育厅, level: city", "教育局",
     "route.routes[0] (就学)"),
])
def test_a_misspelt_city_unit_kind_is_named_with_the_kind_meant_and_where_its_cases_go(
        config_copy: Path, unit: str, old: str, new: str, meant: str, topic: str) -> None:
    """A review: 应急局 for 应急管理局 passed as OK, and every 安全生产 case outside A3区 (whose unit kept the right kind)
    went to the government office."""
    code, out = check_edited(config_copy, "units.yaml", old, new)
    assert code == 0, out
    misspelt = new.split(",")[0].removeprefix("kind: ")
    assert (f"warning: units.yaml: {unit} has kind {misspelt}, which no route, taxonomy topic or rumour setting names; "
            f"did you mean {meant}? No unit of kind {meant} sits at the city level of A市") in out
    assert f"the cases {topic}" in out
    assert f"in A市 outside A3区 go to a-gov-office (A市人民政府办公室) instead. Fix: write kind: {meant} for " in out
    assert "has city-level units but none of kind" not in out  # said once, as the misspelling it is


def test_a_misspelt_district_unit_kind_says_its_cases_go_to_the_city(config_copy: Path) -> None:
    code, out = check_edited(config_copy, "units.yaml", "kind: 应急管理局, level: district", "kind: 应急局, level: district")
    assert code == 0, out
    assert ("units[19] (a3-emergency, A3区应急管理局) has kind 应急局, which no route, taxonomy topic or rumour setting "
            "names; did you mean 应急管理局? No unit of kind 应急管理局 sits at the district level of A3区") in out
    assert "in A3区 go to a-emergency (A市应急管理局) instead. Fix: write kind: 应急管理局 for a3-emergency" in out


def test_a_routed_kind_without_a_city_unit_sends_the_citys_cases_to_the_default_receiver(config_copy: Path) -> None:
    """A kind no shortening explains (房管局, which some cities have): the route is left without a city unit."""
    code, out = check_edited(config_copy, "units.yaml", "kind: 住房和城乡建设局, level: city", "kind: 房管局, level: city")
    assert code == 0, out
    assert ("warning: units.yaml: A市 has city-level units but none of kind 住房和城乡建设局, so the cases "
            "route.routes[2] (住房保障)") in out
    assert "in A市 outside A3区 go to the default receiver a-gov-office (A市人民政府办公室)" in out
    assert "region: {province: 湖南省, city: A市} under units:" in out and "a-housing (kind 房管局)" in out


def test_a_unit_of_a_kind_no_route_names_is_not_taken_for_a_misspelling(config_copy: Path) -> None:
    """A 财政局 reached only by 转办 resembles 民政局, but A市 has its 民政局: nothing is misrouted, nothing said."""
    code, out = check_edited(config_copy, "units.yaml", "  - {id: a-transport,",
                             "  - {id: a-finance, name: A市财政局, kind: 财政局, level: city, region: {province: 湖南省, "
                             "city: A市}, parent: a-gov-office}\n  - {id: a-transport,")
    assert code == 0, out
    assert "财政局, which no route" not in out and "did you mean" not in out


def test_the_shipped_unit_kinds_leave_no_city_case_to_the_default_receiver() -> None:
    code, out = check(REPO_CONFIG)
    assert code == 0, out
    assert "did you mean" not in out and "has city-level units but none of kind" not in out


def test_run_replay_and_demo_warn_of_a_misspelt_unit_kind_at_start(config_copy: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from alerts.wiring import checked_config

    check_edited(config_copy, "units.yaml", "kind: 应急管理局, level: city", "kind: 应急局, level: city")
    capsys.readouterr()
    checked_config(load_config(config_copy))
    assert "warning: units.yaml: units[10] (a-emergency, A市应急管理局) has kind 应急局" in capsys.readouterr().err
