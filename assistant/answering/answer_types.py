"""What kind of thing a sentence holds, against what a question asks for: a number, a date, a name, a list."""

from __future__ import annotations

import functools
import re

from assistant.answering.question import Question
from assistant.answering.terms import has_date, has_money, names, quantities

_ENUMERATION = re.compile(r"[,;:]\s|\s(?:and|or)\s")
# Quantities in words that answer "how many" / "what share" ("more than half", "one in five", "one million"),
# and ordinals that count ("after the deposit of the fortieth instrument of ratification").
_QUANTITY = re.compile(
    r"\b(?:half|third|quarter|majority|none of|dozens|hundreds|thousands|millions|one in \w+|per ?cent"
    r"|(?:\w+ )?(?:million|billion)|\w+tieth|\w+teenth|tenth|eleventh|twelfth|hundredth)\b",
    re.I,
)

# A span of time that answers "how many days/years": "within 5 years", "for ninety days", "a month".
_SPAN = re.compile(
    r"\b(?:\d[\d,.]*|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|\w+ty(?:[\s-]\w+)?)"
    r"\s+(?:\w+\s+)?(?:days?|weeks?|months?|years?|hours?)\b",
    re.I,
)


# A question asking what a quoted term means: "How does the Protocol define 'smuggling of migrants'?", "What does
# 'JRO' mean?", "Who counts as a 'domestic worker'?", "What do 'MSSAC' and 'TCNs' stand for?".
_ASKS_MEANING = re.compile(r"\bdefin(?:e|es|ed|ition)\b|\bmean(?:s|ing|t)?\b|\bstands? for\b|\bcounts? as\b", re.I)
_QUOTES = "'\"‘’“”"
_QUOTED = re.compile(rf"(?<!\w)[{_QUOTES}]([^{_QUOTES}]{{2,60}}?)[{_QUOTES}](?!\w)")
# What follows a term where a text defines it: "“Victim” shall mean", "Foreigner' means", "the term *domestic
# worker* means" (Markdown emphasis), "JRO – Joint return operation". Not "MSSAC: Italy", a table's field.
_DEFINING = (
    rf"[{_QUOTES}*_)\s]*(?:shall\s+mean|means|(?:is|are)\s+defined\s+as|refers?\s+to|denotes|stands?\s+for"
    r"|shall\s+be\s+understood|(?:is|are)\s+(?:an?|any|the)\s|[-–=]\s)"
)


@functools.lru_cache(maxsize=1024)
def _definition(question: str) -> re.Pattern[str] | None:
    """Return the pattern of a sentence defining a term the question quotes and asks the meaning of, or None."""
    if not _ASKS_MEANING.search(question):
        return None
    terms = [m.group(1).strip() for m in _QUOTED.finditer(question)]
    terms = [t for t in terms if t]
    if not terms:
        return None
    spelt = "|".join(r"\s+".join(re.escape(w) for w in t.split()) for t in terms)
    return re.compile(rf"\b(?:{spelt})\b{_DEFINING}", re.I)


def defines(question: Question, text: str) -> bool | None:
    """Return whether `text` defines the term the question quotes and asks the meaning of; None if it asks none."""
    pattern = _definition(question.text)
    return None if pattern is None else bool(pattern.search(text))


def has_answer_type(question: Question, text: str) -> bool:
    """Return True when `text` holds what the question's kind asks for (a number, a date, a name)."""
    return answer_type_share(question, text) > 0


def answer_type_share(question: Question, text: str) -> float:
    """Return the share of the kinds asked that `text` holds (1.0 when the question asks for none).

    "Where and when was the workshop held?" is answered by "in Athens on 11-12 June 2014" (both) better than
    by a sentence naming a place (one of two).
    """
    checks = []
    # "Who counts as a 'domestic worker'?" asks for a definition, not a name.
    defined = defines(question, text)
    if question.measure == "money":
        checks.append(has_money(text))
    elif question.measure == "span" and "count" in question.kinds:
        checks.append(bool(_SPAN.search(text)))
    elif "count" in question.kinds:
        checks.append(bool(quantities(text) - question.numbers) or bool(_QUANTITY.search(text)))
    if "when" in question.kinds:
        checks.append(has_date(text))
    if question.kinds & {"who", "where"} and defined is None:
        checks.append(bool(names(text) - question.names))
    if "list" in question.kinds:
        checks.append(len(_ENUMERATION.findall(text)) >= 2)
    if defined is not None:
        checks.append(defined)
    return sum(checks) / len(checks) if checks else 1.0
