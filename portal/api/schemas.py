"""Schemas shared by every resource of the API."""

import marshmallow as ma


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={
        "description": "Stable machine-readable code: bad_request, unauthorized, forbidden, not_found, "
                       "method_not_allowed, conflict, invalid, throttled, ..."})
    message = ma.fields.String(required=True, metadata={
        "description": "For people, in the language of Accept-Language (zh or en; Chinese by default)."})
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True, metadata={
        "description": "What is wrong with each field of the request (empty when no field is to blame)."})


class ErrorSchema(ma.Schema):
    """The body of every error answer."""

    error = ma.fields.Nested(ErrorDetailSchema, required=True)


class VersionSchema(ma.Schema):
    """Optimistic locking: send back the ``version`` you read; a stale one is refused with 409."""

    version = ma.fields.Integer(strict=True, required=True, validate=ma.validate.Range(min=1, max=2**31 - 1),
                                metadata={"description": "The record's version as you read it."})
