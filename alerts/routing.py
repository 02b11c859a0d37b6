"""The routing tree of ``config/units.yaml``, read the way Prometheus Alertmanager reads its routes.

A case walks the tree from the top. At each node the children are tried in order; the first that
matches is entered (and, with ``continue: true``, later siblings are tried too); a node with no matching
child decides. A route names one unit (``receiver``) or a kind of unit (``receiver_kind``) that is resolved
by region: the district's unit of that kind, else the city's; a case spanning districts goes one level
up (属地管理、分级负责, 国办发〔2016〕61号). Major cases (I/II) also go to the joint units, rumours to 公安
and 网信. Every step is kept as a sentence, so ``yuqing route explain`` can say why.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from yuqing.contract import FIELD_NAMES, MAJOR_GRADES, Region
from yuqing.settings import Route, Taxonomy, Unit, UnitsFile, walk_routes

# Saying something is *not* a rumour ("停水不是谣言", "并非谣言") points to no rumour for the police to act on, nor
# does the stock slogan of official notices ("不信谣、不传谣、不造谣", "请勿传播不实信息"): in the SMP2020 COVID posts
# a fifth of those using a cue word were the slogan.
_NOT_A_RUMOUR = re.compile(r"(?:不是|并非|并不是|绝非|不属于|不算)(?:什么)?(?:谣言|谣传|造谣|传谣|不实信息)"
                           r"|不[信听传造]谣|(?:勿|不要|切勿|莫|拒绝)(?:轻信|传播|散布|编造|转发|相信)?"
                           r"(?:谣言|不实信息|传谣|造谣|信谣)")


class RoutingError(ValueError):
    """The routing tree names something that does not exist; the message says where and how to fix it."""


@dataclass(frozen=True)
class CaseLabels:
    """What routing looks at: the case's topic, grade, place, words, source and rule."""

    topic: str | None = None
    grade: str | None = None
    province: str | None = None
    city: str | None = None
    districts: tuple[str, ...] = ()
    text: str = ""
    source: str | None = None
    rule: str | None = None
    # rumour cues found in the event's posts (RuleEngine.event_profile): "经核实系谣言" is said in a report's body far
    # more often than in its headline or keywords
    rumour_cues: tuple[str, ...] = ()

    def values(self, label: str) -> list[str]:
        """The case's values of one match label (a case may lie in several districts)."""
        if label == "region":
            return [v for v in (self.province, self.city, *self.districts) if v]
        if label == "district":
            return list(self.districts)
        value = getattr(self, label)
        return [value] if value else []

    def place(self) -> str:
        if self.districts:
            return "、".join(self.districts)
        return self.city or self.province or "未知地区"


@dataclass
class RouteDecision:
    """Where a case goes and the reasons, step by step."""

    unit_id: str
    joint_unit_ids: list[str] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)

    def explanation(self) -> list[dict[str, Any]]:
        return list(self.steps)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _describe(route: Route) -> str:
    parts = [f"{k}={'|'.join(_as_list(v))}" for k, v in route.match.items()]
    if route.match_keywords:
        parts.append(f"关键词 {'|'.join(route.match_keywords)}")
    return "，".join(parts) or "（不设条件）"


def _match(route: Route, labels: CaseLabels) -> tuple[bool, str]:
    """Whether every condition of a route holds, and the sentence that says which did or did not."""
    reasons = []
    for label, wanted in route.match.items():
        allowed = _as_list(wanted)
        have = labels.values(label)
        hit = [v for v in have if v in allowed]
        if not hit:
            shown = "、".join(have) or "未知"
            return False, f"{FIELD_NAMES.get(label, label)}为{shown}，本路由要求 {' 或 '.join(allowed)}"
        reasons.append(f"{FIELD_NAMES.get(label, label)}{'、'.join(hit)}符合 {' | '.join(allowed)}")
    if route.match_keywords:
        found = [k for k in route.match_keywords if k in labels.text]
        if not found:
            return False, f"未出现关键词 {'、'.join(route.match_keywords)}"
        reasons.append(f"出现关键词 {'、'.join(found)}")
    return True, "；".join(reasons) or "不设条件"


class Router:
    """Routes cases through the tree of one ``UnitsFile``; refuses a tree that names unknown units."""

    def __init__(self, units: UnitsFile):
        self.units = units
        self.by_id = {u.id: u for u in units.units}
        # The jurisdiction (see ``outside``): where the units sit.
        self._cities = {u.region.city for u in units.units if u.level != "province" and u.region.city}
        self._provinces = {u.region.province for u in units.units if u.region.province}
        whole = {u.region.city for u in units.units if u.level == "city"}
        self._districts: dict[str, set[str]] = {}  # the cities no unit covers whole → the districts units sit in
        for unit in units.units:
            if unit.region.city and unit.region.city not in whole and unit.region.district:
                self._districts.setdefault(unit.region.city, set()).add(unit.region.district)
        self._coordinated: dict[str, list[Unit]] | None = None
        self._check()

    def _check(self) -> None:
        problems = []
        kinds = {u.kind for u in self.units.units}

        def walk(route: Route, path: str) -> None:
            if route.receiver is not None and route.receiver not in self.by_id:
                problems.append(f"units.yaml: {path}.receiver names unknown unit {route.receiver!r}; add it under "
                                "units: or name an existing unit id")
            if route.receiver_kind is not None and route.receiver_kind not in kinds:
                problems.append(f"units.yaml: {path}.receiver_kind {route.receiver_kind!r} matches no unit; add a "
                                "unit of that kind or use an existing kind")
            for also in route.also_kinds:
                if also not in kinds:
                    problems.append(f"units.yaml: {path}.also_kinds names {also!r}, which matches no unit; add a unit "
                                    "of that kind or use an existing kind")
            for i, child in enumerate(route.routes):
                walk(child, f"{path}.routes[{i}]")

        walk(self.units.route, "route")
        if self.units.route.receiver is None:
            problems.append("units.yaml: route.receiver is missing; the top route needs a default unit")
        for unit_id in self.units.joint_units:
            if unit_id not in self.by_id:
                problems.append(f"units.yaml: joint_units names unknown unit {unit_id!r}; add it under units: "
                                "or remove it")
        if problems:
            raise RoutingError("the routing tree cannot be used:\n  - " + "\n  - ".join(problems))

    # ----------------------------------------------------------------------------- jurisdiction

    def outside(self, region: Region | None) -> str | None:
        """Why a place lies outside the units' jurisdiction (属地管理: units answer for their own area), or None.

        The jurisdiction is where the units of units.yaml sit: the cities of its city and district units, and
        the provinces of its units; in a city no unit covers whole (no city-level unit: a district's own press
        office), only the districts its units sit in. A region naming another city, or another district of such a
        city, or only another province, or a country abroad, is outside; an unknown region is not (it is routed as
        usual), nor is a city of the jurisdiction named without its district.
        """
        if region is None:
            return None
        if region.country:
            return f"{region.country}在境外，不归 units.yaml 的单位属地管理"
        cities, provinces = self._cities, self._provinces
        if region.city and cities and region.city not in cities:
            return f"{region.city}不在 units.yaml 所辖城市（{'、'.join(sorted(cities))}）之内"
        districts = self._districts.get(region.city or "")
        if districts and region.district and region.district not in districts:
            return (f"{region.district}不在 units.yaml 所辖区县（{region.city}{'、'.join(sorted(districts))}）之内："
                    f"units.yaml 没有{region.city}的市级单位，{region.city}的其他区县不归这些单位属地管理")
        if not region.city and region.province and provinces and region.province not in provinces:
            return f"{region.province}不在 units.yaml 所辖省份（{'、'.join(sorted(provinces))}）之内"
        return None

    def check_district(self, region: Region) -> str | None:
        """What to say of a district typed for a city of the jurisdiction that no unit sits in and the gazetteer
        does not know (A9区 for A3区 — or A7县, a real district without units of its own): either way the case goes
        to the city's unit, and a typo should not pass unsaid. None when nothing needs saying."""
        if not region.district or region.code or region.city not in self._cities or region.city in self._districts:
            return None  # (a district of a city no unit covers whole: ``outside`` says so)
        known = sorted({u.region.district for u in self.units.units
                        if u.region.city == region.city and u.region.district})
        if region.district in known:
            return None
        return (f"{region.city}的 {region.district} 在 units.yaml 中没有单位，案件交{region.city}的单位"
                + (f"（units.yaml 中{region.city}的区县：{'、'.join(known)}）" if known else "") + "；若是笔误请更正")

    def province_of(self, city: str | None) -> str | None:
        """The province of a city of the jurisdiction (a fictional or unlisted city the gazetteer cannot place)."""
        provinces = {u.region.province for u in self.units.units if u.region.city == city and u.region.province}
        return provinces.pop() if len(provinces) == 1 else None

    # ----------------------------------------------------------------------------- the walk

    def route(self, labels: CaseLabels) -> RouteDecision:
        """Decide the responsible unit and the units informed with it, with the reasons."""
        steps: list[dict[str, Any]] = [{"step": "route", "path": "route", "matched": True,
                                        "reason": f"路由树根（默认接收单位 {self._name(self.units.route.receiver)}）"}]
        leaves = self._walk(self.units.route, "route", labels, self.units.route.receiver, None, steps)
        primary_path, receiver, kind = leaves[0]
        if primary_path == "route" and receiver is not None and receiver in self.by_id:
            # Nothing matched: the default receiver's kind where the case is (属地管理: A3区's own government office,
            # not the city's, for a matter of A3区).
            kind, receiver = self.by_id[receiver].kind, None
        unit, why = self._resolve(receiver, kind, labels)
        steps.append({"step": "receiver", "path": primary_path, "unit": unit.id, "reason": why})
        decision = RouteDecision(unit_id=unit.id, steps=steps)
        for path, other_receiver, other_kind in leaves[1:]:
            other, other_why = self._resolve(other_receiver, other_kind, labels)
            self._add_joint(decision, other.id, f"同时匹配的路由（continue: true）：{other_why}", path)
        for path, also in self._also_kinds([p for p, _, _ in leaves]):
            other, other_why = self._resolve(None, also, labels)
            self._add_joint(decision, other.id, f"同时通知行业主管部门 {also}（also_kinds）：{other_why}", path)
        if unit.vertical:
            office = self.coordinating_office(unit)
            if office is not None:
                self._add_joint(decision, office.id, f"{unit.name}为垂直管理单位：上级政府办公室协调（国办发〔2016〕61号）")
        joint = self._joint_flag(labels, [p for p, _, _ in leaves])
        if joint is True or (joint is None and labels.grade in MAJOR_GRADES):
            why = (f"{labels.grade} 级为重大舆情（I/II 级）：联动单位同时通知（国办发〔2018〕23号）"
                   if joint is None else "本路由要求联动（joint: true）")
            office = self.coordinating_office(unit)
            if office is not None:
                self._add_joint(decision, office.id, ("本路由要求联动（joint: true）" if joint else
                                                      f"{labels.grade} 级为重大舆情")
                                + "：本级政府办公室会同宣传部门协调（国办发〔2016〕61号）")
            for unit_id in self.units.joint_units:
                self._add_joint(decision, unit_id, why)
        if _province_wide(labels) and unit.level != "province":
            office = next((u for u in self.units.units if u.kind == self.units.coordinating_kind
                           and u.level == "province" and u.region.province == labels.province), None)
            if office is not None:
                self._add_joint(decision, office.id, f"全省范围（{labels.province}）的舆情：省级政府办公室协调"
                                                     "（国办发〔2016〕61号：涉及多个地方的，上级主管部门为第一责任主体）")
        for unit_id, why in self.rumour_units(labels):
            self._add_joint(decision, unit_id, why)
        return decision

    def rumour_units(self, labels: CaseLabels) -> list[tuple[str, str]]:
        """The units a rumour's leads go to (units.yaml ``rumour``), with why; none when no rumour cue is found."""
        rumour = list(dict.fromkeys([*rumour_cues_in(labels.text, self.units.rumour.cues), *labels.rumour_cues]))
        if not rumour:
            return []
        out = []
        for rumour_kind in self.units.rumour.unit_kinds:
            if any(u.kind == rumour_kind for u in self.units.units):
                target, target_why = self._resolve(None, rumour_kind, labels)
                out.append((target.id, f"出现谣言线索“{'、'.join(rumour)}”：线索同时转 {rumour_kind}（{target_why}；"
                                       "units.yaml rumour）"))
        return out

    def _walk(self, route: Route, path: str, labels: CaseLabels, receiver: str | None, kind: str | None,
              steps: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
        """Alertmanager's walk: children inherit the receiver; the deepest matching nodes decide."""
        if route.receiver is not None or route.receiver_kind is not None:
            receiver, kind = route.receiver, route.receiver_kind
        leaves: list[tuple[str, str | None, str | None]] = []
        not_matched = []
        for i, child in enumerate(route.routes):
            child_path = f"{path}.routes[{i}]"
            matched, reason = _match(child, labels)
            if not matched:
                not_matched.append({"step": "no match", "path": child_path, "matched": False,
                                    "route": _describe(child), "reason": reason})
                continue
            steps.append({"step": "match", "path": child_path, "matched": True, "route": _describe(child),
                          "reason": reason})
            leaves += self._walk(child, child_path, labels, receiver, kind, steps)
            if not child.continue_:
                break
        if not leaves:
            # Why the walk stopped here: the children that were tried and did not match.
            steps.extend(not_matched)
            return [(path, receiver, kind)]
        return leaves

    def _nodes(self, path: str) -> list[tuple[str, Route]]:
        """The nodes from the root down to the one at ``path`` (route, route.routes[0], route.routes[0].routes[1] …)."""
        node, at = self.units.route, "route"
        out = [(at, node)]  # the root too: its also_kinds hold for every case
        for part in path.split(".")[1:]:
            node = node.routes[int(part.removeprefix("routes[").removesuffix("]"))]
            at = f"{at}.{part}"
            out.append((at, node))
        return out

    def _also_kinds(self, paths: list[str]) -> list[tuple[str, str]]:
        """(path, kind) of every ``also_kinds`` on the deciding paths, each kind once."""
        seen: list[tuple[str, str]] = []
        for path in paths:
            for at, node in self._nodes(path):
                seen += [(at, k) for k in node.also_kinds if all(k != kind for _, kind in seen)]
        return seen

    def coordinating_office(self, unit: Unit) -> Unit | None:
        """The government office of the responsible unit's level and place (A3区人民政府办公室 for A3区教育局)."""
        kind = self.units.coordinating_kind
        if kind is None or unit.kind == kind:
            return None
        for office in self.units.units:
            if (office.kind == kind and office.level == unit.level and office.region.province == unit.region.province
                    and office.region.city == unit.region.city and office.region.district == unit.region.district):
                return office
        return None

    def coordinated_by(self, office_id: str) -> list[Unit]:
        """The units whose level's government office is ``office_id`` (A3区教育局, A3区应急管理局 … for A3区人民政府办公室).
        Mapped once: asked for every unit with leaders at each digest, a scan per unit took minutes on a province's
        units.yaml (a review)."""
        if self._coordinated is None:
            self._coordinated = {}
            for unit in self.units.units:
                office = self.coordinating_office(unit)
                if office is not None:
                    self._coordinated.setdefault(office.id, []).append(unit)
        return list(self._coordinated.get(office_id, []))

    def _joint_flag(self, labels: CaseLabels, paths: list[str]) -> bool | None:
        """The ``joint`` setting of the deepest route on the decisive path that sets one."""
        flag = self.units.route.joint
        for path in paths:
            node = self.units.route
            for part in path.split(".")[1:]:
                node = node.routes[int(part.removeprefix("routes[").removesuffix("]"))]
                if node.joint is not None:
                    flag = node.joint
        return flag

    @staticmethod
    def _add_joint(decision: RouteDecision, unit_id: str, why: str, path: str | None = None) -> None:
        """Inform ``unit_id`` too; ``path``: the route that asked for it (said by ``yuqing route``, not in the reason,
        which the case page shows in words)."""
        if unit_id == decision.unit_id or unit_id in decision.joint_unit_ids:
            return
        decision.joint_unit_ids.append(unit_id)
        decision.steps.append({"step": "joint", "unit": unit_id, "reason": why, **({"path": path} if path else {})})

    def _name(self, unit_id: str | None) -> str:
        """A unit as people read it (the reasons are shown on the case page and in alerts)."""
        unit = self.by_id.get(unit_id or "")
        return unit.name if unit is not None else str(unit_id)

    # ----------------------------------------------------------------------------- kinds to units

    def _resolve(self, receiver: str | None, kind: str | None, labels: CaseLabels) -> tuple[Unit, str]:
        if receiver is not None:
            return self.by_id[receiver], f"路由指定接收单位 {self._name(receiver)}"
        if kind is None:
            default = self.units.route.receiver
            assert default is not None
            return self.by_id[default], f"路径上未指定接收单位，交默认单位 {self._name(default)}"
        of_kind = [u for u in self.units.units if u.kind == kind]
        districts = labels.districts
        if _province_wide(labels):
            # Several localities (湖南省多地暴雨): the higher competent department is first responsible (61号).
            province = [u for u in of_kind if u.level == "province" and u.region.province == labels.province]
            if province:
                return province[0], f"全省范围（{labels.province}）：由省级 {kind} 负责（涉及多地，上级主管部门为第一责任主体）"
        if len(districts) == 1:
            found = [u for u in of_kind if u.level == "district" and u.region.district == districts[0]
                     and (labels.city is None or u.region.city in (None, labels.city))]
            if found:
                return found[0], f"{districts[0]}的 {kind}（属地管理：由本区单位负责）"
            prefix = f"{districts[0]}无 {kind} 单位，上交市级"
        elif len(districts) > 1:
            prefix = f"涉及 {'、'.join(districts)} 多个区，上提一级由市级"
        elif _province_wide(labels):
            prefix = f"全省范围（{labels.province}），省级无 {kind} 单位，由市级"
        else:
            prefix = "区县不明，由市级"
        city = labels.city or self._city_of(districts)
        cities = [u for u in of_kind if u.level == "city" and (city is None or u.region.city == city)]
        if len(cities) == 1 or (cities and city is not None):
            return cities[0], f"{prefix} {kind}（{cities[0].region.city or city}）负责"
        province = [u for u in of_kind if u.level == "province"
                    and (labels.province is None or u.region.province == labels.province)]
        if province:
            return province[0], f"{prefix} {kind} 未找到，由省级 {kind} 负责"
        default = self.units.route.receiver
        assert default is not None
        elsewhere = self.outside(Region(province=labels.province, city=city, district=districts[0])) \
            if len(districts) == 1 else None
        outside = f"（{labels.place()}在所辖区县之外：自动流程不为其立案）" if elsewhere else ""
        return self.by_id[default], f"没有 {kind} 单位覆盖{labels.place()}{outside}，交默认接收单位 {self._name(default)}"

    def unit_for_kind(self, kind: str, region: Region) -> Unit:
        """The unit a case of ``region`` sent to ``kind`` reaches, as ``route`` resolves it (the default receiver when no
        unit of that kind covers the place)."""
        labels = CaseLabels(province=region.province, city=region.city,
                            districts=(region.district,) if region.district else ())
        return self._resolve(None, kind, labels)[0]

    def _city_of(self, districts: tuple[str, ...]) -> str | None:
        cities = {u.region.city for u in self.units.units if u.region.district in districts and u.region.city}
        return cities.pop() if len(cities) == 1 else None

    # ----------------------------------------------------------------------------- the hierarchy

    def chain(self, unit_id: str) -> list[Unit]:
        """The unit and its ancestors, nearest first (escalation walks this upward)."""
        out: list[Unit] = []
        current: str | None = unit_id
        while current is not None and current in self.by_id and all(u.id != current for u in out):
            unit = self.by_id[current]
            out.append(unit)
            current = unit.parent
        return out

    def descendants(self, unit_id: str) -> set[str]:
        """The unit and every unit below it (a leader's digest covers them all)."""
        out = {unit_id}
        grew = True
        while grew:
            grew = False
            for unit in self.units.units:
                if unit.parent in out and unit.id not in out:
                    out.add(unit.id)
                    grew = True
        return out


def unit_kind_warnings(units: UnitsFile, taxonomy: Taxonomy) -> list[str]:
    """Where 谁主管谁负责 routing silently falls through (warnings, not refusals: a deployment may mean it).

    A unit's kind that nothing names (no route, taxonomy topic or rumour setting) while a kind they do name has no unit
    at that unit's level and place is almost surely a misspelling (应急局 for 应急管理局): the city's cases of that
    kind went to the default receiver, and every check passed because a district unit still had the right kind. And a
    route's receiver_kind without a unit at the level of a city that has units: its cases there, outside the districts
    that have their own, go to the default receiver. A kind reached only by manual 转办 may be meant, hence warnings.
    """
    router = Router(units)
    named = _named_kinds(units, taxonomy)
    warned: set[tuple[str | None, str | None, str]] = set()  # (city, district, kind) a misspelling already explains
    out = []
    for i, unit in enumerate(units.units):
        if unit.kind in named:
            continue
        missing = [k for k in named if not any(u.kind == k and _same_place(u, unit) for u in units.units)]
        meant = _likely_meant(unit.kind, missing)
        if meant is None:
            continue
        warned.add((unit.region.city, unit.region.district, meant))
        place = _region_of(unit)
        now = router.unit_for_kind(meant, place)
        out.append(f"units.yaml: units[{i}] ({unit.id}, {unit.name}) has kind {unit.kind}, which no route, taxonomy "
                   f"topic or rumour setting names; did you mean {meant}? No unit of kind {meant} sits at the "
                   f"{unit.level} level of {_place_name(place)}, so the cases {_senders(units, taxonomy, meant)} "
                   f"{_where_they_go(units, unit, meant)} go to {now.id} ({now.name}) instead. Fix: write kind: {meant} "
                   f"for {unit.id} (keep {unit.kind} only if the unit is meant to get cases by 转办 alone)")
    receiver_kinds = list(dict.fromkeys(r.receiver_kind for _, r in walk_routes(units.route, "route")
                                        if r.receiver_kind is not None))
    cities = {(u.region.province, u.region.city): None for u in units.units if u.level == "city" and u.region.city}
    for province, city in cities:
        gaps = [kind for kind in receiver_kinds if (city, None, kind) not in warned
                and router.unit_for_kind(kind, Region(province=province, city=city)).kind != kind]
        if not gaps:
            continue
        default = router.by_id[units.route.receiver or ""]
        what = (f"the cases {_senders(units, taxonomy, gaps[0])} {_in_city_outside_own(units, city, gaps[0])}"
                if len(gaps) == 1 else
                f"their cases in {city} (outside any district with its own unit of the kind)")
        unnamed = [f"{u.id} (kind {u.kind})" for u in units.units
                   if u.level == "city" and u.region.city == city and u.kind not in named]
        maybe = (f"; if one of {city}'s units of a kind nothing routes to, {', '.join(unnamed)}, is meant, correct its "
                 "kind") if unnamed else ""
        out.append(f"units.yaml: {city} has city-level units but none of kind {', '.join(gaps)}, so {what} go to the "
                   f"default receiver {default.id} ({default.name}). Fix: add a unit of "
                   f"{'that kind' if len(gaps) == 1 else 'each such kind'} with level: city, region: "
                   f"{{province: {province}, city: {city}}} under units:{maybe}")
    return out


def _named_kinds(units: UnitsFile, taxonomy: Taxonomy) -> list[str]:
    """The unit kinds the configuration sends or shows cases to: routes, taxonomy topics, rumours, coordination."""
    kinds: list[str] = []
    for _, route in walk_routes(units.route, "route"):
        kinds += [route.receiver_kind] if route.receiver_kind is not None else []
        kinds += route.also_kinds
    kinds += [t.unit for t in taxonomy.topics] + units.rumour.unit_kinds
    kinds += [units.coordinating_kind] if units.coordinating_kind is not None else []
    return list(dict.fromkeys(kinds))


def _likely_meant(kind: str, candidates: list[str]) -> str | None:
    """The candidate a unit kind most likely misspells or shortens (应急局 → 应急管理局, 人社局 → 人力资源和社会保障局,
    教育厅 → 教育局), or None: a shortening keeps the first character and the order of the others."""
    def score(candidate: str) -> tuple[bool, float]:
        short, long = sorted((kind, candidate), key=len)
        rest = iter(long)
        shortened = len(short) >= 2 and short[0] == long[0] and all(c in rest for c in short)
        return shortened, difflib.SequenceMatcher(None, kind, candidate).ratio()

    close = [(score(c), c) for c in candidates if score(c)[0] or score(c)[1] >= 0.6]
    return max(close)[1] if close else None


def _same_place(a: Unit, b: Unit) -> bool:
    return a.level == b.level and (a.region.province, a.region.city, a.region.district) == \
        (b.region.province, b.region.city, b.region.district)


def _region_of(unit: Unit) -> Region:
    return Region(province=unit.region.province, city=unit.region.city, district=unit.region.district)


def _place_name(region: Region) -> str:
    return region.district or region.city or region.province or "?"


def _where_they_go(units: UnitsFile, unit: Unit, kind: str) -> str:
    """Which of the unit's cases fall elsewhere: a district's, or a city's outside the districts with their own unit."""
    if unit.level != "city":
        return f"in {_place_name(_region_of(unit))}"
    return _in_city_outside_own(units, unit.region.city, kind)


def _in_city_outside_own(units: UnitsFile, city: str | None, kind: str) -> str:
    """A city's districts that have no unit of ``kind`` of their own, as a phrase ("in A市 outside A3区")."""
    own = list(dict.fromkeys(u.region.district for u in units.units
                             if u.kind == kind and u.region.city == city and u.region.district))
    return f"in {city} outside {'、'.join(d for d in own if d)}" if own else f"anywhere in {city}"


def _senders(units: UnitsFile, taxonomy: Taxonomy, kind: str) -> str:
    """What sends cases to a kind, as a deployer finds it: the top-most routes naming it, topics, the rumour setting."""
    said: list[str] = []

    def walk(route: Route, path: str) -> None:
        if route.receiver_kind == kind or kind in route.also_kinds:
            topic = route.match.get("topic")
            said.append(f"{path}" + (f" ({'|'.join(_as_list(topic))})" if topic else ""))
            return
        for i, child in enumerate(route.routes):
            walk(child, f"{path}.routes[{i}]")

    walk(units.route, "route")
    if not said:
        said += [f"taxonomy.yaml topic {t.id}" for t in taxonomy.topics if t.unit == kind]
    said += ["rumour.unit_kinds"] if kind in units.rumour.unit_kinds else []
    shown = ", ".join(said[:3]) + (f" and {len(said) - 3} more" if len(said) > 3 else "")
    return f"{shown} send to {kind}" if shown else f"of kind {kind}"


def rumour_cues_in(text: str, cues: list[str]) -> list[str]:
    """The rumour cues a text uses, leaving out denials that something is one ("这不是谣言")."""
    plain = _NOT_A_RUMOUR.sub("", text)
    return [c for c in cues if c in plain]


def _province_wide(labels: CaseLabels) -> bool:
    """A case placed in a province and nowhere nearer (湖南省多地暴雨)."""
    return bool(labels.province) and not labels.city and not labels.districts


def format_explanation(steps: list[dict[str, Any]]) -> list[str]:
    """The stored steps as lines a press officer can read."""
    lines = []
    for step in steps:
        kind = step.get("step")
        if kind == "route":
            lines.append(f"路由：{step['reason']}")
        elif kind == "match":
            lines.append(f"  ✓ {step['path']}［{step['route']}］：{step['reason']}")
        elif kind == "no match":
            lines.append(f"  ✗ {step['path']}［{step['route']}］：{step['reason']}")
        elif kind == "receiver":
            lines.append(f"→ 责任单位 {step['unit']}：{step['reason']}")
        elif kind == "joint":
            lines.append(f"+ 联动单位 {step['unit']}：" + (f"{step['path']} " if step.get("path") else "") + step["reason"])
        elif kind == "reassigned":
            lines.append(f"⇒ 转办至 {step['unit']}（原责任单位 {step.get('from')}）：{step['reason']}")
        else:
            lines.append(str(step))
    return lines
