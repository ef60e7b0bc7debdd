"""Base admin views. Every view of branch data inherits ``ScopedModelView``: permission
checks, branch scoping, soft delete and stale-edit detection are written once, here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal


from flask import abort, flash, g, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask import has_request_context
from jinja2 import pass_context
from sqlalchemy import Integer, and_, func, literal, or_, select
from sqlalchemy.orm import defaultload, joinedload, selectinload
from sqlalchemy import inspect as sa_inspect
from wtforms import HiddenField
from wtforms.validators import ValidationError

from ...extensions import db
from ...i18n import local_minute, minute_formatter
from .. import access
from ..models import Branch
from ..models.mixins import SoftDeleteMixin, VersionedMixin
from ..models.types import utcnow
from . import list_table, plain_rows, urls
from .fields import PortalFilterConverter, PortalModelConverter


def per_page(prepare):
    """A list formatter that works out once per page what all its rows share (labels in
    the reader's language, the time zone, a URL pattern). ``prepare(view, context, name)``
    returns ``row -> value``; the list table calls it once per page
    (:meth:`ScopedModelView.cell_reader`), anything else calls the formatter as
    Flask-Admin does, one row at a time."""

    def formatter(view, context, model, name):
        return prepare(view, context, name)(model)

    formatter.for_page = prepare
    formatter.__doc__ = prepare.__doc__
    return formatter


#: names of filters many lists share on a related row's column (or a bare foreign key)
RELATED_FILTER_LABELS = {
    "branch.code": _l("Branch code"), "branch_id": _l("Branch"), "roles.code": _l("Role code"),
    "user.username": _l("User name"),
}


def _fmt_datetime(view, value, name=None):
    return local_minute(value)


# A list shows many moments: the time zone is looked up once per page. (A type formatter's
# ``for_page`` returns ``value -> text``; a column formatter's, ``row -> value``.)
_fmt_datetime.for_page = lambda view, context, name: minute_formatter()


def _fmt_date(view, value, name=None):
    return value.strftime("%Y-%m-%d")


def _fmt_money(view, value, name=None):
    return format_decimal(value, "#,##0.00")


MAX_ID = 2**31 - 1  # PostgreSQL INTEGER
_UNSEEN = object()


def _positive_int(raw):
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= MAX_ID else None

FORMATTERS = dict(typefmt.BASE_FORMATTERS)
FORMATTERS.update({datetime: _fmt_datetime, date: _fmt_date, Decimal: _fmt_money})
EXPORT_FORMATTERS = dict(typefmt.EXPORT_FORMATTERS)
EXPORT_FORMATTERS.update({datetime: _fmt_datetime, date: _fmt_date, Decimal: lambda v, x, n=None: str(x)})


def commit_change(action, done_message: str, stale_message: str) -> bool:
    """Run one change as one transaction and say how it went: a rule's refusal or a race
    with another person changes nothing, and the person reads why."""
    from sqlalchemy.orm.exc import StaleDataError

    from ..tickets import TicketError

    try:
        action()
        db.session.commit()
    except TicketError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return False
    except StaleDataError:
        db.session.rollback()
        flash(stale_message, "error")
        return False
    flash(done_message, "success")
    return True


class KeptUrlsMixin:
    """The layout links some twenty scripts and styles; their URLs never change while the
    app runs, so each is built once instead of on every page. The view's own pages are
    built from their path and a query string (``urls.page_url``)."""

    def get_url(self, endpoint, **kwargs):
        if self.admin is None or endpoint != f"{self.admin.endpoint}.static":
            return urls.page_url(endpoint, kwargs)
        kept = self.admin.__dict__.setdefault("_portal_static_urls", {})
        key = (request.script_root, tuple(sorted(kwargs.items())))
        if key not in kept:
            kept[key] = super().get_url(endpoint, **kwargs)
        return kept[key]


class GuardedMixin(KeptUrlsMixin):
    """Who may open the view at all: one permission, and the plugin switched on."""

    #: permission needed to see the view (``<area>.view`` for model views); a tuple means
    #: any one of them (a page shared by several roles)
    permission: str | tuple[str, ...] | None = None
    #: set by plugin views: the view exists only where the plugin is enabled
    plugin_name: str | None = None

    def is_accessible(self) -> bool:
        if self.permission is None:
            return access.is_signed_in()
        codes = (self.permission,) if isinstance(self.permission, str) else self.permission
        return any(access.can(code, plugin=self.plugin_name) for code in codes)  # false for visitors too

    def inaccessible_callback(self, name, **kwargs):
        if not access.is_signed_in():
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class PortalView(GuardedMixin, BaseView):
    """A custom (non-model) page in the admin."""


def _written_in(number: int):
    """A LIMIT written into the statement's text rather than sent as a parameter.

    PostgreSQL cannot price a kept (generic) plan for a LIMIT it does not know, so it
    planned the list statement afresh on every page: 0.6 ms of planning against 0.4 ms of
    running it. A page size and the count's cap take a handful of values, so each is one
    prepared statement whose plan PostgreSQL keeps (SQLAlchemy still caches the compiled
    form: the number is written in at execution)."""
    return literal(number, Integer, literal_execute=True)


class ScopedModelView(GuardedMixin, ModelView):
    """A model view over branch-owned rows.

    Set ``permission_area`` (e.g. ``customer``): ``<area>.view/create/edit/delete/export``
    then decide the matching buttons and endpoints.
    """

    permission_area: str = ""
    export_types = ["csv", "xlsx"]
    model_form_converter = PortalModelConverter
    filter_converter = PortalFilterConverter()
    column_type_formatters = FORMATTERS
    column_type_formatters_export = EXPORT_FORMATTERS
    page_size = 20
    can_set_page_size = True
    #: bounded counts, keyset pages and a table drawn in Python (portal/model_list.html)
    list_template = "portal/model_list.html"
    form_excluded_columns = ("created_at", "updated_at", "deleted_at", "version")
    column_exclude_list = ("deleted_at", "version")
    column_details_exclude_list = ("version",)
    #: a record of a branch-owned model is written into the user's branch (HQ chooses)
    branch_owned = True

    def __init__(self, model, session=db, **kwargs):
        # A filter on a related row's column is named from its labels; without one,
        # Flask-Admin names it "branch / 分支机构 / Code", half in English.
        self.column_labels = {**RELATED_FILTER_LABELS, **(self.column_labels or {})}
        self.permission = f"{self.permission_area}.view"
        if self.keyset_paging:
            self.simple_list_pager = True  # Flask-Admin must not run its own unbounded COUNT
        self.form_args = self._scoped_form_args_for(model)
        super().__init__(model, session, **kwargs)

    def _scoped_form_args_for(self, model):
        self.model = model
        return self._scoped_form_args(type(self).form_args)

    # -- permissions ---------------------------------------------------------------
    #: verb → permission code where it is not ``<area>.<verb>``; ``None`` forbids the verb
    verb_permissions: dict = {}

    def _allowed(self, verb: str) -> bool:
        if not has_request_context():
            return True  # flask-admin reads some flags once at start-up
        code = self.verb_permissions.get(verb, f"{self.permission_area}.{verb}")
        return code is not None and access.can(code, plugin=self.plugin_name)

    @property
    def can_create(self):
        return self._allowed("create")

    @property
    def can_edit(self):
        return self._allowed("edit")

    @property
    def can_delete(self):
        return self._allowed("delete")

    @property
    def can_export(self):
        return self._allowed("export")

    @property
    def can_view_details(self):
        return self._allowed("view")

    # -- scoping -------------------------------------------------------------------
    def _live(self, query):
        if issubclass(self.model, SoftDeleteMixin):
            query = query.filter(self.model.deleted_at.is_(None))
        return access.scope(query, self.model)

    def get_query(self):
        return self._live(super().get_query())

    def get_count_query(self):
        return self._live(super().get_count_query())

    # -- big lists: bounded counts and keyset pages ------------------------------------
    #: Big tables opt in: the list never counts past ``count_cap`` rows, and in the default
    #: order (newest first) "older" pages continue from the last id shown instead of an
    #: OFFSET, so page 40 000 costs what page 1 costs (docs/performance.md).
    keyset_paging = False
    count_cap = 1000
    #: attributes the list's formatters read beyond ``column_list`` (plain rows select them)
    list_row_extras: tuple[str, ...] = ()
    #: the model's plain properties the list's formatters call (``is_open``)
    list_row_properties: tuple[str, ...] = ()

    @expose("/")
    def index_view(self):
        # The list page, and only it, reads big lists' rows as plain values: exports and
        # other callers of get_list keep ORM objects.
        g._portal_plain_rows = self.endpoint if list_table.can_draw(self, self.get_list_row_actions()) else None
        return super().index_view()

    #: what the list says when no row is shown; None: Flask-Admin's "no items" text
    empty_list_message = None

    def get_empty_list_message(self):
        if self.empty_list_message is None:
            return super().get_empty_list_message()
        return str(self.empty_list_message)

    #: a big list's export holds at most this many rows, newest first (a file a person opens
    #: in a spreadsheet; past it, filters narrow the list)
    big_export_rows = 5000

    def _export_data(self):
        # The CSV is written after the view returns, when the session is gone: the rows
        # come with every related record their export columns show.
        joined = {getattr(attr, "key", attr) for attr in self._auto_joins}
        g._portal_export_loads = [selectinload(getattr(self.model, name)) for name, _label in self._export_columns
                                  if name in sa_inspect(self.model).relationships and name not in joined]
        count, data = super()._export_data()
        if self.keyset_paging and len(data) >= self.big_export_rows:
            flash(_("The export holds the newest %(num)s records: narrow the list with filters to export the rest.",
                    num=self.big_export_rows), "warning")
        return count, data

    def _plain_plan(self):
        """How this list reads plain rows (views/plain_rows.py); None: it needs ORM rows."""
        if "_portal_plain_plan" not in self.__dict__:
            self.__dict__["_portal_plain_plan"] = plain_rows.plan(
                self.model, [name for name, _label in self._list_columns], self.list_row_extras,
                self.list_row_properties)
        return self.__dict__["_portal_plain_plan"]

    def _quiet_relations(self):
        """A list shows a related row by its name; that row's own eager collections (an
        assignee's roles) are not read for it."""
        if "_portal_quiet" not in self.__dict__:
            options = []
            for attr in self._auto_joins:
                attr = getattr(self.model, attr) if isinstance(attr, str) else attr
                target = attr.property.mapper
                options += [defaultload(attr).lazyload(getattr(target.class_, rel.key))
                            for rel in target.relationships if rel.lazy in ("selectin", "joined", "subquery")]
            self.__dict__["_portal_quiet"] = options
        return self.__dict__["_portal_quiet"]

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        if not (self.keyset_paging and has_request_context()):
            count, query = super().get_list(page, sort_column, sort_desc, search, filters, False, page_size)
            query = query.options(*self._quiet_relations())
            return count, query.all() if execute else query
        page_size = page_size or (self.big_export_rows if g.get("_portal_export_loads") is not None else self.page_size)
        after = _positive_int(request.args.get("after"))
        keyset = sort_column is None and self.column_default_sort == ("id", True)  # newest first
        M = self.model
        # The ids are found with no loader options on the query: they load nothing there,
        # yet SQLAlchemy works them into the statement's cache key on every page, which cost
        # more than running the statement (docs/performance.md). Only ORM reads get them.
        ordered = self._list_query(sort_column, sort_desc, search, filters)
        counted = select(func.count()).select_from(ordered.order_by(None).with_entities(M.id)
                                                   .limit(_written_in(self.count_cap + 1)).subquery())
        by_date = keyset and self._filters_by_date(filters)
        if by_date:
            # A date range lists by date, newest first, which the (…, created_at) indexes
            # answer in order; by id, PostgreSQL walked every newer ticket to reach it.
            ordered = ordered.order_by(None).order_by(M.created_at.desc(), M.id.desc())
            if after is not None:
                pivot = select(M.created_at).where(M.id == after).scalar_subquery()
                ordered = ordered.filter(or_(M.created_at < pivot, and_(M.created_at == pivot, M.id < after)))
            paged = ordered.limit(_written_in(page_size))
        elif keyset:
            paged = (ordered.filter(M.id < after) if after is not None else ordered).limit(_written_in(page_size))
        else:
            paged = self._apply_pagination(ordered, page, page_size)
        # Find the page's ids from the indexes first, then read just those rows with their
        # relations: sorting thousands of wide joined rows to keep twenty was what made a
        # filtered list slow.
        page_ids = paged.with_entities(M.id)
        plan = self._plain_plan() if execute and keyset and g.get("_portal_plain_rows") == self.endpoint else None
        shown = None
        if plan is not None:
            rows, shown = plan.read_page(page_ids.subquery().select(), ("created_at", "id") if by_date else ("id",),
                                         counted.scalar_subquery())
        elif execute and keyset:
            ids_shown = [pk for (pk,) in page_ids]
            rows = ordered.options(*self._orm_loads()).filter(M.id.in_(ids_shown)).all() if ids_shown else []
        else:
            paged = paged.options(*self._orm_loads())
            rows = paged.all() if execute else paged
        if shown is None:
            shown = db.session.scalar(counted)
        older = rows[-1].id if execute and keyset and len(rows) == page_size else None
        self._template_args.update(
            row_count=min(shown, self.count_cap), count_capped=shown > self.count_cap, keyset=keyset,
            older_url=self._page_url(older) if older is not None else None,
            first_url=self._page_url(None) if after is not None else None,
        )
        return None, rows

    def _orm_loads(self):
        """What a list read as records loads with them: Flask-Admin's joins for the
        columns shown, minus the related rows' own collections, plus an export's."""
        return (*(joinedload(attr) for attr in self._auto_joins), *self._quiet_relations(),
                *g.get("_portal_export_loads", ()))

    def _list_query(self, sort_column, sort_desc, search, filters):
        """Flask-Admin's list query — the user's scope, search, filters and sort order —
        without its loader options or paging (``get_list`` adds what each read needs)."""
        joins, query = {}, self.get_query()
        if self._search_supported and search:
            query, _count, joins, _count_joins = self._apply_search(query, None, joins, {}, search)
        if filters and self._filters:
            query, _count, joins, _count_joins = self._apply_filters(query, None, joins, {}, filters)
        query, _joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        return query

    def _get_list_value(self, context, model, name, column_formatters, column_type_formatters):
        """Flask-Admin's, with the type formatter found once per type rather than by a
        walk over every formatter for every cell (the first ``isinstance`` match wins, as
        there)."""
        column_fmt = column_formatters.get(name)
        if column_fmt is not None:
            value = column_fmt(self, context, model, name)
        else:
            value = self._get_field_value(model, name)
        return self._shown(value, name, column_type_formatters)

    def _shown(self, value, name, column_type_formatters):
        """A column's value as the list shows it: its choice label, else its type's format."""
        choices_map = self._column_choices_map.get(name)
        if choices_map:
            return choices_map.get(value) or value
        type_fmt = self._type_formatter(value, column_type_formatters)
        return value if type_fmt is None else type_fmt(self, value, name)

    def _type_formatter(self, value, column_type_formatters):
        found = self.__dict__.setdefault("_portal_type_formatters", {})
        key = (id(column_type_formatters), type(value))
        if key not in found:
            found[key] = next((fmt for kind, fmt in column_type_formatters.items() if isinstance(value, kind)), None)
        return found[key]

    def cell_reader(self, context, name):
        """``row -> value`` for one list column, the same as ``get_list_value`` gives,
        with what every row shares (the formatter, its labels, the type's format, the
        dotted-name walk) worked out once per page, not per cell."""
        formatter = self.column_formatters.get(name)
        prepare = getattr(formatter, "for_page", None)
        if prepare is not None:
            read = prepare(self, context, name)
        elif formatter is not None or "." in name:
            return lambda row: self.get_list_value(context, row, name)
        else:
            read = lambda row: getattr(row, name, None)  # noqa: E731
        choices_map = self._column_choices_map.get(name)
        if choices_map:
            def chosen(row):
                value = read(row)
                return choices_map.get(value) or value

            return chosen
        type_formatters, by_type = self.column_type_formatters, {}

        def shown(row):
            value = read(row)
            kind = type(value)
            fmt = by_type.get(kind, _UNSEEN)
            if fmt is _UNSEEN:
                fmt = self._type_formatter(value, type_formatters)
                page_fmt = getattr(fmt, "for_page", None)
                fmt = by_type[kind] = (page_fmt(self, context, name) if page_fmt is not None
                                       else (lambda v, fmt=fmt: fmt(self, v, name)) if fmt is not None else None)
            return value if fmt is None else fmt(value)

        return shown

    # -- per-language parts of every list page, worked out once -------------------------
    def _get_filter_groups(self):
        """The filter menu's texts. Flask-Admin builds the filters (and their options) once
        at start-up and translates them all on every page; the translation is kept per
        language instead."""
        return self.kept_per_language("filter_groups", super()._get_filter_groups)

    def search_placeholder(self):
        return self.kept_per_language("search_placeholder", super().search_placeholder)

    def get_list_row_actions(self):
        return self.kept_per_language("row_actions", super().get_list_row_actions,
                                      self.can_view_details, self.can_edit, self.can_delete)

    def kept_per_language(self, what, work_out, *depends_on):
        """``work_out()`` once per language (and ``depends_on``) for this view: parts of a
        list page that are the same on every page for readers of one language."""
        kept = self.__dict__.setdefault("_portal_kept", {})
        key = (what, str(get_locale()), *depends_on)
        if key not in kept:
            kept[key] = work_out()
        return kept[key]

    def render(self, template, **kwargs):
        # The portal's list template draws the table in Python only; a list using what only
        # Flask-Admin's table draws (editable cells, other row actions) gets Flask-Admin's
        # whole list page instead (tests/core/test_page_parts.py holds every portal list
        # to the Python table).
        if (template == self.list_template and "list_row_actions" in kwargs
                and not list_table.can_draw(self, kwargs["list_row_actions"])):
            template = "admin/model/list.html"
        return super().render(template, **kwargs)

    @pass_context
    def list_table(self, context):
        """The list's table drawn in Python (``list_table``)."""
        return list_table.draw(
            self, context, data=context["data"], list_columns=context["list_columns"],
            actions=context["actions"], row_actions=context["list_row_actions"], sort_column=context["sort_column"],
            sort_desc=context["sort_desc"], sort_url=context["sort_url"], return_url=context["return_url"],
            delete_form=context["delete_form"],
        )

    def row_urls(self, endpoint: str):
        """``pk -> URL`` of ``endpoint`` for one row (``?id=``): url_for once per page,
        not per row."""
        pattern = self.get_url(endpoint, id=list_table.PK)
        return lambda pk: pattern.replace(list_table.PK, urls.url_part(str(pk)), 1)

    def _filters_by_date(self, filters) -> bool:
        """Is one of the applied filters on the record's ``created_at``?"""
        if not hasattr(self.model, "created_at"):
            return False
        created = self.model.__table__.c.get("created_at")
        return any(getattr(self._filters[idx], "column", None) is created for idx, _name, _value in filters or ())

    def _page_url(self, after):
        """This list (filters, search, page size kept) from ``after`` on; None: the newest."""
        args = request.args.to_dict(flat=False)
        args.pop("page", None)
        if after is None:
            args.pop("after", None)
        else:
            args["after"] = [str(after)]
        return self.get_url(".index_view", **args)

    def get_one(self, id, *options):
        """The record with this id if the user may see it (``options``: loader options)."""
        pk = _positive_int(id)  # past MAX_ID it would overflow the INTEGER column, and cannot exist
        if pk is None:
            return None
        return self.get_query().options(*options).filter(self.model.id == pk).one_or_none()

    def _hide_branch_choice(self, form):
        """Only HQ chooses the branch of a record; branch staff's records always land in
        their own branch."""
        if "branch" in form and not access.sees_all_branches():
            del form["branch"]
        return form

    def _scoped_form_args(self, form_args):
        """Every relation dropdown lists, and accepts, only rows the user may see. The
        factory is given at construction because posted ids are resolved right then."""
        form_args = {name: dict(args) for name, args in (form_args or {}).items()}
        for relation in sa_inspect(self.model).relationships:
            if relation.direction.name not in ("MANYTOONE", "MANYTOMANY"):
                continue  # one-to-many relations are edited inline, not picked
            target = relation.mapper.class_
            form_args.setdefault(relation.key, {}).setdefault("query_factory", self._scoped_factory(target))
        return form_args

    @staticmethod
    def _scoped_factory(related):
        def factory():
            query = db.session.query(related)
            if issubclass(related, SoftDeleteMixin):
                query = query.filter(related.deleted_at.is_(None))
            if hasattr(related, "branch_id") or related is Branch:
                query = access.scope(query, related)
            return query
        return factory

    # -- forms ---------------------------------------------------------------------
    def scaffold_form(self):
        form_class = super().scaffold_form()
        if issubclass(self.model, VersionedMixin):
            form_class.seen_version = HiddenField()
        return form_class

    def create_form(self, obj=None):
        return self._hide_branch_choice(super().create_form(obj))

    def edit_form(self, obj=None):
        form = self._hide_branch_choice(super().edit_form(obj))
        if request.method == "GET" and obj is not None and hasattr(form, "seen_version"):
            form.seen_version.data = obj.version
        return form

    def on_model_change(self, form, model, is_created):
        seen = getattr(form, "seen_version", None)
        if not is_created and seen is not None and seen.data not in (None, ""):
            if str(seen.data) != str(model.version):
                raise ValidationError(
                    _("Someone else saved this record while you were editing it. "
                      "Reload the page to see their changes, then make yours again.")
                )
        if hasattr(model, "__dict__") and "seen_version" in model.__dict__:
            del model.__dict__["seen_version"]
        if self.branch_owned and hasattr(model, "branch_id") and not access.sees_all_branches():
            model.branch_id = access.own_branch_id_for_write(None)
        super().on_model_change(form, model, is_created)

    # -- deletion is archiving -----------------------------------------------------
    def delete_model(self, model):
        if not issubclass(self.model, SoftDeleteMixin):
            return super().delete_model(model)
        try:
            self.on_model_delete(model)
            model.deleted_at = utcnow()
            db.session.commit()
        except Exception as exc:  # report, keep the record, never a 500
            db.session.rollback()
            flash(_("Could not archive the record: %(error)s", error=str(exc)), "error")
            return False
        self.after_model_delete(model)
        return True

    @action("delete", admin_lazy_gettext("Delete"),
            admin_lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        """Flask-Admin's bulk delete (archiving, above), given the ticked rows' ids as
        numbers: they arrive as text, and PostgreSQL refuses to compare text with an
        integer key ("operator does not exist"), which made every bulk delete fail there.
        Anything that is not a possible id is left out."""
        return super().action_delete([pk for pk in map(_positive_int, ids) if pk is not None])

    def handle_view_exception(self, exc):
        from sqlalchemy.orm.exc import StaleDataError

        if isinstance(exc, StaleDataError):
            flash(_("Someone else saved this record at the same moment. Reload and try again."), "error")
            return True
        if isinstance(exc, ValidationError):
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)

