"""Property certificates (产权证, 二、5 and 10): one file per handed-over unit, a log of what
was submitted to which office and when, and warnings before the deadline passes."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func

from portal.plugin_api import TicketError, db, scope

from .. import rules
from .common import check_version, local_today, may, parse_date, require_settings, text
from .models import EstateCertificate, EstateCertificateEntry

PERM = "estate.aftersales"
C = EstateCertificate


def status(certificate: EstateCertificate, settings, today) -> str:
    return rules.certificate_status(certificate.handed_over_on, today, certificate.obtained_on, settings).value


def warn_condition(today, settings):
    """Open files whose deadline is close or passed, as SQL (the list and the card)."""
    days = int(settings["certificate_warning_days"])
    return C.obtained_on.is_(None) & (C.deadline <= today + timedelta(days=days))


def overdue_condition(today):
    return C.obtained_on.is_(None) & (C.deadline < today)


def files():
    return scope(db.session.query(C), C).filter(C.deleted_at.is_(None))


def count(condition) -> int:
    return files().filter(condition).with_entities(func.count(C.id)).scalar() or 0


def log_submission(certificate: EstateCertificate, day_raw, office, documents, user, seen_version=None):
    check_version(certificate, seen_version)
    may(PERM, user, certificate.branch_id)
    require_settings(certificate.branch_id)
    if certificate.obtained_on is not None:
        raise TicketError(_("The certificate has been obtained; the file is closed."))
    day = parse_date(day_raw, "submitted_on")
    if day > local_today(certificate.branch):
        raise TicketError(_("The submission date is in the future."), {"submitted_on": "x"})
    entry = EstateCertificateEntry(
        branch_id=certificate.branch_id, certificate_id=certificate.id, submitted_on=day,
        office=text(office, "office", 120, required=True, label=_("Office")),
        documents=text(documents, "documents", 2000, required=True, label=_("What was submitted")),
        recorded_by_id=user.id)
    db.session.add(entry)
    return entry


def mark_obtained(certificate: EstateCertificate, day_raw, number, user, seen_version=None):
    check_version(certificate, seen_version)
    may(PERM, user, certificate.branch_id)
    require_settings(certificate.branch_id)
    if certificate.obtained_on is not None:
        raise TicketError(_("The certificate is recorded as obtained already."))
    day = parse_date(day_raw, "obtained_on")
    if day > local_today(certificate.branch):
        raise TicketError(_("The date is in the future."), {"obtained_on": "x"})
    if day < certificate.handed_over_on:
        raise TicketError(_("The certificate cannot be obtained before the handover."), {"obtained_on": "x"})
    certificate.obtained_on = day
    certificate.certificate_number = text(number, "certificate_number", 60, required=True,
                                          label=_("Certificate no."))
    return certificate
