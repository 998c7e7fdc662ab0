"""Calibrate and measure the extractive answerer on an eval set: abstention threshold sweep, metrics, latency.

    .venv/bin/python bench/answer_study.py [--dataset eval/questions.jsonl] [--out runs/answers] [--cold]

Each question is answered once with abstention switched off, keeping its answerability ("fit"); the
threshold sweep then abstains wherever fit < T, so every row of the table comes from the same answers.
Metrics are the eval harness's own (assistant/evaluation/metrics.py). docs/answers.md records the chosen values.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.answering import extractive as answer_module  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from assistant.embedding.service import EmbeddingService  # noqa: E402
from assistant.evaluation.evalset import load_dataset  # noqa: E402
from assistant.evaluation.metrics import aggregate, failure_reason, judge, percentile  # noqa: E402
from assistant.output.contract import answer_to_json  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402

THRESHOLDS = [round(0.30 + 0.02 * i, 2) for i in range(21)]
SHOWN = ("all_facts_rate", "key_fact_recall", "citation_recall", "citation_precision", "abstention_accuracy",
         "false_abstention_rate")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--out", type=Path, default=None, help="write rows.jsonl and study.json here")
    parser.add_argument("--cold", action="store_true", help="answer each question with empty vector caches")
    parser.add_argument("--fit", action="store_true", help="fit the sentence-ranking weights (logistic regression)")
    parser.add_argument("--support", action="store_true", help="calibrate the verifier on labelled statement pairs")
    args = parser.parse_args()
    if args.fit:
        return fit_ranking(args.dataset)
    if args.support:
        return calibrate_support(args.dataset)

    items = load_dataset(args.dataset)
    assistant = Assistant.from_settings(load_settings())
    assistant.ask("warm up the models")  # loading MiniLM is not answer latency
    chosen = answer_module.ABSTAIN_BELOW
    answer_module.ABSTAIN_BELOW = -1.0  # answer everything; the sweep decides abstention afterwards

    rows: list[dict[str, Any]] = []
    fits: list[float] = []
    # CPU time of the whole ask (all threads): a load-independent bound on wall time, since a shared
    # machine's wall clock also counts other people's work.
    cpu_ms: list[float] = []
    for item in items:
        if args.cold:
            # Fresh vector caches: the latency of a passage never seen before.
            assistant.embeddings = EmbeddingService(assistant.embeddings.embedder)
            assistant._extractive = None
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = assistant.ask(item.question)
        elapsed = (time.perf_counter() - started) * 1000
        cpu_ms.append((time.process_time() - cpu_started) * 1000)
        extractive = assistant._extractive
        assert extractive is not None
        fits.append(extractive.assess(answer.standalone_question or item.question, answer.hits).fit)
        row = {"id": item.id, **answer_to_json(answer), "wall_ms": round(elapsed, 1)}
        rows.append(row)
    answer_module.ABSTAIN_BELOW = chosen

    by_id = {i.id: i for i in items}
    print(f"{'T':>5} " + " ".join(f"{m[:14]:>14}" for m in SHOWN))
    sweep = {}
    for threshold in THRESHOLDS:
        judged = [judge(_at(row, fit, threshold), by_id[row["id"]]) for row, fit in zip(rows, fits, strict=True)]
        metrics = aggregate(judged)
        sweep[threshold] = {m: metrics[m] for m in SHOWN}
        mark = " <- chosen" if abs(threshold - chosen) < 1e-9 else ""
        print(f"{threshold:5.2f} " + " ".join(f"{metrics[m]:14.3f}" for m in SHOWN) + mark)

    judged = [judge(_at(row, fit, chosen), by_id[row["id"]]) for row, fit in zip(rows, fits, strict=True)]
    answer_ms = [r["timings_ms"]["answer"] for r in rows]
    total_ms = [r["timings_ms"]["total"] for r in rows]
    latency = {
        "answer_p50": percentile(answer_ms, 50),
        "answer_p95": percentile(answer_ms, 95),
        "total_p50": percentile(total_ms, 50),
        "total_p95": percentile(total_ms, 95),
        "cpu_total_p50": percentile(cpu_ms, 50),
        "cpu_total_p95": percentile(cpu_ms, 95),
    }
    print("\nlatency ms: " + ", ".join(f"{k} {v:.0f}" for k, v in latency.items()))
    print("\nfit by question (A answerable, U unanswerable), lowest answerable / highest unanswerable:")
    pairs = sorted(zip(fits, items, strict=True), key=lambda p: p[0])
    for fit, item in pairs:
        if (item.answerable and fit < chosen + 0.08) or (not item.answerable and fit >= chosen - 0.08):
            print(f"  {fit:.3f} {'A' if item.answerable else 'U'} {item.id} {item.question[:90]}")
    print("\nfailures at the chosen threshold:")
    for j in judged:
        reason = failure_reason(j, by_id[j.id])
        if reason or not all(j.citations_gold):
            cites = "" if all(j.citations_gold) else f" [citations on gold: {list(j.citations_gold)}]"
            print(f"  {j.id}: {reason or 'passed'}{cites}")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        with (args.out / "rows.jsonl").open("w", encoding="utf-8") as f:
            for row, fit in zip(rows, fits, strict=True):
                f.write(json.dumps({**row, "fit": fit}, ensure_ascii=False) + "\n")
        study = {"chosen": chosen, "sweep": sweep, "latency_ms": latency}
        (args.out / "study.json").write_text(json.dumps(study, indent=1))
    return 0


def fit_ranking(dataset: Path) -> int:
    """Fit RANK_WEIGHTS: which unit quotes the gold evidence, 5-fold cross-validated by question."""
    import numpy as np

    from assistant.answering.evidence import (
        FEATURES,
        PASSAGE_FEATURES,
        PASSAGE_WEIGHTS,
        RANK_BIAS,
        RANK_WEIGHTS,
        rank,
        rank_passages,
    )
    from assistant.answering.question import analyse
    from assistant.evaluation.metrics import holds_quote, normalise
    from assistant.pipeline import _with_continuations

    items = [i for i in load_dataset(dataset) if i.answerable]
    assistant = Assistant.from_settings(load_settings())
    extractive = assistant._extractive_for(assistant.retriever)
    x, y, groups, firsts = [], [], [], []
    px, py, pfirsts = [], [], []
    for n, item in enumerate(items):
        hits = assistant.retriever.search(item.question, k=10).hits
        hits = _with_continuations(hits, assistant._following_for(assistant.retriever))
        q = analyse(item.question)
        quotes = [normalise(e.quote) for e in item.evidence]
        first = len(y)
        ranked = rank(q, hits, extractive.embeddings, extractive.seed, extractive.stats)
        pfirst = len(py)
        for passage in rank_passages(ranked, hits):
            px.append(passage.features)
            py.append(int(any(holds_quote(hits[passage.hit].chunk.text, e.quote) for e in item.evidence)))
        pfirsts.append((pfirst, len(py)))
        for c in ranked:
            if not c.quotable:
                continue
            text = normalise(c.unit.text)
            gold = any(holds_quote(c.unit.text, quote) or (len(text) >= 30 and text in quote) for quote in quotes)
            x.append(c.features)
            y.append(int(gold))
            groups.append(n)
        firsts.append((first, len(y)))
    report_fit("unit", np.array(x), np.array(y), firsts, FEATURES, np.array(RANK_WEIGHTS), RANK_BIAS)
    report_fit("passage", np.array(px), np.array(py), pfirsts, PASSAGE_FEATURES, np.array(PASSAGE_WEIGHTS), 0.0)
    return 0


def calibrate_support(dataset: Path) -> int:
    """Sweep VERIFIED_AT over labelled pairs: each reference-answer sentence against its gold passage
    (supported) and against the best-ranked passage of another document (not supported)."""
    import nupunkt

    from assistant.answering import verify as verify_module
    from assistant.answering.generative import best_span
    from assistant.evaluation.metrics import holds_quote
    from assistant.types import Citation, Statement

    items = [i for i in load_dataset(dataset) if i.answerable]
    assistant = Assistant.from_settings(load_settings())
    scored: list[tuple[float, bool, bool]] = []  # (score, names/numbers agree, supported)
    for item in items:
        hits = assistant.retriever.search(item.question, k=10).hits
        gold = next((h for h in hits if any(holds_quote(h.chunk.text, e.quote) for e in item.evidence)), None)
        sources = {e.source for e in item.evidence}
        wrong = next((h for h in hits if h.chunk.source not in sources), None)
        for sentence in nupunkt.sent_tokenize(item.answer):
            for hit, label in ((gold, True), (wrong, False)):
                if hit is None:
                    continue
                start, end = best_span(sentence, hit.chunk.text)
                c = hit.chunk
                statement = Statement(sentence, (Citation(1, c.id, c.source, c.title, c.page, start, end),))
                result = verify_module.support(
                    statement.text, statement.citations, {c.id: c.text}, assistant.embeddings
                )
                scored.append((result.score, not result.missing, label))
    positives = sum(1 for *_, label in scored if label)
    print(f"{len(scored)} pairs, {positives} supported, {len(scored) - positives} not")
    print(f"{'T':>5} {'verified|supported':>19} {'verified|wrong':>15} {'accuracy':>9}")
    for t in [round(0.30 + 0.05 * i, 2) for i in range(11)]:
        verified = [(score >= t and agree, label) for score, agree, label in scored]
        tpr = sum(v for v, label in verified if label) / max(positives, 1)
        fpr = sum(v for v, label in verified if not label) / max(len(scored) - positives, 1)
        acc = sum(v == label for v, label in verified) / len(verified)
        mark = " <- chosen" if abs(t - verify_module.VERIFIED_AT) < 1e-9 else ""
        print(f"{t:5.2f} {tpr:19.3f} {fpr:15.3f} {acc:9.3f}{mark}")
    return 0


def report_fit(label, xa, ya, firsts, names, current, bias) -> None:  # type: ignore[no-untyped-def]
    """Print cross-validated top-1 accuracy and fitted weights of a pairwise logistic ranking model."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    print(f"--- {label}: {len(firsts)} questions, {len(ya)} rows, {int(ya.sum())} gold")

    def top1(weights: np.ndarray, bias: float, questions: set[int]) -> float:
        hits = 0
        for n, (a, b) in enumerate(firsts):
            if n in questions and b > a:
                scores = xa[a:b] @ weights + bias
                hits += int(ya[a + int(np.argmax(scores))])
        return hits / max(len(questions), 1)

    everyone = set(range(len(firsts)))
    print(f"current weights: top-1 gold {top1(current, bias, everyone):.3f}")

    def pairs(questions: set[int]) -> tuple[np.ndarray, np.ndarray]:
        # Ranking is what matters: learn from (gold - other) differences within a question (RankSVM-style).
        diffs = []
        for n, (a, b) in enumerate(firsts):
            if n not in questions:
                continue
            gold, other = xa[a:b][ya[a:b] == 1], xa[a:b][ya[a:b] == 0]
            diffs.extend(g - o for g in gold for o in other)
        d = np.array(diffs)
        return np.vstack([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))])

    def fit(questions: set[int], c: float) -> np.ndarray:
        px, py = pairs(questions)
        return LogisticRegression(C=c, fit_intercept=False, max_iter=5000).fit(px, py).coef_[0]

    for c in (0.01, 0.1, 1.0, 10.0):
        held_out = []
        for train, test in KFold(n_splits=5, shuffle=True, random_state=0).split(np.arange(len(firsts))):
            weights = fit(set(train.tolist()), c)
            held_out.append(top1(weights, 0.0, set(test.tolist())))
        print(
            f"C={c}: 5-fold cross-validated top-1 gold {np.mean(held_out):.3f} (folds {np.round(held_out, 3).tolist()})"
        )
    weights = fit(everyone, 1.0)
    print(f"fitted on all (C=1): top-1 gold {top1(weights, 0.0, everyone):.3f}")
    print("weights = (" + ", ".join(f"{w:.2f}" for w in weights) + ")")
    for name, w in zip(names, weights, strict=True):
        print(f"  {name:>16} {w:+.2f}")


def _at(row: dict[str, Any], fit: float, threshold: float) -> dict[str, Any]:
    """Return `row` as it would be with abstention below `threshold`."""
    if fit >= threshold and not row["abstained"]:
        return row
    return {**row, "abstained": True, "statements": [], "citations": [], "answer": row.get("reason", "")}


if __name__ == "__main__":
    sys.exit(main())
