"""Which sentences fit a briefing note's heading: a recommendation under "Recommendations", a figure under
"Key facts and figures", and the sentences that fit when the answer to a section's question does not."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.accounts.roles import LOCAL_USER, User
from assistant.answering.extractive import ABSTAIN_BELOW
from assistant.answering.quotes import spans, statements
from assistant.answering.terms import has_money, names, quantities
from assistant.answering.verify import verify
from assistant.types import Answer, Statement

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

# The words that make a sentence one of a heading's kind. Written from the section labels of the dev
# topics (eval/library and eval/seed briefing.jsonl, split "dev"), in the documents' own words; a heading
# without an entry takes any sentence.
_CUES: dict[str, re.Pattern[str]] = {
    "Recommendations": re.compile(
        r"\brecommend(?:s|ed|ing)?\b|\bshould\b|\bought to\b|\burg(?:e|es|ed)\b|\bcall(?:s|ed)? (?:on|upon|for)\b"
        r"|\bneeds? to\b"
        r"|\bit is (?:essential|imperative|important|necessary|vital|crucial)\b|\bmust\b|\bencourag"
        r"|\bshall (?:consider|adopt|take|provide|strengthen|endeavour|ensure|promote|establish)\b"
        r"|\bpriority\b|\bthe (?:only )?way (?:of|to)\b|^\s*(?:[a-z]\)\s*)?(?:improv|strengthen|develop|ensur|identif"
        r"|promot|enhanc|establish)\w*\b",
        re.I,
    ),
    "Open issues and challenges": re.compile(
        r"\bchalleng|\bdifficult|\bproblem|\bgaps?\b|\black(?:s|ing)?\b|\bconcern|\brisks?\b|\bthreat|\bvulnerab"
        r"|\bunable\b|\bnot (?:yet|available|specif\w+|secure|possible|bound)\b|\bno longer\b|\binsufficient"
        r"|\binadequate|\bstruggl|\bimpunity\b|\buncertain|\bhowever\b|\bdespite\b|\bfew of\b|\blimited\b"
        r"|\bremain(?:s|ed)? (?:unclear|open|unresolved)\b|\bobstacle|\bfail(?:s|ed|ure)?\b|\bdid(?:n’t|n't| not)\b",
        re.I,
    ),
    "Actors and partners": re.compile(
        r"\bagenc(?:y|ies)\b|\borgani[sz]ations?\b|\bcommittee\b|\bgovernments?\b|\bauthorit(?:y|ies)\b"
        r"|\bministr(?:y|ies)\b|\bpolice\b|\bcoast ?guard\b|\bNGOs?\b|\bpartners?(?:hip)?\b|\bcooperat"
        r"|\bco-operat|\bofficials?\b|\brepresentatives?\b|\bDirector\b|\bstaff\b|\bGroup of experts\b",
        re.I,
    ),
    "Actions and measures taken": re.compile(
        r"\badopted\b|\blaunched\b|\bestablish|\bimplement|\bprovided\b|\bconducted\b|\borgani[sz]ed\b|\btrain"
        r"|\bintroduc|\bset up\b|\brescu|\bdeploy|\bsigned\b|\bcarried out\b|\btook place\b|\bpresented\b"
        r"|\befforts?\b|\bprogram|\bproject\b|\bmeasures?\b|\binitiative|\bshall (?:issue|provide|establish|ensure)\b"
        r"|\bundertakes?\b|\binterviewed\b|\bimposed?\b|\bbanned\b|\bpenalt",
        re.I,
    ),
    "Legal and policy framework": re.compile(
        r"\blaws?\b|\bact\b|\bconvention\b|\bprotocol\b|\barticle\b|\bregulation|\bdirective\b|\blegislat"
        r"|\bframework\b|\bpolic(?:y|ies)\b|\bordinance\b|\bstatute\b|\btreaty\b|\bagreement\b",
        re.I,
    ),
    "Results and outcomes": re.compile(
        r"\bresult|\boutcome|\bachiev|\bled to\b|\bincreas|\bdecreas|\breduc|\bsuccess|\bimprov|\bdropped\b"
        r"|\bfell\b|\brose\b|\bimpact",
        re.I,
    ),
}
_DISTINCT = ("Recommendations", "Open issues and challenges")
# Sentences the section's own passages give when its question's answer does not fit the heading.
FALLBACK_STATEMENTS = 2


def fits(heading: str, text: str) -> bool:
    """Return True when `text` is a sentence of the kind `heading` announces."""
    if heading == "Key facts and figures":
        return bool(quantities(text)) or has_money(text) or "%" in text
    if heading == "Actors and partners" and len(names(text)) >= 2:
        return True
    if heading == "Background and context":
        # A recommendation or a stated problem has its own section; the background is the rest.
        return not any(_CUES[other].search(text) for other in _DISTINCT)
    cue = _CUES.get(heading)
    return cue is None or bool(cue.search(text))


def fit_to_heading(
    assistant: Assistant,
    heading: str,
    question: str,
    answer: Answer,
    *,
    fallback: bool = True,
    user: User = LOCAL_USER,
) -> Answer:
    """Return `answer` keeping the statements that fit `heading`; when none does and `fallback` is set, the
    best-ranked sentences of its passages that fit, verified like any answer's. An answer nothing fits is
    an abstention; a generator's own abstention (no `fallback`) is kept as it is."""
    if not answer.abstained:
        kept = tuple(s for s in answer.statements if fits(heading, s.text))
        if kept:
            return replace(answer, statements=kept)
    elif not fallback:
        return answer
    chosen = _fitting(assistant, heading, question, answer, user) if fallback else ()
    if not chosen:
        return replace(answer, statements=(), abstained=True, reason=f"No passage found says this: {heading}.")
    return replace(answer, statements=chosen, abstained=False, reason="")


def _fitting(assistant: Assistant, heading: str, question: str, answer: Answer, user: User) -> tuple[Statement, ...]:
    """Return the verified statements quoting the best sentences of the answer's passages that fit `heading`."""
    hits = answer.hits
    if not hits:
        return ()
    found = assistant.extractive(user).assess(question, hits)
    pool = [c for c in found.ranked if c.quotable and c.relevance >= ABSTAIN_BELOW and fits(heading, c.unit.text)][
        :FALLBACK_STATEMENTS
    ]
    if not pool:
        return ()
    quoted: Sequence[Statement] = statements(spans(pool, False, hits), hits)
    checked = verify(quoted, hits, assistant.embeddings, assistant.scorer())
    return tuple(s for s in checked if s.support == "verified" and fits(heading, s.text))
