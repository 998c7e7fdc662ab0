"""Offline policy-question assistant: cited answers from a corpus of migration policy documents."""

from __future__ import annotations

__version__ = "0.1.0"
