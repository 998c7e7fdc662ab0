"""Ingest: files -> cleaned Documents -> Chunks, written incrementally into the index; uploads from the app."""

from __future__ import annotations
