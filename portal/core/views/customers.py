"""Customer files (客户档案) and the products customers own."""

from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from flask_admin import expose

from ...extensions import db
from ..models import Address, Contact, Product, Ticket
from .. import access
from ..callbacks import schedule_product_use
from ..warranty import warranty_end
from .base import ScopedModelView

CUSTOMER_LABELS = {
    "kind": _l("Type"), "name": _l("Name"), "phone": _l("Phone"), "email": _l("E-mail"),
    "province": _l("Province"), "city": _l("City"), "address": _l("Address"), "notes": _l("Notes"),
    "branch": _l("Branch"), "created_by": _l("Created by"), "created_at": _l("Created"),
    "updated_at": _l("Changed"), "contacts": _l("Contacts"), "addresses": _l("Addresses"),
    "products": _l("Products"), "contacts.phone": _l("Contact phone"),
    "products.serial_number": _l("Serial number"),
}
KINDS = [("person", _l("Person")), ("company", _l("Company"))]
PRODUCT_LABELS = {
    "name": _l("Product"), "model": _l("Model"), "serial_number": _l("Serial number"),
    "purchase_date": _l("Purchase date"), "invoice_number": _l("Invoice / receipt no."),
    "warranty_card_number": _l("Warranty card no."), "delivered_on": _l("Delivered / commissioned"),
    "warranty_end": _l("Warranty ends"), "customer": _l("Customer"), "branch": _l("Branch"),
}


def fill_warranty_end(product: Product) -> None:
    """Default warranty: 12 months from delivery/commissioning, else from purchase; the
    last covered day is the day before the anniversary."""
    start = product.delivered_on or product.purchase_date
    if product.warranty_end is None and start is not None:
        product.warranty_end = warranty_end(start)
    if product.purchase_date and product.delivered_on and product.delivered_on < product.purchase_date:
        raise ValidationError(_("Delivery cannot be before the purchase."))


class ProductInline(InlineFormAdmin):
    form_columns = (
        "id", "name", "model", "serial_number", "purchase_date", "invoice_number",
        "warranty_card_number", "delivered_on", "warranty_end",
    )
    form_label = _l("Product")
    column_labels = PRODUCT_LABELS


class CustomerView(ScopedModelView):
    permission_area = "customer"
    details_template = "portal/customers/details.html"
    list_template = "portal/model_list.html"
    keyset_paging = True
    column_list = ("name", "kind", "phone", "province", "city", "branch", "created_by", "created_at")
    column_searchable_list = ("name", "phone", "contacts.phone", "products.serial_number")
    column_filters = ("kind", "province", "city", "branch.code", "created_at")
    column_default_sort = ("id", True)  # newest first, and keyset pages on the primary key
    column_labels = CUSTOMER_LABELS
    column_details_list = (
        "name", "kind", "phone", "email", "province", "city", "address", "notes", "branch",
        "contacts", "addresses", "products", "created_by", "created_at", "updated_at",
    )
    column_export_list = ("id", "name", "kind", "phone", "email", "province", "city", "address", "branch", "created_at")
    form_columns = ("branch", "kind", "name", "phone", "email", "province", "city", "address", "notes",
                    "contacts", "addresses", "products")
    form_choices = {"kind": KINDS}
    column_choices = {"kind": KINDS}
    inline_models = [
        (Contact, {"form_columns": ("id", "name", "title", "phone", "email"), "form_label": _l("Contact")}),
        (Address, {"form_columns": ("id", "label", "province", "city", "line"), "form_label": _l("Address")}),
        ProductInline(Product),
    ]

    @expose("/details/")
    def details_view(self):
        """The file shows the history of every ticket (REQUIREMENTS §2.1) and opens new ones."""
        from flask import request

        from ..tickets import state_label

        customer = self.get_one(request.args.get("id"))
        if customer is not None and access.can("ticket.view"):
            self._template_args["customer_tickets"] = access.scope(
                db.session.query(Ticket), Ticket).filter(
                Ticket.customer_id == customer.id, Ticket.deleted_at.is_(None)).order_by(Ticket.id.desc()).limit(50).all()
        else:
            self._template_args["customer_tickets"] = None
        self._template_args["can_open_ticket"] = access.can("ticket.create")
        self._callback_results(customer)
        self._template_args["state_label"] = state_label
        from .archive import customer_page_context  # letters and e-mails on the file (§2.10)

        self._template_args.update(customer_page_context(customer))
        self._template_args["plugin_panels"] = self._plugin_panels(customer)
        return super().details_view()

    @staticmethod
    def _plugin_panels(customer):
        if customer is None:
            return []
        from flask_login import current_user

        from ..plugin_state import branch_hooks

        hooks, settings = branch_hooks(customer.branch_id)
        return [panel for group in hooks.portal_customer_panels(customer=customer, user=current_user, settings=settings)
                for panel in (group or [])]

    def _callback_results(self, customer):
        """Callbacks and their survey cards go into the customer file (REQUIREMENTS §2.6)."""
        from .. import callbacks

        found = customer is not None and access.can("callback.view")
        self._template_args["customer_callbacks"] = callbacks.for_customer(customer) if found else None
        self._template_args["callback_kind_label"] = callbacks.kind_label
        self._template_args["callback_state_label"] = callbacks.state_label

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.created_by_id = access.current_user_id()
        if not (model.phone or any(c.phone for c in model.contacts)):
            raise ValidationError(_("Give at least one phone number, for the customer or a contact."))
        super().on_model_change(form, model, is_created)
        for product in model.products:
            product.branch_id = model.branch_id
            fill_warranty_end(product)
            schedule_product_use(product)


class ProductView(ScopedModelView):
    permission_area = "customer"
    list_template = "portal/model_list.html"
    keyset_paging = True
    column_list = ("name", "model", "serial_number", "customer", "purchase_date", "warranty_end", "branch")
    column_searchable_list = ("name", "model", "serial_number", "invoice_number", "warranty_card_number")
    column_filters = ("model", "purchase_date", "warranty_end", "branch.code")
    column_labels = PRODUCT_LABELS
    column_default_sort = ("id", True)
    form_columns = ("customer", "name", "model", "serial_number", "purchase_date", "invoice_number",
                    "warranty_card_number", "delivered_on", "warranty_end")

    def on_model_change(self, form, model, is_created):
        model.branch_id = model.customer.branch_id
        fill_warranty_end(model)
        schedule_product_use(model)
        super().on_model_change(form, model, is_created)

