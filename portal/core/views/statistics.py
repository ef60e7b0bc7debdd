"""The monthly statistics page (REQUIREMENTS §2.9): tables and charts of a branch-month or
of the whole company, its XLSX export (one sheet per table), printing, and closing.

The page reads the aggregate rows of ``portal.core.statistics``; it never groups tickets
itself. Tables are built once (``build_tables``) and drawn by the template and the XLSX
export alike, so the two always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_admin import expose
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from .. import access, statistics, tickets
from ..models import Branch
from ..models.ticket import CLOCKS
from ..plugin_state import settings_for
from ..tickets import TicketError
from .base import MAX_ID, PortalView

CATEGORY_LABELS = {
    "installation_covered": _l("Installation covered by contract"),
    "installation_paid": _l("Installation (paid)"),
    "dispatch": _l("Dispatches (repairs and other visits)"),
}
NOT_AVAILABLE = _l("Not available yet.")


class Pct(Decimal):
    """A share 0..1 shown as a percentage."""


class Avg(Decimal):
    """An average rating shown with two decimals."""


class Money(Decimal):
    """Yuan."""


def _money(fen) -> Money:
    return Money(statistics.yuan(fen))


def _pct(value) -> Pct | None:
    return None if value is None else Pct(value)


def _avg(value) -> Avg | None:
    return None if value is None else Avg(value)


def show(cell) -> str:
    """A cell as text on the page. Both locales the portal speaks (zh_CN, en) group with
    "," and mark decimals with "."; Python's own formatting does that without Babel's cost
    per cell (an HQ page has a thousand cells)."""
    if cell is None:
        return "–"
    if isinstance(cell, Pct):
        return f"{cell * 100:,.1f} %"
    if isinstance(cell, (Money, Avg)):
        return f"{cell:,.2f}"
    if isinstance(cell, int):
        return f"{cell:,}"
    return str(cell)


@dataclass
class Table:
    key: str
    title: str
    headers: list
    rows: list = field(default_factory=list)
    note: str = ""
    available: bool = True
    total_row: bool = False  # the last row adds the others up


# --- tables ---------------------------------------------------------------------------------------

def _kind_labels() -> dict:
    return {code: str(label) for code, label in tickets.all_kind_choices()}


def _count_table(key, title, head, counts: dict, labels: dict, total: int) -> Table:
    rows = [[str(labels.get(code, code)), n, _pct(statistics.ratio(n, total))]
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    rows.append([_("Total"), total, _pct(statistics.ratio(total, total)) if total else None])
    return Table(key, title, [head, _("Tickets"), _("Share")], rows, total_row=True)


def _field_table(f: dict) -> Table:
    field_figures = f.get("field") or {}
    rows, total = [], dict.fromkeys(("visits", "person_times", "person_days", "hours_x100", "labour_fen",
                                     "transport_fen", "materials_fen", "cost_fen"), 0)
    for category in statistics.CATEGORIES:
        c = field_figures.get(category) or {}
        for key in total:
            total[key] += c.get(key, 0)
        rows.append([str(CATEGORY_LABELS[category]), c.get("visits", 0), c.get("person_times", 0),
                     c.get("person_days", 0), _money(c.get("hours_x100")), _money(c.get("labour_fen")),
                     _money(c.get("transport_fen")), _money(c.get("materials_fen")), _money(c.get("cost_fen"))])
    rows.append([_("All field work"), total["visits"], total["person_times"], total["person_days"],
                 _money(total["hours_x100"]), _money(total["labour_fen"]), _money(total["transport_fen"]),
                 _money(total["materials_fen"]), _money(total["cost_fen"])])
    unpriced = sum((field_figures.get(c) or {}).get("unpriced_parts", 0) for c in statistics.CATEGORIES)
    note = _("Person-times: visits × engineers. Person-days: distinct engineer and local day pairs. "
             "A visit counts in the month of its scheduled day once the engineers set off.")
    if unpriced:
        note += " " + _("%(n)s part lines without a unit price are costed at 0.", n=unpriced)
    return Table("field", _("Installations and dispatches"),
                 [_("Work"), _("Visits"), _("Person-times"), _("Person-days"), _("Report hours"), _("Labour cost"),
                  _("Transport cost"), _("Materials cost"), _("Cost")], rows, note, total_row=True)


def _cost_table(f: dict, single_branch: bool) -> Table:
    c = f.get("costs") or {}
    rows = [
        [_("Labour (person-days × rate)"), _money(c.get("labour_fen"))],
        [_("Transport (visits × rate)"), _money(c.get("transport_fen"))],
        [_("Materials (parts × unit price)"), _money(c.get("materials_fen"))],
        [_("Total after-sales cost (excluding installation covered by contract)"), _money(c.get("total_fen"))],
        [_("Installation covered by contract (not in the total)"), _money(c.get("covered_installation_fen"))],
        [_("Fees charged to customers"), _money(c.get("charged_fen"))],
    ]
    note = ""
    if single_branch and c:
        note = _("Rates: %(day)s yuan per person-day, %(visit)s yuan transport per visit (branch settings).",
                 day=show(_money(c.get("rate_person_day_fen"))), visit=show(_money(c.get("rate_visit_fen"))))
    return Table("costs", _("After-sales cost"), [_("Item"), _("Yuan")], rows, note)


def _sla_table(f: dict) -> Table:
    rows = []
    for clock in CLOCKS:
        c = (f.get("sla") or {}).get(clock) or {}
        rows.append([str(tickets.CLOCK_LABELS[clock]), c.get("met", 0), c.get("missed", 0), c.get("breached", 0),
                     c.get("running", 0), _pct(statistics.sla_rate(c))])
    return Table("sla", _("Service levels"),
                 [_("Clock"), _("Met"), _("Missed"), _("Breached, still running"), _("Running"), _("Compliance")],
                 rows, _("Tickets opened in the month. Compliance: met ÷ (met + missed + breached)."))


def _complaint_table(f: dict) -> Table:
    c = f.get("complaints")
    head = [_("Responsible unit"), _("Complaints"), _("Complaint rate")]
    if c is None:
        return Table("complaints", _("Complaints by responsible unit"), head, [], str(NOT_AVAILABLE), False)
    opened = c.get("tickets") or (f.get("tickets") or {}).get("total", 0)
    rows = [[str(tickets.DEPARTMENT_LABELS.get(unit, unit)) if unit else _("No unit yet"), n,
             _pct(statistics.ratio(n, opened))]
            for unit, n in sorted((c.get("by_unit") or {}).items(), key=lambda kv: (-kv[1], kv[0]))]
    rows.append([_("All complaints received"), c.get("received", 0), _pct(statistics.ratio(c.get("received"), opened))])
    note = _("Rate: complaints received ÷ tickets opened in the month (%(n)s). Justified: %(yes)s, "
             "unjustified: %(no)s, serious: %(serious)s, closed in the month: %(closed)s.",
             n=opened, yes=c.get("justified", 0), no=c.get("unjustified", 0), serious=c.get("serious", 0),
             closed=c.get("closed", 0))
    return Table("complaints", _("Complaints by responsible unit"), head, rows, note, total_row=True)


def _callback_table(f: dict) -> Table:
    c = f.get("callbacks")
    head = [_("Figure"), _("Value")]
    if c is None:
        return Table("callbacks", _("Callbacks and satisfaction"), head, [], str(NOT_AVAILABLE), False)
    from ..callbacks import FIELD_LABELS

    rows = [
        [_("Callbacks due"), c.get("due", 0)],
        [_("Done"), c.get("done", 0)],
        [_("Done on time"), c.get("done_on_time", 0)],
        [_("Done on time (share of due)"), _pct(statistics.ratio(c.get("done_on_time"), c.get("due")))],
        [_("Survey cards recorded"), c.get("results", 0)],
    ]
    rows += [[_("Average: %(what)s", what=FIELD_LABELS.get(key, key)), _avg(statistics.rating(c, key))]
             for key in statistics.RATING_KEYS]
    rows.append([_("Satisfaction (all ratings, 1–5)"), _avg(statistics.satisfaction(c))])
    rows.append([_("Fault fixed (share of those asked)"), _pct(statistics.ratio(c.get("fixed_yes"),
                                                                               c.get("fixed_asked")))])
    return Table("callbacks", _("Callbacks and satisfaction"), head, rows,
                 _("Callbacks due in the month; ratings from survey cards recorded in the month."))


def _penalty_table(f: dict) -> Table:
    p = f.get("penalties")
    head = [_("Reason"), _("Records"), _("Yuan")]
    if p is None:
        return Table("penalties", _("Penalties"), head, [], str(NOT_AVAILABLE), False)
    from ..performance import DEMERIT_LABELS, REASON_LABELS

    rows = [[str(REASON_LABELS.get(reason, reason)), v.get("count", 0), _money(v.get("amount_fen"))]
            for reason, v in sorted((p.get("by_reason") or {}).items())]
    rows.append([_("All confirmed records"), p.get("count", 0), _money(p.get("amount_fen"))])
    demerits = ", ".join(f"{DEMERIT_LABELS.get(k, k)}: {n}" for k, n in sorted((p.get("demerits") or {}).items()))
    return Table("penalties", _("Penalties"), head, rows, demerits, total_row=True)


def _summary_table(f: dict) -> Table:
    t, c, field_figures = f.get("tickets") or {}, f.get("costs") or {}, f.get("field") or {}
    visits = sum((field_figures.get(k) or {}).get("visits", 0) for k in statistics.CATEGORIES)
    days = sum((field_figures.get(k) or {}).get("person_days", 0) for k in statistics.CATEGORIES)
    times = sum((field_figures.get(k) or {}).get("person_times", 0) for k in statistics.CATEGORIES)
    resolution = (f.get("sla") or {}).get("resolution") or {}
    complaints, callbacks, penalties = f.get("complaints"), f.get("callbacks"), f.get("penalties")
    rows = [
        [_("Tickets opened"), t.get("total", 0)],
        [_("Visits carried out"), visits],
        [_("Person-times"), times],
        [_("Person-days"), days],
        [_("Total after-sales cost (yuan)"), _money(c.get("total_fen"))],
        [_("Resolution on time"), _pct(statistics.sla_rate(resolution))],
        [_("Satisfaction (1–5)"), _avg(statistics.satisfaction(callbacks))],
        [_("Callbacks done on time"), _pct(statistics.ratio((callbacks or {}).get("done_on_time"),
                                                          (callbacks or {}).get("due")))],
        [_("Complaints received"), None if complaints is None else complaints.get("received", 0)],
        [_("Penalties (yuan)"), None if penalties is None else _money(penalties.get("amount_fen"))],
    ]
    return Table("summary", _("Key figures"), [_("Figure"), _("Value")], rows)


def _branch_table(report) -> Table:
    rows = []
    for line in report.lines:
        f = line.figures
        field_figures = f.get("field") or {}
        rows.append([
            f"{line.branch.code} {line.branch.name}", (f.get("tickets") or {}).get("total", 0),
            sum((field_figures.get(k) or {}).get("visits", 0) for k in statistics.CATEGORIES),
            sum((field_figures.get(k) or {}).get("person_days", 0) for k in statistics.CATEGORIES),
            _money((f.get("costs") or {}).get("total_fen")),
            _pct(statistics.sla_rate(((f.get("sla") or {}).get("resolution")) or {})),
            _avg(statistics.satisfaction(f.get("callbacks"))),
            None if f.get("complaints") is None else f["complaints"].get("received", 0),
            line.closing.closed_at.strftime("%Y-%m-%d") if line.closing else _("open"),
        ])
    return Table("branches", _("Branches side by side"),
                 [_("Branch"), _("Tickets"), _("Visits"), _("Person-days"), _("Total cost"), _("Resolution on time"),
                  _("Satisfaction"), _("Complaints"), _("Closed")], rows)


def _trend_table(report) -> Table:
    rows = [[m.strftime("%Y-%m"), n, _money(fen)] for m, n, fen in report.trend]
    return Table("trend", _("Last 12 months"), [_("Month"), _("Tickets"), _("Total after-sales cost")], rows)


def build_tables(report) -> list[Table]:
    f = report.figures or {}
    t = f.get("tickets") or {}
    tables = [_summary_table(f)]
    if report.branch is None:
        tables.append(_branch_table(report))
    tables += [
        _count_table("kinds", _("Tickets by kind"), _("Kind"), t.get("by_kind") or {}, _kind_labels(),
                     t.get("total", 0)),
        _count_table("channels", _("Tickets by channel"), _("Channel"), t.get("by_channel") or {},
                     {k: str(v) for k, v in tickets.CHANNEL_LABELS.items()}, t.get("total", 0)),
        _field_table(f),
        _cost_table(f, report.branch is not None),
        _sla_table(f),
        _complaint_table(f),
        _callback_table(f),
        _penalty_table(f),
        _trend_table(report),
    ]
    for i, (title, rows) in enumerate(report.sections, 1):
        tables.append(Table(f"plugin-{i}", title, [_("Figure"), _("Value")], [list(r) for r in rows]))
    return tables


def chart_data(report, tables) -> dict:
    """What the browser draws; the same numbers as the tables."""
    by_key = {t.key: t for t in tables}
    kinds = [r for r in by_key["kinds"].rows[:-1]]
    field_rows = by_key["field"].rows[:-1]
    charts = {
        "kinds": {"title": by_key["kinds"].title, "type": "bar", "labels": [r[0] for r in kinds],
                  "datasets": [{"label": _("Tickets"), "data": [r[1] for r in kinds]}]},
        "costs": {"title": _("Cost by kind of work (yuan)"), "type": "bar", "stacked": True,
                  "labels": [r[0] for r in field_rows],
                  "datasets": [{"label": _("Labour cost"), "data": [float(r[5]) for r in field_rows]},
                               {"label": _("Transport cost"), "data": [float(r[6]) for r in field_rows]},
                               {"label": _("Materials cost"), "data": [float(r[7]) for r in field_rows]}]},
        "sla": {"title": by_key["sla"].title, "type": "bar", "stacked": True,
                "labels": [r[0] for r in by_key["sla"].rows],
                "datasets": [{"label": _("Met"), "data": [r[1] for r in by_key["sla"].rows]},
                             {"label": _("Missed"), "data": [r[2] for r in by_key["sla"].rows]},
                             {"label": _("Breached, still running"), "data": [r[3] for r in by_key["sla"].rows]}]},
        "trend": {"title": by_key["trend"].title, "type": "line", "labels": [r[0] for r in by_key["trend"].rows],
                  "datasets": [{"label": _("Tickets"), "data": [r[1] for r in by_key["trend"].rows], "yAxisID": "y"},
                               {"label": _("Total after-sales cost"),
                                "data": [float(r[2]) for r in by_key["trend"].rows], "yAxisID": "y1"}]},
    }
    if "branches" in by_key:
        rows = by_key["branches"].rows
        charts["branches"] = {
            "title": by_key["branches"].title, "type": "bar", "labels": [r[0].split(" ")[0] for r in rows],
            "datasets": [{"label": _("Tickets"), "data": [r[1] for r in rows], "yAxisID": "y"},
                         {"label": _("Total cost"), "data": [float(r[4]) for r in rows], "yAxisID": "y1"}]}
    return charts


# --- XLSX -----------------------------------------------------------------------------------------

SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, used: set) -> str:
    base = SHEET_BAD.sub(" ", str(title)).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def workbook(report, tables) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, used))
        sheet.append([str(h) for h in table.headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        if not table.available:
            sheet.append([table.note])
            continue
        for row in table.rows:
            sheet.append([_xlsx_value(c) for c in row])
            for cell, value in zip(sheet[sheet.max_row], row):
                if isinstance(value, Pct):
                    cell.number_format = "0.0%"
                elif isinstance(value, Money):
                    cell.number_format = "#,##0.00"
                elif isinstance(value, Avg):
                    cell.number_format = "0.00"
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        sheet.column_dimensions["A"].width = max(16, min(60, max((len(str(r[0])) for r in table.rows), default=10) + 4))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(cell):
    if cell is None:
        return None
    if isinstance(cell, Decimal):
        return float(cell)
    return cell


# --- the view -------------------------------------------------------------------------------------

_BODY_MEMO: dict = {}
BODY_MEMO_SIZE = 12


class StatsView(PortalView):
    permission = "stats.view"

    def _month(self, raw, zone: str) -> date:
        current = statistics.today_in(zone).replace(day=1)
        if raw in (None, ""):
            return current
        month = statistics.parse_month(raw)
        if month is None:
            flash(_("Choose a month like %(example)s.", example=current.strftime("%Y-%m")), "error")
            return current
        if month > current:
            flash(_("There are no figures for months to come yet."), "error")
            return current
        return month

    def _branch(self, raw) -> Branch | None:
        """None: the company (HQ only). Branch staff always get their own branch; another
        branch's id, an HQ id or an odd value is a 404."""
        if raw in (None, ""):
            return None if access.sees_all_branches() else current_user.branch
        try:
            branch_id = int(raw)
        except (TypeError, ValueError):
            abort(404)
        if not 0 < branch_id <= MAX_ID:
            abort(404)
        branch = access.scope(db.session.query(Branch), Branch).filter(Branch.id == branch_id,
                                                                      Branch.is_hq.is_(False)).one_or_none()
        if branch is None:
            abort(404)
        return branch

    def _report(self, values):
        branch = self._branch(values.get("branch"))
        zone = (branch or current_user.branch).timezone
        month = self._month(values.get("month"), zone)
        if branch is None:
            return statistics.company_report(month, zone=zone)
        return statistics.branch_report(branch, month)

    def _due(self, report) -> date:
        core = settings_for((report.branch or current_user.branch).id)["core"]
        day = core["report_due_day"] if report.branch is not None else core["hq_summary_due_day"]
        return statistics.add_months(report.month, 1).replace(day=int(day))

    def _close_state(self, report) -> tuple[bool, str]:
        """(may close now, why not) for the person looking."""
        if report.closing is not None:
            return False, ""
        if report.branch is not None:
            allowed = access.can("stats.close", branch_id=report.branch.id)
        else:
            allowed = access.sees_all_branches() and access.can("stats.close")
        if not allowed:
            return False, ""
        if report.end_utc > statistics.utcnow():
            return False, _("The month can be closed once it is over.")
        if report.branch is None and report.unclosed:
            return False, _("Every branch closes its month first; still open: %(codes)s.",
                            codes=statistics.branch_codes(report.unclosed))
        return True, ""

    def _body(self, report) -> Markup:
        """Charts and tables as HTML. The company summary's are kept per worker until its
        figures change (``report.key``): a hundred branches are a thousand cells to draw."""
        key = (report.key, str(get_locale())) if report.key is not None else None
        if key is not None and key in _BODY_MEMO:
            return _BODY_MEMO[key]
        tables = build_tables(report)
        body = Markup(render_template("portal/statistics/_body.html", tables=tables,
                                      charts=chart_data(report, tables), show=show,
                                      company=report.branch is None))
        if key is not None:
            while len(_BODY_MEMO) >= BODY_MEMO_SIZE:
                _BODY_MEMO.pop(next(iter(_BODY_MEMO)))
            _BODY_MEMO[key] = body
        return body

    @expose("/")
    def index(self):
        report = self._report(request.args)
        may_close, why_not = self._close_state(report)
        branches = []
        if access.sees_all_branches():
            branches = [line.branch for line in report.lines] or statistics.service_branches()
        return self.render(
            "portal/statistics/page.html", report=report, body=self._body(report),
            month=report.month.strftime("%Y-%m"), branches=branches, due=self._due(report),
            may_close=may_close, why_not=why_not, company=report.branch is None,
            branch_arg=report.branch.id if report.branch is not None and access.sees_all_branches() else "",
        )

    @expose("/export.xlsx")
    def export(self):
        report = self._report(request.args)
        data = workbook(report, build_tables(report))
        scope = report.branch.code if report.branch is not None else "company"
        return send_file(BytesIO(data), as_attachment=True,
                         download_name=f"statistics-{scope}-{report.month:%Y-%m}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @expose("/close", methods=["POST"])
    def close(self):
        access.require("stats.close")
        branch = self._branch(request.form.get("branch"))
        zone = (branch or current_user.branch).timezone
        month = statistics.parse_month(request.form.get("month"))
        back = url_for(".index", month=request.form.get("month") or None,
                       branch=branch.id if branch is not None and access.sees_all_branches() else None)
        if month is None:
            flash(_("Choose a month like %(example)s.", example=statistics.today_in(zone).strftime("%Y-%m")), "error")
            return redirect(back)
        try:
            if branch is None:
                statistics.close_company_month(month, current_user)
            else:
                statistics.close_branch_month(branch, month, current_user)
            db.session.commit()
        except TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
            return redirect(back)
        except IntegrityError:  # someone closed it a moment ago
            db.session.rollback()
            flash(_("This month is closed already."), "error")
            return redirect(back)
        flash(_("%(month)s is closed: its figures no longer change.", month=month.strftime("%Y-%m")), "success")
        return redirect(back)


def register(admin, category):
    """Add this feature's views to the admin under `category`."""
    admin.add_view(StatsView(name=_l("Monthly statistics"), category=category, endpoint="stats", url="/admin/stats"))


__all__ = ["StatsView", "build_tables", "chart_data", "workbook", "register"]
