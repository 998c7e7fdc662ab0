"""Who is asking: the signed-in user of a Gradio request, or the local user when no accounts exist."""

from __future__ import annotations

import gradio as gr

from assistant.accounts import audit, users
from assistant.accounts.roles import LOCAL_USER, ROLES, User, may, rights
from assistant.config import Settings

ENDED = "Your session has ended: sign in again."


def current_user(settings: Settings, request: gr.Request | None) -> User:
    """Return the user making `request`, read from the accounts database on each call.

    With no accounts this is the local user with every right. Raises gr.Error when the signed-in user was
    removed or disabled since (their next call is refused at once).
    """
    db = settings.accounts_path
    if not users.has_users(db):
        return LOCAL_USER
    user = users.get_user(db, getattr(request, "username", None))
    if user is None:
        raise gr.Error(ENDED)
    return user


def _a(role: str) -> str:
    return ("an " if role[0] in "aeiou" else "a ") + role


def require(settings: Settings, request: gr.Request | None, action: str, doing: str) -> User:
    """Return the request's user if they may `action`, else raise gr.Error saying which role `doing` needs."""
    user = current_user(settings, request)
    if not may(user, action):
        needed = next(role for role in ROLES if action in rights(role))
        raise gr.Error(f"{doing} needs {_a(needed)} account; you are signed in as {_a(user.role)}.")
    return user


def record(settings: Settings, user: User, action: str, detail: str = "") -> None:
    """Write `action` by `user` to the audit log; the local user of an app without accounts is not logged."""
    if user is not LOCAL_USER:
        audit.record(settings.accounts_path, user, action, detail)
