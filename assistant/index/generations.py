"""The persisted index: generations of store files under index/, published atomically via CURRENT."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import IndexDamagedError, IndexMissingError
from assistant.index.store import Store, StoreTarget

CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 1


@dataclass
class Manifest:
    """What shaped an index (embedder, chunking) and which files, with which hashes, it holds."""

    embedder: str
    dim: int
    chunking: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # source -> {sha256, documents: [...]}
    created: str = ""
    store: StoreTarget = field(default_factory=lambda: StoreTarget("faiss"))  # where the vectors live

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "embedder": self.embedder,
                "dim": self.dim,
                "chunking": self.chunking,
                "created": self.created,
                "store": self.store.to_json(),
                "files": self.files,
            },
            indent=1,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"unknown manifest format {data.get('format')!r}")
        return cls(
            embedder=data["embedder"],
            dim=int(data["dim"]),
            chunking=dict(data["chunking"]),
            files=dict(data["files"]),
            created=data.get("created", ""),
            store=StoreTarget.from_json(data.get("store")),
        )

    def documents(self) -> list[dict[str, Any]]:
        """Return one record per indexed document (title, organisation, date, url, kind, pages, chunks, source)."""
        return [dict(doc, source=source) for source, entry in self.files.items() for doc in entry["documents"]]


@dataclass
class Index:
    """A loaded index generation: its manifest and store."""

    folder: Path
    generation: str
    manifest: Manifest
    store: Store


def current_generation(index_dir: Path) -> str | None:
    """Return the name of the published generation, or None if there is none."""
    try:
        name = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    # CURRENT names a folder inside index_dir, nothing else; refuse anything that would escape it.
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    return name if (index_dir / name).is_dir() else None


def load_index(index_dir: Path, expected: StoreTarget | None = None, token: str = "") -> Index:
    """Return the published index in `index_dir`; raise IndexMissingError if none is there.

    With `expected`, the index must live in that store (else IndexMissingError: ingest builds it there);
    without, it is opened wherever its manifest says. `token` is the Milvus server's, if it needs one.
    """
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexMissingError(f"No index in {index_dir}/. Build it first: assistant ingest")
    folder = index_dir / generation
    try:
        manifest = Manifest.from_json((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        if expected is not None and manifest.store != expected:
            raise IndexMissingError(
                f"The index in {index_dir}/ lives in {manifest.store.describe()}, but the settings name "
                f"{expected.describe()}; build it there: assistant ingest --store {expected.kind}"
            )
        store = open_store(folder, manifest.store, manifest.dim, token)
    except (OSError, ValueError, RuntimeError, TypeError, KeyError, UnicodeDecodeError) as exc:
        # faiss, numpy and json each fail differently on a truncated or replaced file.
        reason = " ".join(str(exc).split())[:120]
        raise IndexDamagedError(
            f"The index in {folder} is damaged ({type(exc).__name__}: {reason}); rebuild it: assistant ingest"
        ) from None
    return Index(folder=folder, generation=generation, manifest=manifest, store=store)


def open_store(folder: Path, target: StoreTarget, dim: int, token: str = "") -> Store:
    """Return the store of the index generation in `folder`, whose manifest names `target` and dimension `dim`."""
    if target.kind == "milvus":
        from assistant.index.milvus_store import MilvusStore  # pymilvus is optional and slow to import

        return MilvusStore.load(folder, target, dim, token)
    from assistant.index.faiss_store import FaissStore

    return FaissStore.load(folder)


def read_manifest(index_dir: Path) -> Manifest | None:
    """Return the published manifest, or None when there is no (readable) index."""
    generation = current_generation(index_dir)
    if generation is None:
        return None
    try:
        return Manifest.from_json((index_dir / generation / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return None


def publish(index_dir: Path, store: Store, manifest: Manifest) -> str:
    """Write a new generation and switch CURRENT to it atomically; return its name.

    A crash at any point leaves CURRENT naming either the old or the new complete generation.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    staging = index_dir / f".staging-{name}"
    store.save(staging)
    (staging / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
    _fsync_tree(staging)
    staging.rename(index_dir / name)
    pointer = index_dir / f".{CURRENT_FILE}.{name}.tmp"
    with pointer.open("w", encoding="utf-8") as out:
        out.write(name + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(pointer, index_dir / CURRENT_FILE)
    _fsync_dir(index_dir)
    remove_stale(index_dir)
    return name


def remove_stale(index_dir: Path) -> None:
    """Delete generations and staging folders that CURRENT does not name (left by earlier runs or crashes)."""
    keep = current_generation(index_dir)
    for entry in index_dir.iterdir():
        stale_generation = entry.name.startswith("gen-") and entry.name != keep
        if entry.is_dir() and (stale_generation or entry.name.startswith(".staging-")):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f".{CURRENT_FILE}.") and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)


@contextlib.contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock so that one writer at a time (CLI or app) updates the index."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def index_size_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    for sub in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        _fsync_dir(sub)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
