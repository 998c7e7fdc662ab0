"""Follow-up questions rewritten into standalone ones with the previous turns (deterministic rules)."""

from __future__ import annotations

import pytest

from assistant.answering.followup import key_phrase, standalone
from assistant.output.text import render_text
from assistant.pipeline import Assistant


@pytest.mark.parametrize(
    ("previous", "followup", "expected"),
    [
        (
            "When was the Global Conference on Cities and Migration held?",
            "who organised it?",
            "who organised the Global Conference on Cities and Migration?",
        ),
        (
            "Who co-hosted the Expert Meeting on Preventing Facilitation of Irregular Migration?",
            "when was that?",
            "when was the Expert Meeting on Preventing Facilitation of Irregular Migration?",
        ),
        (
            "When did the 6th Budapest Process Ministerial Conference take place?",
            "and where?",
            "Where did the 6th Budapest Process Ministerial Conference take place?",
        ),
        (
            "How many migrant deaths were recorded worldwide in 2016?",
            "and what about 2017?",
            "How many migrant deaths were recorded worldwide in 2017?",
        ),
        (
            "What was the main topic of the EaP Panel expert meeting held in Chisinau in 2016?",
            "and what about Kyiv?",
            "What was the main topic of the EaP Panel expert meeting held in Kyiv in 2016?",
        ),
        (
            "Which countries co-hosted the Kyiv expert meeting?",
            "Who funded the ICMPD study on trafficking along migration routes?",
            "Who funded the ICMPD study on trafficking along migration routes?",  # already standalone
        ),
    ],
)
def test_followup_is_rewritten(previous: str, followup: str, expected: str) -> None:
    assert standalone(followup, [previous]) == expected


def test_without_history_the_question_is_unchanged() -> None:
    assert standalone("who organised it?", []) == "who organised it?"


def test_rewriting_chains_through_several_turns() -> None:
    history = ["When did the 6th Budapest Process Ministerial Conference take place?", "and where?"]
    assert standalone("who hosted it?", history) == "who hosted the 6th Budapest Process Ministerial Conference?"


def test_key_phrase_runs_on_over_following_nouns() -> None:
    assert key_phrase("Which countries co-hosted the Kyiv expert meeting?") == "the Kyiv expert meeting"


def test_ask_sets_the_standalone_question_and_answers_it(assistant: Assistant) -> None:
    history = ["When was the EU Action Plan against migrant smuggling adopted?"]
    answer = assistant.ask("and when was the European Agenda on Migration adopted?", history=history)
    assert answer.standalone_question  # set whenever there is history
    followup = assistant.ask(
        "who organised it?", history=["Where was the Global Conference on Cities and Migration held?"]
    )
    assert followup.standalone_question == "who organised the Global Conference on Cities and Migration?"
    assert "UCLG" in render_text(followup) or "UN-Habitat" in render_text(followup)
