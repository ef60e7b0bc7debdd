"""Everything a plugin may import from the portal — the contract's code side.

Plugins import from this module (and ``portal.contract``) only; a test enforces it. The
hooks themselves are documented in ``portal.hookspecs``.
"""

import pluggy
from flask_babel import gettext as _gettext
from flask_babel import lazy_gettext as _l

from .contract import Card, Panel, Permission, PluginInfo, RoleSpec, Setting, TicketKind, Transition
from .core.access import can, require, scope, sees_all_branches
from .core.models.mixins import BranchOwnedMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin
# Core records a plugin reads and links to (foreign keys, scoped look-ups). Change them only
# through the functions below, so the core's rules and timeline stay whole.
from .core.models import Branch, Customer, Product
# Read-only for plugins: query them (through ``scope``) and point foreign keys at them;
# change tickets and visits only through open_ticket, ticket_step, schedule_visit ...
from .core.models import Ticket, User, Visit
from .core.plugin_state import settings_for
from .core.tickets import TicketError
from .core.models.types import Money, UTCDateTime, utcnow
from .core.views.base import PortalView, ScopedModelView, commit_change, per_page
from .extensions import db

hookimpl = pluggy.HookimplMarker("portal")

def branch_zone(branch):
    """The branch's time zone (Asia/Shanghai when there is no branch)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(branch.timezone if branch is not None else "Asia/Shanghai")


def local_today(branch):
    """The branch's calendar day now: the regulations count days where the branch is."""
    from datetime import datetime

    return datetime.now(branch_zone(branch)).date()


def as_id(raw):
    """A record id from a form or URL, or ``None`` for anything else (so a bad id is a
    404 or a message, never a database error)."""
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


def check_version(record, seen) -> None:
    """Refuse a change made from a stale page: ``seen`` is the ``version`` the page showed
    (empty: not asked). Raises ``TicketError`` so nothing is saved and the user is told."""
    if seen not in (None, "") and str(seen) != str(record.version):
        raise TicketError(_gettext("Someone else changed this record while you were looking at it. "
                                   "Reload the page to see their changes, then try again."), conflict=True)


def or_404(record):
    """The record, or a 404 when it does not exist or is not the user's to see."""
    from flask import abort

    if record is None:
        abort(404)
    return record


#: what a page says when another person saved the same record at the same moment
STALE = _l("Someone else changed this record at the same moment. Reload and try again.")


def commit_and_return(action, done_message, back_url):
    """Run one change as one transaction (``commit_change``: a refusal or a race flashes
    why and changes nothing), then go back to ``back_url``."""
    from flask import redirect

    commit_change(action, str(done_message), str(STALE))
    return redirect(back_url)


def plugin_branches(plugin_name: str) -> list:
    """Branches in the user's scope where HQ switched the plugin on (HQ: all of them)."""
    rows = scope(db.session.query(Branch), Branch).filter(Branch.is_hq.is_(False)).order_by(Branch.code).all()
    return [b for b in rows if plugin_settings(plugin_name, b.id) is not None]


def page_branch(plugin_name: str, raw=None):
    """The branch a plugin page works in: a branch user's own (where the plugin runs); HQ
    picks one of the branches running it (``?branch=<id>``, ``raw``), the first by default."""
    from flask import request
    from flask_login import current_user

    if not sees_all_branches():
        return current_user.branch if plugin_settings(plugin_name, current_user.branch_id) is not None else None
    chosen = as_id(request.values.get("branch") if raw is None else raw)
    branches = plugin_branches(plugin_name)
    return next((b for b in branches if b.id == chosen), branches[0] if branches else None)


def plugin_settings(plugin_name: str, branch_id):
    """The plugin's settings in the branch, or ``None`` where HQ has not switched it on."""
    return settings_for(branch_id).get(plugin_name)


def require_plugin(plugin_name: str) -> None:
    """Abort with 404 unless the plugin runs for the signed-in user (use in blueprints)."""
    from flask import abort

    from .core.access import plugin_active

    if not plugin_active(plugin_name):
        abort(404)


def open_complaint(ticket):
    """Start the core's eight-step complaint file for ``ticket`` (or return the one it has),
    e.g. from a plugin's ``portal_ticket_event`` for a dispute ticket. It then follows the
    complaint steps of the core (REQUIREMENTS §2.7); like every service it does not commit."""
    from .core.complaints import open_complaint as start

    return start(ticket)


def schedule_callback(customer_id, due_on, kind, label, ticket_id=None, branch_id=None):
    """Ask for a callback of a customer on a local day (``datetime.date``), e.g. kind
    ``"auto_workshop.first_call"``; it joins the branch's callback queue. Asking again
    for the same customer, kind, ticket and day gives the callback already scheduled.
    Bad input raises an exception whose ``messages`` say why; nothing is committed."""
    from .core.callbacks import schedule_callback as schedule

    return schedule(customer_id, due_on, kind, label, ticket_id=ticket_id, branch_id=branch_id)


def propose_penalty(user_id, reason, ticket_id=None, note="", visit_id=None):
    """Propose a penalty against a colleague, e.g. reason ``"no_hq_call"`` (left the site
    without calling HQ) from a ``visit_completed`` event. The amount is the branch's
    setting today; a manager confirms or dismisses it. With ``visit_id`` it is proposed
    once per person, reason and visit however often it is asked. Reasons: late_arrival,
    no_hq_call, incomplete_report, phone_off, disobey_dispatch, upheld_complaint, other.
    Bad input raises an exception whose ``messages`` say why; nothing is committed."""
    from .core.performance import propose_penalty as propose

    return propose(user_id, reason, ticket_id=ticket_id, note=note, visit_id=visit_id)


def open_ticket(customer_id, title, kind, user, product_id=None, description="", channel="visit"):
    """Open a ticket for a customer the ``user`` may see (e.g. from a plugin's counter page),
    with the core's numbering, service-level clocks and ``created`` event. Refusals raise
    ``TicketError`` (``messages``, ``fields``); nothing is committed."""
    from .core.tickets import NewTicket, open_ticket as open_

    return open_(NewTicket(customer_id=customer_id, title=title, kind=kind, channel=channel,
                           description=description, product_id=product_id), user)


def ticket_step(ticket, step, user, reason="", nature=None, solution="", assignee_id=None):
    """Take one workflow step of a ticket (``"triage"``, ``"assign"`` with ``assignee_id``,
    ``"cancel"``, a plugin's own step ...) on behalf of ``user``, with every check the
    ticket page makes (permissions, guards, plugin vetoes). Refusals raise ``TicketError``;
    nothing is committed."""
    from .core.tickets import StepRequest, transition

    return transition(ticket, StepRequest(name=step, reason=reason, nature=nature, solution=solution,
                                          assignee_id=assignee_id), user)


def log_on_ticket(ticket, body, user=None, **data):
    """Write a line on the ticket's append-only timeline (kind ``plugin``), e.g. what a
    plugin's page decided about the ticket. Nothing is committed."""
    from .core.tickets import log

    return log(ticket, "plugin", body, user, **data)


def settle_warranty(ticket, free, note, user=None):
    """Free or paid for a ticket decided by a plugin's own rules (e.g. the retail counter's
    days since purchase) instead of the core's warranty months: call it after triage, which
    does not run again. The ticket's quote and charge steps then follow it; ``note`` (why)
    goes on the timeline. Nothing is committed."""
    from .core.tickets import log

    ticket.warranty_free = bool(free)
    # The core's reason codes explain its own warranty; a plugin's judgement is explained
    # by the timeline line instead ("in warranty" is true of anything given free).
    ticket.warranty_reason = "in_warranty" if free else None
    return log(ticket, "plugin", note, user, warranty_free=bool(free))


def schedule_visit(ticket, when_utc, engineer_ids, address, user):
    """Send engineers of the ticket's branch to the customer at ``when_utc`` (an aware
    datetime), as the ticket page does: the arrival clock starts, the timeline records it,
    and every plugin's ``portal_check_visit_step`` (step ``"schedule"``) may veto it.
    Refusals raise ``TicketError``; nothing is committed."""
    from .core.visits import schedule_visit as schedule

    return schedule(ticket, when_utc, engineer_ids, address, user)


def visit_step(visit, step, user, reason="", seen_version=None):
    """Take a visit's step (``"depart"``, ``"arrive"``, ``"finish"``, ``"cancel"``) as the
    visit page does, e.g. from an engineer's phone page; ``finish`` needs the signed service
    report, which the engineer completes on the core's visit page
    (``url_for("visit.details_view", id=visit.id)``). Refusals raise ``TicketError``;
    nothing is committed."""
    from .core.visits import visit_step as step_

    return step_(visit, step, user, seen_version=seen_version, reason=reason)


def engineer_choices(branch_id):
    """Active colleagues of the branch who may be sent on visits."""
    from .core.visits import engineer_choices as choices

    return choices(branch_id)


def clean_signature(raw):
    """Check a drawn signature posted by the signature pad (``static/portal/signature.js``):
    the PNG data URL to store, or ``None`` when nothing was drawn. Anything that is not a
    small PNG raises ``TicketError`` with a readable message."""
    from .core.visits import clean_signature as clean

    return clean(raw)


__all__ = [
    "Card", "Permission", "PluginInfo", "RoleSpec", "Setting", "TicketKind", "Transition", "db", "hookimpl",
    "require_plugin", "ScopedModelView", "PortalView", "commit_change", "per_page", "BranchOwnedMixin", "SoftDeleteMixin",
    "TimestampMixin", "VersionedMixin", "UTCDateTime", "Money", "utcnow", "can", "require",
    "scope", "sees_all_branches", "schedule_callback", "open_complaint",
    "propose_penalty",
    "Branch", "Customer", "Product", "settings_for", "TicketError", "open_ticket", "ticket_step",
    "log_on_ticket", "settle_warranty", "Panel", "Ticket", "User", "Visit", "schedule_visit", "visit_step",
    "engineer_choices", "clean_signature", "branch_zone", "local_today", "as_id", "plugin_settings", "check_version", "or_404",
    "STALE", "commit_and_return", "plugin_branches", "page_branch",
]
