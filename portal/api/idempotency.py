"""Idempotency-Key: a till or phone that retries a create after a timeout gets the first
answer again instead of a second ticket.

The key is stored with the answer in the same transaction as the ticket, so a refused
request leaves the key unused, and two retries racing each other meet at the unique
constraint: the loser rolls back its ticket and replays the winner's answer.
"""

from __future__ import annotations

import hashlib
import json

import marshmallow as ma
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core.models.api_token import IdempotencyKey
from ..extensions import db
from .errors import ApiError

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


class IdempotencyHeaderSchema(ma.Schema):
    key = ma.fields.String(data_key=HEADER, load_default=None, validate=validate.Regexp(
        r"^[\x21-\x7e]{1,255}$", error=_l("Use 1 to 255 visible ASCII characters, e.g. a UUID.")), metadata={
        "description": "Any unique value per intended ticket (a UUID). Sending the same request again with "
                       "the same key answers the first result and creates nothing; the same key with a "
                       "different request is refused (422)."})


def fingerprint() -> str:
    payload = request.get_json(silent=True)
    text = json.dumps({"method": request.method, "path": request.path, "body": payload},
                      sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _find(user_id: int, key: str) -> IdempotencyKey | None:
    return db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                          IdempotencyKey.key == key))


def _answer(row: IdempotencyKey, fp: str):
    if row.fingerprint != fp:
        raise ApiError(422, _("This Idempotency-Key was already used for a different request."),
                       {HEADER: _("Use a new key for a new request.")}, code="idempotency_key_reused")
    return row.response, row.status


def replay(user_id: int, key: str):
    """(body, status) of the first request with this key, or None if there was none."""
    existing = _find(user_id, key)
    return _answer(existing, fingerprint()) if existing is not None else None


def remember(user_id: int, key: str, body: dict, status: int, ticket_id: int | None = None):
    """Store the answer in the request's transaction, just before its commit. A retry that
    raced this request past ``replay`` meets the unique constraint here; the whole
    transaction (its ticket too) is rolled back and the winner's answer is replayed."""
    db.session.add(IdempotencyKey(user_id=user_id, key=key, fingerprint=fingerprint(), response=body,
                                  status=status, ticket_id=ticket_id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        answer = replay(user_id, key)
        if answer is None:  # pragma: no cover - the winner rolled back in the meantime
            raise ApiError(409, _("A request with this Idempotency-Key is still being processed. Try again."),
                           code="idempotency_in_progress")
        return answer
    return None
