"""Which province / city / district a post is about, from its text and its source's configured region.

The gazetteer is the administrative-division table bundled with cpca. cpca's own ``transform`` builds
a pandas DataFrame per call and importing cpca pulls in ``pkg_resources`` (~0.35 s), so this module
reads cpca's data file once and matches names with an Aho-Corasick automaton, leftmost-longest, in one
pass. ahocorasick-rs is used rather than pyahocorasick (cpca's matcher): on a 400-character message
it takes ~7 µs where pyahocorasick takes ~85 µs (its root node is searched linearly, and place names
start with thousands of different characters).

Choosing among mentions: each candidate place scores one point per other mention on the same branch
of the tree (湖南 … 长沙市 … 岳麓区 support each other), SOURCE_WEIGHT if it agrees with the source region
and a little for each time its name comes back; the best-supported, then deepest, then earliest wins. A place the
headline names (or one it lies in) adds TITLE_WEIGHT, and one off every branch the headline names loses it; a city
above the one district the headline names, or above the source's district, is scored as that district, so a
sibling district the text names (锦江区 on a 武侯区 site) is no support for it.
Weibo handles (@北京哥哥) are not read. A name several places share (朝阳区)
that nothing decides yields only what those places have in common. Short names that are also common
words (朝阳, 日照, county-level short names like 义乌) count only when something supports them.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from string import Formatter

from ahocorasick_rs import AhoCorasick, MatchKind
from pydantic import BaseModel, ConfigDict

from analysis.abroad import country_named
from analysis.tokenizer import segment
from yuqing.contract import Region
from yuqing.paths import config_dir
from yuqing.settings import TableError, load_table

PROVINCE, CITY, DISTRICT = 0, 1, 2
_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
# Placeholders in the table, not names anyone writes.
_PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划"})
# District names that are also everyday words; never matched.
_GENERIC = frozenset({"城区", "郊区", "矿区", "东区", "西区"})
_PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "新疆维吾尔自治区": "新疆",
    "宁夏回族自治区": "宁夏",
}
# Prefecture short names that are everyday words or name something else as often as the city.
_WEAK_SHORT = frozenset(
    "朝阳 大同 安康 来宾 白银 中卫 山南 兴安 日照 玉树 长治 黑河 白山 红河 文山 普洱 阿里 和田 海东 海北 海西 海南 "
    "武威 河池 吉林".split()
)
_MAX_MENTIONS = 40
# The source's own region counts as much as a name that supports a place and a little more (a board of A市 whose
# message compares with 广东珠海 is still about A市: 广东 + 珠海 support each other by 1); each repetition of a
# name adds REPEAT_WEIGHT, up to REPEAT_CAP. Measured on the 7,142 zhengwu messages of an A市 board, the 20,000
# THUCNews headlines and 11,987 Weibo posts with benchmarks-free scratch scripts; see the session notes.
SOURCE_WEIGHT = 1.25
# A place named in the headline (or a place on its branch) is what the story is about more often than not.
TITLE_WEIGHT = 1.0
REPEAT_WEIGHT = 0.5
REPEAT_CAP = 1.0
# Characters of context the segmenter reads on each side of a short place name.
_WORD_CONTEXT = 4
# The last character of a full administrative name.
_ADMIN_SUFFIX = frozenset("省市区县州盟旗")
# @user and //@user: (Weibo handles, reposts) — a handle such as 北京哥哥 names no place.
_HANDLE = re.compile(r"//@[^:：\s]{1,30}[:：]|@[\w\u4e00-\u9fff·\-]{1,30}")
_PATTERN_CACHE_SIZE = 10_000
# A place name right before these is a street named after the place (北京路 in Guangzhou) — but not before
# words that begin with 路 or 街 and are no street: A5区路政 (the district's road administration), A3区路况,
# A3区路面, A3区路灯, A3区街道办事处, A3区街头, and a township named 路口镇 (长沙县路口镇; A1区南路段 is a stretch of
# A1区南路).
_STREET_AFTER = re.compile(r"[东南西北中]?(?:大道|大街|巷|胡同)|[东南西北中][路街]|路(?![政况面灯]|口镇)|街(?![道头])")

# A short name right before 镇, 乡, 街道 or 社区 names a township or a street community (I1区长春镇, not 长春; 永州乡;
# 成都's 玉林街道, not 广西玉林市); 乡村, 乡亲, 乡下 are words, and a full name stays (浏阳市镇头镇, A3区街道办).
_TOWN_AFTER = re.compile(r"镇|街道|社区|乡(?![村亲下镇愁音土里间])")

# A place name right before a dish or a shop's trade names a restaurant, not the place (老北京涮羊肉, 新疆羊肉串, 兰州拉面);
# 小面积 is no noodle (广州小面积延误 is about 广州).
_DISH_AFTER = re.compile(r"[涮刷]?羊肉|烤鸭|拉面|小吃|火锅|米粉|螺蛳粉|烤串|烧烤|炸酱面|小面(?!积)|凉皮|肉夹馍|大盘鸡|炒饭|火腿|扒鸡|"
                         r"菜馆|面馆|布鞋")
# Where a writer comes from (我叫李**，来自湖北仙桃; 我是湖北人; 老家在…) is not where the complaint is: the names right after
# these, and the names that follow them directly, are left out.
_ORIGIN = re.compile(r"来自|老家(?:是|在)?|祖籍(?:是|在)?|籍贯(?:是|为)?[:：]?|我是(?=[^\W\d_的一个名位在]{2,8}?人(?![民大社防才口行力]))")


@dataclass(frozen=True, slots=True)
class Place:
    """A node of the division tree: a key per level (None where unknown) and display names."""

    key: tuple[str | None, str | None, str | None]
    level: int
    province: str | None
    city: str | None
    district: str | None
    code: str | None

    def agrees_with(self, other: Place) -> bool:
        """On one branch of the tree: no level differs and at least one level is shared."""
        shared = False
        for a, b in zip(self.key, other.key, strict=True):
            if a is None or b is None:
                continue
            if a != b:
                return False
            shared = True
        return shared

    def region(self) -> Region:
        return Region(province=self.province, city=self.city, district=self.district, code=self.code)


class RegionConfigError(TableError):
    """The alias table is malformed; the message names the file, the key and the fix."""


class _AliasEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None


class _PatternEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regex: str
    province: str | None = None
    city: str | None = None
    district: str | None = None


class _AliasTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    names: dict[str, _AliasEntry] = {}
    patterns: list[_PatternEntry] = []
    prefer: dict[str, str] = {}
    not_places: list[str] = []


@dataclass(frozen=True, slots=True)
class _Mention:
    pos: int
    name: str
    places: tuple[Place, ...]
    weak: bool


def _cpca_adcodes() -> Path:
    """cpca's bundled table, located without importing cpca (its import costs ~0.35 s)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cpca is required for region resolution: pip install 'cpca>=0.5,<1'")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def _strip_ethnic(name: str, nations: Iterable[str]) -> str:
    """恩施土家族苗族自治州 → 恩施; 巴音郭楞蒙古自治州 → 巴音郭楞."""
    base = name.removesuffix("自治州")
    changed = True
    while changed:
        changed = False
        for n in nations:
            for form in (n, n.removesuffix("族")):
                if len(form) >= 2 and base.endswith(form) and len(base) > len(form):
                    base = base[: -len(form)]
                    changed = True
    return base


class RegionResolver:
    """A gazetteer with the alias table loaded; ``resolve`` is the per-post call."""

    def __init__(self, aliases: Path | None = None) -> None:
        """``aliases``: a deployment's table (default ``config/region_aliases.yaml`` when it exists), applied on top
        of the bundled one — a press office lists its 街道 without losing the bundled renamed units and not-places."""
        self._by_code: dict[str, Place] = {}
        self._names: dict[str, list[tuple[Place, bool]]] = {}
        self._load_gazetteer()
        self._patterns: list[tuple[re.Pattern[str], _PatternEntry]] = []
        self._prefer: dict[str, str] = {}
        not_places: list[str] = []
        bundled = bundled_alias_path()
        local = aliases or local_alias_path()
        for path in (bundled, local) if local is not None and local != bundled else (bundled,):
            table = _load_aliases(path)
            self._apply_aliases(table, path)
            not_places.extend(table.not_places)
        self._words: list[tuple[str, tuple[Place, ...], bool]] = []
        for name, entries in self._names.items():
            # 恩施 is the prefecture (strong) before it is 恩施市 (a county-level short name, weak).
            strong = tuple(p for p, weak in entries if not weak)
            self._words.append((name, strong or tuple(p for p, _ in entries), not strong))
        self._words.extend((phrase, (), True) for phrase in dict.fromkeys(not_places) if phrase not in self._names)
        self._automaton = AhoCorasick([w[0] for w in self._words], matchkind=MatchKind.LeftmostLongest)
        self._pattern_places: dict[tuple[int, str], Place | None] = {}
        self._source_cache: dict[tuple[str | None, ...], Place | None] = {}

    # ------------------------------------------------------------ building

    def _load_gazetteer(self) -> None:
        path = _cpca_adcodes()
        nations_path = path.with_name("56_nations.csv")
        nations = sorted(
            (ln.strip() for ln in nations_path.read_text(encoding="utf-8").splitlines() if ln.strip()),
            key=len,
            reverse=True,
        )
        with path.open(encoding="utf-8") as fh:
            rows = [(r["adcode"][:6], r["name"]) for r in csv.DictReader(fh)]
        names = {code: name for code, name in rows}
        for code, name in sorted(rows):
            if name in _PLACEHOLDERS:
                continue
            p, c = code[:2], code[:4]
            province = names.get(p + "0000")
            municipality = p in _MUNICIPALITIES
            if code.endswith("0000"):
                key: tuple[str | None, str | None, str | None] = (p, p + "01" if municipality else None, None)
                place = Place(key, PROVINCE, province, province if municipality else None, None, code)
            elif code.endswith("00"):
                place = Place((p, c, None), CITY, province, name, None, code)
            else:
                city_name = names.get(c + "00")
                if municipality:
                    c, city_name = p + "01", province
                elif city_name in _PLACEHOLDERS:
                    city_name = None  # 省直辖县级行政区划: 仙桃市 sits right under 湖北省
                place = Place((p, c, code), DISTRICT, province, city_name, name, code)
            self._by_code[code] = place
            for alias, weak in self._names_for(place, name, nations):
                self._add_name(alias, place, weak)

    def _names_for(self, place: Place, name: str, nations: list[str]) -> list[tuple[str, bool]]:
        """The full name and the short names people write; a short name may need support (weak)."""
        level = place.level
        out: list[tuple[str, bool]] = []
        if name not in _GENERIC:
            out.append((name, level == DISTRICT and len(name) <= 2))
        short = None
        if level == PROVINCE:
            short = _PROVINCE_SHORT.get(name) or re.sub(r"(省|市|特别行政区)$", "", name)
        elif level == CITY:
            if name.endswith("自治州"):
                short = _strip_ethnic(name, nations)
                out.append((short + "州", False))
            else:
                short = re.sub(r"(市|地区|盟)$", "", name)
        elif name.endswith("市"):
            short = name[:-1]  # county-level city: 浏阳市 → 浏阳, weak
        if short and short != name and len(short) >= 2:
            out.append((short, level == DISTRICT or (level == CITY and short in _WEAK_SHORT)))
        return out

    def _add_name(self, name: str, place: Place, weak: bool) -> None:
        entries = self._names.setdefault(name, [])
        if place.level == CITY and any(p.level == PROVINCE for p, _ in entries):
            return  # 吉林 is the province; the city is 吉林市
        entries.append((place, weak))

    def _apply_aliases(self, table: _AliasTable, path: Path) -> None:
        for name, entry in table.names.items():
            if entry.code:
                place = self._by_code.get(entry.code)
                if place is None:
                    raise RegionConfigError(
                        f"{path}: names.{name}.code: {entry.code!r} is not in the gazetteer; "
                        "use a six-digit code of GB/T 2260 that cpca knows, or give province/city/district"
                    )
                # Names given with a code are the names to show (a renamed unit's current name).
                place = replace(
                    place,
                    province=entry.province or place.province,
                    city=entry.city or place.city,
                    district=entry.district or place.district,
                )
            else:
                place = self._alias_place(entry.province, entry.city, entry.district)
            self._names[name] = [(place, False)]
        for i, pat in enumerate(table.patterns):
            try:
                rx = re.compile(pat.regex)
            except re.error as exc:
                raise RegionConfigError(
                    f"{path}: patterns[{i}].regex: {exc}; fix the regular expression"
                ) from exc
            self._patterns.append((rx, pat))
        for name, code in table.prefer.items():
            if code not in self._by_code:
                raise RegionConfigError(
                    f"{path}: prefer.{name}: {code!r} is not in the gazetteer; use a six-digit code"
                )
            self._prefer[name] = code

    def _alias_place(self, province: str | None, city: str | None, district: str | None) -> Place:
        """A place outside the gazetteer: keys made of its names, parents from the gazetteer if known."""
        parent = self._named(province, PROVINCE) if province else None
        city_place = self._named(city, CITY, parent) if city else None
        if city_place is not None:
            if not district:
                return city_place
            known = self._named(district, DISTRICT, city_place)
            if known is not None:
                return known
            return Place(
                (city_place.key[0], city_place.key[1], f"~{city_place.city}{district}"),
                DISTRICT,
                city_place.province,
                city_place.city,
                district,
                None,
            )
        key = (
            parent.key[0] if parent else (f"~{province}" if province else None),
            f"~{city}" if city else None,
            f"~{city}{district}" if district else None,
        )
        level = max(i for i, k in enumerate(key) if k is not None)
        return Place(key, level, parent.province if parent else province, city, district, None)

    # ------------------------------------------------------------ lookups

    def _named(self, name: str, level: int, within: Place | None = None) -> Place | None:
        """A gazetteer or alias-table place by its exact name at one level."""
        for place, _ in self._names.get(name, ()):
            if place.level == level and (within is None or place.agrees_with(within)):
                return place
            if level == CITY and place.level == PROVINCE and place.key[1]:  # 北京市 named as a city
                return place
        return None

    def _lookup(self, name: str, level: int, within: Place | None = None) -> Place | None:
        """A place by its exact name at one level, masked-name patterns included (source regions)."""
        for pattern, entry in self._patterns:
            m = pattern.fullmatch(name)
            if m:
                place = self._pattern_place(m, entry)
                if place is not None and place.level == level:
                    return place
        return self._named(name, level, within)

    def _pattern_place(self, m: re.Match[str], entry: _PatternEntry) -> Place | None:
        """The place a pattern match names; a level whose template uses an unmatched group is left out."""
        groups = m.groupdict()
        names: list[str | None] = []
        for template in (entry.province, entry.city, entry.district):
            fields = [f for _, f, _, _ in Formatter().parse(template or "") if f is not None]
            if not template or any(groups.get(f) is None for f in fields):
                names.append(None)
            else:
                names.append(template.format(**groups))
        if not any(names):
            return None
        return self._alias_place(*names)

    def place_named(self, name: str, level: int, within: Place | None = None) -> Place | None:
        """The place a configured name means at one level, read as a source's region is (``yuqing config check``)."""
        return self._lookup(name, level, within)

    def names_at(self, level: int) -> set[str]:
        """The names shown for the places of one level (PROVINCE, CITY, DISTRICT): what a misspelt name may mean."""
        return {name for entries in self._names.values() for place, _ in entries if place.level == level
                for name in [(place.province, place.city, place.district)[level]] if name}

    def source_place(self, region: Region | None) -> Place | None:
        """The configured region of a source as a place of the tree (cached: sources are few)."""
        if region is None:
            return None
        cache_key = (region.province, region.city, region.district, region.code)
        if cache_key not in self._source_cache:
            self._source_cache[cache_key] = self._resolve_source(region)
        return self._source_cache[cache_key]

    def _resolve_source(self, region: Region) -> Place | None:
        if region.code and region.code[:6] in self._by_code:
            return self._by_code[region.code[:6]]
        place = None
        if region.province:
            place = self._lookup(region.province, PROVINCE) or place
        if region.city:
            place = self._lookup(region.city, CITY, place) or place
        if region.district:
            found = self._lookup(region.district, DISTRICT, place)
            if found is None:
                found = self._alias_place(region.province, region.city, region.district)
            place = found
        return place

    # ------------------------------------------------------------ resolving

    def mentions(self, text: str) -> list[_Mention]:
        """Place names in ``text``, leftmost-longest, streets named after places left out."""
        found: list[_Mention] = []
        previous_end = -1
        origins = {m.end() for m in _ORIGIN.finditer(text)}
        for index, start, end in self._automaton.find_matches_as_indexes(text):
            name, places, weak = self._words[index]
            # A short name right after another place name is a place too (甘肃兰州, 福建厦门), else it must be a word.
            # 江苏籍货车在浙江侧翻, 香港籍女子在上海遇害: where someone is from is not where it happened.
            if text.startswith("籍", end):
                continue
            if start in origins:  # kept without a place: a Chinese place is still named (来自长沙的游客在泰国遇难 is no
                origins.add(end)  # story abroad, see analysis.abroad); 来自湖北 仙桃: the next name is the origin too
                found.append(_Mention(start, name, (), weak))
                continue
            if places and not _STREET_AFTER.match(text, end) and not _DISH_AFTER.match(text, end) and not (
                    name[-1] not in "省市区县" and _TOWN_AFTER.match(text, end)) and (
                    _needs_no_word_check(name, places) or start == previous_end or _whole_word(text, start, end)):
                found.append(_Mention(start, name, places, weak))
                previous_end = end
        if self._patterns:
            for i, (rx, entry) in enumerate(self._patterns):
                for m in rx.finditer(text):
                    key = (i, m.group(0))
                    if key not in self._pattern_places:
                        if len(self._pattern_places) >= _PATTERN_CACHE_SIZE:
                            self._pattern_places.clear()
                        self._pattern_places[key] = self._pattern_place(m, entry)
                    place = self._pattern_places[key]
                    if place is not None and not _STREET_AFTER.match(text, m.end()):  # A1区路, A1区南路
                        found.append(_Mention(m.start(), m.group(0), (place,), False))
            found.sort(key=lambda m: m.pos)
        return found

    def resolve(self, text: str, source_region: Region | None = None, title_chars: int = 0,
                addressed: bool = False) -> Region | None:
        """The region ``text`` is about; a country abroad when its lead names one and no Chinese place (see
        analysis.abroad); the source's region when the text names no place.

        ``title_chars``: the text begins with a headline this long (a headline names the place a story is about).
        ``addressed``: the text was written to the source's own government (a message board): the source's place
        competes with the places the text names, so a passing mention (去北京旅游时…) does not take the post away.
        """
        source = self.source_place(source_region)
        if text and "@" in text:  # a user name (//@北京哥哥: …) names no place the post is about
            text = _HANDLE.sub(lambda m: " " * len(m.group(0)), text)
        # A long article names its place early; later names are mostly context.
        mentions = self.mentions(text)[:_MAX_MENTIONS] if text else []
        by_name: dict[str, tuple[Place, ...]] = {}
        first: dict[str, _Mention] = {}
        times: dict[str, int] = {}
        for m in mentions:
            by_name.setdefault(m.name, m.places)
            first.setdefault(m.name, m)
            times[m.name] = times.get(m.name, 0) + 1
        best: tuple[float, int, int] | None = None
        chosen: list[Place] = []
        if addressed and source is not None:  # the board's own place, named or not, ranked after every mention
            best, chosen = (0.0, source.level, -len(text or "") - 1), [source]
        title_places = [q for m in mentions if m.pos < title_chars for q in m.places]
        # Places the headline names outright (a short name there may be a word: 白银价格): what a post is about, so a
        # place off their branches is one the body names in passing (a cited 海南 case under 「A市计生委…」).
        headline = [q for m in mentions if m.pos < title_chars and not m.weak for q in m.places]
        home = (source.province or (source_region.province if source_region else None)) if source else None
        # A name scores the same wherever it comes back; its first mention ranks best among equals.
        for m in first.values():
            for place in m.places:
                # A city the headline's one district lies in, or the source's, stands for that district (it is what
                # the post gets): names of sibling districts (锦江区 on a 武侯区 site; A2区, A5区 under 「A3区…停水」) are
                # no support for it.
                below = {q.key: q for q in headline if q.level > place.level and q.agrees_with(place)}
                if len(below) == 1:
                    meant = next(iter(below.values()))
                elif source is not None and source.level > place.level and source.agrees_with(place):
                    meant = source
                else:
                    meant = place
                branch = [name for name, places in by_name.items()
                          if name == m.name or any(meant.agrees_with(q) for q in places)]
                # Repeating a name corroborates nothing: only other names count (江山…江山 is no support).
                support = len(branch) - 1
                score = support + (SOURCE_WEIGHT if source is not None and meant.agrees_with(source) else 0.0)
                if m.weak and score == 0:
                    continue
                # The headline's place, or one it lies in (湖南长沙 in the title, 岳麓区 below), not the city of a
                # district the title names: a title's A4区 does not lift A市 over A4区.
                if any(q.level <= meant.level and meant.agrees_with(q) for q in title_places):
                    score += TITLE_WEIGHT
                elif headline and not any(meant.agrees_with(q) for q in headline):
                    score -= TITLE_WEIGHT
                if addressed and source is not None and place.province and home and place.province != home:
                    score -= SOURCE_WEIGHT  # 去北京旅游时… on a 长沙 board: the board's place unless 北京 is supported
                # The place a post is about comes back (A市…A市…A5区); a comparison is named once. Counted over the
                # branch, so a city named three times and its district once tie, and the deeper one wins.
                repeats = sum(times[name] for name in branch) - len(branch)
                score += min(REPEAT_CAP, REPEAT_WEIGHT * repeats)
                if self._prefer.get(m.name) == place.code:
                    score += 0.25
                rank = (score, place.level, -m.pos)
                if best is None or rank > best:
                    best, chosen = rank, [place]
                elif rank == best:
                    chosen.append(place)  # the same name, equally supported: undecided
        if not chosen:
            # Abroad only when no Chinese place is named at all, even one too weak to place the post (通州北美佳苑).
            country = country_named(text, title_chars) if text and not mentions else None
            if country is not None:  # a bombing in 巴格达 on a local news site happened abroad, not at the source
                return Region(country=country)
            return _fill_from_source(source.region(), source_region) if source is not None else source_region
        if len(chosen) > 1:
            return _common(chosen)
        place = chosen[0]
        # A district's own board naming only its city is still about the district.
        if source is not None and source.level > place.level and source.agrees_with(place):
            place = source
        return _fill_from_source(place.region(), source_region)


def _needs_no_word_check(name: str, places: tuple[Place, ...]) -> bool:
    """Full official names (望城区, 三沙市), long names and provinces stand on their own; the segmenter often
    does not know them (望/城区, 三/沙市) and would lose them."""
    return len(name) > 3 or (len(name) == 3 and name[-1] in _ADMIN_SUFFIX) or any(p.level == PROVINCE for p in places)


def _whole_word(text: str, start: int, end: int) -> bool:
    """Whether a short place name (长春, 大理, 安顺) is not part of other words: 李长春, 孙中山 and 许银川 are people,
    内华达州 and 昆士兰州 are abroad (one longer word holds the name); 三大理由 holds no 大理 and 新乡村 no 新乡 (a
    one-character word, then a word the name ends inside); 平安顺利 holds no 安顺 (the name straddles two words).
    Names the segmenter does not know and cuts apart (岳/阳, 唐/山, 南岳/阳) are kept. A microsecond a name."""
    position = max(0, start - _WORD_CONTEXT)
    spans = []
    for token in segment(text[position : end + _WORD_CONTEXT]):
        spans.append((position, position + len(token)))
        position += len(token)
    first = next(((a, b) for a, b in spans if a <= start < b), None)
    last = next(((a, b) for a, b in spans if a < end <= b), None)
    if first is None or last is None:
        return True
    if first == last:  # one word holds the whole name: a word that begins with it (南京大学), or a longer one
        return first[0] == start
    starts_inside, ends_inside = first[0] < start, last[1] > end
    if first[0] == start and first[1] - first[0] == 1 and ends_inside:
        return False  # 三/大/理由, 新/乡村, 镇/江南
    return not (starts_inside and ends_inside and first[1] - first[0] >= 2 and last[1] - last[0] >= 2)  # 平安/顺利


def _fill_from_source(region: Region, source_region: Region | None) -> Region:
    """Complete the parents the text did not name (A3区 → 湖南省 A市) from a source that agrees with it."""
    if source_region is None:
        return region
    pairs = [(region.province, source_region.province), (region.city, source_region.city)]
    if any(mine is not None and theirs is not None and mine != theirs for mine, theirs in pairs):
        return region
    if region.district and source_region.district and region.district != source_region.district:
        return region.model_copy(update={"province": region.province or source_region.province,
                                         "city": region.city or source_region.city})
    return region.model_copy(update={"province": region.province or source_region.province,
                                     "city": region.city or source_region.city,
                                     "district": region.district or source_region.district})


def _common(places: list[Place]) -> Region:
    """What equally likely places share: 朝阳区 in Beijing or Changchun is just 朝阳区."""

    def same(values: list[str | None]) -> str | None:
        return values[0] if len(set(values)) == 1 else None

    return Region(
        province=same([p.province for p in places]),
        city=same([p.city for p in places]),
        district=same([p.district for p in places]),
        code=same([p.code for p in places]),
    )


def local_alias_path(directory: Path | None = None) -> Path | None:
    """The deployment's region_aliases.yaml when its configuration folder has one (it adds to the shipped table)."""
    local = (directory or config_dir()) / "region_aliases.yaml"
    return local if local.exists() else None


def bundled_alias_path() -> Path:
    return Path(str(resources.files("analysis.resources").joinpath("region_aliases.yaml")))


def _load_aliases(path: Path) -> _AliasTable:
    return load_table(path, _AliasTable, RegionConfigError)


def resolver_for(directory: Path | None = None) -> RegionResolver:
    """The resolver of a configuration folder (default: the environment's), with that folder's region_aliases.yaml on
    top of the bundled table. Built once per table as it is on disk: `run` checks the place names of the
    configuration with the same resolver the analysis then places posts with (it took a fraction of a second twice)."""
    table = local_alias_path(directory) or bundled_alias_path()
    return _resolver(table.resolve(), table.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _resolver(table: Path, version: int) -> RegionResolver:
    """``version``: the table's modification time, so an edited table is read again."""
    return RegionResolver(table)


@lru_cache(maxsize=1)
def default_resolver() -> RegionResolver:
    """The process-wide resolver (built once in a fraction of a second; a post then takes microseconds)."""
    return resolver_for()


def resolve_region(text: str, source_region: Region | None = None, title_chars: int = 0,
                   addressed: bool = False) -> Region | None:
    """Province / city / district (and code) a post is about; see the module docstring and ``resolve``."""
    return default_resolver().resolve(text, source_region, title_chars, addressed)
