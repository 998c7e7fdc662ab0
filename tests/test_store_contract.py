"""The store seam's contract, run against both stores (FAISS files, Milvus Lite): one body, two backends.

Each store gets the same three seed documents through the real ingest; the Milvus index is made by
switching the store of a copy of the FAISS index, so nothing is embedded twice.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings, load_settings
from assistant.index.generations import current_generation, load_index
from assistant.index.store import Store, StoreTarget
from assistant.ingest.update import ingest
from assistant.retrieval.retrieve import Retriever
from assistant.types import Filters
from tests.conftest import CORPUS

# The Milvus variant runs Milvus Lite: an integration test, outside the fast tier.
STORES = ("faiss", pytest.param("milvus", marks=pytest.mark.integration))
KYIV_REPORT = "000_ecf764e4fb7f4f22.txt"  # Eastern Partnership Panel, 2017
KYIV_NOTE = "001_1508a6a040a38520.txt"  # IOM, 2017
ATHENS = "004_d30333b4f892d254.txt"  # IOM, 2014: the Western Balkans workshop
BALKANS = "irregular migration through the Western Balkans workshop in Athens"


def copy_index(source: Settings, root: Path, store: str) -> Settings:
    """Return settings for a copy of `source`'s corpus and index in `root`, moved into `store`."""
    shutil.copytree(source.corpus_dir, root / "corpus")
    shutil.copytree(source.index_dir, root / "index", ignore=shutil.ignore_patterns(".lock", "*.db"))
    settings = source.replace(corpus_dir=root / "corpus", index_dir=root / "index", store=store)
    report = ingest(settings)
    assert report.store_changed == (store != source.store) and not (report.added or report.updated)
    return settings


@pytest.fixture(scope="module")
def faiss_built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("contract-faiss")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in (KYIV_REPORT, KYIV_NOTE, ATHENS, "catalog.toml"):
        shutil.copy(CORPUS / name, corpus / name)
    settings = load_settings(Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=root / "index")
    assert not ingest(settings).skipped
    return settings


@pytest.fixture(scope="module")
def built(faiss_built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Settings]:
    """Return the settings of the same three documents indexed in a store (Milvus copied on first use)."""
    stores = {"faiss": faiss_built}

    def get(kind: str) -> Settings:
        if kind not in stores:
            stores[kind] = copy_index(faiss_built, tmp_path_factory.mktemp(f"contract-{kind}"), kind)
        return stores[kind]

    return get


def store_of(settings: Settings) -> Store:
    return load_index(settings.index_dir, StoreTarget.from_settings(settings)).store


@pytest.mark.parametrize("kind", STORES)
def test_the_index_lives_in_the_configured_store(built: Callable[[str], Settings], kind: str) -> None:
    index = load_index(built(kind).index_dir, StoreTarget.from_settings(built(kind)))
    assert index.manifest.store.kind == kind
    assert type(index.store).__name__ == {"faiss": "FaissStore", "milvus": "MilvusStore"}[kind]
    assert {c.source for c in index.store.chunks} == {KYIV_REPORT, KYIV_NOTE, ATHENS}


@pytest.mark.integration
def test_both_stores_rank_alike_in_every_mode(built: Callable[[str], Settings]) -> None:
    faiss = Retriever.from_settings(built("faiss"))
    milvus = Retriever.from_settings(built("milvus"))
    questions = ["Who co-hosted the Kyiv expert meeting?", BALKANS, "visa liberalisation and document fraud"]
    for question in questions:
        for mode in ("bm25", "dense", "hybrid", "hybrid+rerank"):
            a = faiss.search(question, k=10, mode=mode).hits
            b = milvus.search(question, k=10, mode=mode).hits
            assert [h.chunk.id for h in a] == [h.chunk.id for h in b], (question, mode)
            assert np.allclose([h.score for h in a], [h.score for h in b], atol=1e-4), (question, mode)
            for x, y in zip(a, b, strict=True):
                assert x.scores.keys() == y.scores.keys()
                assert np.allclose(list(x.scores.values()), list(y.scores.values()), atol=1e-4), (question, mode)


@pytest.mark.parametrize("kind", STORES)
@pytest.mark.parametrize(
    "filters",
    [
        Filters(sources=frozenset({KYIV_REPORT})),
        Filters(years=frozenset({"2017"})),
        Filters(organisations=frozenset({"Eastern Partnership Panel on Migration and Asylum"})),
        Filters(organisations=frozenset({"IOM"}), years=frozenset({"2017"})),
        Filters(hidden=frozenset({ATHENS})),  # the access filter: a document the asker may not read
        Filters(years=frozenset({"2017"}), hidden=frozenset({ATHENS, KYIV_NOTE})),
    ],
)
def test_filters_apply_inside_the_search(built: Callable[[str], Settings], kind: str, filters: Filters) -> None:
    """k hits that pass the filter come back, although the unfiltered top k all fail it."""
    store = store_of(built(kind))
    retriever = Retriever.from_settings(built(kind))
    query_vector = retriever.embedder.embed_query(BALKANS)
    k = 3
    for search, query in ((store.dense_search, query_vector), (store.keyword_search, BALKANS)):
        unfiltered = search(query, k)  # type: ignore[operator]
        assert all(store.chunks[row].source == ATHENS for row, _ in unfiltered)  # the filter rejects them all
        everything = search(query, len(store))  # type: ignore[operator]
        expected = [(row, score) for row, score in everything if filters.accepts(store.chunks[row])][:k]
        found = search(query, k, filters)  # type: ignore[operator]
        assert len(found) == len(expected) == k
        assert all(filters.accepts(store.chunks[row]) for row, _ in found)
        assert np.allclose([s for _, s in found], [s for _, s in expected], atol=1e-5)


@pytest.mark.parametrize("kind", STORES)
def test_incremental_ingest_leaves_no_stale_chunk(
    faiss_built: Settings, tmp_path: Path, embedder_dim: int, kind: str
) -> None:
    settings = copy_index(faiss_built, tmp_path, kind)
    before = store_of(settings)
    old_report_ids = {c.doc_id for c in before.chunks if c.source == KYIV_REPORT}
    kyiv_note_ids = {c.id for c in before.chunks if c.source == KYIV_NOTE}
    generation = current_generation(settings.index_dir)

    assert not ingest(settings).changed  # nothing changed: nothing rewritten
    assert current_generation(settings.index_dir) == generation

    corpus = settings.corpus_dir
    report_file = corpus / KYIV_REPORT
    report_file.write_text(
        report_file.read_text(encoding="utf-8") + "\nThe panel met again in Tbilisi, where twelve delegations agreed "
        "on a joint courier protocol.\n",
        encoding="utf-8",
    )
    (corpus / ATHENS).unlink()
    (corpus / "lagos.md").write_text(
        "# Lagos round table\n\nThe Lagos round table trained forty customs officers in container inspection.\n",
        encoding="utf-8",
    )
    report = ingest(settings)
    assert (report.updated, report.added, report.removed) == ([KYIV_REPORT], ["lagos.md"], [ATHENS])

    index = load_index(settings.index_dir, StoreTarget.from_settings(settings))
    store = index.store
    assert {c.source for c in store.chunks} == {KYIV_REPORT, KYIV_NOTE, "lagos.md"} == set(index.manifest.files)
    assert {c.id for c in store.chunks if c.source == KYIV_NOTE} == kyiv_note_ids  # untouched
    assert not old_report_ids & {c.doc_id for c in store.chunks}  # the changed file's old chunks are gone
    assert store.vectors_of([c.id for c in store.chunks]).shape == (len(store.chunks), embedder_dim)

    embedder = Retriever.from_settings(settings).embedder
    for query in (BALKANS, "Western Balkans smuggling routes Athens June 2014"):
        for search, q in ((store.dense_search, embedder.embed_query(query)), (store.keyword_search, query)):
            assert all(store.chunks[row].source != ATHENS for row, _ in search(q, len(store)))  # type: ignore[operator]
    top = store.keyword_search("Tbilisi twelve delegations courier protocol", 1)
    assert "twelve delegations" in store.chunks[top[0][0]].text
    top = store.dense_search(embedder.embed_query("customs officers trained in Lagos"), 1)
    assert store.chunks[top[0][0]].source == "lagos.md"


@pytest.fixture(scope="module")
def embedder_dim(faiss_built: Settings) -> int:
    return load_index(faiss_built.index_dir).manifest.dim
