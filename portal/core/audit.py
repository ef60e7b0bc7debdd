"""Writes the audit trail from SQLAlchemy's flush, so no view can forget to.

Entries are inserted on the flush's own connection: they commit or roll back together
with the change they describe.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from .models import AuditEntry, Branch
from .models.types import utcnow

SKIP = {"updated_at", "created_at", "version"}


def _plain(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def acting_user_id():
    """Who is doing this: the signed-in user, or whoever a CLI command named in ``g``."""
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id
    return g.get("audit_user_id") if g else None


def _branch_of(obj):
    branch_id = getattr(obj, "branch_id", None)
    if branch_id is None and isinstance(obj, Branch):
        branch_id = obj.id
    return branch_id


def _changes(obj, action):
    mapper = inspect(obj).mapper
    exclude = SKIP | set(getattr(obj, "__audit_exclude__", ()))
    changes = {}
    for attr in mapper.column_attrs:
        key = attr.key
        if key in exclude:
            continue
        history = inspect(obj).attrs[key].history
        if action == "create":
            value = getattr(obj, key)
            if value not in (None, "", [], {}):
                changes[key] = [None, _plain(value)]
        elif history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changes[key] = [_plain(old), _plain(new)]
    return changes


def _pending_entries(session: Session):
    for obj in session.new:
        if getattr(obj, "__audited__", False):
            yield obj, "create"
    for obj in session.dirty:
        if getattr(obj, "__audited__", False) and session.is_modified(obj, include_collections=False):
            yield obj, "update"
    for obj in session.deleted:
        if getattr(obj, "__audited__", False):
            yield obj, "purge"


@event.listens_for(Session, "after_flush")
def _write_audit(session: Session, flush_context) -> None:
    rows = []
    user_id = acting_user_id()
    for obj, action in _pending_entries(session):
        changes = _changes(obj, "create" if action == "create" else "update")
        if action == "update":
            if not changes:
                continue
            if "deleted_at" in changes:
                action = "delete" if changes["deleted_at"][1] else "restore"
        rows.append(
            {
                "at": utcnow(),
                "user_id": user_id,
                "branch_id": _branch_of(obj),
                "action": action,
                "table_name": obj.__tablename__,
                "row_id": str(inspect(obj).identity[0] if inspect(obj).identity else getattr(obj, "id", "")),
                "summary": str(obj)[:255],
                "changes": changes,
            }
        )
    if rows:
        session.connection().execute(AuditEntry.__table__.insert(), rows)
