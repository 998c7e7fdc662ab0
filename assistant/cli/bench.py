"""`assistant bench --beir DIR`: retrieval quality and latency per mode on a BEIR dataset."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.cli.options import add_store_argument
from assistant.config import RETRIEVAL_MODES, Settings

if TYPE_CHECKING:
    from assistant.evaluation.beir import ModeResult


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bench", help="BEIR benchmark: nDCG@10, Recall@100, MRR@10 and query latency for each retrieval mode"
    )
    p.add_argument(
        "--beir", type=Path, required=True, metavar="DIR", help="a BEIR folder, e.g. ../shared/benchmarks/scifact"
    )
    p.add_argument(
        "--mode",
        action="append",
        choices=RETRIEVAL_MODES,
        default=None,
        help="retrieval mode (repeatable; default: all)",
    )
    p.add_argument("--split", default="test", help="qrels split (default: test; tune only on train)")
    p.add_argument("--limit-queries", type=int, default=None, metavar="N", help="only the first N queries")
    p.add_argument("--cache-dir", type=Path, default=Path(".cache/beir"), help="embedding cache (default: .cache/beir)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="Markdown report (default: eval/benchmarks/<dataset>.md, or <dataset>-milvus.md with the Milvus store, "
        "for a full test run; else none)",
    )
    add_store_argument(p)
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.beir import load_beir, run_benchmark

    beir = load_beir(args.beir, args.split, args.limit_queries)
    modes = args.mode or list(RETRIEVAL_MODES)
    print(f"{beir.name} {args.split}: {len(beir.chunks):,} documents, {len(beir.queries):,} queries", file=sys.stderr)
    results = run_benchmark(beir, modes, settings, args.cache_dir, progress=lambda line: print(line, file=sys.stderr))
    print(f"{'mode':<14} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for r in results:
        m = r.metrics
        print(f"{r.mode:<14} {m.ndcg10:8.4f} {m.recall100:8.4f} {m.mrr10:8.4f} {r.p50_ms:8.1f} {r.p95_ms:8.1f}")
    out = args.out
    if out is None and args.split == "test" and not args.limit_queries:
        out = Path("eval/benchmarks") / (f"{beir.name}.md" if settings.store == "faiss" else f"{beir.name}-milvus.md")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        command = f"assistant bench --beir {args.beir} --split {args.split}" + "".join(f" --mode {m}" for m in modes)
        command += " --store milvus" if settings.store == "milvus" else ""
        report = markdown_report(beir.name, args.split, len(beir.queries), results, settings, command)
        out.write_text(report, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    return 0


# Published nDCG@10 on the BEIR test split, from ../shared/benchmarks/README.md (sources listed there).
PUBLISHED: dict[str, dict[str, float]] = {
    "scifact": {
        "BM25 (BEIR, Elasticsearch)": 0.665,
        "BM25+CE (BEIR)": 0.688,
        "all-MiniLM-L6-v2 (MTEB)": 0.645,
        "bge-small-en-v1.5 (MTEB)": 0.713,
        "e5-small-v2 (MTEB, ext)": 0.689,
    },
    "nfcorpus": {
        "BM25 (BEIR, Elasticsearch)": 0.325,
        "BM25+CE (BEIR)": 0.350,
        "all-MiniLM-L6-v2 (MTEB)": 0.316,
        "bge-small-en-v1.5 (MTEB)": 0.343,
        "e5-small-v2 (MTEB, ext)": 0.324,
    },
}


def markdown_report(
    dataset: str, split: str, queries: int, results: Sequence[ModeResult], settings: Settings, command: str
) -> str:
    """Return the Markdown page of a benchmark run: our modes, then the published numbers beside them."""
    lines = [
        f"# {dataset} ({split} split, {queries} queries)",
        "",
        f"Reproduce: `{command}` (2 CPU cores; latency is per query, query embedding included,"
        f" the corpus indexed {'in memory' if settings.store == 'faiss' else 'in Milvus'},"
        " one chunk per document: title + text).",
        "",
        f"Settings: embedder `{settings.embedder}`, fusion `{settings.fusion}`, candidates per retriever"
        f" max({settings.candidates}, 100), rerank candidates {settings.rerank_candidates}.",
        "",
        *(
            [
                "Store: a Milvus collection (exact FLAT inner product; Milvus's BM25 function over our stemmed"
                f" tokens) at `{settings.milvus_uri or '<cache-dir>/milvus.db'}` (Milvus Lite unless that is a"
                " server URL); latency includes its gRPC round trips.",
                "",
            ]
            if settings.store == "milvus"
            else []
        ),
        "| mode | nDCG@10 | Recall@100 | MRR@10 | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        m = r.metrics
        lines.append(
            f"| ours: {r.mode} | {m.ndcg10:.4f} | {m.recall100:.4f} | {m.mrr10:.4f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} |"
        )
    published = PUBLISHED.get(dataset.lower(), {})
    if published and split == "test":
        for name, value in published.items():
            lines.append(f"| published: {name} | {value:.3f} | | | | |")
        lines += ["", "Published: ../shared/benchmarks/README.md (BEIR paper Table 2; the MTEB results repository)."]
    return "\n".join(lines) + "\n"
