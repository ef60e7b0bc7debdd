"""Keyset pagination on the id, newest first, with an opaque signed cursor.

No COUNT(*) and no OFFSET: a page is ``WHERE id < :after ORDER BY id DESC LIMIT n+1``,
as fast on page 40 000 as on page 1 (DESIGN.md). Rows inserted while a client pages get
higher ids, so they never shift later pages: no duplicates, no gaps.
"""

from __future__ import annotations

from urllib.parse import urlencode

import marshmallow as ma
from flask import current_app, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import validate

from .errors import invalid
from .fields import MAX_ID, Text

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT),
                              metadata={"description": "Rows per page (1–100)."})
    cursor = Text(300, load_default=None, metadata={
        "description": "Opaque: copy it from the `next` link of the previous page."})


def page_schema(item_schema) -> type[ma.Schema]:
    """``{"items": [...], "next": "/api/v1/...?cursor=..." | null}`` for one item schema."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(name, (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "next": ma.fields.String(required=True, allow_none=True, metadata={
            "description": "The next page, or null on the last page."}),
    })


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="portal-api-cursor")


def decode(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        after = _serializer().loads(cursor)
    except (BadSignature, ValueError, TypeError, UnicodeError):
        raise invalid({"cursor": _("This cursor is not valid: start again from the first page.")})
    if not isinstance(after, int) or isinstance(after, bool) or not 0 < after <= MAX_ID + 1:
        raise invalid({"cursor": _("This cursor is not valid: start again from the first page.")})
    return after


def paginate(query, key, args: dict) -> dict:
    """One page of ``query`` (already scoped and filtered) ordered by ``key`` descending."""
    limit = args["limit"]
    after = decode(args.get("cursor"))
    if after is not None:
        query = query.filter(key < after)
    rows = query.order_by(key.desc()).limit(limit + 1).all()
    more = len(rows) > limit
    rows = rows[:limit]
    following = None
    if more and rows:
        pairs = [(k, v) for k, values in request.args.lists() if k != "cursor" for v in values]
        pairs.append(("cursor", _serializer().dumps(rows[-1].id)))
        following = f"{request.path}?{urlencode(pairs)}"
    return {"items": rows, "next": following}
