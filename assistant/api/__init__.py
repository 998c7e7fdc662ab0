"""The HTTP API: OpenAI-compatible chat completions and the REST endpoints (docs/api.md).

The login layer mounts it on the app that serves the chat: `mount_api(app, settings, assistant, identify)`.
"""

from __future__ import annotations

from assistant.api.auth import Identify, local_identify, token_identify
from assistant.api.limits import Limits
from assistant.api.router import build_api, mount_api

__all__ = ["Identify", "Limits", "build_api", "local_identify", "mount_api", "token_identify"]
