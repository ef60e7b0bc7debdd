"""Every answer of the API that is not a success has one shape:
``{"error": {"code": "...", "message": "...", "fields": {...}}}`` — and no request, however
malformed, gets a stack trace or an HTML page."""

from __future__ import annotations

import re

from flask import current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, default_exceptions

from ..core.tickets import TicketError
from ..extensions import db

# Stable machine-readable codes; the message is for people and follows Accept-Language.
CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "throttled", 500: "server_error",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, fields: dict | None = None, code: str | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = str(message)
        self.fields = {str(k): str(v) for k, v in (fields or {}).items()}
        self.code = code or CODES.get(status, "error")
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, _("There is nothing here, or it belongs to another branch."))


def forbidden() -> ApiError:
    return ApiError(403, _("Your role does not allow this page or action."))


def invalid(fields: dict, message: str | None = None) -> ApiError:
    return ApiError(422, message or _("Some values are not valid: see the fields."), fields)


def body(status: int, message: str, fields: dict | None = None, code: str | None = None):
    return {"error": {"code": code or CODES.get(status, "error"), "message": str(message),
                      "fields": fields or {}}}


def _respond(exc: ApiError):
    return body(exc.status, exc.message, exc.fields, exc.code), exc.status, exc.headers


# marshmallow speaks English; the messages a client is likely to see are said again in the
# request's language. Anything else keeps marshmallow's wording.
_VALIDATION_MESSAGES = [
    (re.compile(r"^Missing data for required field\.$"), _l("Required.")),
    (re.compile(r"^Field may not be null\.$"), _l("May not be empty (null).")),
    (re.compile(r"^Unknown field\.$"), _l("Unknown field.")),
    (re.compile(r"^Invalid input type\.$"), _l("Send a JSON object.")),
    (re.compile(r"^Not a valid (integer|number)\.$"), _l("Enter a whole number.")),
    (re.compile(r"^Not a valid string\.$"), _l("Enter text.")),
    (re.compile(r"^Not a valid boolean\.$"), _l("Enter true or false.")),
    (re.compile(r"^Not a valid list\.$"), _l("Send a list.")),
    (re.compile(r"^Not a valid mapping type\.$"), _l("Send a JSON object.")),
    (re.compile(r"^Not a valid date\.$"), _l("Enter a date like 2026-03-10.")),
    (re.compile(r"^Not a valid (aware )?datetime\.$"),
     _l("Enter a time with its offset, like 2026-11-23T10:00:00+08:00.")),
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"), _l("Choose one of: %(choices)s.")),
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"), _l("At most %(max)s characters.")),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"), _l("At least %(min)s characters.")),
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
     _l("Between %(min)s and %(max)s characters.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.$"),
     _l("Between %(min)s and %(max)s.")),
]


def translate(message: str) -> str:
    for pattern, text in _VALIDATION_MESSAGES:
        found = pattern.match(message)
        if found:
            return str(text) % found.groupdict() if found.groupdict() else str(text)
    return message


def _flatten(messages, prefix: str = "") -> dict:
    """webargs/marshmallow errors ({"json": {"title": ["..."]}}) → {"title": "..."}."""
    flat = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "querystring", "headers", "form", "view_args") and not prefix:
                flat.update(_flatten(value))
                continue
            name = "" if key == "_schema" else str(key)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix)))
    elif isinstance(messages, (list, tuple)):
        if messages and all(isinstance(m, str) for m in messages):
            flat[prefix or "_body"] = " ".join(translate(m) for m in messages)
        else:
            for item in messages:
                flat.update(_flatten(item, prefix))
    else:
        flat[prefix or "_body"] = translate(str(messages))
    return flat


def _messages_for(status: int) -> str:
    return {
        400: _("The request could not be read: send well-formed JSON."),
        401: _("Send a valid API token: Authorization: Bearer <token>."),
        403: _("Your role does not allow this page or action."),
        404: _("There is nothing here, or it belongs to another branch."),
        405: _("This address does not accept this method."),
        409: _("The request conflicts with the record's current state."),
        413: _("The request is too large."),
        422: _("Some values are not valid: see the fields."),
        429: _("Too many requests: slow down and try again in a minute."),
    }.get(status, "")


def from_http_exception(exc: HTTPException):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    fields = _flatten(data.get("messages", {})) if data else {}
    if status == 400 and "json" in (data.get("messages") or {}):
        fields = {}  # webargs' "Invalid JSON body." is English only; the message says it
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 429 and getattr(exc, "retry_after", None) is None:
        headers.setdefault("Retry-After", "60")
    message = _messages_for(status) or exc.name
    return body(status, message, fields), status, headers


def register_error_handlers(bp) -> None:
    @bp.errorhandler(ApiError)
    def api_error(exc):
        db.session.rollback()
        return _respond(exc)

    @bp.errorhandler(TicketError)
    def ticket_error(exc):
        db.session.rollback()
        # Stale version or a refused step: the record's state disagrees, not the input.
        status = 409 if exc.conflict or not exc.fields else 422
        fields = {k: (v if v != "x" else exc.messages[0]) for k, v in exc.fields.items()}
        return body(status, " ".join(exc.messages), fields), status

    @bp.errorhandler(StaleDataError)
    def stale(exc):
        db.session.rollback()
        return body(409, _("Someone else changed this record at the same moment. Reload and try again.")), 409

    def http_error(exc):
        db.session.rollback()
        return from_http_exception(exc)

    # By status code too: Flask prefers the app's handler for a code (the portal's HTML
    # 403/404 pages) over a blueprint's handler for a class.
    bp.register_error_handler(HTTPException, http_error)
    for code in default_exceptions:
        bp.register_error_handler(code, http_error)

    @bp.errorhandler(Exception)
    def unexpected(exc):
        db.session.rollback()
        current_app.logger.exception("API error on %s %s", request.method, request.path)
        return body(500, _("Something went wrong. Nothing was saved. Please try again.")), 500
