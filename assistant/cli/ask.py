"""`assistant ask "QUESTION"`: answer with cited statements (text or the JSON of ../shared/DESIGN.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.cli.options import add_filter_argument, add_store_argument, add_user_argument, parse_filters, user_of
from assistant.config import ANSWERERS, RETRIEVAL_MODES, Settings
from assistant.errors import AssistantError, QueryError


def register(subparsers: Any) -> None:
    """Add the `ask` command to the CLI."""
    p = subparsers.add_parser(
        "ask",
        help="answer a question from the indexed documents, every statement cited",
        description="Answer a question from the index; each statement cites the passage that says it. "
        "With --questions-file, answer one question per line and print JSON lines.",
    )
    p.add_argument("question", nargs="?", help="the question (omit with --questions-file)")
    p.add_argument("--json", action="store_true", help="print one JSON object: answer, citations, passages, timings")
    p.add_argument("--mode", choices=RETRIEVAL_MODES, default=None, help="retrieval mode (default: setting)")
    add_filter_argument(p)
    add_user_argument(p)
    add_store_argument(p)
    p.add_argument("--answerer", choices=ANSWERERS, default=None, help="default: the answerer setting")
    p.add_argument("--k", type=int, default=None, help="passages retrieved (at least 10)")
    p.add_argument("--questions-file", type=Path, default=None, metavar="FILE", help="one question per line")
    p.set_defaults(func=cmd_ask)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.output.contract import answer_to_json
    from assistant.output.text import render_terminal
    from assistant.pipeline import Assistant, check_question

    if (args.question is None) == (args.questions_file is None):
        raise AssistantError('Give one question, or --questions-file FILE: assistant ask "What is ...?"')
    if args.k is not None and args.k < 1:
        raise AssistantError("--k must be 1 or more.")
    filters = parse_filters(args.filter)
    questions = _read_questions(args.questions_file) if args.questions_file else [args.question]
    if args.question is not None:
        check_question(args.question, settings.max_question_chars)  # fail fast, before loading the index
    user = user_of(args.as_user, settings)
    assistant = Assistant.from_settings(settings)
    options = {"mode": args.mode, "filters": filters, "answerer": args.answerer, "k": args.k, "user": user}

    if args.questions_file is None:
        answer = assistant.ask(args.question, **options)
        if args.json:
            print(json.dumps(answer_to_json(answer), ensure_ascii=False, indent=1))
        else:
            print(render_terminal(answer))
        return 0

    failed = 0
    for question in questions:
        try:
            row = answer_to_json(assistant.ask(question, **options))
        except QueryError as exc:  # one bad line must not lose the others; the row says what was wrong
            row = {"question": question, "error": str(exc)}
            failed += 1
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return 1 if failed == len(questions) else 0


def _read_questions(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssistantError(f"No questions file at {path}.") from None
    except UnicodeDecodeError:
        raise AssistantError(f"{path} is not UTF-8 text: save it as UTF-8, one question per line.") from None
    except OSError as exc:
        raise AssistantError(f"Cannot read {path}: {exc.strerror}.") from None
    questions = [line.strip() for line in text.splitlines() if line.strip()]
    if not questions:
        raise AssistantError(f"{path} holds no question: write one question per line.")
    return questions
