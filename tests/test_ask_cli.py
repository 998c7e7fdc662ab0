"""`assistant ask` as a user runs it: the JSON of docs/DESIGN.md, JSON lines, filters and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli.run import main
from assistant.config import Settings

DESIGN_KEYS = {"question", "answer", "abstained", "statements", "citations", "retrieved", "timings_ms"}
IOM_SOURCES = {"001_1508a6a040a38520.txt", "003_4f2ffe78ae97656e.txt", "004_d30333b4f892d254.txt"}


def ask(settings: Settings, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--index-dir", str(settings.index_dir), "--corpus-dir", str(settings.corpus_dir), "ask", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_prints_the_design_shape(seed_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = ask(seed_settings, capsys, "How many migrant deaths were recorded in 2016?", "--json")
    assert code == 0, err
    row = json.loads(out)
    assert row.keys() >= DESIGN_KEYS
    assert not row["abstained"]
    assert "7,934" in row["answer"]
    statement = row["statements"][0]
    assert {"text", "citations", "support"} <= statement.keys() and statement["support"] == "verified"
    citation = next(c for c in row["citations"] if c["n"] == statement["citations"][0])
    assert {"n", "source", "title", "page", "text", "quote", "score"} <= citation.keys()
    assert "7,934" in citation["quote"] and citation["quote"] in citation["text"]
    assert len(row["retrieved"]) >= 10 and {"source", "page", "text", "score"} <= row["retrieved"][0].keys()
    assert {"retrieve", "rerank", "answer", "total"} <= row["timings_ms"].keys()


def test_questions_file_prints_one_json_line_per_question(
    seed_settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    questions = tmp_path / "questions.txt"
    questions.write_text(
        "When was the EU Action Plan against migrant smuggling adopted?\n\n"
        "What is the recipe for lasagne?\nbad \x07 line\n",
        encoding="utf-8",
    )
    code, out, err = ask(seed_settings, capsys, "--questions-file", str(questions))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    assert "27 May 2015" in rows[0]["answer"] and not rows[0]["abstained"]
    assert rows[1]["abstained"] and rows[1].keys() >= DESIGN_KEYS
    assert "control characters" in rows[2]["error"]


def test_filter_restricts_the_passages(seed_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = ask(
        seed_settings, capsys, "What does IOM do against migrant smuggling?", "--filter", "org=IOM", "--json"
    )
    assert code == 0, err
    row = json.loads(out)
    assert {r["source"] for r in row["retrieved"]} <= IOM_SOURCES


def test_text_output_lists_the_sources(seed_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = ask(seed_settings, capsys, "When was the EU Action Plan against migrant smuggling adopted?")
    assert code == 0
    assert "27 May 2015" in out and "Sources:" in out and "[1]" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "The question is empty"),
        (["x" * 5000], "characters long"),
        (["what\x1b[2J is this"], "control characters"),
        ([], "Give one question"),
        (["--questions-file", "/nonexistent/questions.txt"], "No questions file"),
        (["a question", "--filter", "colour=red"], "Bad filter"),
    ],
)
def test_bad_input_is_a_one_line_error(
    seed_settings: Settings, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = ask(seed_settings, capsys, *args)
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
