"""Incremental ingest: load, chunk and embed new or changed files; drop chunks of deleted ones."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.embedding.embedder import Embedder, load_embedder
from assistant.errors import IndexDamagedError, LoadError
from assistant.index.faiss_store import FaissStore
from assistant.index.generations import Index, Manifest, load_index, publish, read_manifest, remove_stale, write_lock
from assistant.index.keywords import indexed_text
from assistant.index.milvus_update import PendingWrite, clear_pending, publish_update, read_pending
from assistant.index.store import Store, StoreTarget
from assistant.ingest.catalog import load_catalog
from assistant.ingest.chunking import CHUNKER_VERSION, chunk_document
from assistant.ingest.files import collect, file_hash, is_within, source_path
from assistant.ingest.loaders import load_file
from assistant.ingest.ocr import installed_languages
from assistant.types import Chunk, Document, Progress

# 2: running headers are found in the first eight lines of a page, and table rows are no longer taken for them.
# 3: a header alternating between odd and even pages is furniture too (each is on 40% of the pages).
# 4: ruled tables in PDFs become header-keeping row lines in place of their flattened text, and a row line
#    is one sentence; .docx, .xlsx and .csv files are read.
# 5: PDF pages with no text layer, or one failing the quality test, are read by OCR (ingest/pdf.py, page_texts).
# (.odt files came without a bump: a new type changes no indexed file's text, and ingest finds them as new files.)
# 6: borderless PDF tables become row lines too, read from word positions (ingest/pdf_borderless.py), and a
#    table's flattened pieces next to its matched lines go with them.
# 7: mojibake is undone in every loader's text (ingest/cleaning.py, ftfy's encoding repair only).
LOADER_VERSION = 7


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)
    partial: list[tuple[str, str]] = field(default_factory=list)  # (path, which pages were left out and why)
    rebuilt: bool = False
    store_changed: bool = False  # the settings name another store: the index was copied there
    recovered: bool = False  # an interrupted Milvus update was finished
    chunks: int = 0
    documents: int = 0
    seconds: float = 0.0
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt or self.store_changed or self.recovered)


def chunking_settings(settings: Settings) -> dict[str, int]:
    return {
        "max_chars": settings.chunk_max_chars,
        "overlap_sentences": settings.chunk_overlap_sentences,
        "chunker_version": CHUNKER_VERSION,
        "loader_version": LOADER_VERSION,
    }


def ingest(
    settings: Settings,
    paths: Sequence[Path] = (),
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the index up to date with the files under `paths` (default: the corpus folder).

    A file that cannot be read is reported in `skipped` and the rest is indexed; if it was indexed
    before, its old chunks stay. Deleted files lose their chunks only when their folder was scanned.
    More than `settings.ingest_checkpoint_files` new or changed files are published in steps of that
    many, so that a crash keeps the steps already published: the next ingest finds those files unchanged.
    """
    started = time.perf_counter()
    corpus = settings.corpus_dir.resolve()
    roots = [Path(p) for p in paths] or [settings.corpus_dir]
    with write_lock(settings.index_dir):
        remove_stale(settings.index_dir)  # leftovers of a crashed earlier ingest
        embedder = embedder or load_embedder(settings.embedder, settings.embed_batch_size, settings.embed_precision)
        report = IngestReport()
        handled: set[str] = set()
        for step in _checkpoint_steps(settings, embedder, roots, corpus):
            part = _update(settings, embedder, [path for path, _ in step], corpus, frozenset(), progress)
            _absorb(report, part)
            handled.update(source for _, source in step)
        _absorb(report, _update(settings, embedder, roots, corpus, frozenset(handled), progress))
        report.seconds = time.perf_counter() - started
        return report


def _update(
    settings: Settings,
    embedder: Embedder,
    roots: Sequence[Path],
    corpus: Path,
    handled: frozenset[str],
    progress: Progress | None,
) -> IngestReport:
    """Read the files under `roots` that changed, except the `handled` ones, and publish the index once."""
    report = IngestReport()
    old_index, interrupted = _base(settings, embedder, report)
    redo = interrupted.sources if interrupted else frozenset()
    old_files = old_index.manifest.files if old_index else {}
    scanned_dirs, files = collect(roots, corpus, report.skipped)
    files = [(p, s) for p, s in files if s not in handled]
    # Files an interrupted update touched are read again, even when this ingest names other paths.
    named = {source for _, source in files}
    files += [(p, s) for s in sorted(redo - named) if (p := source_path(s, corpus)).is_file()]
    files_meta, new_chunks = _read_changed(files, old_files, redo, settings, report, progress)
    _carry_over(old_files, files_meta, redo, scanned_dirs, corpus, report)
    if report.changed:
        store = _write(settings, embedder, old_index, interrupted, files_meta, new_chunks, report, progress)
        report.chunks = len(store)
    else:
        report.unchanged.sort()
        report.chunks = len(old_index.store) if old_index else 0
    report.documents = sum(len(m["documents"]) for m in files_meta.values())
    return report


def _checkpoint_steps(
    settings: Settings, embedder: Embedder, roots: Sequence[Path], corpus: Path
) -> list[list[tuple[Path, str]]]:
    """Return the new or changed files to publish ahead of the last step, in steps of the checkpoint size.

    The last step is left to the final pass over `roots`, which also drops the chunks of deleted files.
    """
    size = settings.ingest_checkpoint_files
    _, files = collect(roots, corpus, [])
    if len(files) <= size:
        return []  # one step whatever changed: no need to hash every file twice
    manifest = read_manifest(settings.index_dir)
    old_files = manifest.files if manifest is not None and _same_making(manifest, embedder, settings) else {}
    catalog = load_catalog(settings.corpus_dir)
    changed = [
        (path, source)
        for path, source in files
        if old_files.get(source, {}).get("sha256") != file_hash(path, catalog.get(source))
    ]
    return [changed[i : i + size] for i in range(0, len(changed), size)][:-1]


def _same_making(manifest: Manifest, embedder: Embedder, settings: Settings) -> bool:
    """Return whether the index of `manifest` was embedded and chunked as `embedder` and `settings` would do it."""
    return (manifest.embedder, manifest.dim, manifest.chunking) == (
        embedder.name,
        embedder.dim,
        chunking_settings(settings),
    )


def _absorb(report: IngestReport, part: IngestReport) -> None:
    """Add one published step's report to the whole ingest's; the last step's totals are the ingest's."""
    report.added += part.added
    report.updated += part.updated
    report.removed += part.removed
    report.unchanged = part.unchanged  # only the final pass looks at every file
    report.skipped += part.skipped
    report.partial += part.partial
    report.rebuilt |= part.rebuilt
    report.store_changed |= part.store_changed
    report.recovered |= part.recovered
    report.chunks, report.documents = part.chunks, part.documents
    report.generation = part.generation or report.generation


def _base(settings: Settings, embedder: Embedder, report: IngestReport) -> tuple[Index | None, PendingWrite | None]:
    """Return the published index to update (None: build afresh) and the Milvus write it must finish, if any."""
    old = read_manifest(settings.index_dir)
    old_index = None
    if old is not None and _same_making(old, embedder, settings):
        try:
            old_index = load_index(settings.index_dir, token=settings.milvus_token)
        except IndexDamagedError:
            report.rebuilt = True  # a damaged index is replaced by a fresh one, not patched
    elif old is not None:
        report.rebuilt = True  # embedder or chunking changed: every file is embedded anew
    interrupted = read_pending(settings.index_dir)
    if interrupted is not None and old_index is not None:
        if interrupted.target is None:
            old_index, report.rebuilt = None, True  # cannot tell what it touched: start afresh
        elif interrupted.target != old_index.manifest.store:
            interrupted = None  # about a collection the published index does not use
    if interrupted is not None and old_index is None:
        interrupted = None  # a fresh build recreates the collection anyway
    report.recovered = interrupted is not None
    report.store_changed = old_index is not None and old_index.manifest.store != StoreTarget.from_settings(settings)
    return old_index, interrupted


def _read_changed(
    files: Sequence[tuple[Path, str]],
    old_files: Mapping[str, dict[str, Any]],
    redo: frozenset[str],
    settings: Settings,
    report: IngestReport,
    progress: Progress | None = None,
) -> tuple[dict[str, dict[str, Any]], list[Chunk]]:
    """Return the manifest entry of every readable file, and the chunks of the new and changed ones.

    An unchanged file (same hash of bytes and catalog entry) keeps its entry and is not read again.
    """
    catalog = load_catalog(settings.corpus_dir)
    files_meta: dict[str, dict[str, Any]] = {}
    new_chunks: list[Chunk] = []
    for path, source in files:
        entry = catalog.get(source)
        digest = file_hash(path, entry)
        previous = old_files.get(source)
        # A file indexed without its scanned pages is read again once OCR is there to read them.
        awaits_ocr = bool(previous and previous.get("unread_pages")) and bool(installed_languages(settings.ocr_command))
        if previous and previous["sha256"] == digest and source not in redo and not awaits_ocr:
            files_meta[source] = previous
            report.unchanged.append(source)
            continue
        try:
            documents = load_file(
                path,
                source,
                entry,
                settings.max_file_mb * 2**20,
                settings.max_text_chars,
                _of_file(progress, source),
                settings.ocr_command,
            )
            chunks = [
                c
                for d in documents
                for c in chunk_document(d, settings.chunk_max_chars, settings.chunk_overlap_sentences)
            ]
        except LoadError as exc:
            report.skipped.append((str(path), str(exc)))
            continue
        except Exception as exc:  # a loader bug on one odd file must not stop the whole ingest
            report.skipped.append((str(path), f"unexpected error while reading ({type(exc).__name__}: {exc})"))
            continue
        new_chunks.extend(chunks)
        files_meta[source] = {"sha256": digest, "documents": [_document_entry(d, chunks) for d in documents]}
        if entry is not None and entry.groups:
            files_meta[source]["groups"] = list(entry.groups)
        (report.updated if previous else report.added).append(source)
        unread = sorted({p for d in documents for p in d.unread_pages})
        if unread:
            files_meta[source]["unread_pages"] = unread
            report.partial.append((str(path), _unread_reason(unread, settings.ocr_command)))
    return files_meta, new_chunks


def _of_file(progress: Progress | None, source: str) -> Progress | None:
    """Return `progress` with the file named in what it reports ("OCR page 3/40 of scans/act.pdf")."""
    if progress is None:
        return None
    return lambda done, total, what: progress(done, total, f"{what} of {source}")


def _unread_reason(pages: Sequence[int], ocr_command: str) -> str:
    """Return one line naming the pages left out of a file for want of OCR."""
    numbers = ", ".join(map(str, pages[:20])) + (f" and {len(pages) - 20} more" if len(pages) > 20 else "")
    why = "OCR failed on them" if installed_languages(ocr_command) else f"OCR ({ocr_command}) is not installed"
    return f"page{'s' if len(pages) > 1 else ''} {numbers} skipped: no text layer and {why}; run scripts/install-ocr.sh"


def _document_entry(document: Document, chunks: Sequence[Chunk]) -> dict[str, Any]:
    """Return what the manifest records of one document: its metadata and how many pages and chunks it has."""
    return {
        "id": document.id,
        "title": document.title,
        "organisation": document.organisation,
        "date": document.date,
        "url": document.url,
        "kind": document.kind,
        "pages": len(document.page_spans),
        "chunks": sum(1 for c in chunks if c.doc_id == document.id),
    }


def _carry_over(
    old_files: Mapping[str, dict[str, Any]],
    files_meta: dict[str, dict[str, Any]],
    redo: frozenset[str],
    scanned_dirs: Sequence[Path],
    corpus: Path,
    report: IngestReport,
) -> None:
    """Keep in `files_meta` the indexed files this ingest did not read; report the deleted ones as removed."""
    for source, meta in old_files.items():
        if source in files_meta:
            continue
        path = source_path(source, corpus)
        if source in redo:
            report.removed.append(source)  # its chunks may be half gone: only a readable file brings them back
        elif path.exists() or not any(is_within(path, d) for d in scanned_dirs):
            files_meta[source] = meta  # not scanned this time, or unreadable now: keep what we had
        else:
            report.removed.append(source)


def _write(
    settings: Settings,
    embedder: Embedder,
    old_index: Index | None,
    interrupted: PendingWrite | None,
    files_meta: Mapping[str, dict[str, Any]],
    new_chunks: Sequence[Chunk],
    report: IngestReport,
    progress: Progress | None,
) -> Store:
    """Embed the new chunks, write them with the kept ones to the store, and publish the new generation."""
    target = StoreTarget.from_settings(settings)
    kept_sources = {s for s in files_meta if s not in report.added and s not in report.updated}
    kept_chunks = [c for c in old_index.store.chunks if c.source in kept_sources] if old_index else []
    new_vectors = embed_chunks(embedder, new_chunks, settings.embed_batch_size, progress)
    manifest = Manifest(
        embedder=embedder.name,
        dim=embedder.dim,
        chunking=chunking_settings(settings),
        files=dict(sorted(files_meta.items())),
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        store=target,
    )
    # A Milvus collection keeps the vectors of unchanged chunks in place; FAISS files are written whole.
    in_place = target.kind == "milvus" and old_index is not None and not report.store_changed
    kept_vectors = None if in_place else _kept_vectors(old_index, kept_chunks, embedder, settings, progress)
    store: Store
    if target.kind == "milvus":
        store, report.generation = publish_update(
            settings.index_dir,
            manifest,
            old_index,
            kept_chunks,
            kept_vectors,
            new_chunks,
            new_vectors,
            interrupted,
            settings.milvus_token,
        )
    else:
        assert kept_vectors is not None
        vectors = np.vstack([kept_vectors, new_vectors])
        store = FaissStore.build([*kept_chunks, *new_chunks], vectors, embedder.dim, settings.approximate_above)
        report.generation = publish(settings.index_dir, store, manifest)
    clear_pending(settings.index_dir)
    return store


def _kept_vectors(
    old_index: Index | None, kept: Sequence[Chunk], embedder: Embedder, settings: Settings, progress: Progress | None
) -> np.ndarray:
    """Return the vectors of the unchanged chunks, read from the old store (embedded again if it lost them)."""
    if old_index is None or not kept:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    try:
        return old_index.store.vectors_of([c.id for c in kept])
    except IndexDamagedError:
        return embed_chunks(embedder, kept, settings.embed_batch_size, progress)


def embed_chunks(
    embedder: Embedder, chunks: Sequence[Chunk], batch_size: int = 32, progress: Progress | None = None
) -> np.ndarray:
    """Return the vectors of `chunks`, in their order, embedded in batches of similar length.

    A batch is padded to its longest text; longest first, a batch's texts are nearly the same length,
    which made ingest's embedding 1.1x faster on generated reports and on the real library (eval/benchmarks/ingest.md).
    """
    texts = [indexed_text(c) for c in chunks]
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    vectors = np.empty((len(texts), embedder.dim), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        vectors[batch] = embedder.embed_passages([texts[i] for i in batch])
        if progress:
            progress(min(start + batch_size, len(texts)), len(texts), "embedding")
    return vectors
