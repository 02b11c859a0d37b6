"""Whether a post is about a place abroad: a bombing in 巴格达 or a flood in 泰国 is no matter for the units of a
Chinese city to answer (属地管理), even when a local news site carries it.

Country names come from pycountry (ISO 3166-1 in its zh_CN translation, maintained with the iso-codes project);
cities and short forms news writes without the country are in resources/foreign_places.txt. A name counts only as
a whole word (印度洋 is no 印度, 朝鲜族 no 朝鲜), and only in the lead of a text — its headline and the first
sentence or so — where a report says where it happened; a post that names China (中国, 我国, 国内) there is left
to the Chinese gazetteer, whatever else it names.
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
_CHINA = re.compile(r"中国|我国|国内|全国|祖国|大陆|内地")
# "3月22日本人在…": a date's 日 and 本人 (myself), no 日本.
_DATE_BEFORE = re.compile(r"[0-9０-９一二三四五六七八九十]日")


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
    if not lead:
        return None
    automaton, _, countries = _places()
    found = next((countries[index] for index, start, end in automaton.find_matches_as_indexes(lead)
                  if not _DATE_BEFORE.match(lead, max(0, start - 1)) and _whole_word(lead, start, end)), None)
    if found is None or any(_whole_word(lead, m.start(), m.end()) for m in _CHINA.finditer(lead)):
        return None  # (美国内华达州 holds no 国内)
    return found
