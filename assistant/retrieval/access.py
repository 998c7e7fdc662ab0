"""Per-document access: which indexed sources a user may not read, from the catalogs and the index manifest.

A file's groups are those of its catalog entry when the catalogs describe it (read afresh whenever a catalog
file changes, so a restriction added there holds from the next question on), else those the manifest recorded
when it was indexed (so an index keeps its restrictions if a catalog is lost).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from assistant.accounts.roles import User, may_read
from assistant.index.generations import Manifest
from assistant.ingest.catalog import CATALOG_NAME, UPLOADS_CATALOG, CatalogEntry, load_catalog


def restricted_sources(manifest: Manifest, catalog: Mapping[str, CatalogEntry]) -> dict[str, frozenset[str]]:
    """Return the groups of every indexed source that is restricted to some."""
    restricted = {}
    for source, record in manifest.files.items():
        entry = catalog.get(source)
        groups = entry.groups if entry is not None else tuple(record.get("groups", ()))
        if groups:
            restricted[source] = frozenset(groups)
    return restricted


def hidden_from(user: User, restricted: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """Return the sources `user` may not read."""
    return frozenset(source for source, groups in restricted.items() if not may_read(user, groups))


class AccessMap:
    """The restricted sources of an index, recomputed when the index or a catalog file changes.

    Checking costs two stat calls per question; an invalid catalog raises ConfigError, so nothing is
    answered from an index whose restrictions cannot be read (it fails closed).
    """

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = corpus_dir
        self._lock = threading.Lock()
        self._manifest: Manifest | None = None
        self._stamps: tuple[object, ...] = ()
        self._restricted: dict[str, frozenset[str]] = {}

    def restricted(self, manifest: Manifest) -> dict[str, frozenset[str]]:
        stamps = tuple(_stamp(self.corpus_dir / name) for name in (CATALOG_NAME, UPLOADS_CATALOG))
        with self._lock:
            if manifest is not self._manifest or stamps != self._stamps:
                self._restricted = restricted_sources(manifest, load_catalog(self.corpus_dir))
                self._manifest, self._stamps = manifest, stamps
            return self._restricted

    def hidden(self, manifest: Manifest, user: User) -> frozenset[str]:
        """Return the sources of the index of `manifest` that `user` may not read."""
        return hidden_from(user, self.restricted(manifest))


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
