"""Offline policy-question assistant: cited answers from a corpus of migration policy documents."""

__version__ = "0.1.0"
