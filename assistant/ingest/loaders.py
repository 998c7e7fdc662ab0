"""Loaders: turn a txt, md, html, pdf, docx, odt, csv or xlsx file into cleaned Documents (news feeds: one per item)."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import LoadError
from assistant.ingest import cleaning
from assistant.ingest.catalog import CatalogEntry
from assistant.ingest.documents import clean_block, make_document, with_title
from assistant.ingest.newsfeed import looks_like_feed, split_feed
from assistant.ingest.office import docx_text
from assistant.ingest.opendocument import odt_text
from assistant.ingest.pdf import load_pdf
from assistant.ingest.tables import csv_text, xlsx_text
from assistant.types import Document, Progress

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
OFFICE_SUFFIXES = {".docx", ".odt", ".csv", ".xlsx"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | OFFICE_SUFFIXES | {".pdf"}
_TRANSCRIPTION = re.compile(r"^\s*Transcription:\s*$", re.MULTILINE)
_TRAILING_PAGE = re.compile(r"\s(\d{1,3})$")


def load_file(
    path: Path,
    source: str,
    entry: CatalogEntry | None = None,
    max_bytes: int = 200 * 2**20,
    max_chars: int = 5_000_000,
    progress: Progress | None = None,
    ocr_command: str = "tesseract",
) -> list[Document]:
    """Return the documents in the file at `path`; raise LoadError with a one-line reason if unreadable.

    `source` is how citations name the file (its path relative to the corpus folder). Files over
    `max_bytes`, or whose text is over `max_chars`, are refused. `progress` hears of each page read where
    reading is slow (OCR, by the Tesseract `ocr_command`).
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(
            f"unsupported file type {suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(f"file too large ({size / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB)")
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file ({exc.strerror or exc})") from None
    if not raw.strip():
        raise LoadError("empty file")
    entry = entry or CatalogEntry()
    if suffix == ".pdf":
        documents = [load_pdf(raw, source, entry, progress, ocr_command)]
    elif suffix in OFFICE_SUFFIXES:
        documents = [_load_office(raw, suffix, source, entry, max_chars)]
    else:
        text = decode_text(raw)
        if len(text) > max_chars:
            raise LoadError(f"text too long ({len(text):,} characters; the limit is {max_chars:,}): split the file")
        if suffix in HTML_SUFFIXES:
            documents = [_load_html(text, source, entry)]
        elif looks_like_feed(text):
            documents = _load_feed(text, source, entry)
        else:
            documents = [_load_text(text, source, entry, kind=suffix.lstrip(".").replace("markdown", "md"))]
    total = sum(len(d.text) for d in documents)
    if total > max_chars:
        raise LoadError(f"text too long ({total:,} characters; the limit is {max_chars:,}): split the file")
    return documents


def decode_text(raw: bytes) -> str:
    """Return `raw` decoded (UTF-8/16/32 by BOM, UTF-8, else the best-guess charset); reject binary data."""
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                raise LoadError(f"text starts with a {codec} byte-order mark but does not decode as {codec}") from None
    sample = raw[:65536]
    if sample.count(b"\x00") > len(sample) // 100:
        raise LoadError("binary data, not text (NUL bytes); is it really a text file?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_legacy(raw)
    printable = sum(ch.isprintable() or ch in "\n\t\r" for ch in text[:65536])
    if printable < 0.9 * min(len(text), 65536):
        raise LoadError("binary data, not text (mostly unprintable characters)")
    return text


def _decode_legacy(raw: bytes) -> str:
    """Decode non-UTF-8 text: Windows-1252 (a superset of Latin-1 for text) when it fits, else a guess.

    Statistical detectors misread short Western European texts (Latin-1 French as Central European),
    and our documents are mostly English, French and Spanish, so 1252 is tried first.
    """
    if _fits_cp1252(raw):
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:1_000_000]).best()
    if best is None:
        raise LoadError("binary data or an unknown text encoding; save it as UTF-8")
    return raw.decode(best.encoding, errors="replace")


def _fits_cp1252(raw: bytes) -> bool:
    # Bytes 0x80-0x9F are curly quotes and dashes in 1252; five of them are undefined there.
    return not any(b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) for b in raw[:65536])


def _load_text(text: str, source: str, entry: CatalogEntry, kind: str) -> Document:
    text = cleaning.normalise(text)
    # Web transcriptions of PDFs (e.g. the IOM file) open with a list of "Similar documents" titles.
    marker = _TRANSCRIPTION.search(text)
    if marker and "Similar documents" in text[: marker.start()]:
        text = text[marker.end() :]
    cleaned = clean_block(text)
    cleaned, page_spans = extract_page_markers(cleaned)
    if not cleaned:
        raise LoadError("no text left after cleaning")
    return make_document(source, entry, kind, cleaned, page_spans)


def extract_page_markers(text: str) -> tuple[str, tuple[int, ...]]:
    """Strip the page numbers that end paragraphs of a transcribed PDF, returning page start offsets.

    Only a run of paragraphs ending in 1, 2, 3, ... (at least three) counts, so ordinary numbers stay.
    """
    paragraphs = text.split("\n\n")
    expected, marked = 1, {}
    for i, para in enumerate(paragraphs):
        match = _TRAILING_PAGE.search(para)
        if match and int(match.group(1)) == expected:
            marked[i] = match.start()
            expected += 1
    if len(marked) < 3:
        return text, ()
    out: list[str] = []
    starts = [0]
    offset = 0
    for i, para in enumerate(paragraphs):
        if i in marked:
            para = para[: marked[i]].rstrip()
        out.append(para)
        offset += len(para) + 2
        if i in marked and i != len(paragraphs) - 1:
            starts.append(offset)
    # Paragraphs after the last marker belong to the last page, not to a new one.
    return "\n\n".join(out), tuple(starts[: len(marked)])


def _load_office(raw: bytes, suffix: str, source: str, entry: CatalogEntry, max_chars: int) -> Document:
    """Return the Document of a Word or OpenDocument text, or a table (CSV, XLSX); a table's title is its file name."""
    title = Path(source).stem
    if suffix == ".docx":
        own_title, text = docx_text(raw)
        title = own_title or ""
    elif suffix == ".odt":
        own_title, text = odt_text(raw, max_chars)
        title = own_title or ""
    elif suffix == ".csv":
        text = decode_text(raw)
        if len(text) > max_chars:
            raise LoadError(f"text too long ({len(text):,} characters; the limit is {max_chars:,}): split the file")
        text = csv_text(cleaning.normalise(text), max_chars)
    else:
        text = xlsx_text(raw, max_chars)
    cleaned = clean_block(text)
    if not cleaned:
        raise LoadError("no text left after cleaning")
    return make_document(source, with_title(entry, title), suffix.lstrip("."), cleaned)


def _load_html(text: str, source: str, entry: CatalogEntry) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    body = clean_block(soup.get_text("\n"))
    if not body:
        raise LoadError("HTML page has no visible text")
    return make_document(source, with_title(entry, title), "html", body)


def _load_feed(text: str, source: str, entry: CatalogEntry) -> list[Document]:
    documents = []
    for item in split_feed(cleaning.normalise(text)):
        body = clean_block(item.text)
        if not body:
            continue
        item_entry = CatalogEntry(
            title=item.title, organisation=entry.organisation, date=item.date or entry.date, url=item.url
        )
        documents.append(make_document(source, item_entry, "news-item", body, ()))
    if not documents:
        raise LoadError("news feed holds no items with text")
    return documents
