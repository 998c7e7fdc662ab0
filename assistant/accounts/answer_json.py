"""An Answer as JSON and back, exactly: the form a stored conversation keeps its answers in (never pickle).

`to_json` writes `dataclasses.asdict` of the answer; `from_json` rebuilds every record field by field, with
tuples where the types have tuples, so `from_json(to_json(a)) == a`. A field added to a record later takes
its default when an older row lacks it; a row that cannot be read raises ValueError, one type for every fault.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from assistant.types import Answer, Chunk, Citation, Hit, Statement

# Written into every stored answer, so that a later change of the records can still read the rows of today.
FORMAT = 1


def to_json(answer: Answer) -> str:
    """Return `answer` as one line of JSON, statements, citations, hits and their chunks included."""
    return json.dumps({"format": FORMAT, "answer": dataclasses.asdict(answer)}, ensure_ascii=False, default=_number)


def from_json(text: str) -> Answer:
    """Return the Answer stored as `text` by `to_json`; raise ValueError when it is not one."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a stored answer of format {FORMAT}")
        return _answer(data["answer"])
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"unreadable stored answer ({type(exc).__name__}: {exc})") from exc


def _number(value: Any) -> Any:
    """Return a numpy scalar (a score, a timing) as the Python number json can write."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot store a {type(value).__name__} in an answer")


def _fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Return the entries of `data` that are fields of `cls` (a newer row's extra keys are left out)."""
    if not isinstance(data, dict):
        raise TypeError(f"a {cls.__name__} must be an object, not {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _chunk(data: dict[str, Any]) -> Chunk:
    fields = _fields(Chunk, data)
    for name in ("page_starts", "ocr_pages"):
        fields[name] = tuple(fields.get(name, ()))
    return Chunk(**fields)


def _hit(data: dict[str, Any]) -> Hit:
    fields = _fields(Hit, data)
    return Hit(**fields | {"chunk": _chunk(fields["chunk"]), "scores": dict(fields.get("scores", {}))})


def _statement(data: dict[str, Any]) -> Statement:
    fields = _fields(Statement, data)
    citations = tuple(Citation(**_fields(Citation, c)) for c in fields.get("citations", ()))
    return Statement(**fields | {"citations": citations})


def _answer(data: dict[str, Any]) -> Answer:
    fields = _fields(Answer, data)
    return Answer(
        **fields
        | {
            "statements": tuple(_statement(s) for s in fields["statements"]),
            "hits": tuple(_hit(h) for h in fields["hits"]),
            "timings_ms": dict(fields.get("timings_ms", {})),
        }
    )
