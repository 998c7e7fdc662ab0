"""Metric functions on small hand-made result rows: quote matching, key facts, citations, abstention."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.evaluation.evalset import EvalItem, Evidence
from assistant.evaluation.metrics import (
    aggregate,
    compute_metrics,
    facts_found,
    holds_quote,
    judge,
    normalise,
    percentile,
)

QUOTE = (
    "According to IOM, in 2016 alone 7,934 migrant deaths were recorded worldwide, "
    "more than half of them while being smuggled."
)


def item(qid: str = "q1", *, answerable: bool = True, type_: str = "factoid", **kw: Any) -> EvalItem:
    if not answerable:
        return EvalItem(id=qid, question=f"question {qid}?", answerable=False, type="unanswerable")
    return EvalItem(
        id=qid,
        question=f"question {qid}?",
        answerable=True,
        type=type_,
        answer="More than half.",
        must_include=kw.get("must_include", (("more than half",),)),
        evidence=kw.get("evidence", (Evidence("a.txt", QUOTE),)),
    )


def row(
    qid: str = "q1",
    *,
    answer: str = "",
    abstained: bool = False,
    retrieved: tuple[str, ...] = (),
    cited: tuple[str, ...] = (),
    supports: tuple[str, ...] = (),
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    return {
        "id": qid,
        "question": f"question {qid}?",
        "answer": answer,
        "abstained": abstained,
        "statements": [{"text": answer, "citations": [1], "support": s} for s in supports],
        "citations": [{"n": n, "source": "a.txt", "text": t, "quote": t[:20]} for n, t in enumerate(cited, 1)],
        "retrieved": [{"source": "a.txt", "page": None, "text": t, "score": 1.0} for t in retrieved],
        "timings_ms": timings or {"retrieve": 10.0, "total": 20.0},
    }


# ----------------------------------------------------------------------------- quote matching


def test_normalise_folds_case_quotes_dashes_and_whitespace() -> None:
    assert normalise("  The \u201cEU\u2013Turkey\u201d\n\tStatement\u2019s  ") == 'the "eu-turkey" statement\'s'
    assert normalise("no\u00a0break") == "no break"


def test_quote_matches_despite_curly_quotes_case_and_line_breaks() -> None:
    quote = "Participants watched \u201cBecky\u2019s Journey\u201d, directed by Dr. Sine Plambech"
    passage = 'Then PARTICIPANTS watched "Becky\'s\n   Journey", directed by Dr. Sine Plambech from DIIS.'
    assert holds_quote(passage, quote)
    assert not holds_quote("Participants watched another film entirely.", quote)


def test_quote_cut_by_a_chunk_boundary_still_counts() -> None:
    cut = len(QUOTE) * 2 // 3
    chunk_a = "Earlier sentences of the first chunk. " + QUOTE[:cut]  # boundary after two thirds of the quote
    chunk_b = QUOTE[cut:] + " The next chunk goes on."  # only the last third: less than half
    assert holds_quote(chunk_a, QUOTE)
    assert not holds_quote(chunk_b, QUOTE)
    # A passage that starts mid-quote with at least half of it (a suffix) counts too.
    assert holds_quote(QUOTE[len(QUOTE) // 3 :] + " More text.", QUOTE)


def test_short_fragment_of_a_quote_does_not_count() -> None:
    short = "The strategy was adopted in Vienna by all the member states."  # 60 chars: needs 40
    assert not holds_quote("Intro. " + short[:39], short)  # 39 chars: over half, under the minimum
    assert holds_quote("Intro. " + short[:40], short)


# ----------------------------------------------------------------------------- key facts


def test_key_facts_any_alternative_case_insensitive() -> None:
    groups = (("Kyiv", "Kiev"), ("17-18 October",), ("Lithuania",))
    found = facts_found("It was held in KIEV on 17\u201318 October.", groups)
    assert found == (True, True, False)


def test_key_fact_recall_and_all_facts_rate() -> None:
    groups = (("Kyiv", "Kiev"), ("Lithuania",))
    items = [item("a", must_include=groups), item("b", must_include=groups)]
    rows = [row("a", answer="Kyiv and Lithuania.", supports=("verified",)), row("b", answer="In Kiev.")]
    m = compute_metrics(rows, items)
    assert m["key_fact_recall"] == pytest.approx(0.75)
    assert m["all_facts_rate"] == pytest.approx(0.5)
    assert m["pass_rate"] == pytest.approx(0.5)


def test_abstention_text_echoing_the_question_scores_no_facts() -> None:
    j = judge(row(answer="The documents do not say more than half of what.", abstained=True), item())
    assert j.facts == (False,)
    assert not j.passed


# ----------------------------------------------------------------------------- retrieval


def test_evidence_recall_at_k_and_mrr() -> None:
    other = "An unrelated passage about border management."
    ev = (Evidence("a.txt", QUOTE), Evidence("b.txt", "Second gold quote that is long enough to be a real quote."))
    items = [item("a", evidence=ev), item("b")]
    retrieved_a = (other, QUOTE, *[other] * 4, ev[1].quote, *[other] * 3)  # gold at ranks 2 and 7
    retrieved_b = (*[other] * 10, QUOTE)  # gold only at rank 11: outside @10 and the MRR cutoff
    m = compute_metrics([row("a", retrieved=retrieved_a), row("b", retrieved=retrieved_b)], items)
    assert m["evidence_recall@1"] == 0.0
    assert m["evidence_recall@5"] == pytest.approx((0.5 + 0.0) / 2)
    assert m["evidence_recall@10"] == pytest.approx((1.0 + 0.0) / 2)
    assert m["mrr"] == pytest.approx((1 / 2 + 0) / 2)


# ----------------------------------------------------------------------------- citations and support


def test_citation_precision_recall_and_support_rate() -> None:
    other = "An unrelated passage about border management."
    items = [item("a"), item("b"), item("c")]
    rows = [
        row("a", answer="More than half [1][2].", cited=(QUOTE, other), supports=("verified", "unverified")),
        row("b", answer="More than half [1].", cited=(other,), supports=("contradicted",)),
        row("c", abstained=True, answer="Not in the documents."),
    ]
    m = compute_metrics(rows, items)
    assert m["citation_precision"] == pytest.approx(1 / 3)  # 1 gold citation of 3
    assert m["citation_recall"] == pytest.approx(1 / 3)  # only "a" cites gold; abstaining "c" counts as a miss
    assert m["support_rate"] == pytest.approx(1 / 3)
    assert m["n_statements"] == 3


# ----------------------------------------------------------------------------- abstention


def test_abstention_accounting() -> None:
    items = [item("a"), item("b"), item("u1", answerable=False), item("u2", answerable=False)]
    rows = [
        row("a", answer="More than half."),
        row("b", abstained=True, answer="Not in the documents."),
        row("u1", abstained=True, answer="Not in the documents."),
        row("u2", answer="Confidently wrong."),
    ]
    m = compute_metrics(rows, items)
    assert m["abstention_accuracy"] == pytest.approx(0.5)
    assert m["false_abstention_rate"] == pytest.approx(0.5)
    assert m["pass_rate"] == pytest.approx(0.5)  # a and u1
    assert (m["n_answerable"], m["n_unanswerable"]) == (2, 2)
    # Answerable-only metrics leave unanswerable questions out, and are None where nothing is answerable.
    assert m["by_type"]["unanswerable"]["key_fact_recall"] is None
    assert m["by_type"]["unanswerable"]["abstention_accuracy"] == pytest.approx(0.5)
    assert m["by_type"]["factoid"]["false_abstention_rate"] == pytest.approx(0.5)


def test_error_row_fails_and_is_counted() -> None:
    r = row(answer="")
    r["error"] = "The question is too long."
    m = aggregate([judge(r, item())])
    assert m["errors"] == 1 and m["pass_rate"] == 0.0


# ----------------------------------------------------------------------------- latency


def test_latency_percentiles_per_stage() -> None:
    items = [item(f"q{i}") for i in range(1, 11)]
    rows = [row(f"q{i}", timings={"retrieve": float(i), "total": 10.0 * i}) for i in range(1, 11)]
    latency = compute_metrics(rows, items)["latency_ms"]
    assert latency["retrieve"]["p50"] == pytest.approx(5.5)
    assert latency["total"]["p95"] == pytest.approx(95.5)
    assert percentile([], 50) is None
