"""The admin's top menu, drawn once per kind of user and kept.

HQ's menu has about a hundred entries; asking each view whether it is accessible and
drawing each through Jinja macros cost a few milliseconds on every page. Whether a view
is accessible depends only on what :func:`access.signature` returns, so the drawn menu
is kept per (signature, language, page it is drawn on) and is right by construction:
a change of roles or of the plugins a branch runs gives a new signature, hence a new
menu. The markup is Flask-Admin's own (``admin/layout.html`` ``menu``), so its styles
and scripts apply unchanged.
"""

from __future__ import annotations

from threading import Lock

from flask import url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from .. import access

#: Menus kept per admin (one per app); there are few kinds of user, so this stays small.
#: Past the cap it starts over rather than growing without bound.
_CAP = 2048
_lock = Lock()


def menu_html(admin_view) -> Markup:
    admin = admin_view.admin
    kept = admin.__dict__.setdefault("_portal_menus", {})
    key = (access.signature(), str(get_locale()), admin_view.endpoint)
    html = kept.get(key)
    if html is None:
        html = Markup("".join(_items(admin.menu(), admin_view, top=True)))
        with _lock:
            if len(kept) >= _CAP:
                kept.clear()
            kept[key] = html
    return html


def _icon(item) -> str:
    kind, value = item.get_icon_type(), item.get_icon_value()
    if kind == "glyph":
        return f'<i class="glyphicon {escape(value)}"></i>'
    if kind == "fa":
        return f'<i class="fa {escape(value)}"></i>'
    if kind == "image":
        return f'<img src="{escape(url_for("static", filename=value))}" alt="menu image">'
    if kind == "image-url":
        return f'<img src="{escape(value)}" alt="menu image">'
    return ""


def _target(item) -> str:
    target = getattr(item, "target", None)
    return f' target="{escape(target)}"' if target else ""


def _items(items, admin_view, top: bool):
    for item in items:
        if item.is_category():
            children = item.get_children()
            if not children:
                continue
            toggle = "nav-link" if top else "dropdown-item"
            chevron = "chevron-right" if "dropdown-submenu" in (item.get_class_name() or "") else "chevron-down"
            own_class = f'<span class="{escape(item.class_name)}"></span> ' if item.class_name else ""
            yield (f'<li class="{"active " if item.is_active(admin_view) else ""}dropdown">'
                   f'<a class="dropdown-toggle {toggle}" data-toggle="dropdown" href="javascript:void(0)">'
                   f'{own_class}{_icon(item)}{escape(item.name)}'
                   f'<i class="glyphicon glyphicon-{chevron} small"></i></a><ul class="dropdown-menu">')
            for child in children:
                if child.is_category():
                    yield from _items([child], admin_view, top=False)
                    continue
                class_name = child.get_class_name() or ""
                if "dropdown-divider" in class_name:
                    yield f'<li class="{escape(class_name)}"></li>'
                    continue
                active = "active " if child.is_active(admin_view) else ""
                yield (f'<li><a class="dropdown-item {active}{escape(class_name)}" href="{escape(child.get_url())}"'
                       f'{_target(child)}>{_icon(child)}{escape(child.name)}</a></li>')
            yield "</ul></li>"
        elif item.is_accessible() and item.is_visible():
            active = ' class="active"' if item.is_active(admin_view) else ""
            yield (f'<li{active}>'
                   f'<a class="nav-link {escape(item.get_class_name() or "")}" href="{escape(item.get_url())}"'
                   f'{_target(item)}>{_icon(item)}{escape(item.name)}</a></li>')
