"""Removing a document: its file leaves the corpus, its readers leave the uploads' catalog, its chunks the index."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.embedding.embedder import Embedder
from assistant.errors import AssistantError
from assistant.index.generations import Manifest
from assistant.ingest.catalog import set_upload_groups
from assistant.ingest.files import is_within, source_path
from assistant.ingest.update import IngestReport, ingest


class RemoveError(AssistantError):
    """A document cannot be removed (unknown, or its file is not in the corpus folder); the message says which."""


def find_source(manifest: Manifest, doc_id: str) -> str | None:
    """Return the source file that holds the document `doc_id` in the index of `manifest`, or None."""
    for source, entry in manifest.files.items():
        if any(doc.get("id") == doc_id for doc in entry.get("documents", [])):
            return source
    return None


def remove_source(settings: Settings, source: str, embedder: Embedder | None = None) -> IngestReport:
    """Delete the corpus file `source` and return the report of the ingest that dropped its chunks.

    A file holds every document read from it (a news feed holds one per item): they all go. The file's folder
    is ingested again, which is what drops a deleted file's chunks (a new file put there meanwhile is indexed
    too). Its entry in the uploads' catalog goes after the index no longer holds it; an entry that people wrote
    in corpus/catalog.toml stays theirs to edit.
    """
    corpus = settings.corpus_dir.resolve()
    path = source_path(source, corpus)
    if Path(source).is_absolute() or not is_within(path.resolve(), corpus) or path.resolve() == corpus:
        raise RemoveError(f"{source} is not a file of the corpus folder {settings.corpus_dir}/: it cannot be removed.")
    if not path.is_file():
        raise RemoveError(f"{source} is no longer in the corpus folder: run an ingest to drop it from the index.")
    path.unlink()
    report = ingest(settings, [path.parent], embedder=embedder)
    set_upload_groups(settings.corpus_dir, source, ())
    return report
