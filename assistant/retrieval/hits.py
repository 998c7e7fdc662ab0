"""A retrieved passage as JSON: the one form `search --json`, `ask --json`'s retrieved list and LangChain share."""

from __future__ import annotations

from typing import Any

from assistant.types import Hit


def hit_json(hit: Hit) -> dict[str, Any]:
    """Return the hit's rank and scores (rounded to 6 places), its chunk's citation fields, offsets and text."""
    c = hit.chunk
    return {
        "rank": hit.rank,
        "score": round(hit.score, 6),
        "scores": {k: round(v, 6) for k, v in hit.scores.items()},
        "source": c.source,
        "title": c.title,
        "organisation": c.organisation,
        "date": c.date,
        "url": c.url,
        "page": c.page,
        "ocr": c.ocr,
        "section": c.section,
        "chunk_id": c.id,
        "start": c.start,
        "end": c.end,
        "text": c.text,
    }
