"""Command line: `assistant ingest | search | info | ask | eval | bench | brief | users`."""

from __future__ import annotations

from assistant.cli.run import main, main_exit

__all__ = ["main", "main_exit"]
