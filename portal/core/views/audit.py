"""HQ browses the audit trail; nobody can change it."""

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from .base import ScopedModelView


def _changes(view, context, model, name):
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(v[0])}</td><td>→ {escape(v[1])}</td></tr>"
        for k, v in (model.changes or {}).items()
    )
    return Markup(f'<table class="table table-sm mb-0">{rows}</table>')


class AuditView(ScopedModelView):
    permission_area = "audit"
    verb_permissions = {"create": None, "edit": None, "delete": None, "export": "audit.view"}
    branch_owned = False
    column_list = ("at", "user", "action", "table_name", "row_id", "summary", "changes")
    column_filters = ("action", "table_name", "at", "user.username", "branch_id")
    column_searchable_list = ("summary", "row_id")
    column_default_sort = ("id", True)
    column_formatters = {"changes": _changes}
    simple_list_pager = True  # the trail only grows: never count it
    column_labels = {
        "at": _l("When"), "user": _l("Who"), "action": _l("Action"), "table_name": _l("Record type"),
        "row_id": _l("Record"), "summary": _l("Record"), "changes": _l("Old and new values"),
    }
