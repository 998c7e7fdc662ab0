"""What kind of thing a sentence holds, against what a question asks for: a number, a date, a name, a list."""

from __future__ import annotations

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


def has_answer_type(question: Question, text: str) -> bool:
    """Return True when `text` holds what the question's kind asks for (a number, a date, a name)."""
    return answer_type_share(question, text) > 0


def answer_type_share(question: Question, text: str) -> float:
    """Return the share of the kinds asked that `text` holds (1.0 when the question asks for none).

    "Where and when was the workshop held?" is answered by "in Athens on 11-12 June 2014" (both) better than
    by a sentence naming a place (one of two).
    """
    checks = []
    if question.measure == "money":
        checks.append(has_money(text))
    elif question.measure == "span" and "count" in question.kinds:
        checks.append(bool(_SPAN.search(text)))
    elif "count" in question.kinds:
        checks.append(bool(quantities(text) - question.numbers) or bool(_QUANTITY.search(text)))
    if "when" in question.kinds:
        checks.append(has_date(text))
    if question.kinds & {"who", "where"}:
        checks.append(bool(names(text) - question.names))
    if "list" in question.kinds:
        checks.append(len(_ENUMERATION.findall(text)) >= 2)
    return sum(checks) / len(checks) if checks else 1.0
