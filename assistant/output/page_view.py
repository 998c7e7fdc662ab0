"""A PDF page as an image, rendered once and cached on disk, with the boxes of a quote on it."""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import astuple, dataclass, replace
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from assistant.errors import AssistantError
from assistant.ingest import ocr
from assistant.output.page_match import Box, Glyph, letter_key, quote_boxes

# Wide enough to read a footnote in the panel or opened on its own. Saved with a 256-colour palette: on the
# library's pages a median 100 KB and 50 ms, against 420 KB and 115 ms in full colour, with no visible loss
# on printed text; so the 200 MB cache holds about 2,000 pages.
PAGE_WIDTH_PX = 1100
# The page view has no settings of its own; ingest's default Tesseract command (Settings.ocr_command).
OCR_COMMAND = "tesseract"
CACHE_MAX_BYTES = 200 * 1024 * 1024
# A page with fewer letters than this in its text layer is a scan (a stray page number is not a text layer).
MIN_TEXT_LETTERS = 20
_DEVICE = 10_000  # the device size pdfium maps page points into; boxes are that divided back to fractions


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

    A quote starts on the first of `pages` and may run onto the next (ui/sources.quote_pages): they are
    searched in order, in their text layers first, and the first that holds the whole quote wins.
    When none holds the quote (a scan, or a text layer so poor that the indexed text came from OCR),
    the pages' own words are read with Tesseract, where it is installed.
    """
    if not pages:
        raise PageViewError("No page to show.")
    wanted = len(letter_key(quote)[0])
    seen: list[PageView] = []
    best: tuple[int, PageView] | None = None  # letters matched, view
    for page in pages:
        try:
            glyphs, count, aspect = page_glyphs(pdf, page)
        except PageViewError:
            if page == pages[0]:
                raise
            break  # the page the quote starts on was the last one
        has_text = _letters(glyphs) >= MIN_TEXT_LETTERS
        boxes, matched = quote_boxes(glyphs, quote) if has_text else ((), 0)
        view = PageView(Path(), page, count, boxes, "text layer" if has_text else "", aspect)
        seen.append(view)
        if best is None or matched > best[0]:
            best = (matched, view)
        if matched >= wanted:
            break  # the whole quote is on this page
    assert best is not None
    if wanted and not best[1].boxes:
        for view in seen:
            ocr = ocr_glyphs(render_page(pdf, view.page, cache_dir))
            if ocr is None:
                break  # no Tesseract here: the page is shown without a highlight
            boxes, matched = quote_boxes(ocr, quote)
            if (boxes and matched > best[0]) or (not view.text_from and view is best[1]):
                best = (matched, replace(view, boxes=boxes, text_from="OCR"))
            if matched >= wanted:
                break
    return replace(best[1], image=render_page(pdf, best[1].page, cache_dir))


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
    """Return the characters of page `page` (1-based) with their boxes, the page count, the page's aspect.

    The aspect is the displayed page's height over its width; the boxes are fractions of the displayed page.
    """
    with ocr.PDFIUM:
        document, count = _open(pdf, page)
        try:
            pdf_page = document[page - 1]
            text_page = pdf_page.get_textpage()
            width, height = pdf_page.get_size()  # as displayed: a /Rotate of 90 or 270 is already applied
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
    try:
        os.utime(target)  # recently used: the last to be evicted
        return target
    except FileNotFoundError:
        pass  # not rendered yet, or evicted a moment ago
    with ocr.PDFIUM:
        document, _ = _open(pdf, page)
        try:
            pdf_page = document[page - 1]
            image = pdf_page.render(scale=width_px / pdf_page.get_width()).to_pil()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.quantize(256, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG")
    write_atomic(target, buffer.getvalue())
    prune_cache(cache_dir, keep=target)
    return target


def write_atomic(target: Path, data: bytes) -> None:
    """Write `data` to `target` beside it and rename it into place: a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".write-", suffix=target.suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def prune_cache(cache_dir: Path, max_bytes: int = CACHE_MAX_BYTES, keep: Path | None = None) -> list[Path]:
    """Delete the least recently used page images (and OCR words) until the cache holds at most `max_bytes`.

    Returns the files deleted.
    """
    entries = []
    for path in [*cache_dir.glob("*.png"), *cache_dir.glob("*.words.json")]:
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
    """Return True when Tesseract is installed with at least one of the languages ingest reads."""
    return bool(ocr.installed_languages(OCR_COMMAND))


def ocr_glyphs(image: Path) -> list[Glyph] | None:
    """Return the words Tesseract reads on a page image, each letter with its word's box; None without Tesseract.

    The words are cached beside the image (OCR takes seconds a page, a second click on the citation should
    not). Tesseract is run as ingest runs it (ingest/ocr.py), with the languages of the page's script.
    """
    if not tesseract_available():
        return None
    cached = image.with_suffix(".words.json")
    try:
        words = [(str(w), Box(*b)) for w, b in json.loads(cached.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        words = _tesseract_words(image)
        write_atomic(cached, json.dumps([(w, astuple(b)) for w, b in words]).encode("utf-8"))
    glyphs: list[Glyph] = []
    for word, box in words:
        if glyphs:
            glyphs.append(Glyph(" ", Box(0, 0, 0, 0)))
        glyphs.extend(Glyph(ch, box) for ch in word)
    return glyphs


def _tesseract_words(image: Path) -> list[tuple[str, Box]]:
    with Image.open(image) as picture:
        width, height = picture.size
        words = ocr.read_page(picture, OCR_COMMAND, ocr.installed_languages(OCR_COMMAND))
    return [(w.text, Box(w.left / width, w.top / height, w.right / width, w.bottom / height)) for w in words]
