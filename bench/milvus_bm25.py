"""Which BM25 for the Milvus store: bm25s (the FAISS store's) or Milvus's own BM25 function, on which text.

Usage: nice -n 10 .venv/bin/python bench/milvus_bm25.py [--beir ../shared/benchmarks/scifact] [--split test]
       [--out eval/benchmarks/milvus-bm25.md]

Scores the keyword retriever alone (the `bm25` mode) on a BEIR split, four ways: bm25s over our tokens
(Snowball stems, English stop words removed), and Milvus's `FunctionType.BM25` over (a) the raw text with
the standard analyzer, (b) the raw text with the standard analyzer and the same English stop words, (c) our
tokens joined by spaces (what MilvusStore indexes). Milvus runs as Milvus Lite in a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import bm25s.stopwords  # noqa: E402
import milvus_lite  # noqa: E402
import numpy as np  # noqa: E402
from pymilvus import DataType, Function, FunctionType, MilvusClient  # noqa: E402

from assistant.evaluation.beir import evaluate, load_beir  # noqa: E402
from assistant.index.faiss_store import FaissStore  # noqa: E402
from assistant.index.keywords import indexed_text, tokenize  # noqa: E402
from assistant.index.milvus_store import BM25_B, BM25_K1  # noqa: E402

K = 100


def milvus_collection(client: MilvusClient, name: str, analyzer: dict, texts: list[str]) -> None:
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params=analyzer)
    schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["bm25"])
    )
    index = client.prepare_index_params()
    params = {"bm25_k1": BM25_K1, "bm25_b": BM25_B}
    index.add_index(field_name="bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=params)
    client.create_collection(name, schema=schema, index_params=index)
    for start in range(0, len(texts), 1000):
        client.insert(name, [{"id": i, "text": texts[i]} for i in range(start, min(start + 1000, len(texts)))])
    client.flush(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beir", type=Path, default=REPO.parent / "shared" / "benchmarks" / "scifact")
    parser.add_argument("--split", default="test")
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "benchmarks" / "milvus-bm25.md")
    args = parser.parse_args()
    beir = load_beir(args.beir, args.split)
    ids = [c.id for c in beir.chunks]
    raw = [indexed_text(c) for c in beir.chunks]
    ours = [" ".join(t) for t in tokenize(raw)]
    stop_words = sorted(bm25s.stopwords.STOPWORDS_EN)

    def stemmed(query: str) -> str:
        return " ".join(tokenize([query])[0])

    def run(search: Callable[[str], list[str]]) -> tuple[float, float]:
        started = time.perf_counter()
        ranked = {qid: search(query) for qid, query in beir.queries.items()}
        ms = (time.perf_counter() - started) * 1000 / max(len(beir.queries), 1)
        return evaluate(ranked, beir.qrels).ndcg10, ms

    rows: list[tuple[str, float, float]] = []
    store = FaissStore.build(beir.chunks, np.zeros((len(ids), 1), np.float32), 1)  # keywords only: no vectors
    keyword = store.keyword_search
    rows.append(("bm25s over our tokens (FAISS store)", *run(lambda q: [ids[r] for r, _ in keyword(q, K)])))
    with tempfile.TemporaryDirectory(prefix="milvus-bm25-") as tmp:
        client = MilvusClient(str(Path(tmp) / "bench.db"))
        variants = [
            ("Milvus BM25, raw text, standard analyzer", {"tokenizer": "standard"}, raw, lambda q: q),
            (
                "Milvus BM25, raw text, standard analyzer + English stop words",
                {"tokenizer": "standard", "filter": [{"type": "stop", "stop_words": stop_words}]},
                raw,
                lambda q: q,
            ),
            ("Milvus BM25 over our tokens (Milvus store)", {"tokenizer": "standard"}, ours, stemmed),
        ]
        for n, (label, analyzer, texts, prepare) in enumerate(variants):
            milvus_collection(client, f"v{n}", analyzer, texts)

            def search(query: str, name: str = f"v{n}", prepare: Callable[[str], str] = prepare) -> list[str]:
                text = prepare(query)
                if not text.strip():
                    return []
                hits = client.search(name, data=[text], anns_field="bm25", limit=K, output_fields=["id"])
                return [ids[h["id"]] for h in hits[0]]

            rows.append((label, *run(search)))
            print(f"{label}: nDCG@10 {rows[-1][1]:.4f}", file=sys.stderr)
        client.close()

    lines = [
        f"# BM25 for the Milvus store: {beir.name} {args.split} ({len(beir.queries)} queries), keyword retriever alone",
        "",
        "Reproduce: `nice -n 10 .venv/bin/python bench/milvus_bm25.py` (2 CPU cores, Milvus Lite"
        f" {milvus_lite.__version__}; k1 {BM25_K1}, b {BM25_B}; latency per query, in-process).",
        "",
        "| keyword retriever | nDCG@10 | ms / query |",
        "|---|---|---|",
        *[f"| {label} | {ndcg:.4f} | {ms:.1f} |" for label, ndcg, ms in rows],
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
