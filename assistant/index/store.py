"""The store seam: what retrieval needs from an index, and where an index's vectors live (FAISS or Milvus)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.errors import ConfigError
from assistant.types import Chunk, Filters

if TYPE_CHECKING:
    from assistant.config import Settings

# The chunk list of an index generation, written by both stores (the Milvus collection holds no text).
CHUNKS_FILE = "chunks.jsonl"
Ranked = list[tuple[int, float]]  # (row in store.chunks, score), best first


class Store(Protocol):
    """Chunks, their vectors and a keyword index; row i of every search result is `chunks[i]`.

    FaissStore keeps all of it in files of one index generation; MilvusStore keeps the vectors and the
    BM25 keywords in a Milvus collection and the chunk list in the generation.
    """

    chunks: list[Chunk]

    def __len__(self) -> int: ...

    def vectors_of(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """Return the stored vectors of `chunk_ids`, in that order."""
        ...

    def dense_search(self, query_vector: np.ndarray, k: int, filters: Filters | None = None) -> Ranked:
        """Return up to k (row, cosine) pairs, best first, among rows passing `filters` (applied inside the search)."""
        ...

    def keyword_search(self, query: str, k: int, filters: Filters | None = None) -> Ranked:
        """Return up to k (row, BM25 score > 0) pairs, best first, among rows passing `filters`."""
        ...

    def save(self, folder: Path) -> None:
        """Write what the index generation in `folder` needs to open this store again."""
        ...


@dataclass(frozen=True, slots=True)
class StoreTarget:
    """Where an index's vectors live; recorded in the manifest, so that a change of store rebuilds the index."""

    kind: str  # faiss | milvus
    uri: str = ""  # milvus: an absolute path ending in .db (Milvus Lite), or http(s)://host:port
    collection: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> StoreTarget:
        """Return the target `settings` ask for; raise ConfigError for a Milvus URI that is neither file nor URL."""
        if settings.store == "faiss":
            return cls("faiss")
        uri = settings.milvus_uri or str(settings.index_dir / "milvus.db")
        if "://" not in uri:
            # pymilvus starts Milvus Lite only for a path ending in .db; anything else it reads as a server address.
            if not uri.endswith(".db"):
                raise ConfigError(
                    f"milvus_uri {uri!r} is neither a Milvus Lite file (a path ending in .db) "
                    "nor a server address (http://HOST:19530)."
                )
            uri = str(Path(uri).expanduser().resolve())
        return cls("milvus", uri, settings.milvus_collection)

    @classmethod
    def from_json(cls, data: dict[str, str] | None) -> StoreTarget:
        # Manifests written before the Milvus store existed describe FAISS indexes.
        return cls(**data) if data else cls("faiss")

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}

    def describe(self) -> str:
        if self.kind == "faiss":
            return "FAISS files"
        return f"Milvus collection {self.collection!r} at {self.uri}"


def write_chunks(path: Path, chunks: Iterable[Chunk]) -> None:
    """Write `chunks` as JSON Lines."""
    with path.open("w", encoding="utf-8") as out:
        for chunk in chunks:
            out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")


def read_chunks(path: Path) -> list[Chunk]:
    """Return the chunks of a JSON Lines file written by `write_chunks` (by this version or an older one)."""
    with path.open(encoding="utf-8") as lines:
        return [_chunk(json.loads(line)) for line in lines]


def _chunk(data: dict[str, Any]) -> Chunk:
    # JSON has no tuples: the lists read back would leave the frozen Chunk unhashable. A field an older
    # index did not write keeps its default (no page breaks, no OCR'd pages listed).
    for name in ("page_starts", "ocr_pages"):
        if name in data:
            data[name] = tuple(data[name])
    return Chunk(**data)
