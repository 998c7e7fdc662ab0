"""An Answer as plain text: one line with [n] markers, or the terminal's view with its sources."""

from __future__ import annotations

from assistant.types import Answer


def page_numbers(page: int | None, ocr: bool = False, last: int | None = None) -> str:
    """Return "3", "3–4" when `last` is a later page, with " (OCR)" when the text was read by OCR; "" without a page."""
    if not page:
        return ""
    numbers = f"{page}–{last}" if last and last > page else str(page)
    return f"{numbers} (OCR)" if ocr else numbers


def page_label(page: int | None, ocr: bool = False, last: int | None = None) -> str:
    """Return "p. 3", "pp. 3–4" when `last` is a later page, "p. 3 (OCR)" when read by OCR; "" without a page.

    A citation names one page, the one its quote is on; a passage shown whole names every page it spans.
    """
    numbers = page_numbers(page, ocr, last)
    if not numbers:
        return ""
    return f"pp. {numbers}" if last and page and last > page else f"p. {numbers}"


def render_text(answer: Answer) -> str:
    """Return the answer as plain text with [n] markers; unverified statements are flagged, never bare.

    An abstention reads as its reason (followed by any unverified model output, flagged); a partial
    answer ends with what the documents do not say.
    """
    parts = []
    for s in answer.statements:
        marks = "".join(f"[{c.n}]" for c in dict.fromkeys(s.citations))
        flag = " (unverified)" if s.support != "verified" else ""
        parts.append(f"{s.text} {marks}{flag}".strip())
    if answer.abstained:
        return answer.reason + (" Unverified output: " + " ".join(parts) if parts else "")
    text = " ".join(parts)
    return f"{text} {answer.reason}".strip() if answer.reason else text


def render_terminal(answer: Answer) -> str:
    """Return the answer for a terminal: the text with [n] markers, then the sources or related passages."""
    lines = [render_text(answer)]
    if answer.reason and answer.statements:
        lines.append(f"({answer.reason})")
    hits = {h.chunk.id: h for h in answer.hits}
    cited = {c.n: c for s in answer.statements for c in s.citations}
    if cited:
        lines.append("\nSources:")
        for n in sorted(cited):
            c = cited[n]
            where = ", ".join(p for p in (c.source, page_label(c.page, c.ocr)) if p)
            quote = " ".join(hits[c.chunk_id].chunk.text[c.start : c.end].split()) if c.chunk_id in hits else ""
            lines.append(f"[{n}] {c.title} ({where})\n    “{clip(quote, 240)}”")
    elif answer.abstained and answer.hits:
        lines.append("\nRelated passages:")
        for hit in answer.hits[:3]:
            chunk = hit.chunk
            lines.append(f"- {chunk.title} ({chunk.source}): {clip(' '.join(chunk.text.split()), 200)}")
    return "\n".join(lines)


def clip(text: str, limit: int) -> str:
    """Return `text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
