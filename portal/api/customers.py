"""Customer files with their products and contacts: list, search, read, create, update."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import validate
from sqlalchemy import or_
from wtforms.validators import ValidationError

from ..core import access
from ..core.models import CUSTOMER_KINDS, Branch, Contact, Customer, Product
from ..core.views.customers import fill_warranty_end
from ..extensions import db
from .common import ID, contains, get_or_404, require, scoped
from .errors import ApiError, invalid, not_found
from .fields import Day, Id, QueryId, Text, UTCDateTime, choice
from .pagination import PageArgs, page_schema, paginate
from .schemas import VersionSchema

# -- answers ----------------------------------------------------------------------------------


class ProductSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    customer_id = ma.fields.Integer(required=True)
    branch_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    model = ma.fields.String(required=True)
    serial_number = ma.fields.String(required=True)
    purchase_date = ma.fields.Date(required=True, allow_none=True)
    invoice_number = ma.fields.String(required=True)
    warranty_card_number = ma.fields.String(required=True)
    delivered_on = ma.fields.Date(required=True, allow_none=True)
    warranty_end = ma.fields.Date(required=True, allow_none=True, metadata={
        "description": "Last covered day; 12 months from delivery (else purchase) unless given."})
    version = ma.fields.Integer(required=True)
    created_at = UTCDateTime(required=True)
    updated_at = UTCDateTime(required=True)


class ContactSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    phone = ma.fields.String(required=True)
    email = ma.fields.String(required=True)


class CustomerSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    branch_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(CUSTOMER_KINDS)})
    name = ma.fields.String(required=True)
    phone = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    province = ma.fields.String(required=True)
    city = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    notes = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    created_at = UTCDateTime(required=True)
    updated_at = UTCDateTime(required=True)
    contacts = ma.fields.List(ma.fields.Nested(ContactSchema), required=True)
    products = ma.fields.List(ma.fields.Nested(ProductSchema), required=True)

    def get_attribute(self, obj, attr, default):
        if attr == "products":  # archived products are not part of the file any more
            return [p for p in obj.products if p.deleted_at is None]
        return super().get_attribute(obj, attr, default)


# -- requests ---------------------------------------------------------------------------------


def _delivery_after_purchase(data, **_kwargs):
    purchase, delivered = data.get("purchase_date"), data.get("delivered_on")
    if purchase and delivered and delivered < purchase:
        raise ma.ValidationError(_("Delivery cannot be before the purchase."), "delivered_on")


class ProductFields(ma.Schema):
    model = Text(80)
    serial_number = Text(80)
    purchase_date = Day(allow_none=True)
    invoice_number = Text(80)
    warranty_card_number = Text(80)
    delivered_on = Day(allow_none=True)
    warranty_end = Day(allow_none=True)

    @ma.validates_schema
    def delivery_after_purchase(self, data, **kwargs):
        _delivery_after_purchase(data)


class ProductCreateSchema(ProductFields):
    name = Text(120, min_length=1, required=True)


class ProductUpdateSchema(ProductFields, VersionSchema):
    name = Text(120, min_length=1)


class ContactCreateSchema(ma.Schema):
    name = Text(120, min_length=1, required=True)
    title = Text(60)
    phone = Text(40)
    email = Text(120)


class CustomerFields(ma.Schema):
    kind = choice(CUSTOMER_KINDS)
    phone = Text(40)
    email = Text(120)
    province = Text(40)
    city = Text(40)
    address = Text(255)
    notes = Text(10000)


class CustomerCreateSchema(CustomerFields):
    name = Text(120, min_length=1, required=True)
    branch_id = Id(metadata={"description": "HQ staff choose the branch; branch staff always write into "
                                            "their own branch (the value is ignored)."})
    contacts = ma.fields.List(ma.fields.Nested(ContactCreateSchema), validate=validate.Length(max=50))
    products = ma.fields.List(ma.fields.Nested(ProductCreateSchema), validate=validate.Length(max=50))


class CustomerUpdateSchema(CustomerFields, VersionSchema):
    name = Text(120, min_length=1)


class CustomerArgs(PageArgs):
    q = Text(80, metadata={"description": "Name, phone (also of contacts) or product serial number contains this."})
    name = Text(120, metadata={"description": "Name contains this."})
    phone = Text(40, metadata={"description": "Phone of the customer or a contact contains this."})
    serial = Text(80, metadata={"description": "Serial number of one of the products contains this."})
    branch_id = QueryId(metadata={"description": "Only this branch (HQ staff)."})


# -- helpers ----------------------------------------------------------------------------------


def _branch_for_new_customer(posted: int | None) -> int:
    if not access.sees_all_branches():
        return access.own_branch_id_for_write(None)
    branch = scoped(Branch).filter(Branch.id == posted, Branch.is_hq.is_(False)).one_or_none() if posted else None
    if branch is None:
        raise invalid({"branch_id": _("Choose the branch that serves this customer.")})
    return branch.id


def _fill_product(product: Product) -> None:
    try:
        fill_warranty_end(product)
    except ValidationError as exc:
        raise invalid({"delivered_on": str(exc)})


def _check_version(record, seen: int) -> None:
    if seen != record.version:
        raise ApiError(409, _("Someone else saved this record while you were editing it. "
                              "Reload the page to see their changes, then make yours again."), code="stale_version")


def _apply(record, data: dict, names) -> None:
    for name in names:
        if name in data:
            setattr(record, name, data[name])


CUSTOMER_FIELDS = ("kind", "name", "phone", "email", "province", "city", "address", "notes")
PRODUCT_FIELDS = ("name", "model", "serial_number", "purchase_date", "invoice_number", "warranty_card_number",
                  "delivered_on", "warranty_end")


def register(bp):
    @bp.route("/customers", tags=["customers"])
    @bp.arguments(CustomerArgs, location="query")
    @bp.response(200, page_schema(CustomerSchema))
    def list_customers(args):
        """Customer files, newest first; search by name, phone or serial number (needs customer.view)"""
        require("customer.view")
        query = scoped(Customer)
        if args.get("name"):
            query = query.filter(Customer.name.ilike(contains(args["name"]), escape="\\"))
        if args.get("phone"):
            pattern = contains(args["phone"])
            query = query.filter(or_(Customer.phone.like(pattern, escape="\\"),
                                     Customer.contacts.any(Contact.phone.like(pattern, escape="\\"))))
        if args.get("serial"):
            query = query.filter(Customer.products.any(
                Product.serial_number.ilike(contains(args["serial"]), escape="\\") & Product.deleted_at.is_(None)))
        if args.get("q"):
            pattern = contains(args["q"])
            query = query.filter(or_(
                Customer.name.ilike(pattern, escape="\\"), Customer.phone.like(pattern, escape="\\"),
                Customer.contacts.any(Contact.phone.like(pattern, escape="\\")),
                Customer.products.any(Product.serial_number.ilike(pattern, escape="\\") & Product.deleted_at.is_(None)),
            ))
        if args.get("branch_id"):
            query = query.filter(Customer.branch_id == args["branch_id"])
        return paginate(query, Customer.id, args)

    @bp.route("/customers", methods=["POST"], tags=["customers"])
    @bp.arguments(CustomerCreateSchema)
    @bp.response(201, CustomerSchema)
    def create_customer(data):
        """Open a customer file, with contacts and products (needs customer.create)"""
        require("customer.create")
        branch_id = _branch_for_new_customer(data.get("branch_id"))
        contacts = data.get("contacts") or []
        if not (data.get("phone") or any(c.get("phone") for c in contacts)):
            raise invalid({"phone": _("Give at least one phone number, for the customer or a contact.")})
        customer = Customer(branch_id=branch_id, created_by_id=current_user.id, kind=data.get("kind", "person"))
        _apply(customer, data, CUSTOMER_FIELDS)
        for contact in contacts:
            customer.contacts.append(Contact(**contact))
        for item in data.get("products") or []:
            product = Product(branch_id=branch_id, **item)
            _fill_product(product)
            customer.products.append(product)
        db.session.add(customer)
        db.session.commit()
        return customer

    @bp.route(f"/customers/<{ID}:customer_id>", tags=["customers"])
    @bp.response(200, CustomerSchema)
    def get_customer(customer_id):
        """One customer file with its contacts and products (needs customer.view)"""
        require("customer.view")
        return get_or_404(Customer, customer_id)

    @bp.route(f"/customers/<{ID}:customer_id>", methods=["PATCH"], tags=["customers"])
    @bp.arguments(CustomerUpdateSchema)
    @bp.response(200, CustomerSchema)
    def update_customer(data, customer_id):
        """Change a customer file; send the version you read (needs customer.edit)"""
        require("customer.edit")
        customer = get_or_404(Customer, customer_id)
        _check_version(customer, data["version"])
        _apply(customer, data, CUSTOMER_FIELDS)
        if not (customer.phone or any(c.phone for c in customer.contacts)):
            raise invalid({"phone": _("Give at least one phone number, for the customer or a contact.")})
        db.session.commit()
        return customer

    @bp.route(f"/customers/<{ID}:customer_id>/products", methods=["POST"], tags=["customers"])
    @bp.arguments(ProductCreateSchema)
    @bp.response(201, ProductSchema)
    def add_product(data, customer_id):
        """Add a product to a customer file (needs customer.edit)"""
        require("customer.edit")
        customer = get_or_404(Customer, customer_id)
        product = Product(branch_id=customer.branch_id, customer_id=customer.id, **data)
        _fill_product(product)
        db.session.add(product)
        db.session.commit()
        return product

    @bp.route(f"/products/<{ID}:product_id>", tags=["customers"])
    @bp.response(200, ProductSchema)
    def get_product(product_id):
        """One product (needs customer.view)"""
        require("customer.view")
        return _product_or_404(product_id)

    @bp.route(f"/products/<{ID}:product_id>", methods=["PATCH"], tags=["customers"])
    @bp.arguments(ProductUpdateSchema)
    @bp.response(200, ProductSchema)
    def update_product(data, product_id):
        """Change a product; send the version you read (needs customer.edit)"""
        require("customer.edit")
        product = _product_or_404(product_id)
        _check_version(product, data["version"])
        _apply(product, data, PRODUCT_FIELDS)
        if "warranty_end" not in data and ({"purchase_date", "delivered_on"} & set(data)):
            product.warranty_end = None  # recomputed from the new dates
        if product.purchase_date and product.delivered_on and product.delivered_on < product.purchase_date:
            raise invalid({"delivered_on": _("Delivery cannot be before the purchase.")})
        _fill_product(product)
        db.session.commit()
        return product


def _product_or_404(product_id: int) -> Product:
    product = get_or_404(Product, product_id)
    if product.customer.deleted_at is not None:
        raise not_found()
    return product
