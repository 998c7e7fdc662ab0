"""How the app looks: the theme, a modest stylesheet, and the one script that makes citations clickable."""

from __future__ import annotations

import gradio as gr

THEME = gr.themes.Soft(
    primary_hue="blue",
    neutral_hue="slate",
    # System fonts only: the app is offline, so nothing may be fetched from a font service.
    font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "monospace"],
)

# Runs when the source panel mounts. Citation links live inside the chat's sanitised Markdown, where
# no handler can be attached; one capturing listener on the document catches their clicks and fires
# the panel's custom "cite" event with the link's href (see render.parse_ref). The flag keeps a
# re-mounted panel from adding a second listener; the trigger is refreshed so the newest one fires.
CITE_JS = """
window.__assistantCite = trigger;
if (!window.__assistantCiteBound) {
  window.__assistantCiteBound = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a[href^="#src-"]') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    document.querySelectorAll('a.cite.active').forEach((a) => a.classList.remove('active'));
    link.classList.add('active');
    window.__assistantCite('cite', {ref: link.getAttribute('href')});
  }, true);
}
"""

_WARN_TEXT, _WARN_BG, _WARN_LINE = "#92400e", "#fef3c7", "#b45309"

CSS = f"""
.app-header h1 {{margin: 0; font-size: 1.5rem;}}
.app-header p {{margin: .2rem 0 0; color: var(--body-text-color-subdued);}}
.signed-in {{display: flex; gap: .6rem; align-items: center; justify-content: flex-end; margin: 0;}}
.signed-in .sign-out {{padding: .15rem .7rem; border: 1px solid var(--border-color-primary); border-radius: 4px;
  background: var(--button-secondary-background-fill); cursor: pointer;}}
.gradio-container:has(.signed-in:not(.may-brief)) button[role="tab"][data-tab-id="brief"],
.gradio-container:has(.signed-in:not(.may-eval)) button[role="tab"][data-tab-id="eval"] {{display: none !important;}}
#chat .answer p {{margin: 0 0 .5rem;}}
#chat .stmt.unverified, #chat .stmt.contradicted {{
  text-decoration: underline dotted {_WARN_LINE}; text-underline-offset: 3px;}}
#chat .flag {{font-size: .72em; font-weight: 600; text-transform: uppercase; letter-spacing: .03em;
  color: {_WARN_TEXT}; background: {_WARN_BG}; border-radius: 4px; padding: 0 .3em; margin-left: .25em;
  white-space: nowrap;}}
#chat .stmt.contradicted .flag {{color: #991b1b; background: #fee2e2;}}
a.cite, span.cite {{text-decoration: none !important; font-weight: 600; font-size: .8em; vertical-align: super;
  color: var(--color-accent) !important; padding: 0 .1em; border-radius: 3px; cursor: pointer;}}
a.cite:hover, a.cite.active {{background: var(--color-accent-soft);}}
#chat ol.sources, #chat ol.related {{list-style: none; margin: .3rem 0 0; padding: .4rem 0 0;
  border-top: 1px solid var(--border-color-primary); font-size: .85em;}}
#chat ol.sources a.cite, #chat ol.related a.cite {{vertical-align: baseline; font-size: 1em;}}
#chat ol.sources li, #chat ol.related li {{margin: .25rem 0;}}
#chat .snippet {{color: var(--body-text-color-subdued);}}
#chat .abstained {{border-left: 4px solid #d97706; padding-left: .7rem;}}
#chat .abstain-head {{font-weight: 700; color: {_WARN_LINE};}}
#chat .error {{border-left: 4px solid #dc2626; padding-left: .7rem;}}
#chat .note, #chat .legend {{font-size: .85em; color: var(--body-text-color-subdued);}}
#chat .legend .flag {{font-size: .8em;}}
#chat .caret {{display: inline-block; width: .5em; height: 1em; background: var(--color-accent); margin-left: .2em;
  vertical-align: text-bottom; animation: blink 1s steps(2) infinite;}}
#chat .spinner {{display: inline-block; width: .8em; height: .8em; margin-right: .5em; border-radius: 50%;
  border: 2px solid var(--color-accent); border-right-color: transparent; animation: spin .8s linear infinite;}}
@keyframes blink {{50% {{opacity: 0;}}}}
@keyframes spin {{to {{transform: rotate(360deg);}}}}
.source-panel {{border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  padding: 1rem 1.1rem; background: var(--background-fill-secondary); max-height: 540px; overflow-y: auto;}}
.source-panel.empty {{color: var(--body-text-color-subdued);}}
.source-kicker {{text-transform: uppercase; font-size: .72rem; letter-spacing: .06em; margin: 0 0 .2rem;
  color: var(--color-accent); font-weight: 700;}}
.source-title {{margin: 0 0 .5rem; font-size: 1.05rem; line-height: 1.35;}}
.source-meta {{display: grid; grid-template-columns: auto 1fr; gap: .1rem .8rem; font-size: .85rem;
  margin: 0 0 .7rem;}}
.source-meta dt {{color: var(--body-text-color-subdued);}}
.source-meta dd {{margin: 0;}}
.passage {{margin: 0; padding: .7rem .9rem; border-left: 3px solid var(--color-accent);
  background: var(--background-fill-primary); font-size: .92rem; line-height: 1.55; border-radius: 0 6px 6px 0;}}
.passage mark {{background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px;}}
.source-file {{font-size: .8rem; color: var(--body-text-color-subdued); margin: .6rem 0 0; word-break: break-all;}}
.source-link {{margin-left: .5rem; font-weight: 600;}}
.page-view {{margin: .8rem 0 0;}}
.page-view figcaption {{font-size: .8rem; color: var(--body-text-color-subdued); margin: 0 0 .3rem;}}
.page-window {{overflow: hidden; border: 1px solid var(--border-color-primary); background: #fff;
  box-shadow: 0 1px 3px rgba(0, 0, 0, .12);}}
.page-frame {{position: relative;}}
.page-image {{display: block; width: 100%; height: auto;}}
/* Char boxes are tight: the shadow widens the mark a little so it reads as a highlighter stroke. */
.page-mark {{position: absolute; background: rgba(250, 204, 21, .45); mix-blend-mode: multiply;
  box-shadow: 0 0 0 2px rgba(250, 204, 21, .45); border-radius: 2px; pointer-events: none;}}
.page-note {{font-size: .8rem; color: var(--body-text-color-subdued); margin: .6rem 0 0;}}
#new-conversation {{white-space: nowrap;}}
#library-table table, #library-table td, #library-table th {{font-family: var(--font);}}
.upload-status ul {{margin: .3rem 0;}}
.upload-status .rejected {{color: #b91c1c;}}
.upload-status .added {{color: #047857;}}
"""
