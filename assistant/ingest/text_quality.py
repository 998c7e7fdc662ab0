"""The quality test of a page's text: dictionary words, glued words and odd characters."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache

# Word lists per script; a page is judged against the languages of the scripts it is written in, so an
# English library never loads the Cyrillic or Arabic lists (about 45 MB and 0.7 s for the Latin three).
_LANGUAGES = {"Latin": ("en", "fr", "es"), "Cyrillic": ("ru", "uk"), "Arabic": ("ar",)}
_LIST_SIZE = 100_000  # the most frequent words of each language: a dictionary, not a catalogue of typos
_COMMON_SIZE = 20_000  # the halves of a glued word must both be common words ("but" + "which")
_TOKEN = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")
# A digit inside a word is misread OCR ("Pakist3n"); "50AA", "30th" and "2nd" are not.
_BROKEN_BY_DIGIT = re.compile(r"[^\W\d_]+\d+[^\W\d_]+")
# Two-letter words that are glued to the next word in bad text layers ("ofPakistan"); other halves need 3 letters.
_SHORT_HALVES = frozenset(
    [
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "an",
        "as",
        "is",
        "it",
        "or",
        "be",
        "no",
        "de",
        "la",
        "le",
        "el",
        "en",
        "et",
        "un",
        "du",
        "al",
    ]
)
# Punctuation that born-digital policy texts use; anything else that is neither a letter nor a digit is odd.
_USUAL = set(".,;:!?'\"()[]{}-–—‐‑/\\%&§°$€£¥@#*+=<>’‘“”«»„…•·_|~") | {"\u00ad"}

# The thresholds come from `PYTHONPATH=. python scripts/measure_text_quality.py ../shared/library/docs` (docs/ingest.md,
# "Text-layer quality"): every page of the gazette whose text layer is bad OCR (d05, "ofPakistan", "Pakislan")
# scores dictionary 0.67-0.85 with glued words at 0.023-0.058, while 798 of the 806 judged pages of the other
# PDFs pass (the 8 that fail are Swahili speeches in the Kenyan hansards, a table of numbered sections and a
# name list; OCR reads them no better, so they keep their text layer). No page there has odd characters above
# 0.017. A page with fewer than MIN_WORDS words has no text layer to judge.
MIN_WORDS = 8
MIN_DICTIONARY = 0.80
MAX_GLUED = 0.05
MAX_ODD = 0.05


@dataclass(frozen=True, slots=True)
class TextQuality:
    """How much of a text reads as words: the measures the OCR decision rests on."""

    words: int  # tokens of two or more letters, and letter tokens broken by a digit
    dictionary: float  # share of those words found in the word lists
    glued: float  # share of those words that are two common words run together ("shallnot")
    odd: float  # share of the non-space characters that are neither letters, digits nor usual punctuation
    script: str = ""  # the script most words are written in: "Latin", "Cyrillic", "Arabic" or "" (Tesseract's names)

    @property
    def has_text(self) -> bool:
        return self.words >= MIN_WORDS

    @property
    def passes(self) -> bool:
        """Return whether the text is good enough to index without OCR."""
        return self.has_text and self.dictionary >= MIN_DICTIONARY and self.glued <= MAX_GLUED and self.odd <= MAX_ODD

    @property
    def score(self) -> float:
        """Return one number to compare two readings of a page (the text layer and OCR): higher is better."""
        if not self.has_text:
            return 0.0
        return self.dictionary - 2 * self.glued - 2 * self.odd


def text_quality(text: str) -> TextQuality:
    """Return the quality measures of `text`."""
    tokens = _TOKEN.findall(text)
    words = [t.lower() for t in tokens if len(t) >= 2 and (_LETTERS.fullmatch(t) or _BROKEN_BY_DIGIT.fullmatch(t))]
    chars = [ch for ch in text if not ch.isspace()]
    odd = sum(1 for ch in chars if not ch.isalnum() and ch not in _USUAL) / max(len(chars), 1)
    if not words:
        return TextQuality(0, 0.0, 0.0, odd)
    scripts = [_script(w) for w in words]
    # A word is looked up in the lists of its own script; one in another script (Greek, Chinese) is unknown.
    lists = [_word_lists(s) if s else (frozenset(), frozenset()) for s in scripts]
    known = [w in vocabulary for w, (vocabulary, _) in zip(words, lists, strict=True)]
    glued = sum(1 for w, k, (_, common) in zip(words, known, lists, strict=True) if not k and _is_glued(w, common))
    main = Counter(s for s in scripts if s).most_common(1)
    return TextQuality(len(words), sum(known) / len(words), glued / len(words), odd, main[0][0] if main else "")


def _is_glued(word: str, common: frozenset[str]) -> bool:
    """Return whether `word` is two common words without the space between them ("butwhich")."""
    if len(word) < 5 or not word.isalpha():
        return False
    return any(
        (word[:i] in _SHORT_HALVES or i >= 3) and word[:i] in common and word[i:] in common
        for i in range(2, len(word) - 2)
    )


def _script(word: str) -> str:
    name = unicodedata.name(word[0], "")
    return next((script for script in _LANGUAGES if name.startswith(script.upper())), "")


@cache
def _word_lists(script: str) -> tuple[frozenset[str], frozenset[str]]:
    """Return the vocabulary and the common words of the languages written in `script`."""
    vocabulary: set[str] = set()
    common: set[str] = set()
    for language in _LANGUAGES[script]:
        vocabulary.update(_top_words(language, _LIST_SIZE))
        common.update(_top_words(language, _COMMON_SIZE))
    return frozenset(vocabulary), frozenset(common)


def _top_words(language: str, n: int) -> list[str]:
    import wordfreq

    words = wordfreq.top_n_list(language, n, ascii_only=False)
    # wordfreq caches the whole frequency list (hundreds of MB for Russian); we keep only the words we need.
    wordfreq.get_frequency_list.cache_clear()
    wordfreq.get_frequency_dict.cache_clear()
    wordfreq.top_n_list.cache_clear()
    return words
