"""Query latency on the seed corpus: p50/p95 per retrieval mode over the eval questions.

Usage: .venv/bin/python bench/seed_latency.py [--modes bm25 dense hybrid hybrid+rerank] [--repeat 1]

The seed corpus is ingested with the default settings into a temporary index. The one-time costs (loading
the model, building the reranker's sentence vectors for a new index generation) are reported apart from
the per-query numbers, which are what a user waits for each question.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.config import RETRIEVAL_MODES, load_settings  # noqa: E402
from assistant.ingest.update import ingest  # noqa: E402
from assistant.retrieval.retrieve import Retriever  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", choices=RETRIEVAL_MODES, default=list(RETRIEVAL_MODES))
    parser.add_argument("--dataset", type=Path, default=REPO / "eval" / "questions.jsonl")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the questions per mode")
    args = parser.parse_args()
    questions = [json.loads(x)["question"] for x in args.dataset.read_text(encoding="utf-8").splitlines() if x.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path("/nonexistent.toml"), environ={}, corpus_dir=REPO / "corpus", index_dir=Path(tmp))
        ingest(settings)
        started = time.perf_counter()
        retriever = Retriever.from_settings(settings)
        retriever.search("warm-up", mode="dense")
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        retriever.reranker.sentence_vectors()
        sentences_s = time.perf_counter() - started
        print(
            f"{len(retriever.index.store)} chunks; load + first query {load_s:.1f} s; "
            f"sentence vectors for the reranker (once per index generation) {sentences_s:.1f} s"
        )
        print("| mode | queries | p50 ms | p95 ms | mean ms | rerank p50 ms |\n|---|---|---|---|---|---|")
        for mode in args.modes:
            total, rerank = [], []
            for _ in range(args.repeat):
                for q in questions:
                    t = time.perf_counter()
                    found = retriever.search(q, k=settings.top_k, mode=mode)
                    total.append((time.perf_counter() - t) * 1000)
                    rerank.append(found.timings_ms.get("rerank", 0.0))
            p50, p95 = np.percentile(total, [50, 95])
            print(
                f"| {mode} | {len(total)} | {p50:.1f} | {p95:.1f} | {statistics.mean(total):.1f} | "
                f"{np.percentile(rerank, 50):.1f} |"
            )


if __name__ == "__main__":
    main()
