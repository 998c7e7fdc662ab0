"""Write an ingest's changes into a Milvus collection, then publish the index generation that describes them.

A FAISS update writes a whole new generation and switches to it atomically. A Milvus collection is
changed in place (delete the stale documents, insert the new chunks), and only then is the generation
(manifest and chunk list) published. Between the two, a crash would leave a collection the manifest
does not describe; so the documents about to be touched are recorded first (`PendingWrite`), and the
next ingest deletes them again and re-ingests their files. Deleting by document id and inserting
afresh makes that repetition harmless.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import IndexDamagedError
from assistant.index.generations import Index, Manifest, publish
from assistant.index.milvus_store import MilvusStore
from assistant.index.store import StoreTarget
from assistant.types import Chunk

PENDING_FILE = ".milvus-pending.json"


@dataclass(frozen=True, slots=True)
class PendingWrite:
    """The files and documents an update of a collection is about to delete or insert."""

    target: StoreTarget | None  # None: the record was unreadable, so the collection must be rebuilt
    sources: frozenset[str]
    doc_ids: frozenset[str]


def publish_update(
    index_dir: Path,
    manifest: Manifest,
    base: Index | None,
    kept: Sequence[Chunk],
    kept_vectors: np.ndarray | None,
    new: Sequence[Chunk],
    new_vectors: np.ndarray,
    interrupted: PendingWrite | None,
    token: str = "",
) -> tuple[MilvusStore, str]:
    """Bring the collection of `manifest.store` to `kept` + `new` chunks and publish; return the store and generation.

    When `base` lives in the same collection, only the difference is written and `kept_vectors` is not
    needed; otherwise (first build, rebuild, or a switch from another store) the collection is created
    afresh from `kept_vectors` (the vectors of `kept`) and `new_vectors`.
    """
    target = manifest.store
    if base is not None and base.manifest.store == target and isinstance(base.store, MilvusStore):
        store = base.store
        stale = {c.doc_id for c in store.chunks} - {c.doc_id for c in kept}
        sources = {c.source for c in store.chunks if c.doc_id in stale} | {c.source for c in new}
        if interrupted is not None:
            stale |= interrupted.doc_ids
            sources |= interrupted.sources
        mark_pending(index_dir, PendingWrite(target, frozenset(sources), frozenset(stale | {c.doc_id for c in new})))
        store.delete(stale)
        store.add(new, new_vectors)
    else:
        # Nothing needs recording: until the new generation is published, the manifest describes another
        # store, settings or no index at all, so the next ingest would create the collection afresh again.
        if kept_vectors is None:
            raise ValueError("kept_vectors are needed to fill a new collection")
        store = MilvusStore.create(target, manifest.dim, token)
        store.add(kept, kept_vectors)
        store.add(new, new_vectors)
    store.flush()
    held = store.count()
    if held != len(store.chunks):
        raise IndexDamagedError(
            f"The {target.describe()} holds {held} chunks where the index has {len(store.chunks)}: something else "
            f"writes to it. Give each index its own milvus_collection, or delete {index_dir}/ and ingest again."
        )
    return store, publish(index_dir, store, manifest)


def mark_pending(index_dir: Path, pending: PendingWrite) -> None:
    """Record `pending` durably (temp file, fsync, rename) before the collection is touched."""
    data = {
        "target": pending.target.to_json() if pending.target else None,
        "sources": sorted(pending.sources),
        "doc_ids": sorted(pending.doc_ids),
    }
    temp = index_dir / f"{PENDING_FILE}.tmp"  # one writer at a time holds the index lock
    with temp.open("w", encoding="utf-8") as out:
        out.write(json.dumps(data, ensure_ascii=False))
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, index_dir / PENDING_FILE)


def read_pending(index_dir: Path) -> PendingWrite | None:
    """Return the record of a collection update that did not finish, or None."""
    try:
        data = json.loads((index_dir / PENDING_FILE).read_text(encoding="utf-8"))
        return PendingWrite(StoreTarget(**data["target"]), frozenset(data["sources"]), frozenset(data["doc_ids"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # An unreadable record cannot say what was touched; the caller rebuilds the collection.
        return PendingWrite(None, frozenset(), frozenset())


def clear_pending(index_dir: Path) -> None:
    """Forget the record once a generation describing the collection is published."""
    (index_dir / PENDING_FILE).unlink(missing_ok=True)
