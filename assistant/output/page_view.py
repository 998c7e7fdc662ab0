"""A PDF page as an image, rendered once and cached on disk, with the boxes of a quote on it."""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from assistant.errors import AssistantError
from assistant.output.page_match import Box, Glyph, letter_key, quote_boxes

# Wide enough to read a footnote in the panel or opened on its own, small enough (~100-250 KB a page) that a
# cache of a few hundred pages stays small.
PAGE_WIDTH_PX = 1100
CACHE_MAX_BYTES = 200 * 1024 * 1024
# A page with fewer letters than this in its text layer is a scan (a stray page number is not a text layer).
MIN_TEXT_LETTERS = 20
_DEVICE = 10_000  # the device size pdfium maps page points into; boxes are that divided back to fractions
# pdfium is not thread-safe and Gradio runs handlers in threads: one page at a time.
_PDFIUM = threading.Lock()


class PageViewError(AssistantError):
    """The page cannot be shown (the file is no PDF any more, or has no such page)."""


@dataclass(frozen=True, slots=True)
class PageView:
    """A rendered page and where the quote stands on it."""

    image: Path  # the cached PNG
    page: int  # 1-based
    pages: int  # in the file
    boxes: tuple[Box, ...]  # one per line of the quote; empty when it was not found
    text_from: str  # "text layer", "OCR", or "" when the page has no text to search (a scan, no OCR here)
    aspect: float  # the image's height over its width


def page_view(pdf: Path, pages: Sequence[int], quote: str, cache_dir: Path) -> PageView:
    """Return the first of `pages` that holds `quote` best, rendered, with the quote's boxes.

    A chunk starts on one page and may end on the next: both are searched. A page without a text
    layer is searched in its OCR words when Tesseract is installed.
    """
    if not pages:
        raise PageViewError("No page to show.")
    wanted = len(letter_key(quote)[0])
    best: PageView | None = None
    best_matched = -1
    for page in pages:
        try:
            glyphs, count, aspect = page_glyphs(pdf, page)
        except PageViewError:
            if page == pages[0]:
                raise
            break  # the chunk's page was the last one
        text_from = "text layer" if _letters(glyphs) >= MIN_TEXT_LETTERS else ""
        if not text_from:
            ocr = ocr_glyphs(render_page(pdf, page, cache_dir))
            glyphs, text_from = (ocr, "OCR") if ocr is not None else ([], "")
        boxes, matched = quote_boxes(glyphs, quote)
        if matched > best_matched:
            best, best_matched = PageView(Path(), page, count, boxes, text_from, aspect), matched
        if matched >= wanted:
            break  # the whole quote is on this page
    assert best is not None
    return replace(best, image=render_page(pdf, best.page, cache_dir))


def _letters(glyphs: Sequence[Glyph]) -> int:
    return sum(g.char.isalnum() for g in glyphs)


def _open(pdf: Path, page: int) -> tuple[pdfium.PdfDocument, int]:
    """Return the open document and its page count; PageViewError when it is unreadable or has no page `page`."""
    try:
        document = pdfium.PdfDocument(str(pdf))
    except (pdfium.PdfiumError, OSError) as exc:
        raise PageViewError(f"Cannot open {pdf.name} as a PDF: {exc}.") from None
    count = len(document)
    if not 1 <= page <= count:
        document.close()
        raise PageViewError(f"{pdf.name} has no page {page} (it has {count}): was it changed since it was indexed?")
    return document, count


def page_glyphs(pdf: Path, page: int) -> tuple[list[Glyph], int, float]:
    """Return the characters of page `page` (1-based) of `pdf` with their boxes, the file's page count and
    the page's height over its width."""
    with _PDFIUM:
        document, count = _open(pdf, page)
        try:
            pdf_page = document[page - 1]
            text_page = pdf_page.get_textpage()
            width, height = pdf_page.get_size()
            if pdf_page.get_rotation() in (90, 270):
                width, height = height, width
            # The device keeps the rendered page's aspect, so a box divided by it is a share of the image.
            dev_w, dev_h = _DEVICE, max(1, round(_DEVICE * height / width))
            glyphs = []
            for i in range(text_page.count_chars()):
                char = chr(pdfium_c.FPDFText_GetUnicode(text_page.raw, i))
                left, bottom, right, top = text_page.get_charbox(i)
                x0, y0 = _to_device(pdf_page, dev_w, dev_h, left, top)
                x1, y1 = _to_device(pdf_page, dev_w, dev_h, right, bottom)
                glyphs.append(
                    Glyph(char, Box(min(x0, x1) / dev_w, min(y0, y1) / dev_h, max(x0, x1) / dev_w, max(y0, y1) / dev_h))
                )
            return glyphs, count, height / width
        finally:
            document.close()


def _to_device(page: pdfium.PdfPage, width: int, height: int, x: float, y: float) -> tuple[int, int]:
    """Return page point (x, y) on a device of `width` x `height`, as pdfium renders it (crop box, rotation)."""
    dx, dy = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, width, height, 0, ctypes.c_double(x), ctypes.c_double(y), dx, dy)
    return dx.value, dy.value


def render_page(pdf: Path, page: int, cache_dir: Path, width_px: int = PAGE_WIDTH_PX) -> Path:
    """Return the path of page `page` of `pdf` as a PNG, rendered on the first call and cached in `cache_dir`.

    The cache key holds the file's path, size and modification time, so a changed file is rendered anew.
    """
    stat = pdf.stat()
    key = hashlib.sha256(f"{pdf.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{page}|{width_px}".encode()).hexdigest()
    target = cache_dir / f"{key[:32]}.png"
    if target.is_file():
        os.utime(target)  # recently used: the last to be evicted
        return target
    with _PDFIUM:
        document, _ = _open(pdf, page)
        try:
            pdf_page = document[page - 1]
            image = pdf_page.render(scale=width_px / pdf_page.get_width()).to_pil()
        finally:
            document.close()
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Written beside its final name and renamed: a reader never sees half a PNG, two writers never clash.
    handle, temp = tempfile.mkstemp(dir=cache_dir, prefix=".render-", suffix=".png")
    try:
        with os.fdopen(handle, "wb") as out:
            image.save(out, format="PNG", optimize=False)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    prune_cache(cache_dir, keep=target)
    return target


def prune_cache(cache_dir: Path, max_bytes: int = CACHE_MAX_BYTES, keep: Path | None = None) -> list[Path]:
    """Delete the least recently used page images until the cache holds at most `max_bytes`; return those deleted."""
    entries = []
    for path in cache_dir.glob("*.png"):
        try:
            stat = path.stat()
        except FileNotFoundError:  # another thread evicted it meanwhile
            continue
        entries.append((stat.st_mtime_ns, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    deleted = []
    for _, size, path in sorted(entries):
        if total <= max_bytes:
            break
        if path == keep:
            continue
        path.unlink(missing_ok=True)
        total -= size
        deleted.append(path)
    return deleted


def tesseract_available() -> bool:
    """Return True when pytesseract and the tesseract program are both installed."""
    return importlib.util.find_spec("pytesseract") is not None and shutil.which("tesseract") is not None


def ocr_glyphs(image: Path, languages: str = "eng") -> list[Glyph] | None:
    """Return the words Tesseract reads on a page image, each letter with its word's box; None without Tesseract.

    Kept apart so the OCR module (ingest/ocr.py) can be wired in here and its own boxes reused.
    """
    if not tesseract_available():
        return None
    import pytesseract
    from PIL import Image

    with Image.open(image) as picture:
        width, height = picture.size
        data = pytesseract.image_to_data(picture, lang=languages, output_type=pytesseract.Output.DICT)
    glyphs: list[Glyph] = []
    columns = (data["text"], data["left"], data["top"], data["width"], data["height"])
    for word, left, top, w, h in zip(*columns, strict=True):
        word = str(word).strip()
        if not word:
            continue
        box = Box(left / width, top / height, (left + w) / width, (top + h) / height)
        if glyphs:
            glyphs.append(Glyph(" ", Box(0, 0, 0, 0)))
        glyphs.extend(Glyph(ch, box) for ch in word)
    return glyphs
