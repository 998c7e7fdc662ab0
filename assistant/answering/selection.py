"""Which sentences an extractive answer quotes besides the best one: runners-up, missing parts, other sources."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from assistant.answering.answer_types import has_answer_type
from assistant.answering.evidence import (
    FEATURES,
    RANK_WEIGHTS,
    Candidate,
    Passage,
    TermStats,
    identity,
)
from assistant.answering.question import (
    GENERIC,
    KIND_WORDS,
    Question,
    asked_kinds,
    figures_asked,
    only,
    year_conflict,
)
from assistant.answering.quotes import Pick, spans, with_list
from assistant.answering.terms import content_stems, has_date, quantities, words, wordset
from assistant.types import Chunk, Hit

# Further sentences, by their ranking score (a logit): from the answer's passage within SAME_MARGIN of
# the best sentence; the best of each other document when the question compares sources, within
# OTHER_MARGIN; for a part of the question still unanswered, within PART_MARGIN (docs/answers.md "The
# extractive answerer", step 4; OTHER_MARGIN 4-5 measure the same, 3 loses a synthesis answer, 6 adds
# off-evidence citations).
SAME_MARGIN = 2.5
OTHER_MARGIN = 4.0
PART_MARGIN = 3.0

# A sentence is added when it holds at least this share (IDF-weighted) of the question's asked terms that
# no chosen sentence holds, and scores within ASPECT_MARGIN of the best; from another document it must
# hold ASPECT_OTHER_GAIN (docs/answers.md, step 4: gain 0.10-0.20 and other-gain 0.4-0.7 measure the
# same; margin 5 adds off-evidence citations, other-gain 0.3 too).
ASPECT_GAIN = 0.15
ASPECT_OTHER_GAIN = 0.5
ASPECT_MARGIN = 3.0
# Statements per answer by question kind: a fact needs one or two sentences, a list or synthesis more.
MAX_STATEMENTS = {"fact": 3, "list": 5, "other": 4}
# Sentences sharing this share of their content words with one already chosen add nothing.
DUPLICATE_OVERLAP = 0.7


def select(
    q: Question, primary: Candidate, passages: Sequence[Passage], hits: Sequence[Hit], stats: TermStats
) -> list[Pick]:
    """Return the spans to quote: the best sentence, its passage's runners-up, lists completed.

    Another passage is quoted only for a part of the question the first does not answer (a "when",
    an acronym spelt out, asked terms no chosen sentence holds), or for a question that asks to
    compare sources; then a passage that adds nothing the others do not say is dropped.
    """
    kind = "fact" if q.wants_fact and "list" not in q.kinds else "list" if "list" in q.kinds else "other"
    limit = MAX_STATEMENTS[kind]
    chosen = [primary]
    home = next(p for p in passages if p.hit == primary.hit)

    def admissible(c: Candidate, margin: float, with_list: bool = False) -> bool:
        return (
            c is not primary
            and not c.mismatch
            and not year_conflict(q, c.unit.text)
            and (_judged(c, hits) if with_list else c.score) >= primary.score - margin
            and not any(_duplicate(c.unit.text, other.unit.text) for other in chosen)
        )

    for c in home.candidates:
        if len(chosen) < limit and admissible(c, SAME_MARGIN):
            chosen.append(c)
    others = [p for p in passages if p.hit != primary.hit]
    if _compares_sources(q.text):
        # The best sentence of each of up to two more documents, best first.
        docs = {hits[primary.hit].chunk.doc_id}
        for c in sorted((c for p in others for c in p.candidates), key=lambda c: -c.score):
            doc = hits[c.hit].chunk.doc_id
            if len(docs) < 3 and doc not in docs and admissible(c, OTHER_MARGIN):
                chosen.append(c)
                docs.add(doc)
    # "when" asks for a time only where the analysis found it asked ("avoiding when talking" does not).
    parts = [k for k in asked_kinds(q.text) if k in q.kinds] or sorted(q.kinds & set(KIND_WORDS))
    # A missing part may come from the answer's own passage whatever the score; another passage must score close.
    pool = [(c, 99.0) for c in home.candidates] + [(c, PART_MARGIN) for p in others[:3] for c in p.candidates]
    for part in parts:
        part_q = only(q, part)
        if any(has_answer_type(part_q, c.unit.text) for c in chosen):
            continue
        extra = next((c for c, m in pool if admissible(c, m) and has_answer_type(part_q, c.unit.text)), None)
        if extra is not None:
            chosen.append(extra)
    # "How many members sit on GRETA, and how long is their term?": one figure answers one of the counts.
    counts = figures_asked(q.text)
    while counts > 1 and len(held := _figures(q, chosen)) < counts:
        extra = next((c for c, m in pool if admissible(c, m) and _figures(q, [c]) - held), None)
        if extra is None:
            break
        chosen.append(extra)
    terms = _acronyms(q) if "define" in q.kinds else []
    for term in terms:
        # "What are the GAI?": the sentence that spells the acronym out, from the answer's document
        # whatever its score, from another one if it scores close.
        if not any(_spelt(term).search(c.unit.text) for c in chosen):
            doc = hits[primary.hit].chunk.doc_id
            spelling = (c for p in passages for c in p.candidates if _spelt(term).search(c.unit.text))
            margins = {True: 99.0, False: PART_MARGIN}
            extra = next((c for c in spelling if admissible(c, margins[hits[c.hit].chunk.doc_id == doc])), None)
            if extra is not None:
                chosen.append(extra)
    required = _required(q, hits[primary.hit].chunk, stats)
    _complete_aspects(required, chosen, limit, [c for p in passages for c in p.candidates], hits, admissible)
    if not _compares_sources(q.text):
        chosen = _prune(q, chosen, parts, terms, required)
    return spans(chosen, "list" in q.kinds, hits)


def _figures(q: Question, chosen: Sequence[Candidate]) -> set[str]:
    """Return the figures the chosen sentences give that the question does not already name."""
    return set().union(*(quantities(c.unit.text) for c in chosen)) - q.numbers


def _required(q: Question, chunk: Chunk, stats: TermStats) -> dict[str, float]:
    """Return the question's stems an answer from `chunk` should hold, with their IDF weights.

    Terms naming the source (in the passage's title, organisation or section) count as present:
    "the Athens workshop" identifies the source, it is not what is asked. So do the question's
    names and months, the words naming the kind of answer ("which agencies"), light verbs ("took
    part") and words about the documents themselves.
    """
    named = set(content_stems(identity(chunk)))
    asking = {w for w in words(q.text) if w.lower() in _ASKING or w.lower() in GENERIC or has_date(w)}
    named |= set(content_stems(" ".join([*q.names, *asking])))
    return {s: stats.idf(s) for s in q.stems if s not in named}


def _complete_aspects(
    required: Mapping[str, float],
    chosen: list[Candidate],
    limit: int,
    pool: Sequence[Candidate],
    hits: Sequence[Hit],
    admissible: Callable[[Candidate, float, bool], bool],
) -> None:
    """Add to `chosen` the sentence that holds most of the `required` terms still missing, if it holds
    enough of them: from the answer's document, or from another one that holds most of them.

    "When was X launched, and until when will it run?": the best sentence says until when; the launch
    is in another sentence of the same news item. "What will the *next* meeting be about?": the
    concept note's sentence on a meeting answers when and where, the report's names the next one.
    """
    primary = chosen[0]
    doc = hits[primary.hit].chunk.doc_id
    total = sum(required.values())
    if total and len(chosen) < limit:
        covered = set(content_stems(" ".join(c.unit.text for c in chosen)))
        missing = {s: w for s, w in required.items() if s not in covered}
        best, best_gain = None, 0.0
        for c in pool:
            if c in chosen or not admissible(c, ASPECT_MARGIN, True):
                continue
            gain = sum(missing.get(s, 0.0) for s in set(content_stems(c.unit.text))) / total
            if hits[c.hit].chunk.doc_id != doc and gain < ASPECT_OTHER_GAIN:
                continue  # another document must hold most of what the answer lacks
            if gain > best_gain:
                best, best_gain = c, gain
        if best is None or best_gain < ASPECT_GAIN:
            return
        chosen.append(best)


def _prune(
    q: Question, chosen: Sequence[Candidate], parts: Sequence[str], terms: Sequence[str], required: Mapping[str, float]
) -> list[Candidate]:
    """Return `chosen` without the passages cited for nothing the other passages do not say.

    A sentence completing the answer ("On 17-18 October, ... took place in Kyiv") often says all that
    the first-ranked one said for the question; the first then only adds a citation off the point.
    """

    def gives(c: Candidate) -> set[str]:
        stems = set(content_stems(c.unit.text))
        kinds = {k for k in parts if has_answer_type(only(q, k), c.unit.text)}
        return {s for s in required if s in stems} | kinds | {t for t in terms if _spelt(t).search(c.unit.text)}

    if not required and not parts and not terms:
        return list(chosen)  # nothing to tell what each passage adds

    by_hit: dict[int, set[str]] = {}
    for c in chosen:
        by_hit.setdefault(c.hit, set()).update(gives(c))
    for hit in sorted(by_hit, key=lambda h: len(by_hit[h])):
        others = [g for h, g in by_hit.items() if h != hit]
        # With no asked term to judge by (the question's words all name its subject), a passage that
        # gives nothing measurable may still be the gist: it is kept.
        if others and (by_hit[hit] or required) and by_hit[hit] <= set().union(*others):
            del by_hit[hit]
    return [c for c in chosen if c.hit in by_hit]


# Words about the documents themselves, and light verbs ("took part", "was held").
_ASKING = wordset(
    """
    document documents source sources mention mentioned describe described text take takes took taken held
    hold holds part happen happened occur occurred go goes went come came
    """
)

_COMPARE = re.compile(
    r"\bboth\b|\bsources\b|\bdocuments\b|\bcompare|\b(?:and|or) the [A-Z]\w+ (?:workshop|note|meeting|report)"
    r"|\b(?:are|were|is|was) (?:mentioned|described)\b|^\s*(?:how|what) do\b.*\band\b",
    re.I,
)

# An acronym the question does not spell out itself ("(MC2CM)") nor use as an owner ("IOM's work").
_ACRONYM = re.compile(r"(?<![(\w])[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*\b(?![)'’])")


def _acronyms(q: Question) -> list[str]:
    """Return the acronyms a definition question asks about ("What are the GAI?"), in order."""
    return list(dict.fromkeys(m.group(0) for m in _ACRONYM.finditer(q.text) if len(m.group(0)) <= 8))


def _spelt(term: str) -> re.Pattern[str]:
    """Return the pattern of a sentence spelling `term` out: "Gabinetes de Apoio ao Imigrante (GAI – ...)"."""
    return re.compile(rf"\(\s*{re.escape(term)}\b")


def _compares_sources(question: str) -> bool:
    """True when the question asks what several documents say ("How do X and Y treat ...", "both")."""
    return bool(_COMPARE.search(question))


def _duplicate(a: str, b: str) -> bool:
    sa, sb = set(content_stems(a)), set(content_stems(b))
    if not sa or not sb:
        return a.strip() == b.strip()
    return len(sa & sb) / min(len(sa), len(sb)) >= DUPLICATE_OVERLAP


def _judged(candidate: Candidate, hits: Sequence[Hit]) -> float:
    """Return the candidate's score, without the penalty of an introduction whose list is at hand.

    The ranking learnt that "The objectives were achieved through:" never quotes the answer itself; with
    its list it does.
    """
    if candidate.unit.intro and len(with_list(candidate, hits)) > 1:
        return candidate.score - RANK_WEIGHTS[FEATURES.index("intro")] * candidate.features[FEATURES.index("intro")]
    return candidate.score
