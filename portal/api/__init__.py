"""The REST API under /api/v1/ (issue 9), described by an OpenAPI 3 document.

flask-smorest ties the two together: the marshmallow schema that validates a request or
shapes an answer is the one the document is generated from, so the document cannot drift
from what the code does. Each resource module adds its routes to a blueprint built per
application (plugins add theirs through the ``portal_api`` hook before it is registered).
"""

from __future__ import annotations

import logging
import os
from functools import partial

import marshmallow as ma
from flask import current_app
from flask_limiter import Limiter
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser

from ..extensions import csrf
from . import auth, branches, callbacks, customers, docs, me, statistics, tickets, users
from .common import IdConverter, id_parameter_schema
from .errors import register_error_handlers
from .schemas import ErrorSchema

log = logging.getLogger(__name__)

PREFIX = "/api/v1"


class PortalApi(Api):
    """flask-smorest's Api, with our error shape and without its app-wide error handler
    (which would turn the portal's HTML error pages into JSON)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass  # errors.register_error_handlers covers the API blueprints only

    def register_blueprint(self, blp, **options):
        super().register_blueprint(blp, **options)
        # Operations are grouped by their own tags (tickets, customers, ...); the
        # blueprint's tag would be an empty group at the top of the page.
        self.spec._tags = [tag for tag in self.spec._tags if tag["name"] != blp.name]


def _spec_options() -> dict:
    return {
        "info": {"description": (
            "The after-sales portal for tills, call-centre systems and engineers' phones. Authenticate with "
            "`Authorization: Bearer <token>` (a token is created by HQ or a branch manager, or with "
            "`flask --app portal token create USERNAME`); it acts with exactly its user's permissions and "
            "branch. Lists are pages of at most 100 rows, newest first: follow `next` until it is null. "
            "Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}`; messages follow Accept-Language "
            "(zh or en). Another branch's record answers 404, as if it did not exist.")},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }


class StrictParser(FlaskParser):
    """An unknown query parameter is refused (422), not ignored: a misspelt filter would
    otherwise silently answer everything."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE,
                                   "querystring": ma.RAISE}


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()


def _limit_only_the_api(app, limiter, blueprint: str) -> None:
    """Flask-Limiter hooks every request of the app, yet only the API has limits: its check,
    its headers and its clean-up ran on every admin page too (2.4% of a list page's work,
    docs/performance.md), and Flask-Limiter 4 cannot be given one blueprint. Its three hooks
    are moved to the API blueprint's, which Flask runs for API requests only; the check
    stays first, before the token is asked for, so refused requests count as well.

    Limits must therefore be set on the API blueprint (or its routes); a ``limiter.limit``
    on another view would not be checked. If Flask-Limiter's hooks are not found (a
    version that registers them otherwise), they stay app-wide, which is only slower."""
    check, release = limiter._check_request_limit, getattr(limiter, "_Limiter__release_context", None)

    def headers(hook):
        return isinstance(hook, partial) and hook.args == (limiter,)

    found = (check in app.before_request_funcs.get(None, ()),
             any(headers(hook) for hook in app.after_request_funcs.get(None, ())),
             release is not None and release in app.teardown_request_funcs.get(None, ()))
    if not all(found):
        log.warning("Flask-Limiter's hooks were not found (%s): the rate limit checks every request", found)
        return
    app.before_request_funcs[None].remove(check)
    app.before_request_funcs.setdefault(blueprint, []).insert(0, check)
    moved = [hook for hook in app.after_request_funcs[None] if headers(hook)]
    app.after_request_funcs[None] = [hook for hook in app.after_request_funcs[None] if not headers(hook)]
    app.after_request_funcs.setdefault(blueprint, []).extend(moved)
    app.teardown_request_funcs[None].remove(release)
    app.teardown_request_funcs.setdefault(blueprint, []).append(release)


def make_blueprint() -> Blueprint:
    bp = ApiBlueprint("api", __name__, url_prefix=PREFIX, description="The portal's REST API")
    register_error_handlers(bp)
    bp.before_request(auth.require_token)
    bp.teardown_request(auth.release_language)
    for module in (me, branches, users, customers, tickets, callbacks, statistics):
        module.register(bp)
    return bp


def init_api(app) -> PortalApi:
    app.config.setdefault("API_TITLE", "After-sales portal API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config["OPENAPI_URL_PREFIX"] = None  # the document and its page are served by docs.py
    # Generous by default; one bucket per token (per address without one). Memory storage
    # counts per process; point PORTAL_API_RATE_LIMIT_STORAGE at redis://127.0.0.1:6379
    # to share the count between workers.
    app.config.setdefault("PORTAL_API_RATE_LIMIT", os.environ.get("PORTAL_API_RATE_LIMIT", "600/minute"))
    app.config.setdefault("PORTAL_API_RATE_LIMIT_STORAGE",
                          os.environ.get("PORTAL_API_RATE_LIMIT_STORAGE", "memory://"))

    app.url_map.converters["id"] = IdConverter
    api = PortalApi(app, spec_kwargs=_spec_options())
    api.register_converter(IdConverter, id_parameter_schema)
    bp = make_blueprint()
    app.extensions["portal_plugins"].hook.portal_api(blueprint=bp)

    limiter = Limiter(auth.rate_limit_key, app=app, storage_uri=app.config["PORTAL_API_RATE_LIMIT_STORAGE"],
                      headers_enabled=True, default_limits=[])
    limiter.shared_limit(lambda: current_app.config["PORTAL_API_RATE_LIMIT"], scope="portal-api")(bp)

    # Only bearer tokens are accepted (auth.py), and a browser never sends one by itself:
    # there is no cookie-borne session to protect with a CSRF token.
    csrf.exempt(bp)
    api.register_blueprint(bp)
    _limit_only_the_api(app, limiter, bp.name)
    docs_bp = docs.make_blueprint(api, PREFIX)
    csrf.exempt(docs_bp)
    app.register_blueprint(docs_bp)
    app.extensions["portal_api"] = {"api": api, "limiter": limiter}
    return api
