"""A big plugin split into parts (PORTAL_PARTS): each part answers hooks wherever the
plugin runs, HQ sees one plugin, its settings and roles come together."""

from portal.plugins import PortalPlugins

from tests.plugins import parts_example


def _plugins():
    return PortalPlugins(extra=[parts_example], load_entry_points=False)


def test_a_part_is_registered_with_its_plugin_but_not_offered_on_its_own():
    plugins = _plugins()
    registered = {name for name, _p in plugins.pm.list_name_plugin()}
    assert {"parts_example", "parts_example.extra"} <= registered
    assert "parts_example" in plugins.names() and "parts_example.extra" not in plugins.names()
    assert "equipment_field.dispatch" in registered and "equipment_field.dispatch" not in plugins.names()


def test_the_parts_settings_are_the_plugins_settings():
    plugins = _plugins()
    assert plugins.defaults("parts_example") == {"main_limit": 1, "extra_limit": 2}


def test_a_parts_hooks_run_only_where_its_plugin_is_on():
    plugins = _plugins()
    settings = {"parts_example": plugins.defaults("parts_example")}
    on = [c.title for group in plugins.hook_for(["parts_example"]).portal_dashboard_cards(
        user=None, branch=None, settings=settings) for c in group]
    off = [c.title for group in plugins.hook_for([]).portal_dashboard_cards(
        user=None, branch=None, settings=settings) for c in group]
    assert "Extra part card" in on and "Extra part card" not in off


def test_roles_of_the_same_code_from_two_parts_are_merged(app, monkeypatch):
    from portal.core.models import Role
    from portal.core.provisioning import sync_roles
    from portal.extensions import db

    monkeypatch.setitem(app.extensions, "portal_plugins", _plugins())  # with the example, for this test
    with app.app_context():
        sync_roles()
        role = db.session.query(Role).filter_by(code="parts_role").one()
        assert {"customer.view", "ticket.view"} <= set(role.permissions)
        assert role.plugin == "parts_example"
        db.session.rollback()
