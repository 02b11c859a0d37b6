"""Taxonomy edits a deployer makes, for tests of what the topic model in use does with them."""

from __future__ import annotations

from pathlib import Path

# A topic the shipped model was never trained on (review2 finding 3).
HEATING = "  - {id: 供暖, label_en: heating, unit: 住房和城乡建设局, keywords: [供暖, 暖气, 供热, 暖气不热]}\n"


def add_heating(directory: Path) -> None:
    with (directory / "taxonomy.yaml").open("a", encoding="utf-8") as taxonomy:
        taxonomy.write(HEATING)


def remove_ecology(directory: Path) -> None:
    """Topic 生态环境 and its route removed from the configuration in ``directory``, as a deployer would remove it."""
    taxonomy = (directory / "taxonomy.yaml").read_text(encoding="utf-8")
    start, end = taxonomy.index("  - id: 生态环境\n"), taxonomy.index("  - id: 交通出行\n")
    (directory / "taxonomy.yaml").write_text(taxonomy[:start] + taxonomy[end:], encoding="utf-8")
    units = (directory / "units.yaml").read_text(encoding="utf-8")
    route = "    - {match: {topic: 生态环境}, receiver_kind: 生态环境局}\n"
    assert route in units
    (directory / "units.yaml").write_text(units.replace(route, ""), encoding="utf-8")
