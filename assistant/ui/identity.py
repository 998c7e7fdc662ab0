"""Who is asking: the signed-in user of a Gradio request, or the local user when no accounts exist."""

from __future__ import annotations

import gradio as gr

from assistant.accounts.roles import LOCAL_USER, User
from assistant.config import Settings


def current_user(settings: Settings, request: gr.Request | None) -> User:
    """Return the user making `request`.

    Placeholder until the login layer lands: every request is the local user.
    """
    del settings, request
    return LOCAL_USER
