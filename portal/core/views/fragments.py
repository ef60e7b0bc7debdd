"""Template fragments that never change while the app runs, drawn once and kept.

The layout links some twenty scripts and styles through Flask-Admin's macros, on every
page. In a template::

    {% call kept('head_css', admin_view.extra_css) %}{{ super() }}{% endcall %}

draws the block the first time and reuses it for the same key afterwards. The key must
name everything the fragment depends on; request data and per-user content never go in
a kept fragment.
"""

from __future__ import annotations

from threading import Lock

from flask import current_app, request
from markupsafe import Markup

_lock = Lock()


def kept(*key, caller):
    store = current_app.extensions.setdefault("portal_fragments", {})
    full_key = (request.script_root, *(_hashable(part) for part in key))
    html = store.get(full_key)
    if html is None:
        html = Markup(caller())
        with _lock:
            store[full_key] = html
    return html


def _hashable(part):
    if isinstance(part, (list, tuple)):
        return tuple(_hashable(p) for p in part)
    return part
