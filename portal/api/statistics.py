"""Monthly statistics (统计报表) through the API: one month of one branch, or of the whole
company for HQ (REQUIREMENTS §2.9). The figures are those of the portal's report page."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import validate

from ..core import access, statistics
from ..core.models import Branch
from .common import get_or_404, require
from .errors import invalid
from .fields import QueryId, UTCDateTime


def _plain(value):
    """Figures as JSON: money and ratios as exact decimal strings, days as ISO dates."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


class BranchFiguresSchema(ma.Schema):
    branch_id = ma.fields.Integer(required=True)
    branch_code = ma.fields.String(required=True)
    closed = ma.fields.Boolean(required=True)
    figures = ma.fields.Dict(required=True)


class StatisticsSchema(ma.Schema):
    month = ma.fields.String(required=True, metadata={"description": "YYYY-MM"})
    branch_id = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "The branch, or null for the whole company."})
    start = UTCDateTime(required=True, metadata={"description": "The month starts (branch's time zone)."})
    end = UTCDateTime(required=True)
    closed = ma.fields.Boolean(required=True, metadata={"description": "Checked and frozen by its manager."})
    closed_at = UTCDateTime(required=True, allow_none=True)
    computed_at = UTCDateTime(required=True, allow_none=True)
    figures = ma.fields.Dict(required=True, metadata={
        "description": "Tickets, field work, costs (fen), service levels, callbacks, complaints, penalties."})
    branches = ma.fields.List(ma.fields.Nested(BranchFiguresSchema), required=True, metadata={
        "description": "Company report: each branch's figures (empty for a branch report)."})
    sections = ma.fields.List(ma.fields.Raw(), required=True, metadata={
        "description": "The plugins' sections: [title, [[label, value], ...]]."})


class StatisticsArgs(ma.Schema):
    month = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"), metadata={
        "description": "The month, e.g. 2026-11 (2000–2100)."})
    branch_id = QueryId(metadata={"description": "HQ: a branch; without it, the whole company. Branch staff "
                                                 "always get their own branch."})


def _report_dict(report) -> dict:
    return {
        "month": report.month.strftime("%Y-%m"),
        "branch_id": report.branch.id if report.branch else None,
        "start": report.start_utc, "end": report.end_utc,
        "closed": report.closing is not None,
        "closed_at": report.closing.closed_at if report.closing else None,
        "computed_at": report.computed_at,
        "figures": _plain(report.figures),
        "branches": [{"branch_id": line.branch.id, "branch_code": line.branch.code,
                      "closed": line.closing is not None, "figures": _plain(line.figures)} for line in report.lines],
        "sections": _plain(report.sections),
    }


def register(bp):
    @bp.route("/statistics", tags=["statistics"])
    @bp.arguments(StatisticsArgs, location="query")
    @bp.response(200, StatisticsSchema)
    def read_month(args):
        """The monthly figures of the caller's branch, or any branch and the company for HQ (needs stats.view)"""
        require("stats.view")
        month = statistics.parse_month(args["month"])
        if month is None:
            raise invalid({"month": _("Enter a month like 2026-11.")})
        if not access.sees_all_branches():
            report = statistics.branch_report(get_or_404(Branch, access.own_branch_id_for_write(None)), month)
        elif args.get("branch_id"):
            report = statistics.branch_report(get_or_404(Branch, args["branch_id"]), month)
        else:
            report = statistics.company_report(month)
        return _report_dict(report)
