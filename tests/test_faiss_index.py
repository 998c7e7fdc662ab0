"""The FAISS store's choice of index: exact when small, HNSW when large, with filters and saving intact."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from assistant.config import load_settings
from assistant.index.faiss_store import EXACT_FILTER_SHARE, FaissStore
from assistant.types import Chunk, Filters

DIM = 32
ORGS = ("IOM", "ICMPD", "UNODC", "Frontex")
WORDS = ["border", "smuggling", "visa", "asylum", "route", "police", "data", "report", "migrants", "court"]


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Return n normalised vectors around 20 cluster centres: neighbours are well defined, as in real data."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, DIM))
    vectors = (centres[rng.integers(0, 20, n)] + 0.5 * rng.standard_normal((n, DIM))).astype(np.float32)
    faiss.normalize_L2(vectors)
    return vectors


def corpus(n: int) -> list[Chunk]:
    """Return n chunks, ten per document, documents spread over four organisations and five years."""
    rng = np.random.default_rng(1)
    return [
        Chunk(
            id=f"c{i}",
            doc_id=f"d{i // 10}",
            text=" ".join(rng.choice(WORDS, 12)),
            start=0,
            end=1,
            source=f"doc-{i // 10}.pdf",
            organisation=ORGS[(i // 10) % len(ORGS)],
            date=f"{2015 + (i // 10) % 5}-01-01",
        )
        for i in range(n)
    ]


def near(vectors: np.ndarray, rows: np.ndarray, seed: int = 2) -> np.ndarray:
    """Return queries close to (not equal to) the given rows' vectors."""
    rng = np.random.default_rng(seed)
    queries = (vectors[rows] + 0.2 * rng.standard_normal((len(rows), DIM))).astype(np.float32)
    faiss.normalize_L2(queries)
    return queries


def exact_top(vectors: np.ndarray, query: np.ndarray, allowed: np.ndarray | None = None) -> int:
    scores = vectors @ query
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    return int(np.argmax(scores))


@pytest.fixture(scope="module")
def large() -> tuple[FaissStore, np.ndarray]:
    vectors = clustered(3000)
    return FaissStore.build(corpus(3000), vectors, DIM, approximate_above=1000), vectors


def index_type(n: int, approximate_above: int) -> type:
    return type(FaissStore.build(corpus(n), clustered(n), DIM, approximate_above=approximate_above).vectors)


def test_small_stores_are_exact_and_large_ones_approximate() -> None:
    assert index_type(1000, approximate_above=1000) is faiss.IndexFlatIP
    assert index_type(1001, approximate_above=1000) is faiss.IndexHNSWFlat
    assert index_type(0, approximate_above=0) is faiss.IndexFlatIP


def test_the_threshold_is_a_setting() -> None:
    settings = load_settings(Path("/nonexistent.toml"), environ={"ASSISTANT_APPROXIMATE_ABOVE": "5000"})
    assert settings.approximate_above == 5000


def test_approximate_search_finds_the_exact_top_hit(large: tuple[FaissStore, np.ndarray]) -> None:
    store, vectors = large
    rows = np.arange(0, 3000, 150)
    for query in near(vectors, rows):
        hits = store.dense_search(query, 10)
        assert len(hits) == 10
        assert hits[0][0] == exact_top(vectors, query)
        assert hits[0][1] == pytest.approx(float(vectors[hits[0][0]] @ query), abs=1e-5)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(organisations=frozenset({"ICMPD"})),  # a quarter of the rows: HNSW with the filter inside
        Filters(sources=frozenset({"doc-7.pdf", "doc-123.pdf"})),  # 20 rows: scanned exactly
        Filters(organisations=frozenset({"IOM"}), years=frozenset({"2016", "2019"})),
    ],
)
def test_filtered_approximate_search_returns_the_best_allowed_rows(
    large: tuple[FaissStore, np.ndarray], filters: Filters
) -> None:
    store, vectors = large
    allowed = np.array([filters.accepts(c) for c in store.chunks])
    for query in near(vectors, np.arange(5, 3000, 300)):
        hits = store.dense_search(query, 10)
        filtered = store.dense_search(query, 10, filters)
        assert len(filtered) == min(10, allowed.sum())
        assert all(filters.accepts(store.chunks[row]) for row, _ in filtered)
        assert filtered[0][0] == exact_top(vectors, query, allowed)
        assert [r for r, _ in filtered] != [r for r, _ in hits]  # the filter did change the result


def test_both_filtered_paths_are_exercised(large: tuple[FaissStore, np.ndarray]) -> None:
    # The parametrised test above covers the HNSW path and the exact-scan path only if these shares hold.
    store, _ = large
    assert np.mean([c.organisation == "ICMPD" for c in store.chunks]) >= EXACT_FILTER_SHARE
    assert 20 / len(store) < EXACT_FILTER_SHARE


def test_filter_mask_matches_filters_accepts(large: tuple[FaissStore, np.ndarray]) -> None:
    store, _ = large
    for filters in [
        Filters(sources=frozenset({"doc-3.pdf", "no-such.pdf"})),
        Filters(organisations=frozenset({"UNODC", "Frontex"}), years=frozenset({"2017"})),
        Filters(years=frozenset({"1999"})),
    ]:
        expected = [i for i, c in enumerate(store.chunks) if filters.accepts(c)]
        assert store.allowed(filters) is not None
        assert list(store.allowed(filters)) == expected  # type: ignore[arg-type]
    assert store.dense_search(clustered(1)[0], 10, Filters(years=frozenset({"1999"}))) == []
    assert store.keyword_search("border police", 10, Filters(years=frozenset({"1999"}))) == []


def test_keyword_search_filters_and_breaks_ties_by_row(large: tuple[FaissStore, np.ndarray]) -> None:
    store, _ = large
    filters = Filters(organisations=frozenset({"UNODC"}))
    hits = store.keyword_search("court visa", 20, filters)
    assert len(hits) == 20
    assert all(store.chunks[row].organisation == "UNODC" for row, _ in hits)
    assert all((-s1, r1) < (-s2, r2) for (r1, s1), (r2, s2) in zip(hits, hits[1:], strict=False)), (
        "best first, equal scores by row"
    )


def test_saved_store_loads_with_its_index_and_results(large: tuple[FaissStore, np.ndarray], tmp_path: Path) -> None:
    store, vectors = large
    store.save(tmp_path / "gen")
    loaded = FaissStore.load(tmp_path / "gen")
    assert isinstance(loaded.vectors, faiss.IndexHNSWFlat)
    filters = Filters(organisations=frozenset({"IOM"}))
    for query in near(vectors, np.arange(7, 3000, 400)):
        assert loaded.dense_search(query, 10) == store.dense_search(query, 10)
        assert loaded.dense_search(query, 10, filters) == store.dense_search(query, 10, filters)
    assert loaded.keyword_search("visa route", 10) == store.keyword_search("visa route", 10)
    ids = [store.chunks[r].id for r in (2999, 0, 1234)]
    assert np.array_equal(loaded.vectors_of(ids), vectors[[2999, 0, 1234]])
