"""The ticket workflow as pure rules: which step is possible from which state, the guards
that refuse a step, permissions, plugin steps and routing (issue 3 item 2)."""

from dataclasses import replace

import pytest

from portal.contract import Transition
from portal.core.models.ticket import DEPARTMENTS, NATURES
from portal.core.workflow import (
    CORE_STATES, CORE_TRANSITIONS, NATURE_DEPARTMENT, OPEN_STATES, REFUSALS, Attempt, TicketFacts, Workflow,
    department_for,
)

FLOW = Workflow()
ALLOW = lambda code: True  # noqa: E731
DENY = lambda code: False  # noqa: E731

# Everything every guard asks for, so only the state decides.
READY = TicketFacts(state="received", nature="other", assignee_id=7, handling="phone_guidance",
                    warranty_free=True, solution="replaced the belt")
ASKED = Attempt(reason="customer asked")


def facts(**changes) -> TicketFacts:
    return replace(READY, **changes)


def refusals(name, state="received", attempt=ASKED, permissions=ALLOW, flow=FLOW, **changes):
    return flow.refusals(name, facts(state=state, **changes), attempt, permissions)


# --- states × transitions ---------------------------------------------------------------------

@pytest.mark.parametrize("state", CORE_STATES)
@pytest.mark.parametrize("step", CORE_TRANSITIONS, ids=lambda t: t.name)
def test_each_core_step_only_from_its_source_states(step, state):
    found = refusals(step.name, state)
    if state in step.sources:
        assert found == []
    else:
        assert found == ["illegal_from_state"]


@pytest.mark.parametrize("name, sources, target", [
    ("triage", {"received"}, "triaged"),
    ("assign", {"triaged"}, "assigned"),
    ("start", {"assigned"}, "in_progress"),
    ("wait", {"in_progress"}, "waiting_customer"),
    ("resume", {"waiting_customer"}, "in_progress"),
    ("resolve", {"in_progress"}, "resolved"),
    ("close", {"resolved"}, "closed"),
    ("reopen", {"resolved", "closed"}, "in_progress"),
    ("cancel", set(OPEN_STATES), "cancelled"),
])
def test_the_core_workflow_is_the_documented_one(name, sources, target):
    step = FLOW.get(name)
    assert set(step.sources) == sources and step.target == target


def test_final_states_lead_nowhere_but_reopen():
    assert FLOW.available(facts(state="cancelled")) == []
    assert [t.name for t in FLOW.available(facts(state="closed"))] == ["reopen"]
    assert {t.name for t in FLOW.available(facts(state="in_progress"))} == {"wait", "resolve", "cancel"}


def test_unknown_step_is_refused_with_a_readable_reason():
    assert refusals("teleport") == ["unknown_transition"]
    assert str(REFUSALS["unknown_transition"]) == "There is no such step."
    assert "current state" in str(REFUSALS["illegal_from_state"])


# --- guards -----------------------------------------------------------------------------------

def test_triage_needs_a_nature_on_the_ticket_or_in_the_request():
    assert refusals("triage", nature=None) == ["nature_required"]
    assert refusals("triage", nature=None, attempt=Attempt(nature="product_quality")) == []


def test_assign_needs_someone():
    assert refusals("assign", "triaged", assignee_id=None) == ["assignee_required"]
    assert refusals("assign", "triaged", assignee_id=None, attempt=Attempt(assignee_id=3)) == []


def test_start_needs_a_handling():
    assert refusals("start", "assigned", handling=None) == ["handling_required"]
    assert refusals("start", "assigned", handling=None, attempt=Attempt(handling="on_site")) == []


@pytest.mark.parametrize("handling", ["phone_guidance", "parts_sent", "on_site", "taken_for_repair", "sent_to_hq"])
@pytest.mark.parametrize("warranty_free", [True, False, None])
@pytest.mark.parametrize("accepted_quote", [True, False])
def test_a_quote_is_needed_only_for_billable_work_out_of_warranty(handling, warranty_free, accepted_quote):
    found = refusals("start", "assigned", handling=handling, warranty_free=warranty_free,
                     accepted_quote=accepted_quote)
    needs_quote = handling != "phone_guidance" and warranty_free is False and not accepted_quote
    assert found == (["quote_not_accepted"] if needs_quote else [])


def test_resolve_needs_a_solution_and_no_open_visit():
    assert refusals("resolve", "in_progress", solution=" ") == ["solution_required"]
    assert refusals("resolve", "in_progress", solution="", attempt=Attempt(solution="reset the board")) == []
    assert refusals("resolve", "in_progress", open_visits=1) == ["visits_open"]
    assert refusals("resolve", "in_progress", solution="", open_visits=2) == ["solution_required", "visits_open"]


@pytest.mark.parametrize("warranty_free, accepted_quote, charged, refused", [
    (False, True, False, True),   # paid work quoted and done, nothing charged
    (False, True, True, False),
    (False, False, False, False),  # phone guidance: no quote, nothing to charge
    (True, False, False, False),
])
def test_closing_paid_work_needs_the_charge(warranty_free, accepted_quote, charged, refused):
    found = refusals("close", "resolved", warranty_free=warranty_free, accepted_quote=accepted_quote,
                     charged=charged)
    assert found == (["charge_missing"] if refused else [])


@pytest.mark.parametrize("name, state", [("cancel", "received"), ("cancel", "waiting_customer"),
                                         ("reopen", "closed"), ("wait", "in_progress")])
def test_cancel_reopen_and_wait_need_a_reason(name, state):
    assert refusals(name, state, attempt=Attempt(reason="   ")) == ["reason_required"]
    assert refusals(name, state, attempt=Attempt(reason="customer moved")) == []


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_refusal_has_a_sentence_for_the_person(code):
    text = str(REFUSALS[code])
    assert text.endswith(".") and len(text.split()) >= 3


# --- permissions ------------------------------------------------------------------------------

def test_permission_refusal_comes_before_the_guards():
    assert refusals("triage", nature=None, permissions=DENY) == ["not_permitted"]


def test_each_step_asks_for_its_own_permission():
    asked = []
    FLOW.refusals("close", facts(state="resolved"), ASKED, lambda code: asked.append(code) or code == "ticket.close")
    assert asked == ["ticket.close"]
    only_work = lambda code: code == "ticket.work"  # noqa: E731
    assert refusals("resolve", "in_progress", permissions=only_work) == []
    assert refusals("close", "resolved", permissions=only_work) == ["not_permitted"]


# --- plugin steps -----------------------------------------------------------------------------

SECOND_OPINION = Transition("second_opinion", "Second opinion", ("resolved",), "second_opinion", "ticket.close",
                            target_label="Second opinion", kinds=("example_kind",))
CONFIRM = Transition("confirm", "Confirm", ("second_opinion",), "closed", "ticket.close", kinds=("example_kind",))


def test_plugin_steps_add_a_state_for_their_kind_only():
    flow = Workflow.with_steps([SECOND_OPINION, CONFIRM])
    assert "second_opinion" in flow.states and flow.states[: len(CORE_STATES)] == CORE_STATES
    assert flow.state_labels == {"second_opinion": "Second opinion"}
    assert refusals("second_opinion", "resolved", flow=flow, kind="example_kind") == []
    assert refusals("confirm", "second_opinion", flow=flow, kind="example_kind") == []
    assert refusals("second_opinion", "resolved", flow=flow, kind="repair") == ["illegal_from_state"]
    assert "second_opinion" not in {t.name for t in flow.available(facts(state="resolved", kind="repair"))}
    assert "second_opinion" in {t.name for t in flow.available(facts(state="resolved", kind="example_kind"))}
    # The core steps are all still there.
    assert {t.name for t in CORE_TRANSITIONS} <= {t.name for t in flow.transitions}


def test_a_plugin_step_with_a_core_name_replaces_the_core_step():
    inspected_close = Transition("close", "Close", ("inspected",), "closed", "ticket.close")
    inspect = Transition("inspect", "Inspect", ("resolved",), "inspected", "ticket.close", target_label="Inspected")
    flow = Workflow.with_steps([inspect, inspected_close])
    assert [t for t in flow.transitions if t.name == "close"] == [inspected_close]
    assert refusals("close", "resolved", flow=flow) == ["illegal_from_state"]
    assert refusals("close", "inspected", flow=flow) == []
    assert Workflow().get("close").sources == ("resolved",)  # the core workflow is untouched


def test_plugin_steps_are_guarded_like_core_steps():
    flow = Workflow.with_steps([SECOND_OPINION])
    assert refusals("second_opinion", "resolved", flow=flow, kind="example_kind", permissions=DENY) == ["not_permitted"]


# --- routing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("nature, department", [
    ("product_quality", "quality"),
    ("packaging_transport", "warehouse_logistics"),
    ("staff_attitude", "sales_management"),
    ("contract_dispute", "senior_management"),
    ("other", "after_sales"),
])
def test_the_nature_proposes_the_department(nature, department):
    assert department_for(nature) == department


def test_no_nature_no_department():
    assert department_for(None) is None and department_for("") is None and department_for("weather") is None



def test_every_nature_routes_to_a_known_department():
    assert set(NATURE_DEPARTMENT) == set(NATURES)
    assert set(NATURE_DEPARTMENT.values()) <= set(DEPARTMENTS)
