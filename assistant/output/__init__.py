"""Output: an Answer as the `ask --json` contract, plain text, the chat's HTML, and Markdown/Word exports."""

from __future__ import annotations
