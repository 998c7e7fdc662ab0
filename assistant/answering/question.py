"""What a question asks: its kind (who/when/how many/list/define...), key terms, numbers and names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from assistant.answering.terms import STOPWORDS, content_stems, months, names, numbers, wordset, years

# "when", "where" and "who" ask only where a clause starts: "people who travelled" asks no "who".
_CLAUSE = r"(?:^\s*|\band\s+|\bor\s+|[,;]\s*)"
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("count", re.compile(
        r"\bhow (?:many|much|large|big|long|old|high|far)\b"
        r"|\b(?:what|which) (?:share|proportion|percentage|number|amount)\b"
        r"|\b(?:maximum|minimum|highest|lowest) (?:prison |jail )?(?:penalty|sentence|fine|term|cap|amount)\b",
        re.I,
    )),
    ("when", re.compile(
        rf"{_CLAUSE}(?:since |until )?whens?\b|\b(?:what|which) (?:dates?|years?|months?|days?)\b|\bdeadline\b", re.I
    )),
    ("where", re.compile(rf"{_CLAUSE}where\b|\bin which (?:country|countries|city|cities|place)\b", re.I)),
    ("who", re.compile(
        rf"{_CLAUSE}who(?:m|se|s)?\b|\bwhich (?:organi[sz]ations?|agenc(?:y|ies)|institutions?|donors?)\b", re.I
    )),
    ("why", re.compile(r"\bwhy\b", re.I)),
    ("define", re.compile(
        r"^\s*(?:what|who) (?:is|are|was) (?:the |an? )?[\w\-()' ]{1,60}\?\s*$|\bdefine\b|\bmean(?:s|ing)?\b", re.I
    )),
    (
        "list",
        re.compile(
            r"\bwhich (?!years\b|dates\b)(?:\w+ ){0,2}\w+s\b|\bwhat (?:are|were) the\b"
            r"|\bwhat (?:\w+ ){0,2}\w+s (?:did|do|does|were|are|came)\b"
            r"|\b(?:two|three|four|five|six|several) \w+|\blist\b|\bin what ways\b|\bwhat kinds?\b",
            re.I,
        ),
    ),
    ("how", re.compile(r"\bhow\b(?! (?:many|much)\b)", re.I)),
)  # fmt: skip
_AUX = (
    r"(?:is|are|was|were|did|do|does|has|have|had|will|would|can|could|should|shall|may|might|must|came|come|"
    r"take|took|make|made|get|got)"
)
# Words that ask for the answer's kind rather than name it: "which countries", "what topics".
GENERIC = wordset(
    """
    countries country topics topic results result things thing kinds kind ways way areas area issues issue
    aspects aspect measures measure steps step people ppl person persons main key role roles organisations
    organizations organisation organization institutions institution agencies agency terms term groups group
    regions region forms form sectors sector initiatives initiative meetings meeting languages language
    """
)
# The phrase that names what is asked: the head after the wh-word, or the verb after "who".
_FOCUS = (
    re.compile(rf"^\s*(?:what|which)\s+((?:[a-z\-]+\s+){{0,2}}?[a-z\-]+)\s+{_AUX}\b", re.I),
    re.compile(r"^\s*(?:what|which)\s+([a-z\-]+)\s+([a-z\-]+ed)\b", re.I),
    re.compile(r"^\s*what\s+(?:is|was|are|were)\s+the\s+((?:[a-z\-]+\s+)?[a-z\-]+)\s+(?:of|for)\b", re.I),
    re.compile(rf"^\s*who\s+(?!{_AUX}\b)([a-z\-]+)\b", re.I),
    # "How many ... were deployed": the participle; "need", "exceed" and the like only end like one.
    re.compile(
        r"^\s*how\s+many\s+((?:[a-z\-]+\s+){0,2}?[a-z\-]+)\s+(?:\w+\s+){0,6}?"
        r"(?!(?:need|exceed|proceed|succeed|feed|seed|speed|bleed|breed|indeed)\b)([a-z]+ed)\b",
        re.I,
    ),
    # "What were the four sessions planned ...": the things counted.
    re.compile(
        r"\b(?:two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\s+(?!(?:days|weeks|months|years)\b)([a-z\-]+s)\b",
        re.I,
    ),
)
_TIME_YEAR = re.compile(
    r"\b(?:in|during|since|until|by|before|after|from|of|for)\s+(?:(?:early|late|mid)\s+)?(?:\d{1,2}\s+)?"
    r"(?:(?:january|february|march|april|may|june|july|august|september|october|november|december)\s+)?"
    r"((?:19|20)\d{2})\b(?!\s+[a-z])",
    re.I,
)
_TIME_MONTH = re.compile(
    r"\b(?:in|during|since|until|by|before|after|from|of|for|on)\s+(?:(?:early|late|mid)[\s-]+)?(?:\d{1,2}\s+)?"
    r"(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
# A "how much / how large a fine / the budget" question asks for an amount of money; a "how many days"
# one for a span of time: a number alone ("(2) Holders of ...") does not answer it.
_MONEY_ASKED = re.compile(
    r"\b(?:rupees?|dollars?|euros?|pounds?|budget|fines?|damages|costs?|fees?|salar(?:y|ies)|compensation|price)\b",
    re.I,
)
_WHAT_AMOUNT = re.compile(
    r"^\s*what (?:is|was|are|were) the (?:[a-z]+ ){0,2}(?:budget|cost|fine|fee|salary|price)\b", re.I
)
_SPAN_ASKED = re.compile(
    r"\bhow (?:many|much) (?:days|weeks|months|years|hours|time)\b|\bhow long\b"
    r"|\b(?:maximum|minimum|longest|shortest) (?:prison |jail )?(?:sentence|term)\b",
    re.I,
)
# "and" joining two wh-words ("when and where", "..., and who directed it?") asks for several facts.
_PARTS = re.compile(r"\b(?:when|where|who|how many|which|what)\b", re.I)


@dataclass(frozen=True, slots=True)
class Question:
    """A question analysed once, shared by the composer, the abstention check and the verifier."""

    text: str
    kinds: frozenset[str]
    stems: tuple[str, ...]  # distinct content stems, in order
    numbers: frozenset[str]  # numbers other than years ("69", "7th")
    years: frozenset[str]
    # Years the question asks about as a time ("recorded in 2017"), not as part of a name ("the 2019
    # study"): a sentence speaking of another year cannot answer it.
    time_years: frozenset[str]
    names: frozenset[str]  # capitalised words, lower-cased
    # Months asked about as a time ("arrested in July 2024"): a sentence speaking of June cannot answer.
    time_months: frozenset[str]
    # What a "count" question counts when a bare number cannot answer it: "money", "span" or "".
    measure: str
    focus: tuple[str, ...]  # words naming what is asked, which the answer must hold (or a synonym of)
    # Stems of the passages that stand for a question stem they lack ("died" -> "death", a typo ->
    # the word meant); set by the answerer from the retrieved passages, empty from `analyse`.
    synonyms: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def wants_fact(self) -> bool:
        """True when a short direct answer (a number, a date, a name) should come first."""
        return bool(self.kinds & {"count", "when", "where", "who"})


# "How many apprehensions were recorded in 2021?": how a count was kept is the question's frame, not its topic.
# A table row ("Year: 2021 | Apprehensions: 2,118.") never says "recorded", and each missing term lowers the
# coverage answerability is judged on (found asking a Word annex in the browser, issue 17).
_COUNT_FRAME = re.compile(
    r"\b(?:were|was|are|is|been|be)\s+(recorded|reported|registered|counted|documented|logged|detected|noted)\b",
    re.IGNORECASE,
)


def analyse(text: str) -> Question:
    """Return the analysed question."""
    kinds = {kind for kind, pattern in _KINDS if pattern.search(text)}
    if not kinds:
        kinds = {"what"}
    all_numbers = numbers(text)
    found_years = years(text)
    stems = tuple(dict.fromkeys(content_stems(text)))
    if "count" in kinds and (frame := set(content_stems(" ".join(_COUNT_FRAME.findall(text))))):
        stems = tuple(s for s in stems if s not in frame) or stems
    return Question(
        text=text,
        kinds=frozenset(kinds),
        stems=stems,
        numbers=frozenset(all_numbers - found_years),
        years=frozenset(found_years),
        time_years=frozenset(m.group(1) for m in _TIME_YEAR.finditer(text)),
        names=frozenset(names(text)),
        time_months=frozenset(m.group(1) for m in _TIME_MONTH.finditer(text)),
        measure=_measure(text, "count" in kinds),
        focus=focus_words(text),
    )


def _measure(text: str, counts: bool) -> str:
    """Return "money" or "span" when the question asks for an amount of money or of time, else ""."""
    if len(_PARTS.findall(text)) > 1:
        return ""  # "How many ratifications, and how long a wait?": each part has its own measure
    if (counts and _MONEY_ASKED.search(text)) or _WHAT_AMOUNT.search(text):
        return "money"
    if _SPAN_ASKED.search(text):
        return "span"
    return ""


def focus_words(text: str) -> tuple[str, ...]:
    """Return the words naming what the question asks for ("recommendations", "budget", "chaired"), or ()."""
    for pattern in _FOCUS:
        match = pattern.search(text)
        if match:
            # The head of a noun group is its last word: "Which economic sectors" asks for sectors.
            found = [group.split()[-1] for group in match.groups()]
            # Names ("Which Eastern Partnership countries") are checked against the passage as names.
            return tuple(
                w.lower() for w in found if w.islower() and w not in GENERIC and w not in STOPWORDS and len(w) > 2
            )
    return ()


def asked_kinds(text: str) -> list[str]:
    """Return the wh-kinds asked, in order, when the question asks for several ("When and where ...")."""
    found = []
    for match in _PARTS.finditer(text):
        word = match.group(0).lower()
        kind = {"when": "when", "where": "where", "who": "who", "how many": "count"}.get(word)
        if kind and kind not in found:
            found.append(kind)
    return found


_FIGURE_ASKED = re.compile(r"\bhow (?:many|much|long|old|often|quickly|soon)\b", re.I)


def figures_asked(text: str) -> int:
    """Return how many figures the question asks for: one per "how many / how long ..." it holds."""
    return len(_FIGURE_ASKED.findall(text))


# How an answer names a kind of question part it could not answer ("do not say when or where").
KIND_WORDS = {"when": "when", "where": "where", "who": "who", "count": "how many"}


def only(q: Question, kind: str) -> Question:
    """Return `q` asking only for `kind` (one part of a several-part question)."""
    return replace(q, kinds=frozenset({kind}))


def time_conflict(q: Question, text: str) -> tuple[set[str], frozenset[str]] | None:
    """Return (the times `text` names, the ones asked) when `text` names years, or months, and none is the
    one asked about ("in 2016" for a 2017 question, "dropped 29% in June" for one on July), else None."""
    for said, asked in ((years(text), q.time_years), (months(text), q.time_months)):
        if asked and said and not asked & said:
            return said, asked
    return None


def year_conflict(q: Question, text: str) -> bool:
    """True when `text` speaks of another year or month than the one asked about (`time_conflict`)."""
    return time_conflict(q, text) is not None
