"""The corpus catalog: human metadata (title, organisation, date, URL) and access groups for each source file.

Two files: `corpus/catalog.toml`, written by people, and `corpus/uploads/catalog.toml`, written by the app for
uploaded files (the groups the uploader chose). Where both describe a file, the people's entry wins.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from assistant.accounts.roles import GROUP_NAME
from assistant.errors import ConfigError

CATALOG_NAME = "catalog.toml"
UPLOADS_CATALOG = Path("uploads") / CATALOG_NAME  # relative to the corpus folder


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    title: str = ""
    organisation: str = ""
    date: str = ""
    url: str = ""
    # Only users of one of these groups (and admins) may read the file; empty: everyone may.
    groups: tuple[str, ...] = ()


def load_catalog(corpus_dir: Path) -> dict[str, CatalogEntry]:
    """Return catalog entries keyed by source path (relative to the corpus), or {} when there is none."""
    entries = _read(corpus_dir / UPLOADS_CATALOG)
    entries.update(_read(corpus_dir / CATALOG_NAME))
    return entries


def check_groups(groups: Any, where: str) -> tuple[str, ...]:
    """Return `groups` as a sorted tuple of valid group names; raise ConfigError naming `where` otherwise."""
    if isinstance(groups, str) or not isinstance(groups, list | tuple):
        raise ConfigError(f'{where}: groups must be a list of names, like groups = ["investigators"].')
    bad = [g for g in groups if not isinstance(g, str) or not GROUP_NAME.fullmatch(g)]
    if bad:
        raise ConfigError(f"{where}: group name {bad[0]!r} is not letters, digits, _ and - (up to 64).")
    return tuple(sorted(set(groups)))


def set_upload_groups(corpus_dir: Path, source: str, groups: tuple[str, ...]) -> None:
    """Record in the uploads' catalog that `source` may be read by `groups` only (none: by everyone).

    The file is rewritten whole and renamed into place, so a reader sees the old or the new catalog.
    Callers hold the ingest lock: two uploads must not rewrite it at once.
    """
    path = corpus_dir / UPLOADS_CATALOG
    groups = check_groups(list(groups), "upload")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent / ".catalog.lock"):  # two uploads at once must not lose each other's entry
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        if groups:
            data[source] = {"groups": list(groups)}
        elif source not in data:
            return
        else:
            data.pop(source)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".catalog-", suffix=".toml")
        try:
            with os.fdopen(fd, "wb") as out:
                tomli_w.dump(data, out)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read(path: Path) -> dict[str, CatalogEntry]:
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
            groups=check_groups(fields.get("groups", []), f"{path}, entry {source!r}"),
        )
    return entries
