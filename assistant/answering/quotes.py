"""The spans an extractive answer quotes: a chosen sentence with the list it introduces or belongs to, merged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering.citations import cite, numbered
from assistant.answering.evidence import Candidate
from assistant.answering.sentences import Unit, plain, units
from assistant.types import Hit, Statement

# List items quoted with one the answer chose.
MAX_ITEMS = 8


@dataclass(frozen=True, slots=True)
class Pick:
    """A span of hit number `hit`'s chunk text to quote."""

    hit: int
    start: int
    end: int


def spans(chosen: Sequence[Candidate], list_question: bool, hits: Sequence[Hit]) -> list[Pick]:
    """Return the spans quoting `chosen`: the first, then the rest by passage and position, lists completed."""
    lead = chosen[0]
    rest = sorted(chosen[1:], key=lambda c: (c.hit != lead.hit, c.hit, c.unit.start))
    picks: list[Pick] = []
    for c in [lead, *rest]:
        # An item of a list answering a list question comes with its sibling items, in their order.
        picks.extend(list_items(c, hits) if list_question and c.unit.bullet else with_list(c, hits))
    return merge(picks)


def with_list(candidate: Candidate, hits: Sequence[Hit]) -> list[Pick]:
    """Return the candidate's span, followed by the list it introduces ("... the following areas:")."""
    picks = [Pick(candidate.hit, candidate.unit.start, candidate.unit.end)]
    if not candidate.unit.intro:
        return picks
    chunk = hits[candidate.hit].chunk
    after = [u for u in units(chunk.text) if u.start >= candidate.unit.end]
    if after:
        picks.append(Pick(candidate.hit, after[0].start, _list_end(after)))
        return picks
    # The list starts in the next passage of the same document, if it was retrieved too.
    for i, hit in enumerate(hits):
        other = hit.chunk
        if other.doc_id == chunk.doc_id and chunk.start < other.start <= chunk.end + 2:
            items = [u for u in units(other.text) if u.start + other.start >= chunk.end]
            if items:
                picks.append(Pick(i, items[0].start, _list_end(items)))
            break
    return picks


def list_items(candidate: Candidate, hits: Sequence[Hit]) -> list[Pick]:
    """Return the items of the list a bulleted `candidate` belongs to, itself included, in document order.

    Its neighbours on the lines around it, and the items of other retrieved passages of its document that
    open with the same word ("Session I ...", "Session III ..."), as a list cut by chunking continues.
    """
    chunk = hits[candidate.hit].chunk
    first = candidate.unit.text.split()[0]
    found: list[tuple[int, Pick]] = []
    parts = units(chunk.text)
    i = next(n for n, u in enumerate(parts) if u.start == candidate.unit.start)
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(parts) and parts[j].bullet and abs(parts[j].line - parts[j - step].line) == 1:
            found.append((chunk.start + parts[j].start, Pick(candidate.hit, parts[j].start, _item_end(parts[j:]))))
            j += step
    for n, hit in enumerate(hits):
        if n == candidate.hit or hit.chunk.doc_id != chunk.doc_id:
            continue
        other = units(hit.chunk.text)
        for k, u in enumerate(other):
            if u.bullet and u.text.split()[0] == first:
                found.append((hit.chunk.start + u.start, Pick(n, u.start, _item_end(other[k:]))))
    found = sorted(found, key=lambda f: f[0])[: MAX_ITEMS - 1]
    own = Pick(candidate.hit, candidate.unit.start, _item_end(parts[i:]))
    found.append((chunk.start + candidate.unit.start, own))
    return [pick for _, pick in sorted(found, key=lambda f: f[0])]


def _item_end(following: Sequence[Unit]) -> int:
    """Return where the list item opening `following` ends: its last sentence on the same line."""
    end = following[0].end
    for u in following[1:]:
        if u.line != following[0].line:
            break
        end = u.end
    return end


def _list_end(following: Sequence[Unit]) -> int:
    """Return where the list opening `following` ends: its bullet items (at most 8), or else its first unit."""
    first = following[0]
    end, line, items = first.end, first.line, 1
    if not first.bullet:
        return end
    for u in following[1:]:
        if u.line == line:  # a further sentence of the same item
            end = u.end
        elif u.bullet and items < 8:
            end, line, items = u.end, u.line, items + 1
        else:
            break
    return end


def merge(picks: Sequence[Pick]) -> list[Pick]:
    """Return `picks` with spans of one chunk that touch or overlap merged, and exact repeats dropped."""
    out: list[Pick] = []
    for p in picks:
        for i, o in enumerate(out):
            if o.hit == p.hit and p.start <= o.end + 2 and o.start <= p.end + 2:
                out[i] = Pick(o.hit, min(o.start, p.start), max(o.end, p.end))
                break
        else:
            out.append(p)
    return out


def statements(picks: Sequence[Pick], hits: Sequence[Hit]) -> tuple[Statement, ...]:
    """Return one statement per pick, citations numbered by first appearance of their chunk."""
    quoted = []
    for p in picks:
        chunk = hits[p.hit].chunk
        quoted.append(Statement(plain(chunk.text[p.start : p.end]), (cite(chunk, p.start, p.end),), "verified", 1.0))
    return numbered(quoted)
