"""URLs of the admin's own pages, built without Werkzeug's router where the router adds
nothing.

A list page links to itself a dozen times (page sizes, sorting, the pager, the search and
filter forms, each row's view, edit and delete with the way back), and each ``url_for``
walks Flask's and Werkzeug's URL building: about 15 µs, together 4-5% of a list page
(docs/performance.md). Every Flask-Admin page is a rule without path arguments
(``/admin/ticket/details/``), so its URL is the rule's path plus the arguments as a
query string: the path is built once per endpoint and script root, and the query string
is encoded exactly as Werkzeug encodes it (``tests/core/test_view_urls.py`` holds the
two to the same answers).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, quote_plus

from flask import current_app, has_request_context, request, url_for
from werkzeug.datastructures import iter_multi_items

#: the characters Werkzeug leaves unescaped in a query string (werkzeug.urls._urlencode)
_SAFE = "!$'()*,/:;?@"
_NO_PATH = object()  # an endpoint whose URL needs the router (path arguments, several rules)


def query_string(values) -> str:
    """``values`` as Werkzeug writes them after a URL's ``?`` (``urlencode``): None left
    out, a list as the same name repeated."""
    return "&".join(f"{_quoted(str(name))}={_quoted(value if type(value) is str else str(value))}"
                    for name, value in iter_multi_items(values) if value is not None)


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    # A filtered list's page links repeat the same few values a dozen times (the filters,
    # then the way back as one long value), and the standard library quotes them byte by
    # byte in Python.
    return quote_plus(text, safe=_SAFE)


def url_part(text: str) -> str:
    """``text`` quoted as one part of a URL's path or query; an id of digits, nearly every
    row's, as it is."""
    return text if text.isdigit() and text.isascii() else quote(text, safe="")


def page_url(endpoint: str, values: dict) -> str:
    """``url_for(endpoint, **values)`` for a page of the running request's app."""
    if not has_request_context() or any(name[:1] == "_" for name in values):  # _external, _anchor, ...
        return url_for(endpoint, **values)
    if endpoint[:1] == ".":  # as url_for resolves it: in the request's blueprint
        endpoint = f"{request.blueprint}{endpoint}" if request.blueprint else endpoint[1:]
    kept = current_app.extensions.setdefault("portal_page_paths", {})
    key = (request.script_root, endpoint)
    path = kept.get(key)
    if path is None:
        path = kept[key] = _plain_path(endpoint)
    if path is _NO_PATH:
        return url_for(endpoint, **values)
    query = query_string(values)
    return f"{path}?{query}" if query else path


def _plain_path(endpoint: str):
    try:
        rules = list(current_app.url_map.iter_rules(endpoint))
    except KeyError:  # no such page: url_for says so
        return _NO_PATH
    blueprint = endpoint.rpartition(".")[0]
    # A url_defaults function may add values to any URL of its blueprint (or of the app).
    defaults_added = any(current_app.url_default_functions.get(name) for name in (None, *_parents(blueprint)))
    if (defaults_added or len(rules) != 1 or rules[0].arguments or rules[0].defaults or rules[0].host
            or rules[0].subdomain):
        return _NO_PATH
    return url_for(endpoint)


def _parents(blueprint: str):
    """"a.b.c" -> "a.b.c", "a.b", "a": the blueprints whose url_defaults apply."""
    while blueprint:
        yield blueprint
        blueprint = blueprint.rpartition(".")[0]
