"""The place names of the configuration checked against the gazetteer the analysis places posts with.

A post's region carries the gazetteer's full names (成都市, 武侯区), and the jurisdiction and the routes compare the
names of units.yaml and sources.yaml with them as strings: a unit in '成都' or a route for '武候区' matches no post, and
routing is silently off. So every name must be one the gazetteer (with the deployment's region_aliases.yaml, which
can teach it any local or masked name, e.g. the demo's A市 and A3区) shows; a name that is not says what it may mean.
"""

from __future__ import annotations

import difflib
import re

from analysis.region import (
    CITY,
    DISTRICT,
    PROVINCE,
    Place,
    RegionConfigError,
    RegionResolver,
    resolver_for,
)
from yuqing.settings import Config, ConfigProblem, RegionSpec, walk_routes

_LEVEL_WORDS = ("省份", "城市", "区县")
# units[3] (wh-edu).region.city → wh-edu: the other places of a repeated mistake, named short.
_UNIT_OR_SOURCE = re.compile(r"^\w+\[\d+\] \((.+?)\)\..*$")
_MATCH_LEVELS = {"province": (PROVINCE,), "city": (CITY,), "district": (DISTRICT,),
                 "region": (PROVINCE, CITY, DISTRICT)}


def region_problems(config: Config) -> list[str]:
    """What is wrong with region_aliases.yaml, or else with the region names of units.yaml and sources.yaml."""
    try:
        resolver = resolver_for(config.directory)
    except RegionConfigError as exc:
        return [f"{problem} (the analysis would stop on it: no post could be placed)"
                for problem in [str(p) for p in exc.problems] or [str(exc)]]
    problems: list[ConfigProblem] = []
    for i, unit in enumerate(config.units.units):
        problems += _spec_problems(resolver, unit.region, "units.yaml", f"units[{i}] ({unit.id}).region")
    for i, source in enumerate(config.sources.sources):
        if source.region is not None:
            problems += _spec_problems(resolver, source.region, "sources.yaml", f"sources[{i}] ({source.name}).region")
    # A route's place is most likely one of the units' own (武候区 for 武侯区, not 玄武区).
    own: dict[int, set[str]] = {}
    for unit in config.units.units:
        for level, name in enumerate((unit.region.province, unit.region.city, unit.region.district)):
            if name:
                own.setdefault(level, set()).add(name)
    for path, route in walk_routes(config.units.route, "route"):
        for label, wanted in route.match.items():
            if label in _MATCH_LEVELS:
                for value in [wanted] if isinstance(wanted, str) else wanted:
                    problems += _match_problems(resolver, value, _MATCH_LEVELS[label], f"{path}.match.{label}", own)
    return [str(p) for p in _grouped(problems)]


def _grouped(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """One problem per wrong name and file: fourteen units in '成都' are one mistake, said once with its places."""
    keys: dict[tuple[str, str, str, str], list[str]] = {}
    for p in problems:
        keys.setdefault((p.file, str(p.value), p.message, p.fix), []).append(p.key)
    return [ConfigProblem(file, where[0] if len(where) == 1 else f"{where[0]} (and {len(where) - 1} more: "
                          + ", ".join(_UNIT_OR_SOURCE.sub(r"\1", k) for k in where[1:]) + ")", value, message, fix)
            for (file, value, message, fix), where in keys.items()]


def _spec_problems(resolver: RegionResolver, spec: RegionSpec, file: str, key: str) -> list[ConfigProblem]:
    """Each level of one configured region, read top down as the analysis reads a source's region."""
    problems: list[ConfigProblem] = []
    within: Place | None = None
    for level, name in enumerate((spec.province, spec.city, spec.district)):
        if name is None:
            continue
        place = resolver.place_named(name, level, within)
        problem = _name_problem(resolver, name, level, place, within, file, f"{key}.{_field(level)}")
        if problem is not None:
            problems.append(problem)
            return problems  # the levels below are read within this one: checking them would mislead
        within = place
    return problems


def _match_problems(resolver: RegionResolver, name: str, levels: tuple[int, ...], key: str,
                    own: dict[int, set[str]]) -> list[ConfigProblem]:
    """A route's region condition: the name of a place at (one of) its levels, as posts are labelled."""
    found = [(level, resolver.place_named(name, level)) for level in levels]
    if any(place is not None and _shown(place, level) == name for level, place in found):
        return []
    level, place = next(((lv, p) for lv, p in found if p is not None), (levels[-1], None))
    problem = _name_problem(resolver, name, level, place, None, "units.yaml", key, own.get(level, set()))
    return [problem] if problem is not None else []


def _name_problem(resolver: RegionResolver, name: str, level: int, place: Place | None, within: Place | None,
                  file: str, key: str, own: set[str] | frozenset[str] = frozenset()) -> ConfigProblem | None:
    what = f"{_LEVEL_WORDS[level]} {name!r}"
    aliases = "或在 config/region_aliases.yaml 的 names 中加入它（本地名称、代称）"
    if place is not None:
        shown = _shown(place, level)
        if shown == name:
            return None
        return ConfigProblem(file, key, name, f"{what} 不在行政区划表中；是否指 {shown}？",
                             f"写作 {shown}：帖子的地区用行政区划表的全称，所辖范围和路由都按它比较")
    elsewhere = resolver.place_named(name, level) if within is not None else None
    if elsewhere is not None and _shown(elsewhere, level) == name:
        parent = _shown(within, within.level) if within is not None else ""
        return ConfigProblem(file, key, name, f"{what} 不在 {parent} 之内",
                             f"更正上一级的名称（{name} 属于 {_parents(elsewhere, level)}），或更正 {name}")
    candidates = sorted(n for n in resolver.names_at(level)
                        if within is None or _agrees(resolver, n, level, within))
    close = (difflib.get_close_matches(name, sorted(own), n=3, cutoff=0.5)
             or difflib.get_close_matches(name, candidates, n=3, cutoff=0.5))
    guess = f"是否指 {' 或 '.join(close)}？" if close else ""
    return ConfigProblem(file, key, name, f"{what} 不在行政区划表中；{guess}".rstrip("；"),
                         (f"改为 {close[0]}，" if close else "更正名称，") + aliases)


def _agrees(resolver: RegionResolver, name: str, level: int, within: Place) -> bool:
    place = resolver.place_named(name, level, within)
    return place is not None and place.agrees_with(within)


def _shown(place: Place, level: int) -> str | None:
    """The name a post placed there carries at ``level`` (a municipality is its own city)."""
    return (place.province, place.city, place.district)[level]


def _parents(place: Place, level: int) -> str:
    return "".join(n for n in (place.province, place.city)[:level] if n) or "另一地"


def _field(level: int) -> str:
    return ("province", "city", "district")[level]
