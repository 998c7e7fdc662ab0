"""Briefing notes: planned sub-questions answered, verified statements footnoted, exported as Markdown or Word."""

from __future__ import annotations
