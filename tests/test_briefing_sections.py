"""Briefing sections hold what their headings announce: figures under "Key facts and figures", a
recommendation under "Recommendations", the rest under "Background and context" (issue 16, deliverable 4)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.briefing.draft import draft_brief
from assistant.briefing.sections import fit_to_heading, fits

TOPIC = "migrant smuggling along the Eastern Mediterranean route"


@pytest.mark.parametrize(
    ("heading", "sentence", "expected"),
    [
        ("Recommendations", "The Task Force also recommended that priority be given to source countries.", True),
        ("Recommendations", "Authorities should enhance human trafficking detection at borders.", True),
        # A meeting that discussed recommendations recommends nothing itself.
        ("Recommendations", "Over 70 delegates discussed the study's findings and recommendations.", False),
        ("Key facts and figures", "Between July 1999 and June 2001 there were 8,316 unauthorised boat arrivals.", True),
        ("Key facts and figures", "The problem of irregular migration has not bypassed the region.", False),
        ("Open issues and challenges", "IOM didn't specify the nationalities of the dead.", True),
        ("Actors and partners", "The Group of experts shall be convened by the Secretary General.", True),
        ("Background and context", "The Eastern Partnership was launched in 2009 with six countries.", True),
        # A recommendation or a stated problem belongs in its own section, not in the background.
        ("Background and context", "The Task Force also recommended that priority be given to source states.", False),
        ("Background and context", "IOM didn't specify the nationalities of the dead.", False),
    ],
)
def test_a_sentence_fits_the_heading_that_announces_its_kind(heading: str, sentence: str, expected: bool) -> None:
    assert fits(heading, sentence) is expected


def test_an_answer_that_does_not_fit_its_heading_quotes_a_passage_that_does(assistant) -> None:  # type: ignore[no-untyped-def]
    question = "Where did the Expert Meeting on Preventing Facilitation of Irregular Migration take place?"
    answer = assistant.ask(question)
    assert not answer.abstained and not all(fits("Key facts and figures", s.text) for s in answer.statements)
    fitted = fit_to_heading(assistant, "Key facts and figures", question, answer)
    assert not fitted.abstained and fitted.statements
    assert all(fits("Key facts and figures", s.text) and s.support == "verified" for s in fitted.statements)
    assert all(c.chunk_id in {h.chunk.id for h in answer.hits} for s in fitted.statements for c in s.citations)
    # A heading nothing in the passages fits leaves the section to "Not covered", with the reason.
    nothing = fit_to_heading(assistant, "Recommendations", question, replace(answer, hits=answer.hits[:1]))
    assert nothing.abstained and not nothing.statements and "Recommendations" in nothing.reason


def test_each_section_of_a_drafted_note_fits_its_heading(assistant) -> None:  # type: ignore[no-untyped-def]
    note = draft_brief(assistant, TOPIC)
    assert note.sections
    for section in note.sections:
        for bullet in section.bullets:
            for statement in bullet.statements:
                assert fits(section.heading, statement.text), (section.heading, statement.text)
