"""The default store: FAISS for dense vectors and bm25s for keywords, saved as plain files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import bm25s
import faiss
import numpy as np
import Stemmer

from assistant.types import Chunk, Filters

CHUNKS_FILE = "chunks.jsonl"
VECTORS_FILE = "vectors.faiss"
BM25_DIR = "bm25"

_STEMMER = Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Return BM25 tokens: lower-cased, English stop words removed, Snowball-stemmed."""
    tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False)
    return [list(t) for t in tokens]


class FaissStore:
    """Chunks with their vectors (exact inner-product FAISS index) and a BM25 index over their text.

    Row i of the FAISS index and of the BM25 index is `chunks[i]`.
    """

    def __init__(self, chunks: Sequence[Chunk], vectors: faiss.Index, bm25: bm25s.BM25 | None) -> None:
        self.chunks = list(chunks)
        self.vectors = vectors
        self.bm25 = bm25
        self._position = {c.id: i for i, c in enumerate(self.chunks)}

    @classmethod
    def build(cls, chunks: Sequence[Chunk], vectors: np.ndarray, dim: int) -> FaissStore:
        """Return a store over `chunks` and their (n, dim) normalised `vectors`."""
        index = faiss.IndexFlatIP(dim)
        if len(chunks):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(chunks, index, _build_bm25(chunks))

    def __len__(self) -> int:
        return len(self.chunks)

    def chunk(self, chunk_id: str) -> Chunk | None:
        position = self._position.get(chunk_id)
        return None if position is None else self.chunks[position]

    def vectors_of(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """Return the stored vectors of `chunk_ids`, in that order."""
        rows = [self._position[c] for c in chunk_ids]
        if not rows:
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return np.vstack([self.vectors.reconstruct(r) for r in rows])

    def allowed(self, filters: Filters | None) -> np.ndarray | None:
        """Return the row numbers that pass `filters`, or None when nothing is filtered."""
        if not filters:
            return None
        return np.array([i for i, c in enumerate(self.chunks) if filters.accepts(c)], dtype=np.int64)

    def dense_search(self, query_vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """Return up to k (row, cosine) pairs, best first, among rows passing `filters`."""
        allowed = self.allowed(filters)
        if not len(self.chunks) or (allowed is not None and not len(allowed)):
            return []
        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed is not None:
            # Filter inside the search, so k results pass the filter instead of k minus the rejected.
            # faiss's SWIG constructor takes `sel` as a keyword; its type stubs do not say so.
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))  # type: ignore[call-arg]
        k = min(k, len(self.chunks) if allowed is None else len(allowed))
        scores, rows = self.vectors.search(query, k, params=params)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def keyword_search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """Return up to k (row, BM25 score) pairs with a positive score, best first, among rows passing `filters`."""
        if self.bm25 is None or not len(self.chunks):
            return []
        tokens = tokenize([query])[0]
        if not tokens:
            return []
        scores = np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)
        allowed = self.allowed(filters)
        if allowed is not None:
            masked = np.full_like(scores, -np.inf)
            masked[allowed] = scores[allowed]
            scores = masked
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]

    def save(self, folder: Path) -> None:
        """Write the store into `folder` (which the caller makes atomic by renaming it into place)."""
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / CHUNKS_FILE).open("w", encoding="utf-8") as out:
            for chunk in self.chunks:
                out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
        faiss.write_index(self.vectors, str(folder / VECTORS_FILE))
        if self.bm25 is not None:
            self.bm25.save(str(folder / BM25_DIR))

    @classmethod
    def load(cls, folder: Path) -> FaissStore:
        """Return the store saved in `folder`. Only JSON, .npy (no pickle) and FAISS files are read."""
        chunks = []
        with (folder / CHUNKS_FILE).open(encoding="utf-8") as lines:
            for line in lines:
                chunks.append(Chunk(**json.loads(line)))
        vectors = faiss.read_index(str(folder / VECTORS_FILE))
        bm25 = None
        if (folder / BM25_DIR).is_dir():
            bm25 = bm25s.BM25.load(str(folder / BM25_DIR), allow_pickle=False)
        if vectors.ntotal != len(chunks):
            raise ValueError(f"index at {folder} is inconsistent: {vectors.ntotal} vectors for {len(chunks)} chunks")
        return cls(chunks, vectors, bm25)


def indexed_text(chunk: Chunk) -> str:
    """Return the text both retrievers index for a chunk: the title and section give it context."""
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


def _build_bm25(chunks: Sequence[Chunk]) -> bm25s.BM25 | None:
    if not chunks:
        return None
    bm25 = bm25s.BM25()
    tokens = bm25s.tokenize([indexed_text(c) for c in chunks], stopwords="en", stemmer=_STEMMER, show_progress=False)
    bm25.index(tokens, show_progress=False)
    return bm25
