"""Key terms of a text: stemmed content words, numbers, years, dates and names, for matching and support."""

from __future__ import annotations

import functools
import re

import Stemmer

_STEMMER = Stemmer.Stemmer("english")


def wordset(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of `text` as a set (for readable word lists)."""
    return frozenset(text.split())


# Function words and question scaffolding: they say nothing about which passage answers.
STOPWORDS = wordset(
    """
    a about above according after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each either else ever every
    few for from further get got had has have having he her here hers herself him himself his how i if in
    into is it its itself just let like may me might more most much must my myself no nor not now of off on
    once only or other our ours ourselves out over own per please same shall she should so some such than
    that the their theirs them themselves then there these they this those through thus to too under until
    up upon us very via was we were what whats when whens where wheres whether which while who whom whos
    whose why will with within without would yet you your yours yourself tell say says said give show know
    want find anything something thing things even first place wat wht wich r u ur ppl pls nah many
    """
)

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")
# A code that names one thing: letters and digits together ("RO-01194", "S.R.O.970", "G20", "A/RES/55/25"). A
# passage that holds the code a question names is about that thing; a sentence sharing only its words is not.
_TOKEN = re.compile(r"[A-Za-z\d]+(?:[-./][A-Za-z\d]+)*")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[A-Za-z]")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(st|nd|rd|th)?(?![\w])", re.IGNORECASE)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
}  # fmt: skip
# "first" is left out: "in the first place" is an idiom far more often than a rank.
_ORDINAL_WORDS = {
    "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "fifteenth": 15, "twentieth": 20, "thirtieth": 30,
    "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "hundredth": 100,
}  # fmt: skip
_TENS_UNITS = re.compile(
    r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[\s\-](one|two|three|four|five|six|seven|eight|nine)\b",
    re.IGNORECASE,
)
# "Session II", "Phase 2", "Article IV": a roman numeral only counts after a word that numbers things.
_ROMAN = re.compile(r"\b(?:session|phase|part|article|chapter|pillar|round|stage)\s+([IVX]{1,4})\b", re.IGNORECASE)
_ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(rf"\b(?:{_MONTHS})\b|\b(?:19|20)\d{{2}}\b", re.IGNORECASE)
_DAY_MONTH = re.compile(rf"\b\d{{1,2}}(?:\s*[-–]\s*\d{{1,2}})?(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b", re.I)
_MONTH_DAY = re.compile(rf"\b(?:{_MONTHS})\s+\d{{1,2}}(?:\s*[-–]\s*\d{{1,2}})?(?:st|nd|rd|th)?\b", re.I)
_MONTH_ONLY = re.compile(rf"^(?:{_MONTHS})$", re.IGNORECASE)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’\-]*[\w]|\b[A-Z]\b")


# British -ise spellings stem apart from -ize ones ("organis" vs "organ"); words that end in -ise
# by nature are left alone.
_ISE = re.compile(r"^(.{4,}?)is(e|ed|es|ing|ation|ations)$")
_TRUE_ISE = wordset(
    """
    advertise comprise compromise enterprise exercise expertise franchise merchandise otherwise premise
    promise supervise surprise televise chastise disguise despise concise precise paradise
    """
)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Snowball stem of lower-cased `word` (apostrophes dropped, -ise spelt -ize)."""
    word = word.lower().replace("’", "").replace("'", "")
    match = _ISE.match(word)
    if match and not any(word.startswith(t[:-1]) for t in _TRUE_ISE):
        word = f"{match.group(1)}iz{match.group(2)}"
    return _STEMMER.stemWord(word)


def words(text: str) -> list[str]:
    """Return the alphabetic words of `text`, in order."""
    return _WORD.findall(text)


def content_stems(text: str) -> list[str]:
    """Return the stems of the content words of `text` (no stop words, no one-letter words), in order, then its
    codes."""
    out = []
    for w in words(text):
        for part in w.split("-"):
            lower = part.lower().replace("’", "'")
            if len(lower) < 2 or lower in STOPWORDS or lower.rstrip("'s") in STOPWORDS:
                continue
            out.append(stem(lower))
    out.extend(codes(text))
    return out


def codes(text: str) -> list[str]:
    """Return the codes in `text` ("RO-01194" -> "ro-01194"), lower-cased: letters and digits in one token.

    A number with a suffix ("7th", "1990s") is not a code.
    """
    if not _DIGIT.search(text):
        return []
    return [t.lower() for t in _TOKEN.findall(text) if _DIGIT.search(t) and _LETTER.search(t) and not t[:-2].isdigit()]


def numbers(text: str) -> set[str]:
    """Return the numbers written in `text`, normalised: "7,934" -> "7934", "ninety-one" -> "91", "7th" -> "7th".

    Ordinals stay distinct ("6th" is not "6"), so "the 7th conference" never matches "6 conferences".
    """
    found: set[str] = set()
    for match in _NUMBER.finditer(text):
        value = match.group(1).replace(",", "")
        suffix = (match.group(2) or "").lower()
        found.add(f"{value}th" if suffix else value)
    consumed = set()
    for match in _TENS_UNITS.finditer(text):
        found.add(str(_NUMBER_WORDS[match.group(1).lower()] + _NUMBER_WORDS[match.group(2).lower()]))
        consumed.update({match.group(1).lower(), match.group(2).lower()})
    for w in words(text):
        lower = w.lower()
        if lower in _NUMBER_WORDS and lower not in consumed and lower not in {"hundred", "thousand", "one"}:
            found.add(str(_NUMBER_WORDS[lower]))
        elif lower in _ORDINAL_WORDS:
            found.add(f"{_ORDINAL_WORDS[lower]}th")
    for match in _ROMAN.finditer(text):
        value = _ROMAN_VALUES.get(match.group(1).upper())
        if value:
            found.add(f"{value}th")
    return found


def quantities(text: str) -> set[str]:
    """Return the numbers of `text` that count something: not years, ranks or days of a date ("17-18 October")."""
    without_dates = _DAY_MONTH.sub(" ", _MONTH_DAY.sub(" ", text))
    return {n for n in numbers(without_dates) if not (len(n) == 4 and n[:2] in {"19", "20"}) and not n.endswith("th")}


def numbers_in_digits(text: str) -> set[str]:
    """Return the numbers `text` writes in digits or roman numerals ("2016", "7th", "Session II"), not in words."""
    without_words = _TENS_UNITS.sub(" ", text)
    found = {f"{m.group(1).replace(',', '')}{'th' if m.group(2) else ''}" for m in _NUMBER.finditer(without_words)}
    for match in _ROMAN.finditer(text):
        value = _ROMAN_VALUES.get(match.group(1).upper())
        if value:
            found.add(f"{value}th")
    return found


# Numbers that label a document or a part of one ("Convention No. 189", "section 501", "sections 3, 4 or 7",
# "Article 3(a)"): they name what is spoken of, and count nothing.
_LABEL = re.compile(
    r"(?:\b(?:no|nr)\.|\b(?:number|art|articles?|sections?|sec|chapters?|parts?|rules?|regulations?|resolutions?"
    r"|conventions?|protocols?|recommendations?|directives?|decisions?|paragraphs?|para|clauses?|schedules?"
    r"|divisions?|subsections?|annex(?:es)?|items?)\b\.?)\s*(?:no\.\s*)?\(?"
    r"(\d+(?:\s*(?:,|and|or|to|-|–)\s*\d+)*)",
    re.I,
)


def label_numbers(text: str) -> set[str]:
    """Return the numbers of `text` that label a document or a part of one: "No. 189" -> {"189"}."""
    return {n for m in _LABEL.finditer(text) for n in re.findall(r"\d+", m.group(1))}


def years(text: str) -> set[str]:
    """Return the four-digit years (1900-2099) in `text`."""
    return {n for n in numbers(text) if len(n) == 4 and n[:2] in {"19", "20"}}


_FULL_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)  # fmt: skip
# Capitalised and in full: "may" is mostly a verb, "Mar" a name.
_MONTH_NAME = re.compile(rf"\b({'|'.join(_FULL_MONTHS)})\b")
_COUNTED = r"(?:\d[\d,.]*|[a-z]+(?:[\s-][a-z]+)?)"
# An amount of money: "$2 000 000", "USD 5,000", "1,000 rupees", "one million rupees", "60 penalty units".
_MONEY = re.compile(
    r"[$€£¥₹]\s?\d|\b(?:rs|usd|eur|gbp|aud|cad|inr|pkr|kes)\.?\s?\d"
    rf"|\b{_COUNTED}\s+(?:(?:hundred|thousand|million|billion|lakh|crore)s?\s+)?"
    r"(?:rupees?|dollars?|euros?|pounds?|francs?|shillings?|penalty units)\b",
    re.IGNORECASE,
)


def months(text: str) -> set[str]:
    """Return the months `text` names in full ("June"), as written."""
    return set(_MONTH_NAME.findall(text))


def has_money(text: str) -> bool:
    """Return True when `text` states an amount of money."""
    return bool(_MONEY.search(text))


def has_date(text: str) -> bool:
    """Return True when `text` holds a month name or a year."""
    return bool(_DATE.search(text))


def names(text: str) -> set[str]:
    """Return lower-cased capitalised words of `text` that are not sentence openers or stop words.

    A crude stand-in for named entities ("Moldova", "EUROPOL", "Spindelegger"); good enough to check
    that a statement names nobody the passage does not.
    """
    found = set()
    for match in _CAPITALISED.finditer(text):
        word = match.group(0)
        before = text[: match.start()].rstrip()
        sentence_start = not before or before[-1] in '.!?:;\n"“(' or before.endswith("- ")
        lower = word.lower().replace("’", "'")
        if lower in STOPWORDS or _MONTH_ONLY.match(lower) or len(lower) < 2:
            continue
        if sentence_start and not word.isupper():
            continue
        found.add(lower.removesuffix("'s"))
    return found
