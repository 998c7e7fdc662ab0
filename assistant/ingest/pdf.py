"""The PDF loader: each page's text layer without running headers and footers, tables as rows, with page offsets."""

from __future__ import annotations

import io

from assistant.errors import LoadError
from assistant.ingest import cleaning
from assistant.ingest.catalog import CatalogEntry
from assistant.ingest.documents import clean_block, make_document, with_title
from assistant.ingest.pdf_tables import with_table_rows
from assistant.types import Document, Progress


def load_pdf(raw: bytes, source: str, entry: CatalogEntry, progress: Progress | None = None) -> Document:
    """Return the Document of the PDF bytes `raw`; raise LoadError with a one-line reason if unreadable."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("encrypted PDF (needs a password); save an unprotected copy")
        pages = page_texts(reader, progress)
        meta_title = (reader.metadata.title or "") if reader.metadata else ""
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, NotImplementedError) as exc:
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:80]})") from None
    except Exception as exc:  # pypdf raises many ad-hoc types on broken files; none may stop an ingest
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__})") from None
    pages = [cleaning.join_hyphenated(cleaning.normalise(p)) for p in pages]
    pages = cleaning.drop_repeated_lines(pages)
    # After the furniture is gone: a row line at the foot of many pages is data, not a running footer.
    pages = with_table_rows(raw, reader, pages)
    cleaned_pages = [clean_block(p) for p in pages]
    if not any(cleaned_pages):
        raise LoadError("PDF has no text layer (scanned images?); run OCR on it first")
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page_text in cleaned_pages:
        starts.append(offset)
        parts.append(page_text)
        offset += len(page_text) + 2
    text = "\n\n".join(parts)
    return make_document(source, with_title(entry, meta_title), "pdf", text, tuple(starts))


def page_texts(reader: object, progress: Progress | None = None) -> list[str]:
    """Return the raw text of each page of `reader` (a pypdf PdfReader), in order."""
    return [page.extract_text() or "" for page in reader.pages]  # type: ignore[attr-defined]
