"""The media tier of a post read from a file, from its ``source`` (a name, a host or a URL) or its ``url``.

Grading weighs the tier of the media that carry a story (domain.md §5), and a post of ``yuqing analyze`` names its
source, not its tier: 人民日报, 新华社 and news.sina.com.cn were all read as self-media. The outlets are data
(analysis/resources/media_outlets.yaml, plus a deployment's config/media_outlets.yaml); a configured source
(sources.yaml, by name or label) keeps its own tier, as the crawler gives it. A source none of them names is
``unknown``: it could be anything, so it is not called self-media.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from yuqing.contract import BOARD_SOURCE_TYPE, MediaTier
from yuqing.settings import Config, SourceSpec, TableError, load_table

TABLE_NAME = "media_outlets.yaml"
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
# A source written as a host (news.sina.com.cn, www.people.com.cn/n1/…, people.com.cn:443), not as a name.
_HOST_LIKE = re.compile(r"^((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})\.?(?::\d+)?([/?#].*)?$", re.IGNORECASE)
# A part of a site an outlet's entry names by host and path (www.163.com/dy/): a lower-case host, then folders.
_SITE_PATH = re.compile(r"^((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})(/[^\s?#*]*)$")
# Source types whose posts citizens write (a letter to the board, a Weibo or other social post): self-media, as
# sources.yaml's default tier has them, whatever the source is called. An outlet the table names keeps its tier
# (人民日报's Weibo account is central).
CITIZEN_SOURCE_TYPES = frozenset({BOARD_SOURCE_TYPE, "weibo", "social_json"})
_NAME_NOISE = re.compile(r"[\s《》「」“”\"']+")
# What may stand between a platform's name and an account's (网易号：某某说事, 搜狐号-某某, 百家号|某某).
_ACCOUNT_SEPARATORS = ":：-—_·|｜/、,，()（）[]【】@"


class MediaOutletsError(TableError):
    """A media outlet table that cannot be used; each problem names the file, the entry and the fix."""


def _site_folder(path: str) -> str:
    """A ``paths`` item: a host and a folder of it (www.163.com/dy/), checked one by one so each wrong one is named."""
    match = _SITE_PATH.match(path)
    if not match:
        raise ValueError("no host and folder; write it as www.163.com/dy/ (the host as the URL has it, lower case, then "
                         "the folder; no scheme, port, ?, # or *: a folder covers every page under it)")
    if not _segments(match.group(2)):
        raise ValueError("a whole host, no folder of it; give the folder (www.163.com/dy/), or list the site under "
                         "domains")
    return path


class _Outlet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    paths: list[Annotated[str, AfterValidator(_site_folder)]] = Field(default_factory=list)
    # a platform of accounts: its name followed by an account's (网易号 某某说事) is a post of one of its accounts
    account_names: bool = False
    # (not ``unknown``: that is what an outlet left out of the table gets)
    tier: Literal["central", "portal", "provincial", "local", "self-media"]

    @field_validator("domains")
    @classmethod
    def _plain_domains(cls, domains: list[str]) -> list[str]:
        for domain in domains:
            if not _DOMAIN.match(domain):
                raise ValueError(f"{domain!r} is no domain; write it as people.com.cn (no scheme, path or port, lower "
                                 "case)")
        return domains


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outlets: list[_Outlet] = Field(default_factory=list)


def _name_key(name: str) -> str:
    """A source name as compared: case, spaces, 《》 and quotes, and a leading @ (a Weibo account) do not count."""
    return _NAME_NOISE.sub("", name).lstrip("@").casefold()


def _segments(path: str) -> tuple[str, ...]:
    """A URL path's folders and page, as compared: /dy/article/x.html → (dy, article, x.html)."""
    return tuple(part for part in path.split("/") if part)


def _host_and_path(text: str) -> tuple[str, str] | None:
    """The host and path a source or URL names (``https://www.163.com/dy/x.html`` and ``www.163.com/dy/x.html`` →
    www.163.com and /dy/x.html); None for a name such as 人民日报."""
    text = text.strip()
    if "://" in text:
        try:
            parts = urlsplit(text)
            host = parts.hostname
        except ValueError:  # a port that is no number
            return None
        return (host.rstrip(".").lower(), parts.path) if host else None
    match = _HOST_LIKE.match(text)
    return (match.group(1).lower(), re.split(r"[?#]", match.group(2) or "", maxsplit=1)[0]) if match else None


def host_of(text: str) -> str | None:
    """The host a source or URL names (``https://news.sina.com.cn/x`` and ``news.sina.com.cn`` → news.sina.com.cn);
    None for a name such as 人民日报."""
    site = _host_and_path(text)
    return site[0] if site else None


def bundled_table_path() -> Path:
    return Path(str(resources.files("analysis.resources").joinpath(TABLE_NAME)))


@dataclass
class MediaOutlets:
    """Tiers by source name, by host and path, and by domain; ``tier_of`` gives a post's."""

    names: dict[str, MediaTier] = field(default_factory=dict)
    account_platforms: dict[str, MediaTier] = field(default_factory=dict)  # names that an account's name may follow
    paths: dict[tuple[str, tuple[str, ...]], MediaTier] = field(default_factory=dict)  # (host, folders)
    domains: dict[str, MediaTier] = field(default_factory=dict)
    configured: dict[str, MediaTier] = field(default_factory=dict)  # sources.yaml, by name and by label

    @classmethod
    def for_config(cls, directory: Path, sources: list[SourceSpec] | None = None) -> MediaOutlets:
        """The shipped table, then this configuration folder's media_outlets.yaml (its entries win), then the
        configured sources; ``MediaOutletsError`` for a broken table."""
        outlets = cls()
        local = directory / TABLE_NAME
        for path in [bundled_table_path()] + ([local] if local.exists() else []):
            for outlet in load_table(path, _Table, MediaOutletsError).outlets:
                for name in [outlet.name, *outlet.aliases]:
                    outlets.names[_name_key(name)] = MediaTier(outlet.tier)
                    if outlet.account_names:
                        outlets.account_platforms[_name_key(name)] = MediaTier(outlet.tier)
                for site_path in outlet.paths:
                    host, _, folders = site_path.partition("/")
                    outlets.paths[(host, _segments(folders))] = MediaTier(outlet.tier)
                for domain in outlet.domains:
                    outlets.domains[domain] = MediaTier(outlet.tier)
        for spec in sources or []:
            for name in filter(None, (spec.name, spec.label)):
                outlets.configured[_name_key(name)] = spec.media_tier
        return outlets

    def _by_account(self, key: str) -> MediaTier | None:
        """The tier of a source written as a platform's name and an account's (网易号 某某说事): the account's own
        when the table or sources.yaml names it (网易号：人民日报 is central), else the platform's."""
        platforms = [name for name in self.account_platforms if key.startswith(name) and len(key) > len(name)]
        if not platforms:
            return None
        platform = max(platforms, key=len)  # 新浪看点 before a shorter name it starts with
        account = key[len(platform):].lstrip(_ACCOUNT_SEPARATORS)
        return self.configured.get(account) or self.names.get(account) or self.account_platforms[platform]

    def _by_site(self, host: str, folders: tuple[str, ...]) -> MediaTier | None:
        """An entry for the host and a path it begins with (the longest), else one for its domain."""
        for depth in range(len(folders), 0, -1):
            tier = self.paths.get((host, folders[:depth]))
            if tier is not None:
                return tier
        return self._by_host(host)

    def _by_host(self, host: str) -> MediaTier | None:
        labels = host.split(".")
        for start in range(len(labels) - 1):  # the longest entry first: mp.weixin.qq.com before qq.com
            tier = self.domains.get(".".join(labels[start:]))
            if tier is not None:
                return tier
        return None

    def tier_of(self, source: str, url: str | None = None, source_type: str | None = None) -> MediaTier:
        """The tier of a post from ``source`` (a configured source, then an outlet's name, a platform's name followed
        by an account's, or a host or URL of its paths or domains), else from the host and path of ``url``, else
        self-media when ``source_type`` says a citizen wrote it (a message board letter, a social post); ``unknown``
        when nothing names it."""
        key = _name_key(source)
        found = self.configured.get(key) or self.names.get(key) or self._by_account(key)
        for text in (source, url):
            if found is None and text:
                site = _host_and_path(text)
                found = self._by_site(site[0], _segments(site[1])) if site else None
        if found is None and source_type in CITIZEN_SOURCE_TYPES:
            return MediaTier.SELF_MEDIA
        return found or MediaTier.UNKNOWN


def media_outlet_problems(config: Config) -> list[str]:
    """Each thing wrong with the media outlet tables of a configuration (`yuqing config check`, and `run`, `replay`
    and `demo` at start-up), one a line with its file, entry and fix."""
    try:
        MediaOutlets.for_config(config.directory, config.sources.sources)
    except MediaOutletsError as exc:
        return [str(problem) for problem in exc.problems] or [str(exc)]
    return []
