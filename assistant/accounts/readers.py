"""Who may read an upload: the groups an uploader may restrict it to, checked for the UI and the HTTP API alike."""

from __future__ import annotations

from collections.abc import Collection

from assistant.accounts.roles import User
from assistant.errors import AssistantError


class UploadRefused(AssistantError):
    """The signed-in user may not upload, or may not restrict an upload to the groups chosen."""


def reader_choices(user: User, known: Collection[str]) -> list[str]:
    """Return the groups `user` may restrict an upload to: their own; an admin's, every group known."""
    return sorted(set(known) | user.groups) if user.admin else sorted(user.groups)


def check_readers(user: User, groups: Collection[str]) -> tuple[str, ...]:
    """Return `groups` if `user` may restrict an upload to them; raise UploadRefused naming the others.

    A staff member may only restrict to groups they belong to: restricting to a group they are not in
    would hide their own upload from them, or file a document into another team's restricted set.
    """
    chosen = tuple(sorted(set(groups)))
    foreign = sorted(set(chosen) - user.groups)
    if foreign and not user.admin:
        raise UploadRefused(f"You are not a member of {', '.join(foreign)}: restrict uploads to your own groups.")
    return chosen
