"""Repairs taken in at the counter (第十六、二十六–二十八条): done within ``repair_days``;
late → tell the customer before the due day; back in store → pickup notices every
``pickup_notice_interval_days``; after ``pickup_notices_before_mailing`` unanswered
notices the item is mailed to the address in the customer file.

The tasks these dates create are rows the lists and the dashboard count in SQL: a repair
keeps its late-notice day and its next pickup step (``next_action``, ``next_due_on``).
Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal.plugin_api import TicketError, can, db, log_on_ticket, scope, utcnow

from . import NAME, messages, rules
from .counter import as_id, local_today, require_settings
from .labels import NOTICE_CHANNELS
from .models import NOTICE_CHANNELS as CHANNEL_CODES
from .models import REPAIR_OPEN, RetailCounterRequest, RetailPickupNotice, RetailRepair

MAX_NOTE = 255


def _may(user, branch_id) -> None:
    if not can("retail.counter", user, plugin=NAME, branch_id=branch_id):
        raise TicketError(_("Your role does not allow this step."))


def start_repair(req: RetailCounterRequest, ticket, settings: dict) -> RetailRepair:
    """The item is received at the counter today; its repair falls due ``repair_days`` later."""
    received = req.request_date
    product = req.product
    repair = RetailRepair(
        branch_id=req.branch_id, request_id=req.id, ticket_id=ticket.id, customer_id=req.customer_id,
        product_id=req.product_id, item=(str(product) if product is not None else ticket.title)[:200],
        charged=req.final_decision == "paid_repair", received_on=received,
        due_on=rules.repair_due(received, settings), late_notice_due_on=rules.late_notice_due(received, settings),
    )
    db.session.add(repair)
    db.session.flush()
    log_on_ticket(ticket, _("Item received for repair; due back by %(due)s.", due=repair.due_on.isoformat()),
                  None, retail_repair=repair.id)
    return repair


def repair_of(req: RetailCounterRequest) -> RetailRepair | None:
    if req.id is None:
        return None
    return db.session.scalar(select(RetailRepair).where(
        RetailRepair.request_id == req.id, RetailRepair.deleted_at.is_(None),
        RetailRepair.state != "cancelled").order_by(RetailRepair.id.desc()))


def cancel_repair(req: RetailCounterRequest) -> None:
    repair = repair_of(req)
    if repair is not None:
        repair.state = "cancelled"
        repair.next_action = repair.next_due_on = None


def repairs_query():
    return scope(db.session.query(RetailRepair), RetailRepair).filter(RetailRepair.deleted_at.is_(None))


def repair_in_scope(repair_id):
    repair_id = as_id(repair_id)
    if repair_id is None:
        return None
    return repairs_query().filter(RetailRepair.id == repair_id).one_or_none()


def _channel(raw) -> str:
    if raw not in CHANNEL_CODES:
        raise TicketError(_("Choose how the customer was told (phone, SMS or letter)."), {"channel": "x"})
    return raw


def _note(raw) -> str:
    return (raw or "").strip()[:MAX_NOTE]


def _log(repair: RetailRepair, text: str, user, **data) -> None:
    if repair.ticket is not None:
        log_on_ticket(repair.ticket, text, user, retail_repair=repair.id, **data)


# --- late repairs (第二十六条) ---------------------------------------------------------------------

def flag_late(repair: RetailRepair, user) -> None:
    """The store knows early that the repair will be late (parts, workshop): the task to tell
    the customer appears at once instead of the day before the due day."""
    _may(user, repair.branch_id)
    if repair.state != "in_repair" or repair.late_told_at is not None:
        raise TicketError(_("Only a repair still in progress whose customer has not been told can be marked late."))
    repair.flagged_late = True


def tell_late(repair: RetailRepair, channel: str, note: str, user) -> None:
    _may(user, repair.branch_id)
    if repair.state != "in_repair":
        raise TicketError(_("The item is no longer in repair."))
    if repair.late_told_at is not None:
        raise TicketError(_("The customer has been told already."))
    repair.late_told_at, repair.late_told_channel, repair.late_told_note = utcnow(), _channel(channel), _note(note)
    _log(repair, _("Customer told the repair will be late (%(channel)s). %(note)s",
                   channel=NOTICE_CHANNELS[channel], note=repair.late_told_note), user, channel=channel)


# --- back in store, pickup notices, mailing (第二十七、二十八条) -------------------------------------

def _schedule(repair: RetailRepair, settings: dict) -> rules.PickupStep:
    return rules.pickup_schedule(repair.back_on, len(repair.notices), settings)


def _plan_next(repair: RetailRepair, settings: dict) -> None:
    step = _schedule(repair, settings)
    repair.next_action, repair.next_due_on = step.action, step.due


def back_in_store(repair: RetailRepair, back_on, user) -> None:
    """The repaired item is back: the first notice is due that same day."""
    _may(user, repair.branch_id)
    settings = require_settings(repair.branch_id)
    if repair.state != "in_repair":
        raise TicketError(_("The item is not in repair."))
    today = local_today(repair.branch)
    back_on = back_on or today
    if back_on > today or back_on < repair.received_on:
        raise TicketError(_("The day the item came back lies between the day it was received and today."),
                          {"back_on": "x"})
    repair.state, repair.back_on = "back_in_store", back_on
    _plan_next(repair, settings)
    _log(repair, _("Repaired item back in store on %(day)s.", day=back_on.isoformat()), user)


def send_notice(repair: RetailRepair, channel: str, note: str, user) -> RetailPickupNotice:
    """Record a pickup notice. Notices go out on their days, so the customer gets the same
    time to answer each one."""
    _may(user, repair.branch_id)
    settings = require_settings(repair.branch_id)
    channel = _channel(channel)
    if repair.state != "back_in_store":
        raise TicketError(_("Pickup notices are sent for items back in store and not yet collected."))
    step = _schedule(repair, settings)
    if step.action == "mail":
        raise TicketError(_("All pickup notices have been sent: mail the item to the customer."))
    today = local_today(repair.branch)
    if today < step.due:
        raise TicketError(_("Pickup notice no. %(notice)s is due on %(due)s.", notice=step.notice,
                            due=step.due.isoformat()))
    notice = RetailPickupNotice(branch_id=repair.branch_id, repair=repair, number=step.notice, channel=channel,
                                sent_on=today, sent_by_id=user.id, note=_note(note))
    db.session.add(notice)
    db.session.flush()
    _plan_next(repair, settings)
    _log(repair, _("Pickup notice no. %(notice)s sent (%(channel)s).", notice=step.notice,
                   channel=NOTICE_CHANNELS[channel]), user, channel=channel, notice=step.notice)
    return notice


def collected(repair: RetailRepair, user) -> None:
    _may(user, repair.branch_id)
    if repair.state != "back_in_store":
        raise TicketError(_("Only an item back in store can be collected."))
    repair.state, repair.collected_at = "collected", utcnow()
    repair.next_action = repair.next_due_on = None
    _finish_request(repair)
    _log(repair, _("The customer collected the repaired item."), user)


def customer_address(customer) -> str:
    """The address in the customer file: the main one, else the first listed."""
    if customer is None:
        return ""
    main = " ".join(p for p in (customer.province, customer.city, customer.address) if p).strip()
    if customer.address:
        return main
    for address in customer.addresses:
        return str(address)
    return main


def mailed(repair: RetailRepair, address: str, tracking: str, user) -> None:
    """The pickup notices went unanswered: the item is mailed to the customer (第二十八条)."""
    _may(user, repair.branch_id)
    settings = require_settings(repair.branch_id)
    if repair.state != "back_in_store":
        raise TicketError(_("Only an item back in store can be mailed."))
    step = _schedule(repair, settings)
    if step.action != "mail":
        raise TicketError(_("Send the pickup notices first: the item is mailed after %(n)s unanswered notices.",
                            n=settings["pickup_notices_before_mailing"]))
    today = local_today(repair.branch)
    if today < step.due:
        raise TicketError(_("The item is mailed from %(due)s on: the customer may still answer the last notice.",
                            due=step.due.isoformat()))
    address = (address or "").strip()[:255]
    if not address:
        raise TicketError(_("Enter the address to mail the item to."), {"mail_address": "x"})
    repair.state, repair.mailed_at = "mailed", utcnow()
    repair.mail_address, repair.mail_tracking = address, (tracking or "").strip()[:80]
    repair.next_action = repair.next_due_on = None
    _finish_request(repair)
    _log(repair, _("Repaired item mailed to %(address)s. %(tracking)s", address=address,
                   tracking=repair.mail_tracking), user)


def _finish_request(repair: RetailRepair) -> None:
    req = repair.request
    if req is not None and req.state == "processing":
        req.state = "done"


def next_step(repair: RetailRepair, settings: dict | None) -> rules.PickupStep | None:
    if repair.state != "back_in_store" or settings is None:
        return None
    return _schedule(repair, settings)


# --- tasks ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """Something the store must do for a repair, on or before ``due``."""

    repair: RetailRepair
    action: str  # tell_late, notify, mail
    due: date
    notice: int | None
    overdue: bool

    @property
    def text(self) -> str:
        if self.action == "tell_late":
            return messages.TASKS["late_repair_notice"] % {"due": self.due.isoformat()}
        return messages.pickup_text(rules.PickupStep(self.action, self.due, self.notice))


def late_condition(today: date):
    return (RetailRepair.state == "in_repair") & RetailRepair.late_told_at.is_(None) & or_(
        RetailRepair.flagged_late.is_(True), RetailRepair.late_notice_due_on <= today)


def pickup_condition(today: date):
    return (RetailRepair.state == "back_in_store") & (RetailRepair.next_due_on <= today)


def tasks(limit: int = 200) -> list[Task]:
    """The repair tasks due in the user's scope, most urgent first. Each branch's own day
    decides (HQ sees branches in other time zones)."""
    horizon = date.today() + timedelta(days=1)  # no zone is more than a day ahead of the server
    rows = repairs_query().filter(or_(late_condition(horizon), pickup_condition(horizon))).order_by(
        RetailRepair.id).limit(limit).all()
    found = []
    for repair in rows:
        today = local_today(repair.branch)
        if repair.state == "in_repair":
            if repair.flagged_late or repair.late_notice_due_on <= today:
                found.append(Task(repair, "tell_late", repair.late_notice_due_on, None,
                                  today > repair.late_notice_due_on))
        elif repair.next_due_on is not None and repair.next_due_on <= today:
            notice = len(repair.notices) + 1 if repair.next_action == "notify" else None
            found.append(Task(repair, repair.next_action, repair.next_due_on, notice, today > repair.next_due_on))
    return sorted(found, key=lambda t: (t.due, t.repair.id))


def count_due(condition) -> int:
    return repairs_query().with_entities(func.count(RetailRepair.id)).filter(condition).scalar() or 0


def open_repairs(limit: int = 200) -> list[RetailRepair]:
    return repairs_query().filter(RetailRepair.state.in_(REPAIR_OPEN)).order_by(RetailRepair.due_on,
                                                                                 RetailRepair.id).limit(limit).all()
