"""The plugin contract: documented hook by hook, exercised by a third-party plugin, and
the only door from a plugin into the core (after Datasette's tests/plugins)."""

import ast
import inspect
from pathlib import Path

import pytest

from portal import hookspecs
from portal.core.models import BranchPlugin
from portal.core.plugin_state import branch_hooks
from portal.extensions import db
from tests.conftest import PASSWORD

import portal_example_plugin as example

HOOKS = sorted(name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("portal_"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert len(doc.split()) >= 8, f"{hook} needs a docstring saying when it runs and what it returns"
    assert "Return" in doc or "return" in doc


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_implemented_by_the_example_plugin_and_called_by_a_test(hook):
    assert hasattr(example, hook)
    mentioned = " ".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    assert hook in mentioned, f"no test exercises {hook}"


def test_builtin_plugins_import_only_the_contract():
    allowed = {"portal.plugin_api", "portal.contract"}
    for path in (ROOT / "plugins").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("portal"):
                assert node.module in allowed, f"{path} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("portal") or alias.name in allowed, f"{path} imports {alias.name}"


def test_entry_point_plugin_is_loaded(app):
    """Entry point loaded; portal_load_models ran; portal_plugin_info labels it."""
    plugins = app.extensions["portal_plugins"]
    assert "example_plugin" in plugins.names()
    assert set(plugins.names()) >= {"retail_store", "equipment_field", "auto_workshop", "real_estate"}
    assert "portal_load_models" in example.CALLS
    assert plugins.info("example_plugin").label == "Example"


def _enable(app, branch_id, plugin="example_plugin", **settings):
    with app.app_context():
        db.session.add(BranchPlugin(branch_id=branch_id, plugin=plugin, enabled=True, settings=settings))
        db.session.commit()


def test_plugin_views_menus_and_blueprints_exist_only_where_enabled(app, web, world):
    """portal_register_views, portal_register_blueprints, portal_permissions and
    portal_roles (the example_role is created and grants the page)."""
    _enable(app, world["A"])
    with app.app_context():
        from portal.core.provisioning import create_user

        create_user("a_example", PASSWORD, "A", ["example_role"])
        create_user("b_example", PASSWORD, "B", ["example_role"])
        db.session.commit()
    web.login("a_example")
    assert "Example page" in web.get("/admin/").text
    assert web.get("/admin/example_page/").status_code == 200
    assert web.get("/example/ping").json == {"pong": True}
    web.logout()
    web.login("b_example")
    assert "Example page" not in web.get("/admin/").text
    assert web.get("/admin/example_page/").status_code == 403
    assert web.get("/example/ping").status_code == 404


def test_branch_hooks_reach_only_enabled_plugins_with_their_settings(app, world):
    _enable(app, world["A"], limit=3, strict=True)
    with app.test_request_context():
        hooks, settings = branch_hooks(world["A"])
        assert settings["example_plugin"]["limit"] == 3
        assert settings["retail_store"]["return_any_reason_days"] == 7  # default filled in
        assert ["limit reached"] in hooks.portal_check_transition(ticket=None, target="closed", user=None,
                                                                  settings=settings)
        assert hooks.portal_sla_targets(ticket=None, settings=settings)["first_answer"].total_seconds() == 3 * 3600
        assert [("limit", 3)] in [rows for group in hooks.portal_report_sections(month=None, branch=None, settings=settings)
                                  for _title, rows in group]
        kinds = [k.code for group in hooks.portal_ticket_kinds(settings=settings) for k in group]
        assert "example_kind" in kinds
        hooks.portal_ticket_event(ticket=None, event="created", settings=settings)
        assert ("portal_ticket_event", "created") in example.CALLS
        hooks_b, settings_b = branch_hooks(world["B"])
        assert "example_plugin" not in settings_b
        assert hooks_b.portal_sla_targets(ticket=None, settings=settings_b) is None
        assert all("example_kind" not in [k.code for k in g] for g in hooks_b.portal_ticket_kinds(settings=settings_b))


def test_dashboard_shows_plugin_cards_in_enabled_branches(app, web, world):
    """portal_dashboard_cards, with the branch's portal_settings values."""
    _enable(app, world["A"], limit=4)
    web.login("a_clerk")
    assert "limit 4" in web.get("/admin/").text
    web.logout()
    web.login("b_clerk")
    assert "limit 4" not in web.get("/admin/").text


def test_a_plugin_vetoes_visit_steps_only_where_it_runs(app, world):
    """portal_check_visit_step: the strict example plugin refuses departures in branch A;
    branch B, without the plugin, lets its engineer leave."""
    from tests.core.test_visits import _user, make_visit
    from portal.core import visits
    from portal.core.models import Visit
    from portal.core.tickets import TicketError

    _, visit_a = make_visit(app, world, "A")
    _, visit_b = make_visit(app, world, "B")
    _enable(app, world["A"], strict=True)
    with app.test_request_context():
        with pytest.raises(TicketError) as refused:
            visits.visit_step(db.session.get(Visit, visit_a), "depart", _user(world, "a_engineer"))
        assert "no trips today" in refused.value.messages
        assert db.session.get(Visit, visit_a).state == "scheduled"
        visits.visit_step(db.session.get(Visit, visit_b), "depart", _user(world, "b_engineer"))
        assert db.session.get(Visit, visit_b).state == "departed"


def test_customer_files_show_plugin_panels_in_enabled_branches(app, web, world):
    """portal_customer_panels: the example panel is on the file of a customer of branch A only."""
    _enable(app, world["A"], limit=7)
    web.login("admin")
    page_a = web.get(f"/admin/customer/details/?id={world['customers']['A']}").text
    page_b = web.get(f"/admin/customer/details/?id={world['customers']['B']}").text
    assert "Example panel" in page_a and "limit" in page_a
    assert "Example panel" not in page_b


def test_the_demo_asks_each_branchs_plugins_for_their_records(app, world):
    """portal_load_demo: asked for the branches where the plugin is on, its summary joins
    the demo's."""
    from portal.core.models import Branch
    from portal.demo import _plugin_demo

    _enable(app, world["A"])
    with app.test_request_context():
        extras = _plugin_demo([db.session.get(Branch, world["A"]), db.session.get(Branch, world["B"])])
    assert "example demo for A" in extras
    assert ("portal_load_demo", "B") not in example.CALLS
