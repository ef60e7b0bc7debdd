"""Special tools (004/2 三.5 "用完即还"): the register, the lending book, overdue loans,
and a lost tool charged to the borrower at its original price."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from portal.plugin_api import TicketError, User, db, propose_penalty, utcnow

from .. import rules
from . import common
from .models import AutoTool, ToolLoan


def add_tool(branch, form, user) -> AutoTool:
    common.may("workshop.tools", user, branch.id)
    name, number = common.text(form.get("name"), 120), common.text(form.get("number"), 40)
    if not name:
        raise TicketError(_("Name the tool."), {"name": "x"})
    if not number:
        raise TicketError(_("Enter the tool's number."), {"number": "x"})
    taken = db.session.scalar(select(AutoTool.id).where(AutoTool.branch_id == branch.id, AutoTool.number == number))
    if taken:
        raise TicketError(_("The branch already has a tool numbered %(number)s.", number=number), {"number": "x"})
    tool = AutoTool(branch_id=branch.id, name=name, number=number,
                    price=common.amount(form.get("price"), "price", allow_zero=True))
    try:
        with db.session.begin_nested():
            db.session.add(tool)
    except IntegrityError:
        raise TicketError(_("The branch already has a tool numbered %(number)s.", number=number),
                          {"number": "x"}) from None
    return tool


def retire(tool, user) -> None:
    """A tool leaves the register (worn out, given back to the maker); its loans stay."""
    common.may("workshop.tools", user, tool.branch_id)
    if open_loan(tool.id) is not None:
        raise TicketError(_("This tool is lent out; it must come back first."))
    tool.deleted_at = utcnow()


def open_loan(tool_id):
    return db.session.scalars(select(ToolLoan).where(ToolLoan.tool_id == tool_id, ToolLoan.returned_at.is_(None),
                                                     ToolLoan.lost_at.is_(None))).first()


def lend(tool, form, user, settings) -> ToolLoan:
    common.may("workshop.tools", user, tool.branch_id)
    if open_loan(tool.id) is not None:
        raise TicketError(_("This tool is lent out; it must come back first."))
    borrower = db.session.get(User, common.as_id(form.get("borrower_id")) or 0)
    if borrower is None or borrower.branch_id != tool.branch_id or not borrower.is_active:
        raise TicketError(_("Choose a colleague of the branch."), {"borrower_id": "x"})
    now = utcnow()
    if form.get("due_back_at"):
        due = common.parse_local_datetime(form.get("due_back_at"), tool.branch, "due_back_at")
    else:
        due = now + timedelta(hours=settings["tool_loan_hours"])
    if due <= now:
        raise TicketError(_("The tool must be due back later than now."), {"due_back_at": "x"})
    loan = ToolLoan(branch_id=tool.branch_id, tool_id=tool.id, borrower_id=borrower.id, lent_at=now,
                    due_back_at=due, note=common.text(form.get("note")), lent_by_id=user.id)
    db.session.add(loan)
    db.session.flush()
    return loan


def _still_out(loan) -> None:
    if not loan.is_out:
        raise TicketError(_("This loan is already closed."))


def give_back(loan, user) -> None:
    common.may("workshop.tools", user, loan.branch_id)
    _still_out(loan)
    loan.returned_at = utcnow()


def lost(loan, form, user) -> None:
    """The borrower pays the tool's price (rules.lost_tool_charge). The charge is kept on
    the loan (what the borrower owes); the staff member's manager also gets it as a
    proposed penalty of the core, reason "other", with the charge in its note: the core
    prices only its own reasons and its decision cannot set an amount, so the proposal
    itself carries 0 yuan."""
    common.may("workshop.tools", user, loan.branch_id)
    _still_out(loan)
    note = common.text(form.get("note"))
    loan.lost_at = utcnow()
    loan.charge_amount = rules.lost_tool_charge(loan.tool.price)
    if note:
        loan.note = (loan.note + "\n" + note).strip()
    with force_locale("zh_CN"):  # stored for the branch's managers, like the printed documents
        text = _("Lost special tool %(tool)s: charge %(amount)s yuan (the tool's price).",
                 tool=str(loan.tool), amount=loan.charge_amount)
    record = propose_penalty(loan.borrower_id, "other", note=f"{text} {note}".strip())
    db.session.flush()
    loan.penalty_record_id = record.id if record is not None else None


def is_overdue(loan, now=None) -> bool:
    return loan.is_out and rules.tool_overdue(loan.lent_at, loan.due_back_at, None, now or utcnow())


def overdue_condition(now):
    return and_(ToolLoan.returned_at.is_(None), ToolLoan.lost_at.is_(None), ToolLoan.due_back_at < now)


def count_overdue(branch_id) -> int:
    return db.session.scalar(select(func.count()).select_from(ToolLoan).where(
        ToolLoan.branch_id == branch_id, overdue_condition(utcnow()))) or 0
