"""Whether a post is about a place abroad: a bombing in 巴格达 or a flood in 泰国 is no matter for the units of a
Chinese city to answer (属地管理), even when a local news site carries it.

Country names come from pycountry (ISO 3166-1 in its zh_CN translation, maintained with the iso-codes project);
cities and short forms news writes without the country are in resources/foreign_places.txt. A name counts only as
a whole word (印度洋 is no 印度, 朝鲜族 no 朝鲜), and only in the lead of a text — its headline and the first
sentence or so — where a report says where it happened; a post that names China (中国, 我国, 国内) there is left
to the Chinese gazetteer, whatever else it names (我市, 本市 and 市民 name here). A name that names something here —
a shop, goods, an estate or street, a nationality, a trip or a comparison (韩国烤肉店, 加州阳光小区, 缅甸籍男子,
去泰国旅游, 比非洲还热) — places nothing abroad: a missed story abroad is routed as before, a local incident placed
abroad opens no case.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from importlib import resources

import pycountry
from ahocorasick_rs import AhoCorasick, MatchKind

from analysis.tokenizer import segment

# Characters after the headline read for a place abroad: a report names where it happened first.
LEAD_CHARS = 60
# Chinese regions among the ISO countries, and names that are also Chinese places or words (中非合作 is China and
# Africa, 黑山 a county of Liaoning, 蒙古 often Inner Mongolia, 苏丹红 a dye).
_NOT_ABROAD = frozenset({"CN", "TW", "HK", "MO"})
_AMBIGUOUS = frozenset({"中非", "黑山", "蒙古", "曼岛", "苏丹"})
_CHINA = re.compile(r"中国|我国|国内|全国|祖国|大陆|内地|我市|本市|我县|本县|我区|本区|我省|本省|全市|本地|市民")
# "3月22日本人在…": a date's 日 and 本人 (myself), no 日本.
_DATE_BEFORE = re.compile(r"[0-9０-９一二三四五六七八九十]日")
# A foreign name that names something here: a restaurant, goods, an estate or a street named after it (韩国烤肉店,
# 德国进口奶粉, 加州阳光小区, 巴黎春天商场, 福岛路), a person's nationality (缅甸籍男子, 越南新娘, 中东商人), a
# comparison or a trip from here (比非洲还热, 去泰国旅游) — a review found local incidents with these placed abroad
# and their cases never opened.
_NAMES_SOMETHING_HERE = re.compile(
    r"籍|裔|人(?!死|遇|受|被|失|在)|新娘|商人|留学|游客|客商|老板|店|馆|厅|餐|菜|料理|烤|风味|式|风格|进口|产|制|牌|货|品|"
    r"奶粉|大米|香米|龙虾|牛肉|红酒|教材|课程|学校|国际|小区|花园|城|广场|商场|中心|大厦|公馆|公寓|水郡|小镇|庄园|风情|"
    r"郡|湾|苑|府|[路街巷道村镇乡里]|队长|电影|剧|动漫|歌|明星|[A-Za-z0-9]")
# …or a few characters on (加州阳光小区, 巴黎春天商场, 迪拜酒店, 新加坡高校).
_BUILDING_SOON = re.compile(r".{0,4}?(?:小区|花园|商场|广场|中心|大厦|公馆|公寓|酒店|宾馆|饭店|高校|大学|学院|公司|集团|银行|"
                            r"医院|超市|楼盘|社区|[宫苑墅]|组团)")
# …but 巴格达市中心 and 东京市区 are the city itself.
_DOWNTOWN = re.compile(r"市?(?:中心|区|郊)")
_TRIP_OR_LIKENESS_BEFORE = re.compile(r"(?:比|像|如|学|向|去|到|赴|往|从|回|飞)$")
# Weibo emoticon codes ([美国队长]) name no place.
_EMOTICON = re.compile(r"\[[^\[\]]{1,8}\]")


@cache
def _places() -> tuple[AhoCorasick, list[str], list[str]]:
    """Every name abroad, and the country each is in, as one automaton (leftmost-longest: 印度尼西亚 before 印度)."""
    names: dict[str, str] = {}
    iso = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    for country in pycountry.countries:
        if country.alpha_2 in _NOT_ABROAD:
            continue
        common = iso.gettext(getattr(country, "common_name", country.name))
        for name in {iso.gettext(country.name), common, iso.gettext(getattr(country, "official_name", country.name))}:
            if name not in _AMBIGUOUS and all("\u4e00" <= ch <= "\u9fff" for ch in name):
                names[name] = common
    text = resources.files("analysis").joinpath("resources/foreign_places.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, where = line.split("\t")
            names[name.strip()] = where.strip()
    ordered = sorted(names)
    return AhoCorasick(ordered, matchkind=MatchKind.LeftmostLongest), ordered, [names[n] for n in ordered]


def _whole_word(text: str, start: int, end: int) -> bool:
    """The name is one word of the segmented text, or several whole words (not the start of 印度洋)."""
    position = max(0, start - 4)
    bounds = set()
    for token in segment(text[position : end + 4]):
        bounds.add(position)
        position += len(token)
        bounds.add(position)
    return start in bounds and end in bounds


def country_named(text: str, title_chars: int = 0) -> str | None:
    """The country the lead of ``text`` (its first ``title_chars`` characters are a headline) places it in, or
    None: no place abroad named there, or China named as well."""
    lead = text[: title_chars + LEAD_CHARS]
    if "[" in lead:
        lead = _EMOTICON.sub(lambda m: " " * len(m.group(0)), lead)
    if not lead.strip():
        return None
    automaton, _, countries = _places()
    matches = automaton.find_matches_as_indexes(lead)
    found = next((countries[index] for index, start, end in matches
                  if not _DATE_BEFORE.match(lead, max(0, start - 1))
                  and (_DOWNTOWN.match(lead, end) or not (_NAMES_SOMETHING_HERE.match(lead, end)
                                                          or _BUILDING_SOON.match(lead, end)))
                  and not _TRIP_OR_LIKENESS_BEFORE.search(lead, max(0, start - 1), start)
                  and _whole_word(lead, start, end)), None)
    if found is None:
        return None
    # A word for China that runs into a name abroad is none: 美国内华达州 holds no 国内, 日本地震 no 本地 (a review,
    # 2026-11-27: an earthquake in Japan with 300 dead was graded I and routed to the city's 应急管理局).
    abroad = [(start, end) for _, start, end in matches]
    if any(not any(start < m.end() and m.start() < end for start, end in abroad) for m in _CHINA.finditer(lead)):
        return None
    return found
