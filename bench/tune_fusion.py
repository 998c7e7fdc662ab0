"""Tune hybrid fusion and the second-stage weights on a BEIR split (SciFact *train* only: never test).

Usage: nice -n 10 .venv/bin/python bench/tune_fusion.py [--beir ../shared/benchmarks/scifact] [--split train]
       [--out eval/benchmarks/tuning-scifact-train.md]

First-stage candidates are computed once per query with the real store; every variant then runs the
production functions (assistant.retrieval.retrieve.fuse / second_stage) on them, so the grid takes minutes.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.config import Settings, load_settings  # noqa: E402
from assistant.embedding.vector_cache import cached_vectors  # noqa: E402
from assistant.evaluation.beir import beir_retriever, evaluate, load_beir  # noqa: E402
from assistant.retrieval.retrieve import Ranked, fuse, second_stage  # noqa: E402

K = 100  # ranks kept per query: Recall@100 needs them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beir", type=Path, default=REPO.parent / "shared" / "benchmarks" / "scifact")
    parser.add_argument("--split", default="train")
    parser.add_argument("--cache-dir", type=Path, default=REPO / ".cache" / "beir")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.split == "test":
        print("warning: tuning on a test split makes its numbers meaningless as a held-out check", file=sys.stderr)

    base = load_settings(Path("/nonexistent.toml"), environ={})
    beir = load_beir(args.beir, args.split)
    retriever = beir_retriever(beir, base, args.cache_dir, rerank=True)
    store, embedder = retriever.index.store, retriever.embedder
    qids = list(beir.queries)
    # Batch-encoded query vectors equal embed_query's up to float rounding, and are cached.
    qvecs = cached_vectors(
        embedder.embed_passages, [beir.queries[q] for q in qids], args.cache_dir, f"{beir.name}-queries-{embedder.name}"
    )
    n = max(base.candidates, K)
    first = [
        (store.keyword_search(beir.queries[q], n), store.dense_search(v, n)) for q, v in zip(qids, qvecs, strict=True)
    ]

    def score(rankings: list[Ranked]) -> tuple[float, float, float]:
        run = {q: [store.chunks[r].id for r, _ in ranked[:K]] for q, ranked in zip(qids, rankings, strict=True)}
        m = evaluate(run, beir.qrels)
        return m.ndcg10, m.recall100, m.mrr10

    rows: list[tuple[str, tuple[float, float, float]]] = []
    rows.append(("bm25", score([kw for kw, _ in first])))
    rows.append(("dense", score([dn for _, dn in first])))
    fusions: list[tuple[str, Settings]] = [(f"rrf k={k}", base.replace(fusion="rrf", rrf_k=k)) for k in (10, 30, 60)]
    fusions += [
        (f"weighted bm25={w}", base.replace(fusion="weighted", fusion_bm25_weight=w))
        for w in (0.3, 0.4, 0.5, 0.55, 0.6, 0.7)
    ]
    fused_results = {}
    for name, settings in fusions:
        fused_results[name] = [fuse(kw, dn, settings) for kw, dn in first]
        rows.append((name, score(fused_results[name])))
    best_fusion, best_fusion_settings = max(fusions, key=lambda f: score(fused_results[f[0]])[0])
    print(f"best fusion: {best_fusion}", file=sys.stderr)

    rerank_rows: list[tuple[str, tuple[float, float, float]]] = []
    grid = itertools.product((20, 30, 50), (0.2, 0.3, 0.4, 0.5), (0.0, 0.1, 0.2, 0.3), (0.3, 0.4, 0.5, 0.6))
    for m, wb, wd, ws in grid:
        settings = best_fusion_settings.replace(
            rerank_candidates=m, rerank_bm25_weight=wb, rerank_dense_weight=wd, rerank_sentence_weight=ws
        )
        reranked = [
            second_stage(fused, dict(kw), v, retriever.reranker, settings)
            for fused, (kw, _), v in zip(fused_results[best_fusion], first, qvecs, strict=True)
        ]
        rerank_rows.append((f"{best_fusion} + rerank M={m} bm25={wb} dense={wd} sentence={ws}", score(reranked)))
    rerank_rows.sort(key=lambda r: -r[1][0])

    lines = [
        f"# Tuning on {beir.name} {args.split} ({len(qids)} queries)",
        "",
        "Reproduce: `nice -n 10 .venv/bin/python bench/tune_fusion.py"
        f" --beir {args.beir} --split {args.split}` (candidates per retriever: {n}).",
        "",
        "## First stage and fusion",
        "",
        "| variant | nDCG@10 | Recall@100 | MRR@10 |",
        "|---|---|---|---|",
        *[f"| {name} | {a:.4f} | {b:.4f} | {c:.4f} |" for name, (a, b, c) in rows],
        "",
        f"## Second stage over `{best_fusion}`: the 15 best of {len(rerank_rows)} weightings, and the worst",
        "",
        "| variant | nDCG@10 | Recall@100 | MRR@10 |",
        "|---|---|---|---|",
        *[f"| {name} | {a:.4f} | {b:.4f} | {c:.4f} |" for name, (a, b, c) in rerank_rows[:15] + rerank_rows[-1:]],
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
