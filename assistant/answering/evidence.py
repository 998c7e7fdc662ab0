"""Rank the sentences of retrieved passages by how well each answers a question (MiniLM + key terms)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answering.answer_types import answer_type_share, has_answer_type
from assistant.answering.question import Question
from assistant.answering.sentences import Unit, units
from assistant.answering.terms import (
    content_stems,
    label_numbers,
    numbers,
    numbers_in_digits,
    years,
)
from assistant.embedding.answer_adapter import answer_vector
from assistant.embedding.service import EmbeddingService
from assistant.types import Chunk, Hit

# Relevance: how well a unit answers, on an absolute scale shared by all questions, which the
# abstention threshold applies to (docs/answers.md "Abstention").
W_DENSE = 0.40
W_COVERAGE = 0.25
W_CONTEXT = 0.10
W_TYPE = 0.10
W_FOCUS = 0.10
W_NAMES = 0.05
# Ranking: a logistic regression over FEATURES telling the unit that quotes the gold evidence from the
# others, fitted on eval/questions.jsonl by `bench/answer_study.py --fit` (docs/answers.md "Ranking models").
# A refit on the library's dev questions rose on dev and not on test (issue 16): it was not kept. The weight
# of "answer_type" (the unit holds the kind of thing asked: a number for "how many", a date for "when") was
# raised from the fitted 0.42 on the library's dev split (2026-12-07, after issue 17; key facts 0.577 at 0.42,
# 0.596 at 1.5, 0.603 at 2.5, 0.615 at 4, 0.596 at 8; seed dev unchanged): the seed questions rarely had a
# typed sentence that lost, the library's often do (docs/answers.md "Third pass").
FEATURES = (
    "dense", "coverage", "context", "answer_type", "focus", "names", "hit_prior", "dense_gap", "coverage_gap",
    "novelty", "length", "intro",
)  # fmt: skip
RANK_WEIGHTS = (2.17, 1.50, 2.40, 4.00, 3.62, 2.46, 1.13, 2.17, 1.50, 0.25, -1.16, -5.12)
RANK_BIAS = 0.0
# Passage choice: the answer quotes one passage unless the question needs more; a logistic regression
# over PASSAGE_FEATURES fitted like RANK_WEIGHTS (`bench/answer_study.py --fit`, docs/answers.md "Ranking models").
PASSAGE_FEATURES = ("hit_prior", "retrieval_ratio", "best_unit", "context", "names", "mismatch")
PASSAGE_WEIGHTS = (0.11, 3.23, 3.89, 2.60, 0.48, -2.29)
# The ranking's question vector: this share adapted (embedding/answer_adapter.py), the rest plain. Dev runs of
# 2026-12-07 (docs/answers.md "The answer adapter"): 0.5 and 1 tie on the library's tuning half, 1 leads on seed
# dev, but at 1 and 0.75 a table's row for the year asked fell below the next year's (tests/test_tables.py).
ADAPTED_SHARE = 0.5
# Units embedded per question: MiniLM costs ~10-30 ms a sentence on 2 cores, so only the lexically
# likeliest are embedded (docs/answers.md "Results", latency).
EMBED_LIMIT = 40
# Links and page furniture of news feeds, and table-of-contents lines ("Article 5 ........ 12"): never an answer.
_FURNITURE = re.compile(
    r"https?://|www\.|\bcan be found here\b|\bclick here\b|\bread more\b|^download\b|\bcontact us\b"
    r"|\.{5,}|(?:\. ){4,}|…{2,}|_{5,}",
    re.I,
)
# A sentence of a chunk with its vector.
Sentence = tuple[str, np.ndarray]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A unit of a hit's chunk scored against the question."""

    hit: int  # index into the hits
    unit: Unit
    score: float  # ranking score (logit of being the answering sentence); compare within one question only
    relevance: float  # absolute answer quality, comparable across questions: abstention is judged on it
    features: tuple[float, ...]  # the ranking features, in FEATURES order
    dense: float  # MiniLM cosine of question and unit
    coverage: float  # IDF-weighted share of the question's terms found in the unit
    context: float  # the same share over the unit's chunk, its title and section
    answer_type: bool  # the unit holds the kind of thing asked: a number for "how many", a date for "when"
    focus: bool  # the unit holds the words naming what is asked ("budget", "chaired"), by stem
    names: float  # IDF-weighted share of the question's names found in the unit's chunk and title
    mismatch: str  # why this passage cannot answer (a year or number asked that it lacks), or ""
    learned: float | None = None  # the answer scorer's logit, for the units it read (answering/learned.py)

    @property
    def quotable(self) -> bool:
        """False for headings, links, page furniture and questions: they answer nothing."""
        text = self.unit.text.strip()
        letters = [ch for ch in text if ch.isalpha()]
        shouting = bool(letters) and sum(ch.isupper() for ch in letters) / len(letters) > 0.6
        return not (
            self.unit.heading
            or shouting
            or text.endswith("?")
            or (len(text) < 25 and not self.unit.bullet)
            or _FURNITURE.search(text)
        )


class TermStats:
    """Document frequencies of stems over the indexed chunks, for IDF weights."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0
        for text in texts:
            self.n += 1
            self.df.update(set(content_stems(text)))

    def idf(self, stem: str) -> float:
        # A term absent from the corpus weighs like the rarest: a typo must not dominate coverage.
        return math.log(1 + self.n / max(self.df.get(stem, 0), 1))


def precomputed(seed: Mapping[str, Sequence[Sentence]], chunk_id: str, text: str) -> np.ndarray | None:
    """Return the index's vector for `text` of chunk `chunk_id`: its sentence's, or the sentence it lies in.

    `seed` holds each chunk's sentences with their vectors, computed once per index for the reranker. A
    unit cut from a sentence (a heading run, one line of a list) borrows its sentence's vector: close
    enough to rank by, and free.
    """
    best, best_len = None, 0
    for sentence, vector in seed.get(chunk_id, ()):
        if sentence == text:
            return vector
        if text in sentence or sentence in text:
            shared = min(len(sentence), len(text))
            if shared > best_len:
                best, best_len = vector, shared
    return best


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved passage scored as the place the answer should be quoted from."""

    hit: int
    score: float
    features: tuple[float, ...]  # in PASSAGE_FEATURES order
    candidates: tuple[Candidate, ...]  # its quotable units, best first


def rank_passages(candidates: Sequence[Candidate], hits: Sequence[Hit]) -> list[Passage]:
    """Return the passages holding quotable `candidates`, best answer source first."""
    by_hit: dict[int, list[Candidate]] = {}
    for c in candidates:
        if c.quotable:
            by_hit.setdefault(c.hit, []).append(c)
    top = hits[0].score if hits and hits[0].score > 0 else 1.0
    passages = []
    for i, group in by_hit.items():
        group.sort(key=lambda c: -c.score)
        features = (
            1.0 / (1 + i),
            max(hits[i].score, 0.0) / top,
            group[0].score / 10,
            group[0].context,
            group[0].names,
            float(bool(group[0].mismatch)),
        )
        score = sum(w * f for w, f in zip(PASSAGE_WEIGHTS, features, strict=True))
        passages.append(Passage(i, score, features, tuple(group)))
    passages.sort(key=lambda p: (-p.score, p.hit))
    return passages


def _name_share(name: str, text: str) -> float:
    """Return 1.0 when lower-case `text` holds `name`, else the share of its hyphenated parts it holds.

    "IOM-OSCE-UNODC project" is half named by a passage on "the OSCE" published by IOM.
    """
    if name in text:
        return 1.0
    parts = [p for p in name.split("-") if p]
    return sum(p in text for p in parts) / len(parts) if len(parts) > 1 else 0.0


def chunk_context(chunk: Chunk) -> str:
    """Return the text a passage's coverage is judged on: its title, organisation and section plus its text."""
    return f"{chunk.title}\n{chunk.organisation}\n{chunk.section}\n{chunk.text}"


def identity(chunk: Chunk) -> str:
    """Return what names a passage's source: its title, organisation and section heading."""
    return f"{chunk.title}\n{chunk.organisation}\n{chunk.section}"


def mismatch(question: Question, chunk: Chunk) -> str:
    """Return why `chunk` cannot answer `question` (a year or number it asks about is absent), or ""."""
    context = chunk_context(chunk) + " " + chunk.date
    # Numbers written as words ("the four pillars") often count list items the passage does not number.
    written = {n for n in question.numbers if n in numbers_in_digits(question.text)} - label_numbers(question.text)
    missing = sorted(question.years - years(context)) + sorted(written - numbers(context))
    if len(missing) < len(question.years | written) and several_parts(question.text):
        # "How many were held on Nauru in 2012 and on Manus in 2017?": each passage answers one part.
        return ""
    return "do not mention " + " or ".join(_display(n) for n in missing) if missing else ""


_JOINED = re.compile(r"\b(?:and|or|each|both|compare[ds]?|differ)\b|,", re.I)


def several_parts(question: str) -> bool:
    """True when a question joins several things it asks about ("in 2012 and in 2017", "each")."""
    return bool(_JOINED.search(question))


def _display(number: str) -> str:
    """Return a normalised number for people: "7th" -> "7th", "2th" -> "2nd"."""
    if not number.endswith("th") or not number[:-2].isdigit():
        return number
    n = int(number[:-2])
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# One unit of a hit with its lexical features: (hit index, unit, coverage, chunk coverage, answer type,
# the share of the asked types the ranking weighs, focus held, names found, mismatch).
_Row = tuple[int, Unit, float, float, bool, float, bool, float, str]


def rank(
    question: Question,
    hits: Sequence[Hit],
    embeddings: EmbeddingService,
    seed: Mapping[str, Sequence[Sentence]],
    stats: TermStats,
    question_vector: np.ndarray | None = None,
) -> list[Candidate]:
    """Return every unit of the hits' chunks scored against `question`, best first.

    `seed` holds the index's sentence vectors by chunk id ({} when the reranker did not compute them).
    """
    rows = _rows(question, hits, stats)
    q = question_vector if question_vector is not None else embeddings.query(question.text)
    # Two cosines per unit: with the question's vector (relevance, on the scale abstention was set on) and
    # with a blend of it and its adapted vector (the ranking: the adapter moves it toward sentences that answer).
    ranking_vector = (1 - ADAPTED_SHARE) * q + ADAPTED_SHARE * answer_vector(q)
    dense = _dense(rows, hits, np.stack([q, ranking_vector], axis=1), embeddings, seed)
    top_dense = float(dense[:, 1].max()) if len(rows) else 0.0
    top_cover = max((row[2] for row in rows), default=0.0)
    candidates = [
        _candidate(question, row, float(d[0]), float(d[1]), top_dense, top_cover)
        for row, d in zip(rows, dense, strict=True)
    ]
    candidates.sort(key=lambda c: (-c.score, c.hit, c.unit.start))
    return candidates


def _rows(question: Question, hits: Sequence[Hit], stats: TermStats) -> list[_Row]:
    """Return the lexical features of every unit of the hits, a sentence repeated by overlapping chunks once."""
    weights = {s: stats.idf(s) for s in question.stems}
    total = sum(weights.values()) or 1.0

    def holds(stems: set[str]) -> set[str]:
        """Return the question stems `stems` holds, itself or by a synonym found in the passages."""
        return {s for s in weights if s in stems or question.synonyms.get(s, frozenset()) & stems}

    def coverage(text: str) -> float:
        return sum(weights[s] for s in holds(set(content_stems(text)))) / total

    focus_stems = set(content_stems(" ".join(question.focus)))
    # The ranking weighs only the types that name a thing asked for (a number, a date, a name): "a list" is
    # any sentence with two commas, and its weight of 4 put a long enumeration above "the four pillars".
    typed_only = replace(question, kinds=question.kinds - {"list"}) if "list" in question.kinds else None
    name_weights = {n: max((stats.idf(s) for s in content_stems(n)), default=1.0) for n in question.names}
    name_total = sum(name_weights.values())

    rows: list[_Row] = []
    seen: set[str] = set()
    for i, hit in enumerate(hits):
        described = chunk_context(hit.chunk)
        chunk_cover = coverage(described)
        lowered = described.lower()
        found = sum(w * _name_share(n, lowered) for n, w in name_weights.items())
        names_found = found / name_total if name_total else 1.0
        why_not = mismatch(question, hit.chunk)
        for unit in units(hit.chunk.text):
            key = " ".join(unit.text.split())
            if key in seen:  # overlapping chunks repeat sentences: keep the first (higher-ranked) copy
                continue
            seen.add(key)
            stems = set(content_stems(unit.text))
            typed = has_answer_type(question, unit.text)
            rows.append(
                (
                    i,
                    unit,
                    sum(weights[s] for s in holds(stems)) / total,
                    chunk_cover,
                    typed,
                    answer_type_share(question if typed_only is None else typed_only, unit.text),
                    focus_stems <= stems,
                    names_found,
                    why_not,
                )
            )
    return rows


def _dense(
    rows: Sequence[_Row],
    hits: Sequence[Hit],
    q: np.ndarray,
    embeddings: EmbeddingService,
    seed: Mapping[str, Sequence[Sentence]],
) -> np.ndarray:
    """Return each row's cosines with the columns of `q` (dim, k), as an (n, k) array.

    Units take the index's precomputed sentence vectors; of the others, only the lexically likeliest
    (always those of the top passages) are embedded now, and the rest keep dense 0.
    """
    dense = np.zeros((len(rows), q.shape[1]), dtype=np.float32)
    pending = []
    for r, row in enumerate(rows):
        vector = precomputed(seed, hits[row[0]].chunk.id, row[1].text)
        if vector is not None:
            dense[r] = vector @ q
        else:
            pending.append(r)
    pending.sort(key=lambda r: -(rows[r][2] + 0.5 * rows[r][3] + (rows[r][0] < 3)))
    chosen = [r for r in pending[:EMBED_LIMIT] if not rows[r][1].heading or rows[r][2] > 0]
    if chosen:
        dense[chosen] = embeddings.texts([rows[r][1].text for r in chosen]) @ q
    return dense


def _candidate(
    question: Question, row: _Row, d: float, adapted: float, top_dense: float, top_cover: float
) -> Candidate:
    """Return the scored candidate of one row: `d` is its plain cosine, `adapted` its ranking cosine, the tops
    are the question's best rows' (`top_dense` by the ranking cosine)."""
    i, unit, cover, context, typed, ranked_type, focused, named, why_not = row
    relevance = (
        W_DENSE * d
        + W_COVERAGE * cover
        + W_CONTEXT * context
        + W_TYPE * float(typed)
        + W_FOCUS * float(focused)
        + W_NAMES * named
    )
    stems = set(content_stems(unit.text))
    features = (
        adapted,
        cover,
        context,
        float(ranked_type),
        float(focused),
        named,
        1.0 / (1 + i),
        adapted - top_dense,
        cover - top_cover,
        # The share of new words: an answer adds something to the question.
        len(stems - set(question.stems)) / len(stems) if stems else 0.0,
        math.log1p(len(unit.text)) / 6,
        float(unit.intro),
    )
    score = RANK_BIAS + sum(w * f for w, f in zip(RANK_WEIGHTS, features, strict=True))
    return Candidate(i, unit, score, relevance, features, d, cover, context, typed, focused, named, why_not)
