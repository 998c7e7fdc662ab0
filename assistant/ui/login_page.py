"""The sign-in page and the signed-in line of the app's header: plain HTML, no script."""

from __future__ import annotations

import html

from assistant.accounts.roles import User, may

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f6f7f9; color: #1f2937;
       margin: 0; display: flex; min-height: 100vh; align-items: center; justify-content: center; }
main { background: #fff; border: 1px solid #d1d5db; border-radius: 8px; padding: 2rem; width: min(22rem, 90vw); }
h1 { font-size: 1.3rem; margin: 0 0 1.2rem; }
label { display: block; font-weight: 600; margin: 0.9rem 0 0.3rem; }
input { box-sizing: border-box; width: 100%; padding: 0.55rem; font-size: 1rem; border: 1px solid #9ca3af;
        border-radius: 4px; }
input:focus, button:focus { outline: 3px solid #2563eb; outline-offset: 1px; }
button { margin-top: 1.3rem; width: 100%; padding: 0.6rem; font-size: 1rem; font-weight: 600; color: #fff;
         background: #1d4ed8; border: 0; border-radius: 4px; cursor: pointer; }
.error { background: #fef2f2; border: 1px solid #b91c1c; color: #7f1d1d; padding: 0.6rem; border-radius: 4px; }
"""


def login_html(csrf: str, message: str = "", name: str = "") -> str:
    """Return the sign-in page; `message` (what failed) is announced to screen readers."""
    error = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: Policy-question assistant</title><style>{_STYLE}</style></head>
<body><main>
<h1>Policy-question assistant</h1>
{error}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{html.escape(csrf)}">
<label for="username">Name</label>
<input id="username" name="username" value="{html.escape(name)}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</main></body></html>"""


def signed_in_html(user: User, csrf: str | None) -> str:
    """Return the header's line naming the signed-in user and role, with a Sign out button (none for a token)."""
    who = f"Signed in as <strong>{html.escape(user.name)}</strong> ({html.escape(user.role)})"
    # The tabs the user may open: the page's CSS hides the others' tab buttons (Gradio 6 does not hide a tab
    # on a visibility update). Hiding is for the eye; each tab's callbacks check the user's rights themselves.
    classes = " ".join(["signed-in", *(f"may-{action}" for action in ("brief", "eval") if may(user, action))])
    if csrf is None:
        return f'<div class="{classes}">{who}</div>'
    return (
        f'<form class="{classes}" method="post" action="/logout">{who} '
        f'<input type="hidden" name="csrf" value="{html.escape(csrf)}">'
        '<button type="submit" class="sign-out">Sign out</button></form>'
    )
