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
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yuqing.contract import BOARD_SOURCE_TYPE, MediaTier
from yuqing.settings import Config, SourceSpec, TableError, load_table

TABLE_NAME = "media_outlets.yaml"
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
# A source written as a host (news.sina.com.cn, www.people.com.cn/n1/…, people.com.cn:443), not as a name.
_HOST_LIKE = re.compile(r"^((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})\.?(?::\d+)?(?:[/?#].*)?$", re.IGNORECASE)
# Source types whose posts citizens write (a letter to the board, a Weibo or other social post): self-media, as
# sources.yaml's default tier has them, whatever the source is called. An outlet the table names keeps its tier
# (人民日报's Weibo account is central).
CITIZEN_SOURCE_TYPES = frozenset({BOARD_SOURCE_TYPE, "weibo", "social_json"})
_NAME_NOISE = re.compile(r"[\s《》「」“”\"']+")


class MediaOutletsError(TableError):
    """A media outlet table that cannot be used; each problem names the file, the entry and the fix."""


class _Outlet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
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


def host_of(text: str) -> str | None:
    """The host a source or URL names (``https://news.sina.com.cn/x`` and ``news.sina.com.cn`` → news.sina.com.cn);
    None for a name such as 人民日报."""
    text = text.strip()
    if "://" in text:
        try:
            host = urlsplit(text).hostname
        except ValueError:  # a port that is no number
            return None
        return host.rstrip(".").lower() if host else None
    match = _HOST_LIKE.match(text)
    return match.group(1).lower() if match else None


def bundled_table_path() -> Path:
    return Path(str(resources.files("analysis.resources").joinpath(TABLE_NAME)))


@dataclass
class MediaOutlets:
    """Tiers by source name and by domain; ``tier_of`` gives a post's."""

    names: dict[str, MediaTier] = field(default_factory=dict)
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
                for domain in outlet.domains:
                    outlets.domains[domain] = MediaTier(outlet.tier)
        for spec in sources or []:
            for name in filter(None, (spec.name, spec.label)):
                outlets.configured[_name_key(name)] = spec.media_tier
        return outlets

    def _by_host(self, host: str) -> MediaTier | None:
        labels = host.split(".")
        for start in range(len(labels) - 1):  # the longest entry first: mp.weixin.qq.com before qq.com
            tier = self.domains.get(".".join(labels[start:]))
            if tier is not None:
                return tier
        return None

    def tier_of(self, source: str, url: str | None = None, source_type: str | None = None) -> MediaTier:
        """The tier of a post from ``source`` (a configured source, then an outlet's name or a host or URL of its
        domains), else from the host of ``url``, else self-media when ``source_type`` says a citizen wrote it (a
        message board letter, a social post); ``unknown`` when nothing names it."""
        key = _name_key(source)
        found = self.configured.get(key) or self.names.get(key)
        for text in (source, url):
            if found is None and text:
                host = host_of(text)
                found = self._by_host(host) if host else None
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
