"""Figures of the handover part: what the dashboard must show (notices not sent,
handovers this week, certificate deadlines, contact forms waiting) and the month's
numbers for the monthly statistics — counted in SQL, never by loading rows."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.plugin_api import Card, can, db, scope

from .. import NAME, rules
from . import certificates
from .common import local_today, zone_of
from .models import EstateCertificateEntry, EstateContactForm, EstateDefect, EstateHandover, EstateMoveInNotice

N, H = EstateMoveInNotice, EstateHandover


def _count(model, *conditions) -> int:
    query = scope(db.session.query(func.count(model.id)), model)
    if hasattr(model, "deleted_at"):
        query = query.filter(model.deleted_at.is_(None))
    return query.filter(*conditions).scalar() or 0


def week_bounds(branch):
    """This week (Monday to Sunday, the branch's days) as UTC instants."""
    today = local_today(branch)
    monday = today - timedelta(days=today.weekday())
    zone = zone_of(branch)
    start = datetime.combine(monday, time(0), tzinfo=zone).astimezone(timezone.utc)
    return start, start + timedelta(days=7)


def dashboard_cards(user, branch, settings) -> list:
    if branch is None:
        return []
    cards = []
    if can("estate.aftersales", user, plugin=NAME) or can("estate.liaison", user, plugin=NAME):
        start, end = week_bounds(branch)
        week = _count(H, H.state == "scheduled", H.scheduled_at >= start, H.scheduled_at < end)
        cards.append(Card(_("Handovers scheduled this week"), str(week),
                          url_for("handover_handover.index", show="week"), "warning" if week else "info"))
    if can("estate.aftersales", user, plugin=NAME):
        unsent = _count(N, N.sent_on.is_(None))
        cards.append(Card(_("Move-in notices not sent yet"), str(unsent), url_for("handover_move_in.index"),
                          "warning" if unsent else "info"))
        today = local_today(branch)
        passed = certificates.count(certificates.overdue_condition(today))
        close = certificates.count(certificates.warn_condition(today, settings)) - passed
        cards.append(Card(_("Property certificates: deadline close or passed"),
                          _("%(close)s (passed: %(passed)s)", close=close, passed=passed),
                          url_for("handover_certificate.index", show="warn"),
                          "danger" if passed else "warning" if close else "info"))
    if can("estate.leadership", user, plugin=NAME) or can("estate.aftersales", user, plugin=NAME):
        C = EstateContactForm
        mine = [C.replied_at.is_(None)]
        if not can("estate.aftersales", user, plugin=NAME):
            mine.append(C.to_id == user.id)
        waiting = _count(C, *mine)
        cards.append(Card(_("Contact forms awaiting a reply"), str(waiting),
                          url_for("handover_contact.index", show="waiting"), "warning" if waiting else "info"))
    return cards


def month_rows(branch, month) -> list:
    """Notices sent, handovers done, defects found, certificates submitted in ``month``."""
    end = rules.add_months(month, 1)

    def count(column, model, *extra):
        query = select(func.count(column)).where(model.branch_id == branch.id, *extra)
        return db.session.scalar(query) or 0

    E = EstateCertificateEntry
    return [
        (_l("Move-in notices sent"), count(N.id, N, N.deleted_at.is_(None), N.sent_on >= month, N.sent_on < end)),
        (_l("Handovers done"), count(H.id, H, H.deleted_at.is_(None), H.state == "done", H.completed_on >= month,
                                     H.completed_on < end)),
        (_l("Defects found at handovers"), count(EstateDefect.id, EstateDefect, EstateDefect.found_on >= month,
                                                 EstateDefect.found_on < end)),
        (_l("Property certificate files submitted"),
         count(func.distinct(E.certificate_id), E, E.submitted_on >= month, E.submitted_on < end)),
    ]


def customer_panels(customer, user, settings) -> list:
    """The owner's handovers and certificate files, for the after-sales and liaison staff."""
    from portal.plugin_api import Panel

    from .. import messages
    from .labels import HANDOVER_STATES
    from .models import EstateCertificate

    officer = can("estate.aftersales", user, plugin=NAME, branch_id=customer.branch_id)
    if not (officer or can("estate.liaison", user, plugin=NAME, branch_id=customer.branch_id)):
        return []
    handovers = db.session.scalars(select(H).where(H.customer_id == customer.id, H.deleted_at.is_(None))
                                   .order_by(H.id.desc()).limit(20)).all()
    rows = [(str(h.unit), f"{HANDOVER_STATES[h.state]} · "
             f"{(h.completed_on or h.scheduled_at.astimezone(zone_of(h.branch)).date()).isoformat()}")
            for h in handovers]
    if officer:
        today = local_today(customer.branch)
        for c in db.session.scalars(select(EstateCertificate).where(
                EstateCertificate.customer_id == customer.id, EstateCertificate.deleted_at.is_(None)).limit(20)):
            code = certificates.status(c, settings, today)
            rows.append((_("Property certificate: %(unit)s", unit=str(c.unit)),
                         f"{messages.CERTIFICATE_STATUSES[code]} · {c.deadline.isoformat()}"))
    if not rows:
        return []
    return [Panel(_("Handover and property certificate"), rows, url_for("handover_handover.index", show="all",
                                                                         q=customer.phone or customer.name),
                  _("Handovers"))]
