"""What a question asks: the words naming what it asks for."""

from __future__ import annotations

import pytest

from assistant.answering.question import analyse, focus_words


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("What were the four sessions planned for the Kyiv meeting?", ("sessions",)),  # the things counted
        ("List the five commitments adopted in Istanbul.", ("commitments",)),
        ("What was the purpose of the meeting?", ("purpose",)),
        ("What happened at the meeting in the last two years?", ()),  # a span of time is not what is asked
    ],
)
def test_focus_words_name_what_is_asked(question: str, focus: tuple[str, ...]) -> None:
    assert focus_words(question) == focus


def test_analysed_question_has_no_synonyms_until_the_answerer_finds_them() -> None:
    assert dict(analyse("how many ppl died migrating in 2016??").synonyms) == {}


def test_how_a_count_was_kept_is_not_a_term_the_answer_must_hold() -> None:
    recorded = analyse("How many apprehensions were recorded in 2021?")
    plain = analyse("How many apprehensions were there in 2021?")
    assert recorded.stems == plain.stems
    # Outside a count question the verb stays a term: "Which incidents were recorded by the mission?"
    assert len(analyse("Which incidents were recorded by the mission?").stems) == 3
