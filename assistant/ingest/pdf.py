"""The PDF loader: each page's text layer (or OCR's reading) without running headers and footers, tables as
rows, with page offsets."""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from assistant.errors import LoadError
from assistant.ingest import cleaning, ocr
from assistant.ingest.catalog import CatalogEntry
from assistant.ingest.documents import clean_block, make_document, with_title
from assistant.ingest.pdf_tables import with_table_rows
from assistant.ingest.text_quality import TextQuality, text_quality
from assistant.types import Document, Progress


def load_pdf(
    raw: bytes,
    source: str,
    entry: CatalogEntry,
    progress: Progress | None = None,
    ocr_command: str = "tesseract",
) -> Document:
    """Return the Document of the PDF bytes `raw`; raise LoadError with a one-line reason if unreadable.

    Pages without a good text layer are read with OCR by `ocr_command` (Tesseract) where it is installed.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("encrypted PDF (needs a password); save an unprotected copy")
        read = page_texts(reader, raw, progress, ocr_command)
        pages = list(read.texts)
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
        if read.unread and not ocr.installed_languages(ocr_command):
            raise LoadError(
                f"scanned PDF: none of its {len(cleaned_pages)} pages has a text layer, and OCR "
                f"({ocr_command}) is not installed; run scripts/install-ocr.sh"
            )
        if read.unread:
            raise LoadError(f"scanned PDF: OCR failed on all its {len(cleaned_pages)} pages")
        raise LoadError("PDF has no text layer and OCR found no text on its pages")
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page_text in cleaned_pages:
        starts.append(offset)
        parts.append(page_text)
        offset += len(page_text) + 2
    text = "\n\n".join(parts)
    document = make_document(source, with_title(entry, meta_title), "pdf", text, tuple(starts))
    ocr_pages = tuple(n for n in read.ocr if cleaned_pages[n - 1])
    return replace(document, ocr_pages=ocr_pages, unread_pages=read.unread)


# OCR's reading replaces a text layer only when it scores this much better on the quality test. On the library
# (docs/ingest.md) OCR gains 0.22-0.35 over the gazette's bad text layer, and at most 0.002 over born-digital
# pages that fail the test for other reasons (Swahili speeches), where it would only add its own misreadings.
MIN_GAIN = 0.05
# ... and only when it reads at least this share of the text layer's words: the colophon of e03 has a hidden
# Dutch text layer beside the English one on the page, which OCR (21 words of the layer's 41) cannot see.
MIN_COVERAGE = 0.7


def prefer_ocr(reading: TextQuality, layer: TextQuality) -> bool:
    """Return whether OCR's `reading` of a page should replace its text `layer`."""
    if not layer.has_text:
        return True
    return reading.score > layer.score + MIN_GAIN and reading.words >= MIN_COVERAGE * layer.words


@dataclass(frozen=True, slots=True)
class PageTexts:
    """The raw text of each page of a PDF, and how it was read."""

    texts: tuple[str, ...]
    ocr: tuple[int, ...] = ()  # 1-based pages whose text is OCR's
    unread: tuple[int, ...] = ()  # pages with no text layer that OCR could not read (not installed, or failed)


# Pages OCR'd at once: Tesseract is given one thread per page, so one page per core.
OCR_WORKERS = max(1, min(4, os.cpu_count() or 1))


def page_texts(
    reader: object, raw: bytes, progress: Progress | None = None, ocr_command: str = "tesseract"
) -> PageTexts:
    """Return the text of each page of `reader` (a pypdf PdfReader of `raw`): its text layer, or OCR's reading.

    A page whose text layer fails the quality test (ingest/text_quality.py) is recognised by OCR, and
    OCR's text is taken only where it scores better; without OCR such a page keeps its text layer, and a
    page with no text layer at all is reported unread.
    """
    texts = [page.extract_text() or "" for page in reader.pages]  # type: ignore[attr-defined]
    layers = [text_quality(text) for text in texts]
    weak = [i for i, layer in enumerate(layers) if not layer.passes]
    if not weak:
        return PageTexts(tuple(texts))
    blank = tuple(i + 1 for i in weak if not layers[i].has_text)
    languages = ocr.installed_languages(ocr_command)
    if not languages:
        return PageTexts(tuple(texts), unread=blank)
    import pypdfium2

    try:
        with ocr.PDFIUM:
            pdf = pypdfium2.PdfDocument(raw)
    except pypdfium2.PdfiumError:  # pypdf read it but PDFium cannot render it: keep what the text layer has
        return PageTexts(tuple(texts), unread=blank)
    ocr_pages: list[int] = []
    unread: list[int] = []

    def read(i: int) -> str:
        image = ocr.render_page(pdf, i)  # under the PDFium lock; Tesseract runs outside it
        return ocr.words_text(ocr.read_page(image, ocr_command, languages, layers[i].script))

    # Tesseract runs one thread per page (ocr._THREADS), so pages are read OCR_WORKERS at a time: one per
    # core. The results are taken in page order, so the text and the progress read as before.
    pool = ThreadPoolExecutor(max_workers=OCR_WORKERS)
    try:
        readings = {i: pool.submit(read, i) for i in weak}
        for done, i in enumerate(weak, start=1):
            if progress:
                progress(done, len(weak), f"OCR page {i + 1}/{len(texts)}")
            try:
                reading = readings[i].result()
            except (LoadError, pypdfium2.PdfiumError):
                if not layers[i].has_text:
                    unread.append(i + 1)
                continue
            if prefer_ocr(text_quality(reading), layers[i]):
                texts[i] = reading
                ocr_pages.append(i + 1)
    finally:
        # On an error (or an interrupted ingest) the pages not yet started are dropped, not read to no end;
        # the ones running finish before the document they render from is closed.
        pool.shutdown(wait=True, cancel_futures=True)
        with ocr.PDFIUM:
            pdf.close()
    return PageTexts(tuple(texts), tuple(ocr_pages), tuple(unread))
