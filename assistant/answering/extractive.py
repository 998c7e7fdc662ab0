"""The default answerer: quote the sentences of the retrieved passages that answer the question, or abstain."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answering.evidence import (
    FEATURES,
    RANK_WEIGHTS,
    Candidate,
    Passage,
    Sentence,
    TermStats,
    VectorCache,
    chunk_context,
    embed_texts,
    has_answer_type,
    identity,
    rank,
    rank_passages,
)
from assistant.answering.question import GENERIC, Question, analyse, asked_kinds
from assistant.answering.sentences import Unit, plain, units
from assistant.answering.terms import STOPWORDS, content_stems, has_date, words, wordset, years
from assistant.embedding.embedder import Embedder
from assistant.types import Answer, Chunk, Citation, Hit, Statement

# Abstain when the best sentence's answerability is below this; chosen on eval/questions.jsonl
# (answerable vs unanswerable, docs/answers.md "Abstention").
ABSTAIN_BELOW = 0.44
# A sentence that lacks what a "how many"/"when"/"who" question asks for, or the word naming what is
# asked ("budget", "chaired"), or whose passage lacks the names the question mentions, is a weaker
# answer: its score is multiplied by these (docs/answers.md "Abstention").
NO_ANSWER_TYPE = 0.70
NO_FOCUS = 0.60
NAMES_MISSING = 0.40  # times the share of the question's names missing from the passage
# MiniLM cosine above which two words count as the same focus ("film"/"movie" 0.84, "died"/"deaths"
# 0.69, but "budget"/"funded" 0.52, "chaired"/"moderated" 0.35).
SAME_WORD = 0.60
# Question words no passage holds that are matched to the passages' words (each costs embeddings of
# the passages' words with its first letter, once per process): a bound for foreign or garbled questions.
SYNONYM_WORDS = 4
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
# List items quoted with one the answer chose.
MAX_ITEMS = 8
# Sentences sharing this share of their content words with one already chosen add nothing.
DUPLICATE_OVERLAP = 0.7
_KIND_WORDS = {"when": "when", "where": "where", "who": "who", "count": "how many"}


@dataclass(frozen=True, slots=True)
class Assessment:
    """How well the best sentence of the passages answers the question."""

    question: Question
    ranked: list[Candidate]
    passages: list[Passage]
    primary: Candidate | None  # the best-answering sentence; None when no passage can answer
    fit: float  # its answerability: the sentence score with penalties for a missing focus, type or name
    why_not: str  # why the likeliest passage cannot answer ("speak of 2016, not 2017"), or ""


@dataclass(frozen=True, slots=True)
class _Pick:
    hit: int
    start: int
    end: int


class ExtractiveAnswerer:
    """Answers with verbatim quotes of the hits; holds the caches that make it fast on repeat passages."""

    def __init__(
        self, embedder: Embedder, stats: TermStats, seed: Mapping[str, Sequence[Sentence]] | None = None
    ) -> None:
        self.embedder = embedder
        self.stats = stats
        self.cache = VectorCache(embedder, seed)
        self._word_vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def answer(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Return the answer to `question` quoting `hits`, or an abstention that keeps them as related."""
        started = time.perf_counter()
        hits = tuple(hits)
        found = self.assess(question, hits)
        if found.primary is None or found.fit < ABSTAIN_BELOW:
            return _abstain(question, hits, started, found.why_not)
        picks = self._select(found.question, found.primary, found.passages, hits)
        statements = _statements(picks, hits)
        q = found.question
        if q.kinds & {"count"} and not asked_kinds(question)[1:]:
            count = _only(q, "count")
            if not any(has_answer_type(count, s.text) for s in statements):
                # "How many ...?" answered without a number is no answer: the passages do not give it.
                return _abstain(question, hits, started, "give no number for it")
        return Answer(
            question=question,
            statements=statements,
            abstained=False,
            hits=hits,
            reason=_missing_parts(question, found.question, [s.text for s in statements]),
            timings_ms={"answer": (time.perf_counter() - started) * 1000},
        )

    def assess(self, question: str, hits: Sequence[Hit]) -> Assessment:
        """Return the passage and sentence that best answer, and how well (abstain below ABSTAIN_BELOW).

        The answer quotes the best passage's best sentence; how well the passages answer at all is the
        best answerability among the top-ranked sentences, wherever they are.
        """
        q = self._with_synonyms(analyse(question), hits) if hits else analyse(question)
        ranked = rank(q, hits, self.cache, self.stats) if hits else []
        passages = rank_passages(ranked, hits)
        quotable = [c for c in ranked if c.quotable][:12]
        if not passages or not quotable:
            return Assessment(q, ranked, passages, None, 0.0, "")
        fit = self._best_fit(q, quotable, hits)
        for passage in passages[:3]:
            primary = passage.candidates[0]
            value, why_not = self.answerability(q, primary, hits, check_synonyms=False)
            if why_not.startswith("speak of"):
                # The sentence that best matches speaks of another year: the documents do not say.
                return Assessment(q, ranked, passages, None, 0.0, why_not)
            if value > 0:
                return Assessment(q, ranked, passages, primary, fit, "")
        return Assessment(q, ranked, passages, None, 0.0, why_not)

    def _with_synonyms(self, q: Question, hits: Sequence[Hit]) -> Question:
        """Return `q` with, for each of its words no passage holds, the passages' closest words by MiniLM.

        A colloquial or misspelt question ("how many ppl died", "irregulary") shares no stem with the
        passage that answers it ("migrant deaths", "irregular"); the corpus's own words stand in.
        """
        present: set[str] = set()
        for hit in hits:
            present.update(content_stems(chunk_context(hit.chunk)))
        absent: dict[str, str] = {}
        for word in words(q.text):
            for part in word.split("-"):
                stems = content_stems(part)
                if stems and stems[0] not in present and stems[0] in q.stems and len(absent) < SYNONYM_WORDS:
                    absent.setdefault(stems[0], part.lower())
        if not absent:
            return q
        passage_words = {w.lower() for hit in hits for w in words(hit.chunk.text) if len(w) > 2} - STOPWORDS
        synonyms = {}
        for stem, word in absent.items():
            # Only words with the same first letter are compared: a misspelling or another form of the
            # word ("died" / "deaths", "irregulary" / "irregular"); each costs an embedding, once.
            vocabulary = sorted(w for w in passage_words if w[0] == word[0])
            if not vocabulary:
                continue
            vectors = self._words([word, *vocabulary])
            sims = np.stack([vectors[w] for w in vocabulary]) @ vectors[word]
            close = [vocabulary[i] for i in np.argsort(-sims)[:3] if sims[i] >= SAME_WORD]
            if close:
                synonyms[stem] = frozenset(content_stems(" ".join(close)))
        return replace(q, synonyms=synonyms) if synonyms else q

    def _best_fit(self, q: Question, candidates: Sequence[Candidate], hits: Sequence[Hit]) -> float:
        """Return the best answerability among `candidates`.

        The MiniLM synonym check of the focus word costs an embedding per new word, so it runs only on
        candidates that could still beat the best value found (its penalty only lowers a value).
        """
        upper = sorted(((self.answerability(q, c, hits, False)[0], c) for c in candidates), key=lambda x: -x[0])
        best = 0.0
        for bound, candidate in upper:
            if bound <= best:
                break
            if q.focus and not candidate.focus:
                best = max(best, self.answerability(q, candidate, hits)[0])
            else:
                best = bound
        return best

    def answerability(
        self, q: Question, candidate: Candidate, hits: Sequence[Hit], check_synonyms: bool = True
    ) -> tuple[float, str]:
        """Return (how well `candidate` answers `q`, why it cannot at all or "").

        Without `check_synonyms` a missing focus word is not penalised: an upper bound, without MiniLM.
        """
        if candidate.mismatch:
            return 0.0, candidate.mismatch
        if _year_conflict(q, candidate.unit.text):
            unit_years = ", ".join(sorted(years(candidate.unit.text)))
            return 0.0, f"speak of {unit_years}, not {', '.join(sorted(q.time_years))}"
        value = candidate.relevance * (1 - NAMES_MISSING * (1 - candidate.names))
        if not candidate.answer_type:
            value *= NO_ANSWER_TYPE
        if q.focus and not candidate.focus and check_synonyms:
            window = _window(hits[candidate.hit].chunk.text, candidate.unit)
            if not self._holds_focus(q.focus, window):
                value *= NO_FOCUS
        if not candidate.coverage:
            value *= NO_FOCUS  # shares no key term with the question (e.g. a question in another language)
        return value, ""

    def _holds_focus(self, focus: Sequence[str], text: str) -> bool:
        """Return True when every focus word, or a close synonym by MiniLM, is in `text`."""
        present = set(content_stems(text))
        missing = [w for w in focus if not set(content_stems(w)) <= present]
        if not missing:
            return True
        candidates = sorted({w.lower() for w in words(text) if len(w) > 2})
        if not candidates:
            return False
        vectors = self._words(missing + candidates)
        for word in missing:
            sims = np.stack([vectors[c] for c in candidates]) @ vectors[word]
            if float(sims.max()) < SAME_WORD:
                return False
        return True

    def similarity(self, a: str, b: str) -> float:
        """Return the MiniLM cosine of two short texts (names), for follow-up rewriting."""
        vectors = self._words([a, b])
        return float(vectors[a] @ vectors[b])

    def _words(self, items: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            todo = [w for w in dict.fromkeys(items) if w not in self._word_vectors]
        if todo:
            fresh = list(embed_texts(self.embedder, todo))  # a few words one thread each, many in batches
            with self._lock:
                self._word_vectors.update(zip(todo, fresh, strict=True))
        with self._lock:
            return {w: self._word_vectors[w] for w in items}

    def _select(self, q: Question, primary: Candidate, passages: Sequence[Passage], hits: Sequence[Hit]) -> list[_Pick]:
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
                and not _year_conflict(q, c.unit.text)
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
        parts = [k for k in asked_kinds(q.text) if k in q.kinds] or sorted(q.kinds & set(_KIND_WORDS))
        for part in parts:
            part_q = _only(q, part)
            if any(has_answer_type(part_q, c.unit.text) for c in chosen):
                continue
            # The answer's own passage may complete it whatever the score; another passage must score close.
            pool = [(c, 99.0) for c in home.candidates] + [(c, PART_MARGIN) for p in others[:3] for c in p.candidates]
            extra = next((c for c, m in pool if admissible(c, m) and has_answer_type(part_q, c.unit.text)), None)
            if extra is not None:
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
        required = self._required(q, hits[primary.hit].chunk)
        self._complete_aspects(required, chosen, limit, [c for p in passages for c in p.candidates], hits, admissible)
        if not _compares_sources(q.text):
            chosen = _prune(q, chosen, parts, terms, required)
        lead = chosen[0]
        rest = sorted(chosen[1:], key=lambda c: (c.hit != lead.hit, c.hit, c.unit.start))
        picks: list[_Pick] = []
        for c in [lead, *rest]:
            # An item of a list answering a list question comes with its sibling items, in their order.
            picks.extend(_list_items(c, hits) if "list" in q.kinds and c.unit.bullet else _with_list(c, hits))
        return _merge(picks)

    def _required(self, q: Question, chunk: Chunk) -> dict[str, float]:
        """Return the question's stems an answer from `chunk` should hold, with their IDF weights.

        Terms naming the source (in the passage's title, organisation or section) count as present:
        "the Athens workshop" identifies the source, it is not what is asked. So do the question's
        names and months, the words naming the kind of answer ("which agencies"), light verbs ("took
        part") and words about the documents themselves.
        """
        named = set(content_stems(identity(chunk)))
        asking = {w for w in words(q.text) if w.lower() in _ASKING or w.lower() in GENERIC or has_date(w)}
        named |= set(content_stems(" ".join([*q.names, *asking])))
        return {s: self.stats.idf(s) for s in q.stems if s not in named}

    def _complete_aspects(
        self,
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
        kinds = {k for k in parts if has_answer_type(_only(q, k), c.unit.text)}
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


def _year_conflict(q: Question, text: str) -> bool:
    """True when `text` names years and none is the one asked about ("in 2016" for a 2017 question)."""
    found = years(text)
    return bool(q.time_years and found and not q.time_years & found)


def _window(chunk_text: str, unit: Unit) -> str:
    """Return `unit` with its neighbours in the chunk: a focus word may sit in the sentence before."""
    parts = units(chunk_text)
    for i, u in enumerate(parts):
        if u.start == unit.start:
            return " ".join(p.text for p in parts[max(i - 1, 0) : i + 2])
    return unit.text


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
    if candidate.unit.intro and len(_with_list(candidate, hits)) > 1:
        return candidate.score - RANK_WEIGHTS[FEATURES.index("intro")] * candidate.features[FEATURES.index("intro")]
    return candidate.score


def _with_list(candidate: Candidate, hits: Sequence[Hit]) -> list[_Pick]:
    """Return the candidate's span, followed by the list it introduces ("... the following areas:")."""
    picks = [_Pick(candidate.hit, candidate.unit.start, candidate.unit.end)]
    if not candidate.unit.intro:
        return picks
    chunk = hits[candidate.hit].chunk
    after = [u for u in units(chunk.text) if u.start >= candidate.unit.end]
    if after:
        picks.append(_Pick(candidate.hit, after[0].start, _list_end(after)))
        return picks
    # The list starts in the next passage of the same document, if it was retrieved too.
    for i, hit in enumerate(hits):
        other = hit.chunk
        if other.doc_id == chunk.doc_id and chunk.start < other.start <= chunk.end + 2:
            items = [u for u in units(other.text) if u.start + other.start >= chunk.end]
            if items:
                picks.append(_Pick(i, items[0].start, _list_end(items)))
            break
    return picks


def _list_items(candidate: Candidate, hits: Sequence[Hit]) -> list[_Pick]:
    """Return the items of the list a bulleted `candidate` belongs to, itself included, in document order.

    Its neighbours on the lines around it, and the items of other retrieved passages of its document that
    open with the same word ("Session I ...", "Session III ..."), as a list cut by chunking continues.
    """
    chunk = hits[candidate.hit].chunk
    first = candidate.unit.text.split()[0]
    found: list[tuple[int, _Pick]] = []
    parts = units(chunk.text)
    i = next(n for n, u in enumerate(parts) if u.start == candidate.unit.start)
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(parts) and parts[j].bullet and abs(parts[j].line - parts[j - step].line) == 1:
            found.append((chunk.start + parts[j].start, _Pick(candidate.hit, parts[j].start, _item_end(parts[j:]))))
            j += step
    for n, hit in enumerate(hits):
        if n == candidate.hit or hit.chunk.doc_id != chunk.doc_id:
            continue
        other = units(hit.chunk.text)
        for k, u in enumerate(other):
            if u.bullet and u.text.split()[0] == first:
                found.append((hit.chunk.start + u.start, _Pick(n, u.start, _item_end(other[k:]))))
    found = sorted(found, key=lambda f: f[0])[: MAX_ITEMS - 1]
    own = _Pick(candidate.hit, candidate.unit.start, _item_end(parts[i:]))
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


def _merge(picks: Sequence[_Pick]) -> list[_Pick]:
    """Return `picks` with spans of one chunk that touch or overlap merged, and exact repeats dropped."""
    out: list[_Pick] = []
    for p in picks:
        for i, o in enumerate(out):
            if o.hit == p.hit and p.start <= o.end + 2 and o.start <= p.end + 2:
                out[i] = _Pick(o.hit, min(o.start, p.start), max(o.end, p.end))
                break
        else:
            out.append(p)
    return out


def _statements(picks: Sequence[_Pick], hits: Sequence[Hit]) -> tuple[Statement, ...]:
    """Return one statement per pick, citations numbered by first appearance of their chunk."""
    numbers: dict[str, int] = {}
    statements = []
    for p in picks:
        chunk = hits[p.hit].chunk
        n = numbers.setdefault(chunk.id, len(numbers) + 1)
        citation = Citation(n, chunk.id, chunk.source, chunk.title, chunk.page, p.start, p.end)
        statements.append(Statement(plain(chunk.text[p.start : p.end]), (citation,), "verified", 1.0))
    return tuple(statements)


def _missing_parts(question: str, q: Question, texts: Sequence[str]) -> str:
    """Return what a several-part question asked that the statements do not hold ("where"), or ""."""
    kinds = asked_kinds(question)
    if len(kinds) < 2:
        return ""
    joined = " ".join(texts)
    missing = [k for k in kinds if not has_answer_type(_only(q, k), joined)]
    if not missing:
        return ""
    said = " or ".join(_KIND_WORDS[k] for k in missing)
    return f"The documents in the corpus do not say {said}: only part of the question is answered."


def _only(q: Question, kind: str) -> Question:
    return replace(q, kinds=frozenset({kind}))


def _abstain(question: str, hits: tuple[Hit, ...], started: float, why_not: str) -> Answer:
    text = question.strip().rstrip("?").strip()
    reason = f"The documents in the corpus do not say: “{text}?”"
    if why_not:
        reason += f" The closest passages {why_not}."
    return Answer(
        question=question,
        statements=(),
        abstained=True,
        hits=hits,
        reason=reason,
        timings_ms={"answer": (time.perf_counter() - started) * 1000},
    )
