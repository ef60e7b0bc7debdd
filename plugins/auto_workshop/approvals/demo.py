"""Demo records of the approvals part on the demo workshop (GZ): special tools with one
overdue loan, an own purchase with three quotes, and — on the work orders the workshop
part's demo made — a signed quotation, a claim order waiting for the director and a
discount waiting for the director."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.plugin_api import User, db, utcnow

from .. import rules
from ..workshop.models import WorkOrder
from . import common, quotes
from .discounts import gross_figures
from .models import AutoClaimOrder, AutoDiscount, AutoQuotationRevision, AutoOwnPurchase, AutoSupplierQuote, AutoTool, ToolLoan

TOOLS = (("ZJ-001", "正时校准专用工具", "1280.00"), ("ZJ-002", "变速箱拆装专用工具", "2650.00"),
         ("ZJ-003", "发动机诊断仪", "8600.00"))


def _user(branch, role):
    return db.session.scalar(select(User).where(User.username == f"{branch.code.lower()}_{role}"))


def load(branch, settings) -> str | None:
    if db.session.scalar(select(AutoTool.id).where(AutoTool.branch_id == branch.id).limit(1)):
        return None  # loaded already
    now = utcnow()
    tools = [AutoTool(branch_id=branch.id, number=n, name=name, price=Decimal(price)) for n, name, price in TOOLS]
    db.session.add_all(tools)
    db.session.flush()
    keeper, technician = _user(branch, "parts_keeper"), _user(branch, "technician")
    if technician is not None:
        db.session.add(ToolLoan(branch_id=branch.id, tool_id=tools[0].id, borrower_id=technician.id,
                                lent_at=now - timedelta(days=2), due_back_at=now - timedelta(days=1),
                                lent_by_id=keeper.id if keeper else None, note="更换正时皮带"))
        db.session.add(ToolLoan(branch_id=branch.id, tool_id=tools[1].id, borrower_id=technician.id,
                                lent_at=now - timedelta(hours=1), due_back_at=now + timedelta(hours=6),
                                lent_by_id=keeper.id if keeper else None))
    purchase = AutoOwnPurchase(branch_id=branch.id, item="空调滤芯（副厂）", quantity=10,
                               created_by_id=keeper.id if keeper else None)
    db.session.add(purchase)
    db.session.flush()
    today = common.local_today(branch)
    for supplier, price in (("广州恒通汽配", "38.00"), ("佛山顺达配件", "35.50"), ("广州白云汽配城", "41.00")):
        db.session.add(AutoSupplierQuote(purchase_id=purchase.id, supplier=supplier, price=Decimal(price),
                                         quoted_on=today))
    made = [f"{len(tools)} special tools", "1 own purchase"]
    advisor = _user(branch, "service_advisor")
    order = db.session.scalar(select(WorkOrder).where(
        WorkOrder.branch_id == branch.id, WorkOrder.job_type == "general_repair",
        WorkOrder.state.notin_(("delivered", "closed", "cancelled"))).limit(1))
    if order is not None and advisor is not None:
        monday, _sunday = rules.week_of(today)
        db.session.add(AutoDiscount(branch_id=branch.id, work_order_id=order.id, advisor_id=advisor.id,
                                    job_type=order.job_type, percent=Decimal("15"),
                                    amount=(gross_figures(order)[0] * Decimal("0.15")).quantize(Decimal("0.01")),
                                    reason="老客户，第三次返修", given_on=today, week_start=monday, state="pending"))
        made.append("1 discount waiting for the director")
    manager = _user(branch, "workshop_manager")
    accident = db.session.scalar(select(WorkOrder).where(
        WorkOrder.branch_id == branch.id, WorkOrder.job_type == "accident_repair",
        WorkOrder.state.notin_(("delivered", "closed", "cancelled"))).limit(1))
    if accident is not None and accident.lines:
        state = quotes.state_of(accident)
        db.session.add(AutoQuotationRevision(
            branch_id=branch.id, work_order_id=accident.id, revision=1, lines=quotes.snapshot(state.lines),
            fingerprint=state.fingerprint, total=state.total, method="phone", signed_by_name="车主本人",
            note="电话确认报价，同意维修", signed_at=now - timedelta(hours=3),
            recorded_by_id=advisor.id if advisor else None))
        made.append("1 signed quotation")
    claim_order = db.session.scalar(select(WorkOrder).where(
        WorkOrder.branch_id == branch.id, WorkOrder.job_type == "warranty_claim",
        WorkOrder.state.notin_(("closed", "cancelled"))).limit(1))
    if claim_order is not None:
        db.session.add(AutoClaimOrder(
            branch_id=branch.id, work_order_id=claim_order.id, parts="发动机总成（三包索赔）",
            amount=Decimal("18600.00"), created_by_id=advisor.id if advisor else None,
            deposit_amount=Decimal("2000.00"), deposit_receipt_no="SJ-202603-017",
            deposit_received_at=now - timedelta(days=1), manager_signed_at=now - timedelta(hours=20),
            manager_signed_by_id=manager.id if manager else None))
        made.append("1 claim order waiting for the director")
    return "approvals: " + ", ".join(made)
