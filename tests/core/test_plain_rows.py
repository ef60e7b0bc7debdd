"""Big lists read their rows as plain values (portal/core/views/plain_rows.py). What a
person sees must be exactly what the same list showed from ORM objects."""

import logging
import re

import pytest

from portal.core.models import Branch, Customer, Product, Ticket, User
from portal.core.views.base import ScopedModelView
from portal.core.views.plain_rows import PlainRow
from portal.extensions import db

from .test_big_lists import _many_tickets


def _table(html):
    table = re.search(r'<table class="table table-striped table-bordered table-hover model-list">.*?</table>',
                      html, re.S).group(0)
    # The delete forms' CSRF token is signed with the second it was made: two pages drawn
    # a second apart differ there and nowhere else.
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"|name="csrf_token" value="[^"]*"',
                  'name="csrf_token" value="…"', table)


def _big_lists(app):
    return [v for v in app.extensions["admin"][0]._views if getattr(v, "keyset_paging", False)]


def _with_odd_rows(app, world):
    """Tickets with and without an assignee, one paused and one breached: every branch of
    the ticket list's formatters."""
    _many_tickets(app, world, 3)
    with app.app_context():
        rows = db.session.scalars(db.select(Ticket).order_by(Ticket.id)).all()
        rows[0].assignee_id = world["users"]["a_clerk"]
        rows[1].state, rows[1].paused_since = "waiting_customer", rows[1].created_at
        rows[2].sla_breached = True
        db.session.commit()


def test_every_big_list_shows_the_same_table_as_from_orm_objects(app, web, world, monkeypatch, caplog):
    _with_odd_rows(app, world)
    web.login("admin")
    compared = []
    for view in _big_lists(app):
        url = view.url.rstrip("/") + "/"
        with caplog.at_level(logging.WARNING, logger="portal.core.views.plain_rows"):
            plain = web.get(url)
        if plain.status_code != 200:
            continue  # a plugin's list where no branch runs the plugin
        with monkeypatch.context() as patched:
            patched.setattr(ScopedModelView, "_plain_plan", lambda self: None)
            orm = web.get(url)
        assert _table(plain.text) == _table(orm.text), view.endpoint
        compared.append(view.endpoint)
    assert {"ticket", "customer", "product"} <= set(compared)
    assert not caplog.records, "a big list read an attribute it did not declare"


@pytest.mark.parametrize("endpoint", ["ticket", "customer", "product"])
def test_the_core_big_lists_read_plain_rows(app, web, world, endpoint):
    """Their columns are all readable as values, so none of them falls back to objects."""
    view = next(v for v in _big_lists(app) if v.endpoint == endpoint)
    with app.test_request_context():
        assert view._plain_plan() is not None


def test_a_related_row_is_named_as_everywhere_else(app, world):
    """A stand-in made of a model's ``__display_columns__`` gives the record's own name."""
    with app.app_context():
        for model in (Customer, Product, User, Branch):
            for record in db.session.scalars(db.select(model)).all():
                stand_in = type("Shown", (), {"__str__": model.__str__})()
                for name in model.__display_columns__:
                    setattr(stand_in, name, getattr(record, name))
                assert str(stand_in) == str(record)


def test_an_undeclared_attribute_is_read_from_the_record_and_logged(app, web, world, monkeypatch, caplog):
    _with_odd_rows(app, world)
    web.login("admin")
    orm_table = None
    with monkeypatch.context() as patched:
        patched.setattr(ScopedModelView, "_plain_plan", lambda self: None)
        orm_table = _table(web.get("/admin/ticket/").text)
    view = next(v for v in _big_lists(app) if v.endpoint == "ticket")
    monkeypatch.setattr(type(view), "list_row_extras", ())  # forget what the "next due" column reads
    monkeypatch.delitem(view.__dict__, "_portal_plain_plan", raising=False)
    with caplog.at_level(logging.WARNING, logger="portal.core.views.plain_rows"):
        page = web.get("/admin/ticket/")
    monkeypatch.delitem(view.__dict__, "_portal_plain_plan", raising=False)
    assert page.status_code == 200
    assert _table(page.text) == orm_table
    assert any("did not select" in record.getMessage() for record in caplog.records)


def test_an_export_holds_every_row_with_its_related_records(app, web, world, monkeypatch):
    """Only the list page reads plain rows; an export gets whole records, with the related
    ones its columns show (the product is not a list column), and more than one page."""
    _many_tickets(app, world, 25)
    web.login("admin")
    answer = web.get("/admin/ticket/export/csv/")
    assert answer.status_code == 200
    lines = answer.get_data(as_text=True).splitlines()
    assert len(lines) == 1 + 25
    assert all("批量" in line for line in lines[1:])
    with app.app_context():
        product = str(db.session.get(Product, world["products"]["A"]))
    assert product.split()[0] in lines[1]

    view = next(v for v in _big_lists(app) if v.endpoint == "ticket")
    monkeypatch.setattr(view, "big_export_rows", 10)
    lines = web.get("/admin/ticket/export/csv/").get_data(as_text=True).splitlines()
    assert len(lines) == 1 + 10 and "批量024" in lines[1]  # the newest
    assert "导出只包含最新的 10 条记录" in web.get("/admin/ticket/").text  # and is told how to get the rest


def test_a_plain_row_holds_only_what_was_selected(app, world):
    _with_odd_rows(app, world)
    with app.test_request_context():
        view = next(v for v in _big_lists(app) if v.endpoint == "ticket")
        ticket_id = db.session.scalar(db.select(Ticket.id).where(Ticket.assignee_id.is_(None)).limit(1))
        count = db.select(db.func.count(Ticket.id)).scalar_subquery()
        [row], _count = view._plain_plan().read_page(db.select(Ticket.id).where(Ticket.id == ticket_id),
                                                     ("id",), count)
        assert isinstance(row, PlainRow) and row.assignee is None
        assert "description" not in type(row).__slots__  # the list does not show it
        assert row.is_open == (row.state not in ("resolved", "closed", "cancelled"))
        assert str(row.branch) == str(db.session.get(Branch, row.branch.id))


def test_only_plain_foreign_keys_are_joined_as_plain_columns():
    """A related row joined by anything but its foreign key (a link table, extra join
    criteria) would be joined wrongly as plain columns: such a list keeps the ORM's join."""
    from sqlalchemy import inspect as sa_inspect

    from plugins.equipment_field.dispatch.models import FieldExpenseClaim
    from portal.core.views.plain_rows import _simple_join, plan

    tickets = sa_inspect(Ticket)
    assert all(_simple_join(tickets, tickets.relationships[key]) for key in ("customer", "assignee", "branch"))
    users = sa_inspect(User)
    assert not _simple_join(users, users.relationships["roles"])  # through user_role
    claims = sa_inspect(FieldExpenseClaim)
    lines = next(r for r in claims.relationships if r.mapper.class_.__name__ == "FieldExpenseLine")
    assert not _simple_join(claims, lines)  # "... and not deleted"
    assert plan(User, ["username", "roles"]) is None


def test_a_per_page_formatter_gives_each_row_the_same_value_when_called_per_row(app, world):
    """The list works a ``per_page`` formatter out once per page; Flask-Admin's own table,
    and any other caller, call it row by row: both must show the same."""
    from flask_login import login_user

    from portal.core.views.base import per_page

    _with_odd_rows(app, world)
    with app.test_request_context("/admin/ticket/"):  # the list's own URLs are relative to it
        login_user(db.session.get(User, world["users"]["admin"]))
        view = next(v for v in _big_lists(app) if v.endpoint == "ticket")
        rows = db.session.scalars(db.select(Ticket).order_by(Ticket.id)).all()
        formatters = {name: fmt for name, fmt in view.column_formatters.items() if hasattr(fmt, "for_page")}
        assert set(formatters) >= {"state", "sla_next_due_at", "number", "kind"}
        for name, fmt in formatters.items():
            read = fmt.for_page(view, None, name)
            assert [str(read(row)) for row in rows] == [str(fmt(view, None, row, name)) for row in rows]
        assert [str(per_page(lambda v, c, n: lambda row: row.id)(view, None, row, "id")) for row in rows] == \
            [str(row.id) for row in rows]
