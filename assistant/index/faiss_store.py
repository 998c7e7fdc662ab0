"""The default store: FAISS for dense vectors and bm25s for keywords, saved as plain files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import faiss
import numpy as np

from assistant.config import Settings
from assistant.index.keywords import STEMMER, indexed_text, tokenize
from assistant.index.store import CHUNKS_FILE, Ranked, read_chunks, write_chunks
from assistant.types import Chunk, Filters

VECTORS_FILE = "vectors.faiss"
BM25_DIR = "bm25"

# The approximate index (eval/benchmarks/scale.md, measured with bench/ann_sweep.py on 1M synthetic chunks):
# HNSW, M=32, efConstruction 80, efSearch 128 finds recall@10 0.983 of the exact top 10 in 0.5 ms (faiss's
# default efConstruction 40 builds in 162 s instead of 249 s but reaches only 0.907; on 79k real MiniLM
# vectors: 0.994).
# IVF-Flat needed to probe 6% of its lists for 0.95 on the real vectors. A filtered search widens the beam
# (recall@10 >= 0.968 with 5% of the rows allowed); below 5%, HNSW's walk meets too few allowed rows
# (0.84 at 2%), so those rows are scanned exactly instead (10-15 ms at 1M x 384).
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
HNSW_EF_SEARCH_FILTERED = 512
EXACT_FILTER_SHARE = 0.05


def dense_index(vectors: np.ndarray, dim: int, approximate_above: int) -> faiss.Index:
    """Return an inner-product index over `vectors`: exact (flat) up to `approximate_above` rows, HNSW above."""
    index: faiss.Index
    if len(vectors) > approximate_above:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def search_one_thread(
    index: faiss.Index, query: np.ndarray, k: int, params: faiss.SearchParameters | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return (scores, rows) of `index.search`, run on one OpenMP thread.

    faiss opens a parallel region even for one query; on our 2 busy cores handing it to a second thread
    cost ~16 ms per search, against 0.25 ms for 10k vectors on one thread (docs/retrieval.md, "Scale").
    omp_set_num_threads applies to the calling thread only, so a build in another thread keeps both cores.
    """
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return index.search(query, k, params=params)
    finally:
        faiss.omp_set_num_threads(before)


@dataclass(frozen=True, slots=True)
class _Column:
    """One filterable field of every row, as small integer codes, so a filter is a vectorised comparison."""

    codes: np.ndarray
    vocabulary: dict[str, int]

    @classmethod
    def of(cls, values: Iterable[str]) -> _Column:
        vocabulary: dict[str, int] = {}
        codes = np.fromiter((vocabulary.setdefault(v, len(vocabulary)) for v in values), dtype=np.int32)
        return cls(codes, vocabulary)

    def isin(self, wanted: frozenset[str]) -> np.ndarray:
        return np.isin(self.codes, [self.vocabulary[v] for v in wanted if v in self.vocabulary])


class FaissStore:
    """Chunks with their vectors (a FAISS inner-product index: exact, or HNSW when large) and a BM25 index.

    Row i of the FAISS index and of the BM25 index is `chunks[i]`.
    """

    def __init__(self, chunks: Sequence[Chunk], vectors: faiss.Index, bm25: bm25s.BM25 | None) -> None:
        self.chunks = list(chunks)
        self.vectors = vectors
        self.bm25 = bm25
        self._position = {c.id: i for i, c in enumerate(self.chunks)}
        # What Filters.accepts tests, per row: a filter over a million chunks is then milliseconds, not seconds.
        self._sources = _Column.of(c.source for c in self.chunks)
        self._organisations = _Column.of(c.organisation for c in self.chunks)
        self._years = _Column.of(c.year for c in self.chunks)

    @classmethod
    def build(
        cls,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        dim: int,
        approximate_above: int = Settings.approximate_above,
    ) -> FaissStore:
        """Return a store over `chunks` and their (n, dim) normalised `vectors`; approximate above the threshold."""
        index = dense_index(vectors if len(chunks) else np.zeros((0, dim), np.float32), dim, approximate_above)
        return cls(chunks, index, _build_bm25(chunks))

    def __len__(self) -> int:
        return len(self.chunks)

    def vectors_of(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """Return the stored vectors of `chunk_ids`, in that order."""
        rows = np.array([self._position[c] for c in chunk_ids], dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return self.vectors.reconstruct_batch(rows)

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Return a boolean array, True for the rows that pass `filters`, or None when nothing is filtered."""
        if not filters:
            return None
        passed = np.ones(len(self.chunks), dtype=bool)
        for wanted, column in (
            (filters.sources, self._sources),
            (filters.organisations, self._organisations),
            (filters.years, self._years),
        ):
            if wanted:
                passed &= column.isin(wanted)
        if filters.hidden:
            passed &= ~self._sources.isin(filters.hidden)
        return passed

    def allowed(self, filters: Filters | None) -> np.ndarray | None:
        """Return the row numbers that pass `filters`, ascending, or None when nothing is filtered."""
        passed = self.mask(filters)
        return None if passed is None else np.flatnonzero(passed)

    def dense_search(self, query_vector: np.ndarray, k: int, filters: Filters | None = None) -> Ranked:
        """Return up to k (row, cosine) pairs, best first, among rows passing `filters`."""
        passed = self.mask(filters)
        allowed = len(self.chunks) if passed is None else int(np.count_nonzero(passed))
        if not allowed:
            return []
        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        k = min(k, allowed)
        index, params = self._search_plan(passed, allowed, k)
        scores, rows = search_one_thread(index, query, k, params)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def _search_plan(
        self, passed: np.ndarray | None, allowed: int, k: int
    ) -> tuple[faiss.Index, faiss.SearchParameters | None]:
        """Return the index to search and its parameters, the filter applied inside the search.

        Filtering inside the search returns k rows that pass, instead of k minus the rejected. faiss's SWIG
        constructors take their fields as keywords; its type stubs do not say so.
        """
        bitmap = None if passed is None else np.packbits(passed, bitorder="little")
        sel = None if bitmap is None else faiss.IDSelectorBitmap(bitmap)  # type: ignore[call-arg, arg-type]
        if not isinstance(self.vectors, faiss.IndexHNSW):
            return self.vectors, None if sel is None else faiss.SearchParameters(sel=sel)  # type: ignore[call-arg]
        if sel is None:
            return self.vectors, faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))  # type: ignore[attr-defined]
        if allowed < EXACT_FILTER_SHARE * len(self.chunks):
            flat = faiss.downcast_index(self.vectors.storage)  # the exact vectors inside the HNSW index
            return flat, faiss.SearchParameters(sel=sel)  # type: ignore[call-arg]
        ef = max(HNSW_EF_SEARCH_FILTERED, k)
        return self.vectors, faiss.SearchParametersHNSW(sel=sel, efSearch=ef)  # type: ignore[attr-defined]

    def keyword_search(self, query: str, k: int, filters: Filters | None = None) -> Ranked:
        """Return up to k (row, BM25 score) pairs with a positive score, best first, among rows passing `filters`."""
        if self.bm25 is None or not len(self.chunks):
            return []
        tokens = tokenize([query])[0]
        if not tokens:
            return []
        scores = np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)
        passed = self.mask(filters)
        rows = np.flatnonzero(scores > 0 if passed is None else (scores > 0) & passed)
        if len(rows) > k:
            # The k best, ties at the cut going to the lower row, as everywhere in ranking.
            kth = np.partition(scores[rows], len(rows) - k)[len(rows) - k]
            above, tied = rows[scores[rows] > kth], rows[scores[rows] == kth]
            rows = np.concatenate([above, tied[: k - len(above)]])
        rows = rows[np.lexsort((rows, -scores[rows]))]
        return [(int(r), float(scores[r])) for r in rows]

    def save(self, folder: Path) -> None:
        """Write the store into `folder` (which the caller makes atomic by renaming it into place)."""
        folder.mkdir(parents=True, exist_ok=True)
        write_chunks(folder / CHUNKS_FILE, self.chunks)
        faiss.write_index(self.vectors, str(folder / VECTORS_FILE))
        if self.bm25 is not None:
            self.bm25.save(str(folder / BM25_DIR))

    @classmethod
    def load(cls, folder: Path) -> FaissStore:
        """Return the store saved in `folder`. Only JSON, .npy (no pickle) and FAISS files are read."""
        chunks = read_chunks(folder / CHUNKS_FILE)
        vectors = faiss.read_index(str(folder / VECTORS_FILE))
        bm25 = None
        if (folder / BM25_DIR).is_dir():
            bm25 = bm25s.BM25.load(str(folder / BM25_DIR), allow_pickle=False)
        if vectors.ntotal != len(chunks):
            raise ValueError(f"index at {folder} is inconsistent: {vectors.ntotal} vectors for {len(chunks)} chunks")
        return cls(chunks, vectors, bm25)


def _build_bm25(chunks: Sequence[Chunk]) -> bm25s.BM25 | None:
    if not chunks:
        return None
    bm25 = bm25s.BM25()
    tokens = bm25s.tokenize([indexed_text(c) for c in chunks], stopwords="en", stemmer=STEMMER, show_progress=False)
    bm25.index(tokens, show_progress=False)
    return bm25
