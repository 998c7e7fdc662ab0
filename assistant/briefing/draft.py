"""Briefing notes: plan sub-questions for a topic, answer each, keep the verified statements, footnote them.

A note is assembled from several Answers. Citation numbers are per answer, so the note renumbers them
note-wide: one footnote per quoted document span, numbered in reading order. Nothing reaches the note
that the verifier did not confirm against its cited passage, and nothing is said twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from assistant.accounts.roles import LOCAL_USER, User
from assistant.briefing.sections import fit_to_heading
from assistant.errors import QueryError
from assistant.types import Answer, Chunk, Citation, Filters, Progress, Statement

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

# (heading, question) per aspect of a topic, in the order a briefing note reads. The first six are the
# default plan; the last two extend it for `--questions 7/8`. Each question names its aspect with the
# words documents use for it ("recommend", "challenges"), so that retrieval finds different passages
# for each section rather than the same best match for the topic six times.
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Background and context", "What is the background and context of {topic}?"),
    ("Key facts and figures", "What facts and figures are reported on {topic}?"),
    ("Actors and partners", "Which organisations, countries and partners are involved in {topic}?"),
    ("Actions and measures taken", "What actions and measures have been taken on {topic}?"),
    ("Recommendations", "What do the documents recommend on {topic}?"),
    ("Open issues and challenges", "What challenges and open issues remain for {topic}?"),
    ("Legal and policy framework", "What legal and policy framework applies to {topic}?"),
    ("Results and outcomes", "What results and outcomes have been achieved on {topic}?"),
)
DEFAULT_QUESTIONS = 6
NOT_COVERED = "Not covered by the documents"
# Two quotes of one document overlapping by more than half of the shorter are the same point; chunks
# overlap by a sentence, so one sentence can be cited through two different chunks.
SAME_SPAN_OVERLAP = 0.5

REPEATS = "The passages found only repeat points made above."
REPEATS_ONLY = "The passages found only repeat points made above, and the other documents do not answer it."
UNVERIFIED = "No statement could be verified against the cited passages."


@dataclass(frozen=True, slots=True)
class SubQuestion:
    heading: str
    question: str


@dataclass(frozen=True, slots=True)
class Reference:
    """One footnote: the exact span of a document that supports a statement."""

    n: int
    chunk_id: str
    start: int  # quoted span, char offsets inside the chunk text
    end: int
    quote: str  # chunk.text[start:end], verbatim
    source: str
    title: str
    organisation: str
    date: str
    page: int | None
    url: str


@dataclass(frozen=True, slots=True)
class Bullet:
    """Statements quoted from one passage; their citations carry note-wide footnote numbers."""

    statements: tuple[Statement, ...]


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    question: str
    bullets: tuple[Bullet, ...]


@dataclass(frozen=True, slots=True)
class Gap:
    """A sub-question the documents did not answer, and why."""

    heading: str
    question: str
    reason: str


@dataclass(frozen=True, slots=True)
class SourceDoc:
    source: str
    title: str
    organisation: str
    date: str
    url: str
    notes: tuple[int, ...]  # the footnotes that quote it


@dataclass(frozen=True, slots=True)
class BriefingNote:
    topic: str
    sections: tuple[Section, ...]
    references: tuple[Reference, ...]  # footnotes 1..n in reading order
    sources: tuple[SourceDoc, ...]  # cited documents, in order of first citation
    not_covered: tuple[Gap, ...]
    filters: Filters = Filters()
    drafted: str = ""  # ISO date

    @property
    def statements(self) -> tuple[Statement, ...]:
        return tuple(s for section in self.sections for bullet in section.bullets for s in bullet.statements)


def plan(
    topic: str, n: int = DEFAULT_QUESTIONS, ask_model: Callable[[str, str], str] | None = None
) -> tuple[SubQuestion, ...]:
    """Return the first `n` sub-questions for `topic`: from the templates, or phrased by a generator.

    With `ask_model(system, user) -> reply`, the generator words one question per template heading
    (the headings, and so the note's shape, stay fixed); a heading it leaves out, or a line that is not
    a question, keeps the template's wording.
    """
    topic = clean_topic(topic)
    if not 1 <= n <= len(TEMPLATES):
        raise QueryError(f"Ask for between 1 and {len(TEMPLATES)} sub-questions, not {n}.")
    planned = [SubQuestion(heading, question.format(topic=topic)) for heading, question in TEMPLATES[:n]]
    if ask_model is None:
        return tuple(planned)
    headings = [sub.heading for sub in planned]
    reply = ask_model(
        "You plan briefing notes for migration-policy staff. For each heading, write one specific question "
        "that the note's section should answer from the documents. Reply with one line per heading, "
        "exactly 'Heading: question?', and nothing else.",
        f"Topic: {topic}\nHeadings:\n" + "\n".join(headings),
    )
    phrased = {}
    for line in reply.splitlines():
        heading, sep, question = line.strip().lstrip("-*0123456789. ").partition(":")
        question = " ".join(question.split())
        if sep and heading.strip() in headings and question.endswith("?") and 10 <= len(question) <= 300:
            phrased[heading.strip()] = question
    return tuple(SubQuestion(sub.heading, phrased.get(sub.heading, sub.question)) for sub in planned)


def clean_topic(topic: str) -> str:
    """Return the topic on one line without a trailing question mark or full stop; raise QueryError if empty."""
    topic = " ".join((topic or "").split()).rstrip("?.! ")
    if not topic:
        raise QueryError("The topic is empty: name what the briefing note is about.")
    return topic


def draft_brief(
    assistant: Assistant,
    topic: str,
    *,
    questions: int = DEFAULT_QUESTIONS,
    filters: Filters | None = None,
    mode: str | None = None,
    answerer: str | None = None,
    progress: Progress | None = None,
    fit_headings: bool = True,
    user: User = LOCAL_USER,
) -> BriefingNote:
    """Return a briefing note on `topic`: each planned sub-question answered from the documents.

    The best passage for a topic tends to win every sub-question, so a sub-question whose answer only
    repeats points made above is asked once more of the documents the note does not cite yet. With
    `fit_headings`, a section keeps only what fits its heading (briefing/sections.py). Only documents `user`
    may read are searched.
    """
    settings = assistant.settings
    which = answerer or settings.answerer
    generative = which == "generative" and bool(settings.generator_base_url)
    ask_model = None
    if generative:
        from assistant.answering.generative import GenerativeAnswerer

        ask_model = GenerativeAnswerer.from_settings(settings).complete
    subs = plan(topic, questions, ask_model)
    filters = filters or Filters()
    builder = NoteBuilder(clean_topic(topic), filters)
    # Sentences that fit a heading are sought in the passages only by the extractive answerer: a
    # generator's "not found" stands.
    extractive = which == "extractive"
    for i, sub in enumerate(subs):
        if progress:
            progress(i, len(subs), sub.heading)

        def section_answer(within: Filters, sub: SubQuestion = sub) -> Answer:
            answer = assistant.ask(sub.question, mode=mode, filters=within, answerer=answerer, user=user)
            if not fit_headings:
                return answer
            return fit_to_heading(assistant, sub.heading, sub.question, answer, fallback=extractive, user=user)

        gap = builder.add(sub, section_answer(filters))
        elsewhere = _uncited(assistant, builder, filters) if gap and gap.reason == REPEATS else None
        if gap and elsewhere:
            if builder.add(sub, section_answer(elsewhere)):
                gap = Gap(sub.heading, sub.question, REPEATS_ONLY)
            else:
                gap = None
        if gap:
            builder.not_covered.append(gap)
    if progress:
        progress(len(subs), len(subs), "done")
    return builder.note()


def _uncited(assistant: Assistant, builder: NoteBuilder, filters: Filters) -> Filters | None:
    """Return `filters` narrowed to the documents the note does not cite yet, or None if there are none."""
    indexed = filters.sources or {c.source for c in assistant.retriever.index.store.chunks}
    others = frozenset(indexed) - {doc.source for doc in builder.sources()}
    return replace(filters, sources=others) if others else None


def assemble(
    topic: str,
    answered: Iterable[tuple[SubQuestion, Answer]],
    *,
    filters: Filters | None = None,
    drafted: dt.date | None = None,
) -> BriefingNote:
    """Return the note built from answered sub-questions: verified, cited, de-duplicated statements only."""
    builder = NoteBuilder(topic, filters or Filters(), drafted)
    for sub, answer in answered:
        gap = builder.add(sub, answer)
        if gap:
            builder.not_covered.append(gap)
    return builder.note()


class NoteBuilder:
    """Adds answered sub-questions to a note one by one, remembering what was said and quoted so far."""

    def __init__(self, topic: str, filters: Filters, drafted: dt.date | None = None) -> None:
        self.topic = topic
        self.filters = filters
        self.drafted = (drafted or dt.date.today()).isoformat()
        self.sections: list[Section] = []
        self.not_covered: list[Gap] = []
        self._numbering = _Numbering()
        self._seen_texts: set[str] = set()

    def add(self, sub: SubQuestion, answer: Answer) -> Gap | None:
        """Add the answer's new verified statements as a section; return why it added none (not recorded)."""
        if answer.abstained:
            return Gap(sub.heading, sub.question, _abstention_reason(answer.reason, sub.question))
        chunks = {hit.chunk.id: hit.chunk for hit in answer.hits}
        kept: list[tuple[str, Statement]] = []  # (chunk id of the first citation, renumbered statement)
        verified = [s for s in answer.statements if s.support == "verified"]
        for statement in verified:
            # A citation whose passage is not among the answer's hits cannot be quoted in a footnote.
            cited = [(c, chunks[c.chunk_id]) for c in statement.citations if c.chunk_id in chunks and c.end > c.start]
            key = normalise(statement.text)
            if not cited or not key or key in self._seen_texts or self._numbering.all_seen(cited):
                continue
            self._seen_texts.add(key)
            citations = tuple(self._numbering.cite(c, chunk) for c, chunk in cited)
            text = _one_line(statement.text)
            kept.append((cited[0][1].id, replace(statement, text=text, citations=_unique(citations))))
        if kept:
            self.sections.append(Section(sub.heading, sub.question, _bullets(kept)))
            return None
        return Gap(sub.heading, sub.question, REPEATS if verified else UNVERIFIED)

    def sources(self) -> tuple[SourceDoc, ...]:
        return _sources(self._numbering.references)

    def note(self) -> BriefingNote:
        return BriefingNote(
            topic=self.topic,
            sections=tuple(self.sections),
            references=tuple(self._numbering.references),
            sources=self.sources(),
            not_covered=tuple(self.not_covered),
            filters=self.filters,
            drafted=self.drafted,
        )


class _Numbering:
    """Note-wide footnote numbers: the same document span (however it was cited) gets one number."""

    def __init__(self) -> None:
        self.references: list[Reference] = []
        self._spans: list[tuple[str, int, int, int]] = []  # (doc id, start, end in the document, note number)

    def _find(self, citation: Citation, chunk: Chunk) -> int | None:
        doc, start, end = chunk.doc_id, chunk.start + citation.start, chunk.start + citation.end
        for other_doc, other_start, other_end, n in self._spans:
            if other_doc != doc:
                continue
            overlap = min(end, other_end) - max(start, other_start)
            if overlap > SAME_SPAN_OVERLAP * min(end - start, other_end - other_start):
                return n
        return None

    def all_seen(self, cited: Sequence[tuple[Citation, Chunk]]) -> bool:
        """Return True when every cited span was already quoted: the statement would repeat a point."""
        return all(self._find(c, chunk) is not None for c, chunk in cited)

    def cite(self, citation: Citation, chunk: Chunk) -> Citation:
        """Return `citation` renumbered note-wide, adding a footnote for a span not quoted before."""
        n = self._find(citation, chunk)
        if n is None:
            n = len(self.references) + 1
            self._spans.append((chunk.doc_id, chunk.start + citation.start, chunk.start + citation.end, n))
            self.references.append(
                Reference(
                    n=n,
                    chunk_id=chunk.id,
                    start=citation.start,
                    end=citation.end,
                    quote=chunk.text[citation.start : citation.end],
                    source=chunk.source or citation.source,
                    title=chunk.title or citation.title,
                    organisation=chunk.organisation,
                    date=chunk.date,
                    page=citation.page if citation.page is not None else chunk.page,
                    url=chunk.url,
                )
            )
        return replace(citation, n=n)


def _unique(citations: Iterable[Citation]) -> tuple[Citation, ...]:
    """Return the citations with each footnote number once, in citation order."""
    by_n: dict[int, Citation] = {}
    for citation in citations:
        by_n.setdefault(citation.n, citation)
    return tuple(by_n.values())


def _bullets(kept: Sequence[tuple[str, Statement]]) -> tuple[Bullet, ...]:
    """Return one bullet per run of statements quoted from the same passage: they read as one point."""
    bullets: list[list[Statement]] = []
    previous = None
    for chunk_id, statement in kept:
        if chunk_id != previous or not bullets:
            bullets.append([])
        bullets[-1].append(statement)
        previous = chunk_id
    return tuple(Bullet(tuple(b)) for b in bullets)


def _sources(references: Sequence[Reference]) -> tuple[SourceDoc, ...]:
    by_source: dict[str, list[Reference]] = {}
    for ref in references:
        by_source.setdefault(ref.source, []).append(ref)
    return tuple(
        SourceDoc(
            refs[0].source, refs[0].title, refs[0].organisation, refs[0].date, refs[0].url, tuple(r.n for r in refs)
        )
        for refs in by_source.values()
    )


def _abstention_reason(reason: str, question: str) -> str:
    """Return why the documents do not answer; a reason that only repeats the question says nothing new."""
    reason = _one_line(reason)
    if not reason or normalise(question) in normalise(reason):
        return "The documents do not answer it."
    return reason


def normalise(text: str) -> str:
    """Return `text` lower-cased, as words only: the key under which repeated statements are the same."""
    return " ".join(re.findall(r"\w+", text.lower()))


def _one_line(text: str) -> str:
    return " ".join(text.split())
