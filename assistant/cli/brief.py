"""`assistant brief "TOPIC"`: draft a cited briefing note; Markdown to stdout, or a .docx/.md file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.briefing.draft import DEFAULT_QUESTIONS, TEMPLATES
from assistant.cli.options import add_filter_argument, add_user_argument, parse_filters, user_of
from assistant.config import ANSWERERS, RETRIEVAL_MODES, Settings


def register(subparsers: Any) -> None:  # argparse's _SubParsersAction is private; Any keeps mypy quiet
    p = subparsers.add_parser("brief", help="draft a briefing note on a topic, every statement footnoted")
    p.add_argument("topic", help='what the note is about, e.g. "migrant smuggling in the Eastern Partnership"')
    p.add_argument(
        "--questions",
        type=int,
        default=DEFAULT_QUESTIONS,
        metavar="N",
        help=f"sub-questions to answer, 1-{len(TEMPLATES)} (default {DEFAULT_QUESTIONS}: background, facts and "
        "figures, actors, actions, recommendations, open issues)",
    )
    add_filter_argument(p)
    add_user_argument(p)
    p.add_argument("--mode", choices=RETRIEVAL_MODES, default=None, help="retrieval mode (default: setting)")
    p.add_argument(
        "--answerer",
        choices=ANSWERERS,
        default=None,
        help="answerer (default: setting); generative also words the sub-questions",
    )
    p.add_argument("--out", type=Path, default=None, help="write note.docx or note.md instead of printing Markdown")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_brief)


def cmd_brief(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.briefing.draft import draft_brief
    from assistant.briefing.export import to_markdown, write_note
    from assistant.errors import AssistantError
    from assistant.pipeline import Assistant

    filters = parse_filters(args.filter)
    out: Path | None = args.out
    if out is not None and out.suffix.lower() not in (".docx", ".md", ".markdown"):
        # Checked before minutes of answering, not after.
        raise AssistantError(f"Cannot write {out.name}: name the file .docx or .md.")

    def progress(done: int, total: int, what: str) -> None:
        if not args.quiet and done < total:
            print(f"[{done + 1}/{total}] {what}", file=sys.stderr, flush=True)

    user = user_of(args.as_user, settings)
    assistant = Assistant.from_settings(settings)
    note = draft_brief(
        assistant,
        args.topic,
        questions=args.questions,
        filters=filters,
        mode=args.mode,
        answerer=args.answerer,
        progress=progress,
        user=user,
    )
    if out is None:
        print(to_markdown(note))
        return 0
    write_note(note, out)
    statements = len(note.statements)
    print(
        f"Wrote {out}: {len(note.sections)} sections, {statements} statements, {len(note.references)} footnotes, "
        f"{len(note.sources)} sources; not covered: {len(note.not_covered)}."
    )
    return 0
