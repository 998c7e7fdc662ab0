"""Our exception types; each message is shown to the user as-is, in one line."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: the message says what was wrong and what to do."""


class LoadError(AssistantError):
    """A file could not be turned into documents (unreadable, encrypted, empty, wrong type)."""


class IndexMissingError(AssistantError):
    """There is no index yet at the configured location."""


class IndexDamagedError(AssistantError):
    """The published index cannot be read (a file was changed or truncated outside the assistant)."""


class ConfigError(AssistantError):
    """A setting in assistant.toml or the environment is invalid."""


class QueryError(AssistantError):
    """A question cannot be answered as asked (empty, too long)."""


class StoreError(AssistantError):
    """The Milvus store cannot be opened or reached, or refused an operation."""
