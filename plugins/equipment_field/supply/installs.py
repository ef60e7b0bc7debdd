"""Installation and training requests (003 §4.3): the request, the general manager's
approval, the date agreed with the customer and the team, the checklist of tools, fixtures
and parts, the training material, travel approval where the trip needs it, and the
training record signed by the customer. Every step asks ``rules.check_install_step``.
Nothing here commits."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func

from portal.plugin_api import Product, TicketError, can, clean_signature, db, engineer_choices, scope, utcnow

from .. import messages, rules
from . import common
from .models import FieldInstall, FieldProject

NAME = common.NAME
MAX_CHECKLIST = 60
#: who may take each step (the general manager approves; 003 §4.3.1)
STEP_PERMISSIONS = {
    "approved": "field.approve_install", "rejected": "field.approve_install",
    "scheduled": "field.install", "prepared": "field.install", "cancelled": "field.install",
    "done": "field.training",
}


def create(form, user, branch) -> FieldInstall:
    common.may("field.install", user, branch.id)
    common.require_settings(branch.id)
    customer = common.customer_in_scope(form.get("customer_id"))
    if customer is None or customer.branch_id != branch.id:
        raise TicketError(_("Choose a customer of the branch."), {"customer_id": "x"})
    product = None
    if common.as_id(form.get("product_id")):
        product = db.session.get(Product, common.as_id(form.get("product_id")))
        if product is None or product.customer_id != customer.id or product.deleted_at is not None:
            raise TicketError(_("Choose one of the customer's products."), {"product_id": "x"})
    project = None
    if common.as_id(form.get("project_id")):
        project = db.session.get(FieldProject, common.as_id(form.get("project_id")))
        if project is None or project.customer_id != customer.id or project.deleted_at is not None:
            raise TicketError(_("Choose a project of this customer."), {"project_id": "x"})
    site = common.text(form, "site", 255) or common.address_of(customer)
    if not site:
        raise TicketError(_("Enter the site of the installation."), {"site": "x"})
    wanted = common.parse_date(form.get("wanted_date"), "wanted_date", _("Enter the date the customer wants."))
    record = FieldInstall(branch_id=branch.id, customer_id=customer.id, product_id=product.id if product else None,
                          project_id=project.id if project else None, site=site, wanted_date=wanted,
                          description=common.text(form, "description", 2000), state="requested",
                          created_by_id=user.id, team=[], checklist=[])
    db.session.add(record)
    db.session.flush()
    return record


def facts(record: FieldInstall, reason: str = "") -> rules.InstallFacts:
    checklist = record.checklist or []
    return rules.InstallFacts(
        agreed_date=record.agreed_date, team_size=len(record.team or []), checklist_total=len(checklist),
        checklist_ticked=sum(1 for item in checklist if item.get("done")),
        training_material_ready=bool(record.material_ready and (record.training_material or "").strip()),
        needs_travel_approval=record.needs_travel, travel_approved=record.travel_approved_at is not None,
        customer_signed=bool(record.signature), reason=reason,
    )


def _refuse(codes) -> None:
    if codes:
        raise TicketError([messages.describe(code) for code in codes])


def step(record: FieldInstall, target: str, user, reason: str = "") -> None:
    """Move the request to ``target`` (approve, reject, prepare, cancel) after the rules."""
    if target not in STEP_PERMISSIONS:
        raise TicketError(messages.describe("install_step_not_allowed"))
    common.may(STEP_PERMISSIONS[target], user, record.branch_id)
    common.require_settings(record.branch_id)
    reason = (reason or "").strip()[:255]
    _refuse(rules.check_install_step(record.state, target, facts(record, reason)))
    if target == "approved" and record.state == "requested":
        record.approved_at = utcnow()
        record.approved_by_id = user.id
    if target in ("rejected", "cancelled"):
        record.reason = reason
    record.state = target


def schedule(record: FieldInstall, form, user) -> None:
    """The date agreed with the customer and the team (4.3.2 a, b)."""
    common.may("field.install", user, record.branch_id)
    common.require_settings(record.branch_id)
    agreed = common.parse_date(form.get("agreed_date"), "agreed_date")
    eligible = {u.id for u in engineer_choices(record.branch_id)}
    team = []
    for raw in form.getlist("team"):
        user_id = common.as_id(raw)
        if user_id is None or user_id not in eligible:
            raise TicketError(_("The team is made of engineers of the branch."), {"team": "x"})
        if user_id not in team:
            team.append(user_id)
    record.agreed_date = agreed
    record.team = team
    record.team_size = len(team)
    record.needs_travel = form.get("needs_travel") in ("1", "y", "on", "true")
    if record.state == "scheduled":
        return  # the date or team changed while already scheduled: nothing more to check
    _refuse(rules.check_install_step(record.state, "scheduled", facts(record)))
    record.state = "scheduled"


def prepare(record: FieldInstall, form, user) -> None:
    """The checklist (one item a line; ticked ones carried over by name) and the training
    material (4.3.2 c, d)."""
    common.may("field.install", user, record.branch_id)
    if record.state not in ("approved", "scheduled"):
        raise TicketError(messages.describe("install_step_not_allowed"))
    items = [line.strip()[:120] for line in (form.get("checklist") or "").splitlines() if line.strip()]
    if len(items) > MAX_CHECKLIST:
        raise TicketError(_("Keep the checklist under %(n)s items.", n=MAX_CHECKLIST), {"checklist": "x"})
    ticked = set(form.getlist("ticked"))
    record.checklist = [{"item": item, "done": str(index) in ticked or item in ticked}
                        for index, item in enumerate(dict.fromkeys(items))]
    record.training_material = common.text(form, "training_material", 4000)
    record.material_ready = form.get("material_ready") in ("1", "y", "on", "true")


def approve_travel(record: FieldInstall, user) -> None:
    common.may("field.approve_travel", user, record.branch_id)
    if not record.needs_travel or record.travel_approved_at is not None:
        raise TicketError(_("There is no trip waiting for approval."))
    if record.state not in ("scheduled", "prepared"):
        raise TicketError(messages.describe("install_step_not_allowed"))
    record.travel_approved_at = utcnow()
    record.travel_approved_by_id = user.id


def sign(record: FieldInstall, form, user) -> None:
    """培训记录 (4.3.3): who was trained, what, the customer's drawn signature → done."""
    common.may("field.training", user, record.branch_id)
    common.require_settings(record.branch_id)
    if record.state != "prepared":
        raise TicketError(messages.describe("install_step_not_allowed"))
    errors = {}
    trainees = common.text(form, "trainees", 255)
    content = common.text(form, "training_record", 4000)
    signed_by = common.text(form, "signed_by", 80)
    if not trainees:
        errors["trainees"] = _("Name the people trained.")
    if not content:
        errors["training_record"] = _("Write what the training covered.")
    if not signed_by:
        errors["signed_by"] = _("Enter the name of the person who signs.")
    signature = clean_signature(form.get("signature"))  # raises with a readable message
    days = common.parse_int(form.get("days_on_site") or "1", "days_on_site", 1, 365,
                            _("Enter the days on site, from 1 to 365."))
    if errors:
        raise TicketError(list(errors.values()), errors)
    record.trainees, record.training_record, record.signed_by = trainees, content, signed_by
    record.signature = signature
    record.days_on_site = days
    _refuse(rules.check_install_step(record.state, "done", facts(record)))
    record.state = "done"
    record.done_on = common.local_today(record.branch)


def installs_query():
    return scope(db.session.query(FieldInstall), FieldInstall).filter(FieldInstall.deleted_at.is_(None))


def install_in_scope(install_id):
    install_id = common.as_id(install_id)
    return None if install_id is None else installs_query().filter(FieldInstall.id == install_id).one_or_none()


def team_names(record: FieldInstall) -> list[str]:
    ids = record.team or []
    if not ids:
        return []
    names = {u.id: u.full_name or u.username for u in engineer_choices(record.branch_id) if u.id in ids}
    return [names.get(i, f"#{i}") for i in ids]


def count_waiting_approval() -> int:
    return installs_query().with_entities(func.count(FieldInstall.id)).filter(
        FieldInstall.state == "requested").scalar() or 0


def may_step(code: str, record: FieldInstall) -> bool:
    return can(code, plugin=NAME, branch_id=record.branch_id)
