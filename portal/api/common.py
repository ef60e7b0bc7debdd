"""What every endpoint does the same way: ask portal.core.access, find a record in the
caller's scope (or answer 404), commit once."""

from __future__ import annotations

from werkzeug.routing import BaseConverter

from ..core import access
from ..core.models.mixins import SoftDeleteMixin
from ..extensions import db
from .errors import forbidden, not_found
from .fields import MAX_ID


def require(code: str, **kwargs) -> None:
    """403 unless the token's user may do ``code`` (see portal.core.access.can)."""
    if not access.can(code, **kwargs):
        raise forbidden()


def scoped(model):
    """The rows of ``model`` the token's user may see; archived rows are gone."""
    query = access.scope(db.session.query(model), model)
    if issubclass(model, SoftDeleteMixin):
        query = query.filter(model.deleted_at.is_(None))
    return query


def get_or_404(model, record_id: int):
    """The record, or 404 whether it does not exist or belongs to another branch."""
    if not 0 < record_id <= MAX_ID:
        raise not_found()
    record = scoped(model).filter(model.id == record_id).one_or_none()
    if record is None:
        raise not_found()
    return record


def contains(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class IdConverter(BaseConverter):
    """A record id in a path. Anything else in that place (0, -1, abc, an id beyond INTEGER)
    still reaches the view, as 0, and is answered with the API's JSON 404; werkzeug's int
    converter would fall back to the portal's HTML 404 page instead."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> int:
        if value.isascii() and value.isdigit() and len(value) <= 10:
            number = int(value)
            return number if 0 < number <= MAX_ID else 0
        return 0

    def to_url(self, value) -> str:
        return str(int(value))


def id_parameter_schema(_converter) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


ID = "id"  # f"/tickets/<{ID}:ticket_id>"
