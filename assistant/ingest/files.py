"""Which files an ingest reads: the supported files under its roots, their source names and content hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from assistant.ingest.catalog import CATALOG_NAME, CatalogEntry
from assistant.ingest.loaders import SUPPORTED_SUFFIXES


def collect(
    roots: Iterable[Path], corpus: Path, skipped: list[tuple[str, str]]
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Return the scanned folders and the (file, source name) pairs to ingest; add bad paths to `skipped`."""
    scanned: list[Path] = []
    files: dict[str, Path] = {}
    for root in roots:
        if not root.exists():
            skipped.append((str(root), "no such file or folder"))
            continue
        if root.is_dir():
            scanned.append(root.resolve())
            # Hidden folders (.git, .cache) are not documents; hidden files are reported below.
            candidates = sorted(
                p for p in root.rglob("*") if not any(part.startswith(".") for part in p.relative_to(root).parts[:-1])
            )
        else:
            candidates = [root]
        for path in candidates:
            if path.is_dir() or path.name == CATALOG_NAME:
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                if root.is_file():
                    skipped.append((str(path), f"unsupported file type {path.suffix or '(none)'}"))
                continue
            if path.name.startswith(".") and root.is_dir():
                skipped.append((str(path), "hidden file (name starts with '.'); rename it to index it"))
                continue
            resolved = path.resolve()
            if path.is_symlink() and root.is_dir() and not is_within(resolved, root.resolve()):
                reason = "symbolic link pointing outside the corpus; copy the file in instead"
                skipped.append((str(path), reason))
                continue
            source = source_name(resolved, corpus)
            files.setdefault(source, resolved)
    return scanned, sorted(((p, s) for s, p in files.items()), key=lambda ps: ps[1])


def source_name(path: Path, corpus: Path) -> str:
    return path.relative_to(corpus).as_posix() if is_within(path, corpus) else path.as_posix()


def source_path(source: str, corpus: Path) -> Path:
    path = Path(source)
    return path if path.is_absolute() else corpus / path


def is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def file_hash(path: Path, entry: CatalogEntry | None) -> str:
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
    # A catalog edit (a corrected title, other groups) must refresh the chunks' metadata and the manifest too.
    fields = asdict(entry) if entry else None
    if fields is not None and not fields["groups"]:
        del fields["groups"]  # entries without groups hash as they did before groups existed: no re-indexing
    digest.update(repr(fields).encode())
    return digest.hexdigest()
