"""Command line: `assistant ingest | search | info | ...`; the one place errors become exit messages."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.accounts.store import AccountError
from assistant.cli import ask, bench, brief, users
from assistant.cli import eval as eval_command
from assistant.cli.options import (
    add_filter_argument,
    add_store_argument,
    add_user_argument,
    parse_filters,
    progress_bar,
    user_of,
)
from assistant.config import RETRIEVAL_MODES, Settings, load_settings
from assistant.errors import AssistantError
from assistant.output.text import page_label
from assistant.retrieval.hits import hit_json


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings(
            args.config, index_dir=args.index_dir, corpus_dir=args.corpus_dir, store=getattr(args, "store", None)
        )
        return int(args.func(args, settings) or 0)
    except AccountError as exc:  # a refused account change: exit 2, like a usage error
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Offline policy-question assistant.")
    parser.add_argument("--config", type=Path, default=None, help="settings file (default: assistant.toml)")
    parser.add_argument("--index-dir", type=Path, default=None, help="index folder (default: index/)")
    parser.add_argument("--corpus-dir", type=Path, default=None, help="corpus folder (default: corpus/)")
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("ingest", help="build or update the index from files")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the corpus folder)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_store_argument(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="show the passages retrieved for a query")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=None, help="number of passages (default: top_k setting)")
    p.add_argument("--mode", choices=RETRIEVAL_MODES, default=None)
    add_filter_argument(p)
    add_user_argument(p)
    add_store_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("info", help="documents, chunks, model and size of the index")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    for command in (ask, eval_command, bench, brief, users):
        command.register(sub)
    return parser


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index.store import StoreTarget
    from assistant.ingest.update import ingest

    with progress_bar(args.quiet, "chunk") as progress:
        report = ingest(settings, args.paths, progress=progress)
    for path, reason in report.skipped:
        print(f"Skipped {path}: {reason}", file=sys.stderr)
    for path, reason in report.partial:
        print(f"Indexed {path} in part: {reason}", file=sys.stderr)
    if report.rebuilt:
        print("Embedder or chunking settings changed: index rebuilt from scratch.")
    if report.store_changed:
        print(f"Store changed: the index now lives in {StoreTarget.from_settings(settings).describe()}.")
    if report.recovered:
        print("Finished an update of the Milvus collection that was interrupted.")
    if report.changed:
        print(
            f"Indexed {report.documents} documents, {report.chunks} chunks "
            f"(added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)} files) "
            f"in {report.seconds:.1f} s."
        )
    else:
        print(f"Index is up to date: {report.documents} documents, {report.chunks} chunks.")
    nothing_indexed = not (report.added or report.updated or report.unchanged)
    return 1 if report.skipped and nothing_indexed else 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.pipeline import Assistant, check_question

    # The same checks as `ask` and the app (empty, control characters, length), before loading the index.
    query = check_question(args.query, settings.max_question_chars)
    user = user_of(args.as_user, settings)
    assistant = Assistant.from_settings(settings)
    hits = assistant.search(query, k=args.k, mode=args.mode, filters=parse_filters(args.filter), user=user).hits
    if args.json:
        print(json.dumps({"query": query, "hits": [hit_json(h) for h in hits]}, ensure_ascii=False, indent=1))
        return 0
    if not hits:
        print("No passage matches.")
    for hit in hits:
        c = hit.chunk
        where = ", ".join(p for p in (c.source, page_label(c.page, c.ocr, c.last_page)) if p)
        print(f"[{hit.rank}] {hit.score:.4f}  {c.title} ({where})")
        print("    " + c.text[:300].replace("\n", " ") + ("..." if len(c.text) > 300 else ""))
    return 0


def cmd_info(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index.generations import index_size_bytes, load_index

    index = load_index(settings.index_dir)
    documents = index.manifest.documents()
    info = {
        "index": str(index.folder),
        "embedder": index.manifest.embedder,
        "dim": index.manifest.dim,
        "chunking": index.manifest.chunking,
        "files": len(index.manifest.files),
        "documents": len(documents),
        "chunks": len(index.store),
        "store": index.manifest.store.describe(),
        "size_bytes": index_size_bytes(index.folder),
        "created": index.manifest.created,
    }
    if args.json:
        print(json.dumps(dict(info, document_list=documents), ensure_ascii=False, indent=1))
        return 0
    for key, value in info.items():
        print(f"{key:>10}: {value}")
    print()
    for doc in documents:
        fields = [doc["title"][:80], doc["organisation"] or "?", doc["date"] or "?", f"{doc['chunks']} chunks"]
        print("- " + " | ".join([*fields, doc["source"]]))
    return 0


def main_exit() -> None:
    """Console-script entry point (`assistant ...`): same as `python -m assistant ...`."""
    sys.exit(main())
