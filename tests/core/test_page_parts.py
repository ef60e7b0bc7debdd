"""The parts every page shares, drawn in Python for speed (docs/performance.md): the
menu kept per kind of user, and the list table. What a person sees and can do with them
must be exactly what Flask-Admin's own templates gave."""

import re
from html import unescape

import pytest
from flask_admin.menu import MenuView

from portal.core.models import BranchPlugin, Customer
from portal.extensions import db

from portal.core.provisioning import create_user

from ..conftest import PASSWORD, csrf_token


def _admin(app):
    return app.extensions["admin"][0]


def _menu_links(html):
    nav = html.split('<ul class="nav navbar-nav mr-auto">', 1)[1].split("</ul></li></ul>", 1)[0]
    return set(re.findall(r'class="(?:dropdown-item|nav-link)[^"]*" href="([^"]+)"', nav))


def _openable(app, client, username):
    """The menu links of the views this person may open, asked of the views themselves."""
    with app.test_request_context():
        from flask_login import login_user

        from portal.core.models import User

        login_user(db.session.scalar(db.select(User).where(User.username == username)))
        found = set()
        for item in _admin(app)._menu:
            for entry in ([item] if not item.is_category() else item._children):
                if isinstance(entry, MenuView) and entry._view.is_accessible() and entry._view.is_visible():
                    found.add(entry.get_url())
        return found


@pytest.mark.parametrize("username", ["admin", "a_branch_manager", "a_clerk", "b_engineer"])
def test_the_menu_offers_exactly_the_pages_the_person_may_open(app, web, world, username):
    web.login(username)
    links = _menu_links(web.get("/admin/ticket/").text)
    assert links == _openable(app, web.client, username)
    for link in links:  # and each of them opens (some first choose a default view of themselves)
        assert web.client.get(link, follow_redirects=True).status_code == 200, link


def test_a_kept_menu_follows_a_plugin_switched_off(app, web, world):
    with app.app_context():
        create_user("a_store_clerk", PASSWORD, "A", ["store_clerk"])
        db.session.commit()
    web.login("a_store_clerk")
    assert any(link.startswith("/admin/retail") for link in _menu_links(web.get("/admin/").text))
    with app.app_context():
        row = db.session.scalar(db.select(BranchPlugin).where(BranchPlugin.branch_id == world["A"],
                                                              BranchPlugin.plugin == "retail_store"))
        row.enabled = False
        db.session.commit()
    assert not any(link.startswith("/admin/retail") for link in _menu_links(web.get("/admin/").text))


def test_the_menu_marks_the_page_in_its_language(app, web, world):
    web.login("a_clerk")
    page = web.get("/admin/customer/").text
    assert re.search(r'class="dropdown-item active[^"]*" href="/admin/customer/"', page)
    assert not re.search(r'class="dropdown-item active[^"]*" href="/admin/ticket/"', page)
    assert ">客户档案<" in page
    web.client.post("/locale/en", data={"csrf_token": csrf_token(page)})
    assert ">Customer files<" in web.get("/admin/customer/").text


def _row(html, pk):
    match = re.search(rf'<tr><td><input type="checkbox" name="rowid" class="action-checkbox" value="{pk}".*?</tr>',
                      html, re.S)
    assert match, f"no row {pk}"
    return match.group(0)


def test_a_list_row_shows_its_values_and_its_links_open_that_record(app, web, world):
    web.login("a_branch_manager")
    page = web.get("/admin/customer/?search=13800000001").text
    row = _row(page, world["customers"]["A"])
    assert '<td class="col-name">客户A</td>' in row and '<td class="col-phone">13800000001</td>' in row
    details, edit = (unescape(href) for href in re.findall(r'<a class="icon" href="([^"]+)"', row))
    assert web.get(details).status_code == 200 and "客户A" in web.get(details).text
    assert f"id={world['customers']['A']}" in edit and web.get(edit).status_code == 200


def test_a_row_is_archived_from_its_delete_button_with_the_page_token(app, web, world):
    web.login("a_branch_manager")
    page = web.get("/admin/customer/").text
    form = re.search(r'<form class="icon" method="POST" action="([^"]+)">(.*?)</form>',
                     _row(page, world["customers"]["A"]), re.S)
    hidden = r'<input (?:id="\w+" )?(?:type="hidden" )?name="(\w+)" (?:type="hidden" )?value="([^"]*)"'
    fields = dict(re.findall(hidden, form.group(2)))
    assert set(fields) == {"id", "url", "csrf_token"}
    answer = web.client.post(form.group(1), data={k: unescape(v) for k, v in fields.items()})
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(Customer, world["customers"]["A"]).deleted_at is not None
    # without the token nothing happens
    other = world["customers"]["B"]
    web.login("admin")
    web.client.post("/admin/customer/delete/", data={"id": other, "url": "/admin/customer/"})
    with app.app_context():
        assert db.session.get(Customer, other).deleted_at is None


def test_a_list_sorts_from_its_headers_and_says_when_it_is_empty(app, web, world):
    web.login("admin")
    page = web.get("/admin/customer/").text
    sort = unescape(re.search(r'<th class="column-header col-name"><a href="([^"]+)"', page).group(1))
    names = re.findall(r'<td class="col-name">([^<]*)</td>', web.get(sort).text)
    assert names == sorted(names) and len(names) == 2
    empty = web.get("/admin/customer/?search=nobody-has-this").text
    assert '<td colspan="999"><div class="text-center">' in empty


def test_every_portal_list_draws_its_table_in_python(app, web, world):
    """No list silently falls back to Flask-Admin's slow table."""
    from portal.core.views.base import ScopedModelView
    from portal.core.views import list_table

    web.login("admin")
    for view in _admin(app)._views:
        if isinstance(view, ScopedModelView):
            with app.test_request_context():
                from flask_login import login_user

                from portal.core.models import User

                login_user(db.session.get(User, world["users"]["admin"]))
                assert list_table.can_draw(view, view.get_list_row_actions()), view.endpoint


def test_a_kept_fragment_is_drawn_once_per_key(app):
    from flask import render_template_string

    drawn = []
    template = "{% call kept('part', key) %}{{ note(key) }}{% endcall %}"
    with app.test_request_context():
        note = lambda key: drawn.append(key) or f"[{key}]"  # noqa: E731
        first = [render_template_string(template, key=k, note=note) for k in ("a", "b", "a", "b")]
    assert first == ["[a]", "[b]", "[a]", "[b]"]
    assert drawn == ["a", "b"]  # the same key reuses the drawing


def test_every_page_links_its_styles_and_scripts(app, web, world):
    web.login("a_clerk")
    for url in ("/admin/", "/admin/ticket/", "/admin/customer/"):
        page = web.get(url).text
        assert page.count('rel="stylesheet"') >= 4, url
        assert "/admin/static/vendor/jquery.min.js?v=3.5.1" in page, url
    list_page = web.get("/admin/ticket/").text
    assert 'id="filter-groups-data"' in list_page and "admin/js/bs4_filters.js" in list_page


def test_flask_admins_pop_up_row_actions_still_draw_with_the_portals_row_actions(app):
    """portal/templates/admin/model/row_actions.html imports admin/lib.html only in the
    two pop-up macros that use it; they still draw Flask-Admin's modal links."""
    from types import SimpleNamespace

    with app.test_request_context("/admin/ticket/"):
        template = app.jinja_env.get_template("admin/model/row_actions.html")
        assert template.filename.startswith(str(app.root_path))  # the portal's copy is the one used
        module = template.make_module({
            "get_url": lambda endpoint, **args: f"{endpoint}?id={args.get('id')}&modal={args.get('modal')}",
            "return_url": "/admin/ticket/", "_gettext": lambda text, **kw: text,
        })
        action = SimpleNamespace(title="查看记录")
        shown = str(module.view_row_popup(action, 7, None))
        edited = str(module.edit_row_popup(action, 7, None))
    assert 'data-toggle="modal"' in shown and ".details_view?id=7&amp;modal=True" in shown, shown
    assert 'data-toggle="modal"' in edited and ".edit_view?id=7&amp;modal=True" in edited, edited
    assert 'title="查看记录"' in shown


@pytest.mark.parametrize("url, message", [
    ("/admin/callback/?flt0_0=all&search=nobody-has-this", "No callbacks in this list."),
    ("/admin/visit/?search=nobody-has-this", "No visits in this list."),
    ("/admin/repair/?search=nobody-has-this", "No items in this list."),
    ("/admin/customer/?search=nobody-has-this", "There are no items in the table."),
])
def test_an_empty_list_says_what_it_lists(app, web, world, url, message):
    from flask_admin.babel import gettext as flask_admins
    from flask_babel import force_locale, gettext

    web.login("admin")
    page = web.get(url)
    with app.test_request_context(), force_locale("zh_CN"):
        said = flask_admins(message) if message.startswith("There are") else gettext(message)  # the default is Flask-Admin's
    assert said != message  # in Chinese
    assert page.status_code == 200
    empty_row = re.search(r'<td colspan="999"><div class="text-center">([^<]*)</div>', page.text)
    assert empty_row and empty_row.group(1).strip() == said, url


def test_a_list_only_flask_admins_table_can_draw_gets_flask_admins_list_page(app, monkeypatch):
    """The portal's list template draws the table in Python; a list with a row action
    of another kind is rendered with Flask-Admin's whole list template instead."""
    from flask_admin.base import BaseView
    from flask_admin.model.template import LinkRowAction

    view = next(v for v in _admin(app)._views if getattr(v, "endpoint", None) == "customer")
    rendered = []
    monkeypatch.setattr(BaseView, "render", lambda self, template, **kwargs: rendered.append(template) or "")
    with app.test_request_context():
        view.render(view.list_template, list_row_actions=[LinkRowAction("fa fa-phone", "tel:{row_id}")])
        view.render(view.list_template, list_row_actions=view.get_list_row_actions())
        view.render("portal/customers/details.html", list_row_actions=[LinkRowAction("fa fa-phone", "tel:")])
    assert rendered == ["admin/model/list.html", view.list_template, "portal/customers/details.html"]


def test_bulk_delete_archives_the_ticked_rows_and_ignores_ids_that_cannot_be(app, web, world):
    """The ticked rows' ids arrive as text; on PostgreSQL comparing them with the integer key
    failed, and every bulk delete was an error page."""
    web.login("admin")
    ticked = [str(world["customers"]["A"]), "abc", "99999999999", "-1"]
    answer = web.submit("/admin/customer/", {"action": "delete", "rowid": ticked, "url": "/admin/customer/"},
                        post_url="/admin/customer/action/")
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(Customer, world["customers"]["A"]).deleted_at is not None
        assert db.session.get(Customer, world["customers"]["B"]).deleted_at is None
    page = web.get("/admin/customer/").text
    assert "客户A" not in page and "客户B" in page
