"""The `ask --json` object (../shared/DESIGN.md, "Interfaces"): what the CLI prints and eval runs store."""

from __future__ import annotations

from typing import Any

from assistant.output.text import render_text
from assistant.retrieval.hits import hit_json
from assistant.types import Answer, Citation


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """Return the `ask --json` object fixed by the design (../shared/DESIGN.md, "Interfaces").

    Extra keys: `reason`, `standalone_question`, per statement its support `score`, per citation its
    `chunk_id` and `spans` (every quoted [start, end] in the chunk; `quote` joins them with " … ").
    """
    return {
        "question": answer.question,
        "answer": render_text(answer),
        "abstained": answer.abstained,
        "reason": answer.reason,
        "statements": [
            {
                "text": s.text,
                "citations": list(dict.fromkeys(c.n for c in s.citations)),
                "support": s.support,
                "score": round(s.support_score, 4),
            }
            for s in answer.statements
        ],
        "citations": citations_json(answer),
        "retrieved": [hit_json(h) for h in answer.hits],
        "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
        "standalone_question": answer.standalone_question,
    }


def citations_json(answer: Answer) -> list[dict[str, Any]]:
    """Return each citation number once, in order, with the whole cited chunk and every span quoted from it."""
    by_span: dict[int, dict[tuple[int, int], Citation]] = {}
    for statement in answer.statements:
        for c in statement.citations:
            by_span.setdefault(c.n, {}).setdefault((c.start, c.end), c)
    hits_by_chunk = {h.chunk.id: h for h in answer.hits}
    citations = []
    for n in sorted(by_span):
        ordered = sorted(by_span[n])
        # "page" and "ocr" are those of the first span, the one "start" and "end" give: the page it is on.
        c = by_span[n][ordered[0]]
        hit = hits_by_chunk.get(c.chunk_id)
        text = hit.chunk.text if hit else ""
        citations.append(
            {
                "n": n,
                "source": c.source,
                "title": c.title,
                "page": c.page,
                "ocr": c.ocr,
                "text": text,
                "quote": " … ".join(text[a:b] for a, b in ordered),
                "score": round(hit.score, 6) if hit else None,
                "chunk_id": c.chunk_id,
                "start": ordered[0][0],
                "end": ordered[0][1],
                "spans": [list(span) for span in ordered],
            }
        )
    return citations
