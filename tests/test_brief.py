"""Briefing notes: assembly rules on made-up answers, then a real note on the seed corpus, its DOCX and the CLI."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import docx
import gradio as gr
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from lxml import etree

from assistant.briefing.draft import (
    NOT_COVERED,
    REPEATS,
    TEMPLATES,
    BriefingNote,
    SubQuestion,
    assemble,
    draft_brief,
    normalise,
    plan,
)
from assistant.briefing.export import markdown_to_docx, parse_markdown, to_docx, to_markdown
from assistant.cli.run import main
from assistant.config import Settings
from assistant.errors import QueryError
from assistant.types import Answer, Chunk, Citation, Filters, Hit, Statement
from assistant.ui.brief_tab import BriefTab, build_brief_tab, file_stem, note_html

TOPIC = "cooperation against migrant smuggling in the Eastern Partnership"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# Two chunks of one document that overlap by a sentence (as chunking does), and a chunk of another.
DOC_A = (
    "The meeting was co-hosted by Ukraine and Lithuania. Experts from six countries attended. "
    "Smugglers increasingly use the Black Sea route."
)
A1_END, A2_START = DOC_A.index(" Smugglers"), DOC_A.index("Experts")
A1 = Chunk("a1", "docA", DOC_A[:A1_END], 0, A1_END, 2, "", "a.txt", "Kyiv meeting", "EaP Panel", "2017-10", "")
A2 = Chunk(
    "a2", "docA", DOC_A[A2_START:], A2_START, len(DOC_A), 3, "", "a.txt", "Kyiv meeting", "EaP Panel", "2017-10", ""
)
B_TEXT = "IOM recommends joint investigation teams *and* data sharing."
B1 = Chunk("b1", "docB", B_TEXT, 0, len(B_TEXT), None, "", "b.txt", "IOM approach", "IOM", "", "https://iom.int")
HITS = (Hit(A1, 1.0, 1), Hit(A2, 0.9, 2), Hit(B1, 0.8, 3))


def cite(n: int, chunk: Chunk, quote: str) -> Citation:
    start = chunk.text.index(quote)
    return Citation(n, chunk.id, chunk.source, chunk.title, chunk.page, start, start + len(quote))


def say(text: str, *citations: Citation, support: str = "verified") -> Statement:
    return Statement(text, citations, support, 0.9)  # type: ignore[arg-type]


def answer(*statements: Statement, abstained: bool = False, reason: str = "") -> Answer:
    return Answer("q", statements, abstained, HITS, reason=reason)


HOSTS = "The meeting was co-hosted by Ukraine and Lithuania."
EXPERTS = "Experts from six countries attended."
ROUTE = "Smugglers increasingly use the Black Sea route."
RECOMMEND = B_TEXT


def made_up_note() -> BriefingNote:
    subs = plan("smuggling", 6)
    answers = [
        answer(say(HOSTS, cite(1, A1, HOSTS)), say(EXPERTS, cite(2, A1, EXPERTS))),
        # The same sentence quoted through the overlapping chunk, and a restatement of it: both repeats.
        answer(say("Experts from six countries attended.", cite(1, A2, EXPERTS)), say(ROUTE, cite(2, A2, ROUTE))),
        answer(say("  experts from SIX countries attended!  ", cite(1, A1, "six countries"))),
        answer(say("Unchecked claim.", cite(1, B1, "data sharing"), support="unverified")),
        answer(say(RECOMMEND, cite(3, B1, RECOMMEND), cite(1, A1, HOSTS))),
        answer(
            abstained=True,
            reason="The documents in the corpus do not say: “What challenges and open issues remain for smuggling?”",
        ),
    ]
    return assemble("smuggling", zip(subs, answers, strict=True), filters=Filters(organisations=frozenset({"IOM"})))


def test_plan_is_deterministic_and_bounded() -> None:
    subs = plan("  migrant smuggling?  ")
    assert [s.heading for s in subs] == [h for h, _ in TEMPLATES[:6]]
    assert subs[0] == SubQuestion("Background and context", "What is the background and context of migrant smuggling?")
    assert plan("migrant smuggling") == subs and len(plan("x", len(TEMPLATES))) == len(TEMPLATES)
    with pytest.raises(QueryError, match="between 1 and"):
        plan("x", 0)
    with pytest.raises(QueryError, match="topic is empty"):
        plan(" ? ")


def test_assembly_keeps_verified_statements_once_and_numbers_footnotes_note_wide() -> None:
    note = made_up_note()
    texts = [s.text for s in note.statements]
    assert texts == [HOSTS, EXPERTS, ROUTE, RECOMMEND]
    assert [s.heading for s in note.sections] == ["Background and context", "Key facts and figures", "Recommendations"]
    # Per-answer numbers are replaced by note-wide ones; the Kyiv span cited again reuses footnote 1.
    assert [[c.n for c in s.citations] for s in note.statements] == [[1], [2], [3], [4, 1]]
    assert [r.quote for r in note.references] == [HOSTS, EXPERTS, ROUTE, RECOMMEND]
    assert note.references[2].chunk_id == "a2" and note.references[2].page == 3
    assert [(d.source, d.notes) for d in note.sources] == [("a.txt", (1, 2, 3)), ("b.txt", (4,))]
    assert len(note.sections[0].bullets) == 1  # two sentences of one passage make one bullet
    gaps = {g.heading: g.reason for g in note.not_covered}
    assert gaps == {
        "Actors and partners": "The passages found only repeat points made above.",
        "Actions and measures taken": "No statement could be verified against the cited passages.",
        "Open issues and challenges": "The documents do not answer it.",  # the reason only repeated the question
    }


class RepeatingAssistant:
    """Answers every question with the Kyiv hosts, unless asked of documents other than a.txt."""

    def __init__(self) -> None:
        self.asked: list[Filters] = []
        self.settings = Settings()  # the extractive default: sub-questions come from the templates
        self.retriever = SimpleNamespace(index=SimpleNamespace(store=SimpleNamespace(chunks=[A1, A2, B1])))

    def ask(self, question: str, *, filters: Filters, **_: object) -> Answer:
        self.asked.append(filters)
        if filters.sources == {"b.txt"}:
            return answer(say(RECOMMEND, cite(1, B1, RECOMMEND)))
        return answer(say(HOSTS, cite(1, A1, HOSTS)))


def test_a_repeating_sub_question_is_asked_again_of_the_uncited_documents() -> None:
    fake = RepeatingAssistant()
    years = frozenset({"2017"})
    # Sections are not fitted to their headings here: the made-up answers are about re-asking only.
    note = draft_brief(
        fake,  # type: ignore[arg-type]
        "smuggling",
        questions=3,
        filters=Filters(years=years),
        fit_headings=False,
    )
    assert [s.text for s in note.statements] == [HOSTS, RECOMMEND]
    assert fake.asked[1:3] == [Filters(years=years), Filters(frozenset({"b.txt"}), years=years)]  # user's filter kept
    # The third sub-question repeats too, and every document is cited by then: nothing more to ask.
    assert len(fake.asked) == 4 and [g.reason for g in note.not_covered] == [REPEATS]


def test_markdown_has_numbered_footnotes_gaps_and_sources() -> None:
    md = to_markdown(made_up_note())
    assert md.startswith("# Briefing note: smuggling\n") and "(organisations: IOM)" in md
    assert f"- {HOSTS}[^1] {EXPERTS}[^2]\n" in md
    assert "- IOM recommends joint investigation teams \\*and\\* data sharing.[^4][^1]" in md  # escaped
    assert f"## {NOT_COVERED}" in md and "- **Open issues and challenges** (What challenges" in md
    assert "- IOM approach. IOM. File: b.txt. https://iom.int Footnote 4." in md
    for n in range(1, 5):
        assert md.count(f"[^{n}]:") == 1
    assert f"[^1]: Kyiv meeting. EaP Panel, Oct 2017, p. 2. “{HOSTS}”" in md
    assert md.index(f"## {NOT_COVERED}") < md.index("## Sources") < md.index("[^1]:")


def footnotes(data: bytes) -> tuple[docx.document.Document, dict[int, str]]:
    """Return the document opened with python-docx and its footnotes' text by number."""
    document = docx.Document(io.BytesIO(data))
    part = document.part.part_related_by(RELATIONSHIP_TYPE.FOOTNOTES)
    root = etree.fromstring(part.blob)
    notes = {
        int(fn.get(f"{W}id")): "".join(t.text or "" for t in fn.iter(f"{W}t")).strip()
        for fn in root.iter(f"{W}footnote")
        if int(fn.get(f"{W}id")) > 0
    }
    return document, notes


def quoted(footnote: str) -> str:
    """Return the quoted span of a footnote's text, without the ellipsis of a shortened quote."""
    match = re.search(r"“(.*)”", footnote)
    assert match, footnote
    return match.group(1).removesuffix("…")


def test_docx_has_headings_bullets_and_real_footnotes() -> None:
    note = made_up_note()
    document, notes = footnotes(to_docx(note))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Title", "Briefing note: smuggling") in styles
    assert ("Heading 1", "Background and context") in styles and ("Heading 1", NOT_COVERED) in styles
    assert ("List Bullet", f"{HOSTS} {EXPERTS}") in styles
    assert ("List Bullet", "IOM recommends joint investigation teams *and* data sharing.1") in styles  # repeat of 1
    assert [quoted(notes[n]) for n in sorted(notes)] == [r.quote for r in note.references]
    bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert "Open issues and challenges" in bold


def test_edited_markdown_renumbers_footnotes_in_reading_order() -> None:
    md = (
        "# Note\n\nSecond point.[^b] A 5 * 3 grid.\n\n- First *key* point.[^a][^zz]\n\n"
        "[^a]: Alpha.\n\n[^b]: Beta\n    continued.\n"
    )
    blocks, definitions = parse_markdown(md)
    assert [b.kind for b in blocks] == ["heading", "paragraph", "bullet"]
    assert definitions == {"a": "Alpha.", "b": "Beta continued."}
    document, notes = footnotes(markdown_to_docx(md))
    assert notes == {1: "Beta continued.", 2: "Alpha."}
    texts = [p.text for p in document.paragraphs]
    assert "Second point. A 5 * 3 grid." in texts  # a lone asterisk is text, not emphasis
    assert "First key point.[^zz]" in texts  # a mark with no definition stays for the editor to see
    assert [r.text for p in document.paragraphs for r in p.runs if r.italic] == ["key"]


def test_note_html_links_citations_to_footnotes() -> None:
    html = note_html(made_up_note())
    assert html.count('href="#brief-fn-1"') == 3 and 'id="brief-fn-4"' in html  # two marks and the sources list
    assert f'title="{HOSTS}"' in html and "*and*" in html  # HTML is escaped, Markdown is not applied
    assert "#src-" not in html  # the chat's citation handler must not catch these links
    assert file_stem(to_markdown(made_up_note())).startswith("briefing-note-smuggling-20")


# ---------------------------------------------------------------- the real note on the seed corpus


@pytest.fixture(scope="module")
def note(assistant) -> BriefingNote:  # type: ignore[no-untyped-def]
    steps: list[tuple[int, int, str]] = []
    drafted = draft_brief(assistant, TOPIC, progress=lambda *step: steps.append(step))
    assert steps[0] == (0, 6, "Background and context") and steps[-1] == (6, 6, "done")
    return drafted


def test_brief_cites_several_documents_and_only_verified_statements(note: BriefingNote) -> None:
    assert note.sections and len(note.sources) > 1
    assert len(note.sections) + len(note.not_covered) == 6
    statements = note.statements
    assert all(s.support == "verified" and s.citations for s in statements)
    keys = [normalise(s.text) for s in statements]
    assert len(keys) == len(set(keys))
    spans = [(r.chunk_id, r.start, r.end) for r in note.references]
    assert len(spans) == len(set(spans))
    assert {c.n for s in statements for c in s.citations} == {r.n for r in note.references}


def test_brief_docx_footnotes_quote_the_corpus(note: BriefingNote, assistant) -> None:  # type: ignore[no-untyped-def]
    chunks = {c.id: c for c in assistant.retriever.index.store.chunks}
    _, notes = footnotes(to_docx(note))
    assert sorted(notes) == [r.n for r in note.references]
    for ref in note.references:
        chunk = chunks[ref.chunk_id]
        assert chunk.text[ref.start : ref.end] == ref.quote
        assert ref.title in notes[ref.n] and ref.organisation in notes[ref.n]
        assert " ".join(quoted(notes[ref.n]).split()) in " ".join(chunk.text.split())


def test_cli_writes_docx_and_markdown(
    assistant,
    seed_settings: Settings,
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:
    from assistant.pipeline import Assistant

    monkeypatch.setattr(Assistant, "from_settings", classmethod(lambda cls, settings: assistant))  # loaded once
    base = [
        "--config",
        str(tmp_path / "none.toml"),
        "--index-dir",
        str(seed_settings.index_dir),
        "brief",
        TOPIC,
        "--questions",
        "2",
        "--quiet",
    ]
    assert main([*base, "--out", str(tmp_path / "note.docx")]) == 0
    assert "Wrote" in capsys.readouterr().out
    _, notes = footnotes((tmp_path / "note.docx").read_bytes())
    assert notes and all("“" in text for text in notes.values())
    assert main([*base, "--out", str(tmp_path / "note.md")]) == 0
    md = (tmp_path / "note.md").read_text(encoding="utf-8")
    assert md.startswith(f"# Briefing note: {TOPIC}") and "[^1]: " in md
    capsys.readouterr()
    assert main([*base, "--filter", "org=IOM"]) == 0
    assert capsys.readouterr().out.startswith("# Briefing note")
    assert main([*base, "--out", str(tmp_path / "note.pdf")]) == 1
    assert "name the file .docx or .md" in capsys.readouterr().err


def test_tab_builds_inside_blocks(seed_settings: Settings, assistant) -> None:  # type: ignore[no-untyped-def]
    with gr.Blocks():
        tab = build_brief_tab(seed_settings, assistant)
    assert isinstance(tab, BriefTab) and isinstance(tab.note, gr.HTML)
    # The filters are filled per user when the page loads: the page itself names no document.
    assert not tab.documents.choices and not tab.download_docx.interactive


def test_generator_words_the_sub_questions_and_templates_fill_the_gaps() -> None:
    def model(system: str, user: str) -> str:
        assert "Headings:" in user and "Topic: border cooperation" in user
        return (
            "Background and context: Why did countries start cooperating on border management?\n"
            "2. Key facts and figures: How many officers were trained?\n"
            "Actors and partners: not a question\n"
            "Invented heading: What is this?"
        )

    subs = plan("border cooperation?", 3, model)
    assert [s.heading for s in subs] == ["Background and context", "Key facts and figures", "Actors and partners"]
    assert subs[0].question == "Why did countries start cooperating on border management?"
    assert subs[1].question == "How many officers were trained?"
    assert subs[2].question == "Which organisations, countries and partners are involved in border cooperation?"


def test_brief_plans_with_the_configured_generator(seed_settings: Settings, retriever) -> None:  # type: ignore[no-untyped-def]
    from assistant.answering.generative import NOT_FOUND
    from assistant.pipeline import Assistant
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as fake:

        def reply(system: str, user: str) -> str:
            if "Headings:" in user:
                return "Background and context: What led the Eastern Partnership to act against smuggling?"
            return NOT_FOUND

        fake.reply = reply
        settings = seed_settings.replace(generator_base_url=fake.url, answerer="generative")
        note = draft_brief(Assistant(settings, retriever), "migrant smuggling in the Eastern Partnership", questions=2)
    planning = [r for r in fake.requests if "Headings:" in r["body"]["messages"][-1]["content"]]
    assert len(planning) == 1
    asked = {gap.question for gap in note.not_covered}
    assert "What led the Eastern Partnership to act against smuggling?" in asked
    assert "What facts and figures are reported on migrant smuggling in the Eastern Partnership?" in asked
