"""The corpus catalog: human metadata (title, organisation, date, URL) for each source file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError

CATALOG_NAME = "catalog.toml"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    title: str = ""
    organisation: str = ""
    date: str = ""
    url: str = ""


def load_catalog(corpus_dir: Path) -> dict[str, CatalogEntry]:
    """Return catalog entries keyed by source path (relative to the corpus), or {} when there is none."""
    path = corpus_dir / CATALOG_NAME
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix it or delete it.") from None
    entries = {}
    for source, fields in data.items():
        if not isinstance(fields, dict):
            raise ConfigError(f'{path}: entry {source!r} must be a table like ["{source}"] with title = ...')
        entries[source] = CatalogEntry(
            title=str(fields.get("title", "")),
            organisation=str(fields.get("organisation", "")),
            date=str(fields.get("date", "")),
            url=str(fields.get("url", "")),
        )
    return entries
