"""After-sales follow-up (二、12): letters, faxes and calls asking owners about the service
are logged as core callbacks (kind ``real_estate.followup``), so they join the branch's
callback queue where calls are made and answered; the letter or fax itself, and what the
owner said, are kept here. Feedback for the leadership goes on an internal work contact
form (内部工作联系单)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from portal.plugin_api import Customer, TicketError, User, can, db, schedule_callback, scope, utcnow

from .common import as_id, check_version, local_today, may, parse_date, require_settings, text
from .inspection import FOLLOWUP_KIND
from .models import FOLLOWUP_CHANNELS, EstateContactForm, EstateFollowup

PERM = "estate.aftersales"
LEADER_PERM = "estate.leadership"


def customer_in_scope(customer_id):
    customer_id = as_id(customer_id)
    if customer_id is None:
        return None
    return scope(db.session.query(Customer), Customer).filter(
        Customer.id == customer_id, Customer.deleted_at.is_(None)).one_or_none()


def log_followup(customer, channel, due_raw, sent_raw, feedback, user, branch_id) -> EstateFollowup:
    """A letter, fax or call to an owner: it becomes a callback of the branch's queue."""
    may(PERM, user, branch_id)
    require_settings(branch_id)
    if customer is None or customer.branch_id != branch_id:
        raise TicketError(_("Choose an owner of your branch."), {"customer_id": "x"})
    if channel not in FOLLOWUP_CHANNELS:
        raise TicketError(_("Choose letter, fax or call."), {"channel": "x"})
    due_on = parse_date(due_raw, "due_on")
    sent_on = parse_date(sent_raw, "sent_on", required=False)
    if sent_on is not None and sent_on > local_today(customer.branch):
        raise TicketError(_("The sending date is in the future."), {"sent_on": "x"})
    from .labels import FOLLOWUP_CHANNELS as LABELS

    label = _("After-sales follow-up (%(channel)s)", channel=str(LABELS[channel]))
    callback = schedule_callback(customer.id, due_on, FOLLOWUP_KIND, label, branch_id=branch_id)
    followup = EstateFollowup(branch_id=branch_id, customer_id=customer.id, callback_id=callback.id,
                              channel=channel, due_on=due_on, sent_on=sent_on,
                              feedback=text(feedback, "feedback", 2000, label=_("Owner's feedback")),
                              recorded_by_id=user.id)
    db.session.add(followup)
    db.session.flush()
    return followup


def record_feedback(followup: EstateFollowup, sent_raw, feedback, user, seen_version=None) -> EstateFollowup:
    check_version(followup, seen_version)
    may(PERM, user, followup.branch_id)
    sent_on = parse_date(sent_raw, "sent_on", required=False)
    if sent_on is not None and sent_on > local_today(followup.customer.branch):
        raise TicketError(_("The sending date is in the future."), {"sent_on": "x"})
    if sent_on is not None:
        followup.sent_on = sent_on
    followup.feedback = text(feedback, "feedback", 2000, label=_("Owner's feedback"))
    return followup


# --- internal work contact forms ------------------------------------------------------------

def leaders(branch_id) -> list:
    """The branch leaders a contact form may be addressed to."""
    users = db.session.scalars(select(User).where(User.branch_id == branch_id, User.active.is_(True))
                               .order_by(User.username)).all()
    return [u for u in users if can(LEADER_PERM, u)]


def new_contact_form(branch_id, to_id, subject, content, followup_id, user) -> EstateContactForm:
    may(PERM, user, branch_id)
    require_settings(branch_id)
    leader = next((u for u in leaders(branch_id) if str(u.id) == str(to_id or "").strip()), None)
    if leader is None:
        raise TicketError(_("Choose the branch leader the form goes to."), {"to_id": "x"})
    followup = None
    if str(followup_id or "").strip():
        followup = db.session.get(EstateFollowup, as_id(followup_id) or 0)
        if followup is None or followup.branch_id != branch_id or followup.deleted_at is not None:
            raise TicketError(_("Choose the owner's feedback from the list."), {"followup_id": "x"})
    form = EstateContactForm(
        branch_id=branch_id, from_id=user.id, to_id=leader.id,
        subject=text(subject, "subject", 200, required=True, label=_("Subject")),
        content=text(content, "content", 4000, required=True, label=_("Content")),
        followup_id=followup.id if followup else None)
    db.session.add(form)
    db.session.flush()
    return form


def reply(form: EstateContactForm, body, user, seen_version=None) -> EstateContactForm:
    check_version(form, seen_version)
    may(LEADER_PERM, user, form.branch_id)
    if form.replied_at is not None:
        raise TicketError(_("This contact form has been answered already."))
    form.reply = text(body, "reply", 4000, required=True, label=_("Reply"))
    form.replied_at = utcnow()
    form.replied_by_id = user.id
    return form
