"""Rewrite a follow-up question ("and what about Moldova?", "who organised it?") into a standalone one.

Deterministic rules, no model: the previous question's key noun phrase replaces a pronoun, a new name or
year replaces the previous one of the same kind, and a bare wh-word ("and where?") takes over the
previous question's wh-word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answering.terms import STOPWORDS, content_stems, wordset, years

# The conversation's earlier questions, oldest first: a follow-up is rewritten from them alone.
History = Sequence[str]
# Returns how alike two names are (MiniLM cosine, `EmbeddingService.similarity`), to pick which previous
# name a new one replaces.
Similarity = Callable[[str, str], float]

_ABOUT = re.compile(r"^\s*(?:and|but|also|ok|okay|so)?\s*,?\s*(?:what|how)\s+about\s+(?P<x>.+?)\s*[?.!]*\s*$", re.I)
_AND_X = re.compile(r"^\s*(?:and|also)\s+(?:for|in|of|on|with|at)?\s*(?P<x>.+?)\s*[?.!]*\s*$", re.I)
_BARE_WH = re.compile(
    r"^\s*(?:and|but|so|also)?\s*(?P<wh>when|where|who|why|how many|how much|how|what|which)\s*[?.!]*\s*$", re.I
)
_WH_START = re.compile(r"^\s*(when|where|who|why|how many|how much|how|what|which)\b", re.I)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|that|this|there|he|she|him|his|her|these|those)\b", re.I)
_EVENT = re.compile(r"\b(?:meeting|conference|workshop|session|summit|forum|roundtable|event|school|seminar)\b", re.I)
# A capitalised phrase may run on through these ("Expert Meeting on Preventing Facilitation of ...").
_LINKS = {"of", "on", "for", "and", "the", "in", "to", "against"}
_CAPITAL_PHRASE = re.compile(r"\b(?:[A-Z][\w'’\-]*)(?:\s+(?:(?:of|on|for|and|the|in|to|against)\s+)*[A-Z][\w'’\-]*)*")
_WORD = re.compile(r"[\w'’\-]+")
# Verbs that end a noun phrase though they do not end in -ed ("the Global Conference ... held in").
_VERBS = wordset(
    """
    held took take takes taken made make run ran met meet given give gave done set seen begun began led lead
    spoke speak said went go came come won win chose chosen hosts host opened adopt adopts happen
    """
)


def standalone(question: str, history: History, similarity: Similarity | None = None) -> str:
    """Return `question` made standalone with the conversation `history`; unchanged when it already is."""
    previous = ""
    for asked in history:
        previous = _rewrite(asked, previous, similarity) if previous else asked
    return _rewrite(question, previous, similarity) if previous else question


def _rewrite(question: str, previous: str, similarity: Similarity | None) -> str:
    question = question.strip()
    prev = previous.strip().rstrip("?.! ")
    bare = _BARE_WH.match(question)
    if bare and _WH_START.match(prev):
        # "and where?" after "When did X take place?" -> "Where did X take place?"
        return _capitalise(_WH_START.sub(bare.group("wh").lower(), prev, count=1)) + "?"
    about = _ABOUT.match(question) or (_AND_X.match(question) if _is_short(question) else None)
    if about:
        return _replace_like(prev, about.group("x").strip(), similarity) + "?"
    if _PRONOUN.search(question) and _is_short(question) and not _own_names(question):
        phrase = key_phrase(prev)
        if phrase:
            return _resolve_pronouns(question, phrase)
    return question


def key_phrase(question: str) -> str:
    """Return the previous question's main noun phrase ("the Kyiv expert meeting"), or ""."""
    body = _WH_START.sub("", question).strip()
    best = ""
    for match in _CAPITAL_PHRASE.finditer(body):
        if match.start() == 0 and match.group(0).split()[0].lower() in STOPWORDS:
            continue
        phrase = _extend(body, match.start(), match.end())
        if len(phrase) > len(best):
            best = phrase
    if not best:
        return ""
    start = body.find(best)
    before = body[:start].rstrip().split()
    # Take in a rank or number before the name ("the 6th Budapest Process ...") and the article.
    while before and re.fullmatch(r"\d+(?:st|nd|rd|th)?", before[-1]):
        best = f"{before.pop()} {best}"
    if before and before[-1].lower() == "the":
        best = "the " + best
    return best


def _extend(text: str, start: int, end: int) -> str:
    """Return text[start:end] run on over following nouns ("Kyiv" -> "Kyiv expert meeting")."""
    while True:
        match = _WORD.match(text, end + 1) if end < len(text) and text[end] == " " else None
        if not match:
            break
        word = match.group(0)
        lower = word.lower()
        if lower in STOPWORDS or lower in _LINKS or lower.endswith("ed") or lower in _VERBS or not word.isalpha():
            break
        end = match.end()
    return text[start:end].rstrip("?,.;: ")


def _resolve_pronouns(question: str, phrase: str) -> str:
    def sub(match: re.Match[str]) -> str:
        word = match.group(1).lower()
        if word in {"its", "their", "his", "her"}:
            return f"{phrase}'s"
        if word == "there":
            return ("at " if _EVENT.search(phrase) else "in ") + phrase
        return phrase

    return _PRONOUN.sub(sub, question, count=1)


def _replace_like(prev: str, new: str, similarity: Similarity | None) -> str:
    """Return `prev` with the name, year or phrase most like `new` replaced by it; else `new` appended."""
    new_years = years(new)
    old_years = sorted(years(prev))
    if new_years and old_years:
        return prev.replace(old_years[-1], sorted(new_years)[0])
    names = [m.group(0) for m in _CAPITAL_PHRASE.finditer(prev) if m.start() > 0]
    if names and new[:1].isupper():
        if similarity is not None:
            target = max(names, key=lambda n: similarity(n, new))
        else:
            target = names[-1]
        return prev.replace(target, new, 1)
    return f"{prev}, for {new}"


def _is_short(question: str) -> bool:
    return len(content_stems(question)) <= 5


def _own_names(question: str) -> bool:
    """True when the question names something itself (a capitalised word past its first word)."""
    return any(m.start() > 0 for m in re.finditer(r"\b[A-Z][\w\-]+", question.strip()))


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
