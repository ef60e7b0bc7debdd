"""The table of a list page, drawn in Python.

Flask-Admin draws each row through nested blocks and a macro per cell and per row
action; for twenty rows that was most of a list page's time (docs/performance.md).
This draws the same markup — the same classes, titles and forms, so Flask-Admin's
scripts (select all, bulk actions, delete confirmation) work unchanged — with one
formatted value per cell and each row's links made from one URL pattern.

Views with Flask-Admin features this does not draw (editable cells, pop-up or custom
row actions) keep Flask-Admin's own table: see :func:`can_draw`.
"""

from __future__ import annotations

from flask_admin.babel import gettext as admin_gettext
from flask_admin.model import template as row_templates
from markupsafe import Markup, escape

from .urls import url_part

#: row actions drawn here; any other kind makes the view use Flask-Admin's table
_DRAWN = (row_templates.ViewRowAction, row_templates.EditRowAction, row_templates.DeleteRowAction)
_ICONS = {
    row_templates.ViewRowAction: "fa fa-eye glyphicon glyphicon-eye-open",
    row_templates.EditRowAction: "fa fa-pencil glyphicon glyphicon-pencil",
}
_ENDPOINTS = {row_templates.ViewRowAction: ".details_view", row_templates.EditRowAction: ".edit_view"}
PK = "__portal_pk__"  # stands for the row's id in a row link's URL pattern
PK_RAW = "__portal_id__"  # ... and in the delete form's hidden field
SORT = "__portal_sort__"  # ... and a column's index in a sort link


def can_draw(view, row_actions) -> bool:
    return not view.column_editable_list and all(type(action) in _DRAWN for action in row_actions)


def draw(view, context, *, data, list_columns, actions, row_actions, sort_column, sort_desc, sort_url,
         return_url, delete_form) -> Markup:
    out = ['<div class="table-responsive">'
           '<table class="table table-striped table-bordered table-hover model-list"><thead><tr>']
    out.extend(_header(view, list_columns, actions, sort_column, sort_desc, sort_url))
    out.append("</tr></thead>")
    cells = [(view.cell_reader(context, c), f'<td class="col-{escape(c)}">') for c, _name in list_columns]
    links = _row_links(view, context, row_actions, return_url, delete_form)
    checkbox_title = escape(admin_gettext("Select record"))
    for row in data:
        raw_pk = str(view.get_pk_value(row))
        pk = escape(raw_pk)
        out.append("<tr>")
        if actions:
            out.append(f'<td><input type="checkbox" name="rowid" class="action-checkbox" value="{pk}" '
                       f'title="{checkbox_title}" /></td>')
        if view.column_display_actions:
            quoted = url_part(raw_pk)
            out.append('<td class="list-buttons-column">')
            out.extend(link.replace(PK, quoted, 1).replace(PK_RAW, pk, 1) for link in links)
            out.append("</td>")
        for read, opening in cells:
            out.append(opening)
            out.append(escape(read(row)))
            out.append("</td>")
        out.append("</tr>")
    if not data:
        out.append(f'<tr><td colspan="999"><div class="text-center">'
                   f'{escape(view.get_empty_list_message())}</div></td></tr>')
    out.append("</table></div>")
    return Markup("".join(out))


def _header(view, list_columns, actions, sort_column, sort_desc, sort_url):
    pattern = sort_url(SORT)  # each column's sort link differs only in its index
    heads, select_all = _heads(view, list_columns)
    if actions:
        yield select_all
    if view.column_display_actions:
        yield '<th class="">&nbsp;</th>'
    for index, (opening, sortable, name, title, description) in enumerate(heads):
        yield opening
        if sortable:
            if sort_column == index:
                chevron = "down" if sort_desc else "up"
                yield (f'<a href="{escape(sort_url(index, True))}" title="{title}">{name} '
                       f'<span class="fa fa-chevron-{chevron} glyphicon glyphicon-chevron-{chevron}"></span></a>')
            else:
                yield f'<a href="{escape(pattern.replace(SORT, str(index), 1))}" title="{title}">{name}</a>'
        else:
            yield name
        yield description
        yield "</th>"


def _heads(view, list_columns):
    """Each column head's fixed parts in the reader's language, worked out once per
    language: translating and escaping nine labels was a sixth of the table's time."""
    def work_out():
        heads = []
        for c, name in list_columns:
            description = view.column_descriptions.get(c) if view.column_descriptions else None
            heads.append((
                f'<th class="column-header col-{escape(c.replace(".", "-"))}">', view.is_sortable(c),
                str(escape(name)), str(escape(admin_gettext("Sort by %(name)s", name=name))),
                (f'<a class="fa fa-question-circle glyphicon glyphicon-question-sign" title="{escape(description)}" '
                 f'href="javascript:void(0)" data-role="tooltip"></a>') if description else "",
            ))
        select_all = (f'<th class="list-checkbox-column"><input type="checkbox" name="rowtoggle" '
                      f'class="action-rowtoggle" title="{escape(admin_gettext("Select all records"))}" /></th>')
        return heads, select_all

    return view.kept_per_language("column_heads", work_out, tuple(c for c, _name in list_columns))


def _row_links(view, context, row_actions, return_url, delete_form):
    """Each row action's markup with the row's id left as a placeholder."""
    links = []
    for action in row_actions:
        kind = type(action)
        if kind is row_templates.DeleteRowAction:
            links.append(_delete_form(view, context, action, return_url, delete_form))
            continue
        url = view.get_url(_ENDPOINTS[kind], id=PK, url=return_url)
        links.append(f'<a class="icon" href="{escape(url)}" title="{escape(action.title or "")}">'
                     f'<span class="{_ICONS[kind]}"></span></a>')
    return links


def _delete_form(view, context, action, return_url, delete_form):
    # As Flask-Admin's template: the form's own token field, else the app's csrf_token().
    csrf = ""
    token = getattr(delete_form, "csrf_token", None)
    global_token = context.get("csrf_token") if context is not None else None
    if token:
        csrf = str(token)
    elif global_token:
        csrf = f'<input type="hidden" name="csrf_token" value="{escape(global_token())}"/>'
    confirm = escape(admin_gettext("Are you sure you want to delete this record?"))
    return (f'<form class="icon" method="POST" action="{escape(view.get_url(".delete_view"))}">'
            f'<input id="id" name="id" type="hidden" value="{PK_RAW}">'
            f'<input id="url" name="url" type="hidden" value="{escape(return_url)}">{csrf}'
            f"<button onclick=\"return faHelpers.safeConfirm('{confirm}');\" "
            f'title="{escape(action.title or "")}"><span class="fa fa-trash glyphicon glyphicon-trash"></span>'
            f"</button></form>")
