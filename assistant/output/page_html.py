"""The HTML of a PDF page in the source panel: the band around the quote, its highlights, a caption."""

from __future__ import annotations

import html
from collections.abc import Sequence

from assistant.output.page_match import Box

# The share of a page's height the source panel shows around a quote: on an A4 page at the panel's width, a
# dozen lines of context above and below, and the passage's text stays in view above it.
PAGE_BAND = 0.4


def page_html(src: str, page: int, pages: int, boxes: Sequence[Box], text_from: str, aspect: float = 297 / 210) -> str:
    """Return the page image at `src` with a highlight over each box (fractions of the page), and a caption.

    The panel shows the band of the page around the quote (the whole page when nothing is highlighted);
    the image opens whole in a new tab. Highlights and band are set in percent, so they hold at any width.
    """
    marks = "".join(
        f'<span class="page-mark" style="left:{b.left * 100:.2f}%;top:{b.top * 100:.2f}%;'
        f'width:{(b.right - b.left) * 100:.2f}%;height:{(b.bottom - b.top) * 100:.2f}%"></span>'
        for b in boxes
    )
    if boxes:
        where = "the quoted words are highlighted" + (" (found by OCR)" if text_from == "OCR" else "")
    elif text_from:
        where = "the quoted words could not be placed on it"
    else:
        where = "a scan without a text layer: the words cannot be highlighted without OCR"
    top, height = page_band(boxes)
    url = html.escape(src, quote=True)
    return (
        f'<figure class="page-view"><figcaption>Page {page} of {pages}: {where}. '
        f'<a href="{url}" target="_blank" rel="noopener noreferrer">Open the whole page ↗</a></figcaption>'
        f'<div class="page-window" style="aspect-ratio:1/{aspect * height:.4f}">'
        # translateY's percent is of the frame's own height: the whole page.
        f'<div class="page-frame" style="transform:translateY(-{top * 100:.2f}%)">'
        f'<img class="page-image" src="{url}" alt="Page {page} of the source">{marks}</div></div></figure>'
    )


def page_band(boxes: Sequence[Box], least: float = PAGE_BAND) -> tuple[float, float]:
    """Return (top, height) of the band of the page shown around `boxes`, as fractions; (0, 1) without boxes."""
    if not boxes:
        return 0.0, 1.0
    first, last = min(b.top for b in boxes), max(b.bottom for b in boxes)
    height = min(1.0, max(least, last - first + 0.1))
    top = min(max(0.0, (first + last) / 2 - height / 2), 1.0 - height)
    return top, height


def page_note_html(message: str) -> str:
    """Return the line shown instead of the page when it cannot be shown."""
    return f'<p class="page-note">{html.escape(message)}</p>'
