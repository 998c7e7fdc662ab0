"""Retrieval on the real seed corpus with the real models: fusion, filters inside the search, modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import RETRIEVAL_MODES, Settings
from assistant.retrieval.fusion import fuse, rrf, weighted_fusion
from assistant.types import Filters

DEATHS_QUERY = "how many migrant deaths were recorded in 2016"


def test_rrf_rewards_items_ranked_well_by_both_lists() -> None:
    fused = rrf([[1, 2, 3], [3, 1, 4]], k=60)
    assert [item for item, _ in fused] == [1, 3, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


def test_rrf_breaks_ties_by_item() -> None:
    assert [item for item, _ in rrf([[7, 5], [5, 7]], k=60)] == [5, 7]


def test_weighted_fusion_normalises_each_list_then_weights_it() -> None:
    keyword = [(1, 12.0), (2, 8.0), (3, 4.0)]  # BM25 scale
    dense = [(3, 0.9), (2, 0.7), (4, 0.5)]  # cosine scale
    fused = dict(weighted_fusion([keyword, dense], [0.5, 0.5]))
    assert fused[1] == pytest.approx(0.5)  # best keyword, absent from dense: scores 0 there
    assert fused[2] == pytest.approx(0.5 * 0.5 + 0.5 * 0.5)
    assert fused[3] == pytest.approx(0.5 * 0.0 + 0.5 * 1.0)
    assert fused[4] == pytest.approx(0.0)
    # Leaning on the keyword list moves its top item first.
    assert weighted_fusion([keyword, dense], [0.8, 0.2])[0][0] == 1
    assert weighted_fusion([keyword, dense], [0.2, 0.8])[0][0] == 3


def test_weighted_fusion_of_a_single_item_list() -> None:
    assert weighted_fusion([[(5, 3.0)], []], [0.6, 0.4]) == [(5, pytest.approx(0.6))]
    # A lone keyword hit is that list's best: it outranks an item of equal dense score that BM25 did not return.
    fused = weighted_fusion([[(5, 3.0)], [(5, 0.4), (6, 0.4), (7, 0.1)]], [0.5, 0.5])
    assert [item for item, _ in fused] == [5, 6, 7]


def test_fuse_follows_the_configured_fusion() -> None:
    keyword = [(1, 10.0), (2, 9.9), (3, 1.0)]
    dense = [(3, 0.9), (2, 0.89), (1, 0.1)]
    # RRF sees ranks only: 1 and 3 (first once, third once) edge out 2 (second twice).
    assert [r for r, _ in fuse(keyword, dense, Settings(fusion="rrf"))] == [1, 3, 2]
    # The weighted sum sees that 2 is a near-tie for first in both lists.
    weighted = Settings(fusion="weighted", fusion_bm25_weight=0.5)
    assert [r for r, _ in fuse(keyword, dense, weighted)][0] == 2


@pytest.mark.parametrize("mode", RETRIEVAL_MODES)
def test_each_mode_finds_the_deaths_passage_first(retriever, mode: str) -> None:  # type: ignore[no-untyped-def]
    hits = retriever.search(DEATHS_QUERY, k=5, mode=mode).hits
    assert "7,934" in hits[0].chunk.text
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("mode", RETRIEVAL_MODES)
@pytest.mark.parametrize(
    ("filters", "check"),
    [
        (Filters(organisations=frozenset({"ICMPD"})), lambda c: c.organisation == "ICMPD"),
        (Filters(years=frozenset({"2014"})), lambda c: c.year == "2014"),
        (Filters(sources=frozenset({"002_178f5eccc8992bf1.txt"})), lambda c: c.source == "002_178f5eccc8992bf1.txt"),
    ],
    ids=["org", "year", "source"],
)
def test_filters_apply_inside_the_search(retriever, mode: str, filters: Filters, check) -> None:  # type: ignore[no-untyped-def]
    # Some unfiltered top hits lie in other documents, so filtering after truncation would leave
    # fewer than k; filtering inside the search still fills k with matching chunks.
    query = "migrant smuggling and irregular migration"
    unfiltered = retriever.search(query, k=10, mode=mode).hits
    assert not all(check(h.chunk) for h in unfiltered)
    hits = retriever.search(query, k=10, mode=mode, filters=filters).hits
    assert len(hits) == 10
    assert all(check(h.chunk) for h in hits)


def test_a_filter_matching_nothing_returns_no_hits(retriever) -> None:  # type: ignore[no-untyped-def]
    assert retriever.search(DEATHS_QUERY, filters=Filters(years=frozenset({"1999"}))).hits == []


def test_timings_name_both_stages(retriever) -> None:  # type: ignore[no-untyped-def]
    reranked = retriever.search(DEATHS_QUERY, mode="hybrid+rerank").timings_ms
    assert set(reranked) >= {"retrieve", "rerank"}
    assert reranked["rerank"] > 0
    assert retriever.search(DEATHS_QUERY, mode="bm25").timings_ms["rerank"] == 0


def test_timings_stay_with_their_search(retriever) -> None:  # type: ignore[no-untyped-def]
    """A later search (another user's question) does not change what an earlier one reported."""
    first = retriever.search(DEATHS_QUERY, mode="bm25")
    retriever.search(DEATHS_QUERY, mode="hybrid+rerank")
    assert first.timings_ms["rerank"] == 0
    assert not hasattr(retriever, "last_timings_ms")


def test_langchain_adapter_returns_documents_with_citation_metadata(retriever) -> None:  # type: ignore[no-untyped-def]
    from assistant.retrieval.langchain_adapter import AssistantRetriever

    docs = AssistantRetriever(retriever=retriever, k=3, mode="hybrid").invoke(DEATHS_QUERY)
    assert len(docs) == 3
    assert "7,934" in docs[0].page_content
    assert docs[0].metadata["source"] == "000_ecf764e4fb7f4f22.txt"
    assert docs[0].metadata["rank"] == 1


BEIR = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


@pytest.mark.slow
@pytest.mark.skipif(not (BEIR / "scifact").is_dir(), reason="the BEIR SciFact folder is not here")
def test_scifact_default_mode_beats_the_published_small_models(tmp_path: Path) -> None:
    """The full SciFact test run (minutes on 2 cores the first time; the embedding cache makes it fast)."""
    from assistant.evaluation.beir import load_beir, run_benchmark

    beir = load_beir(BEIR / "scifact", "test")
    cache = Path(__file__).resolve().parents[1] / ".cache" / "beir"
    [result] = run_benchmark(beir, ["hybrid+rerank"], Settings(), cache)
    assert result.metrics.ndcg10 > 0.713  # bge-small-en-v1.5, the best published small model
