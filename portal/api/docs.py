"""The OpenAPI document, the page that renders it (Swagger UI, vendored: no CDN), and a
JSON 404/405 for every other address under /api/v1/."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from .auth import release_language, use_request_language
from .errors import register_error_handlers

SWAGGER_UI_VERSION = "5.35.0"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"]


def make_blueprint(api, prefix: str) -> Blueprint:
    bp = Blueprint("api_docs", __name__, url_prefix=prefix)
    register_error_handlers(bp)
    bp.before_request(use_request_language)
    bp.teardown_request(release_language)

    @bp.get("/openapi.json")
    def openapi_json():
        return current_app.response_class(current_app.json.dumps(api.spec.to_dict()), mimetype="application/json")

    @bp.get("/docs")
    def reference():
        return render_template("portal/api/docs.html", spec_url=f"{prefix}/openapi.json",
                               swagger_ui_version=SWAGGER_UI_VERSION)

    @bp.route("/", defaults={"rest": ""}, methods=METHODS, provide_automatic_options=False)
    @bp.route("/<path:rest>", methods=METHODS, provide_automatic_options=False)
    def unrouted(rest):
        """No API route took the request: the address is unknown (404), or it is known
        but not for this method (405, with the methods it does take)."""
        adapter = current_app.url_map.bind_to_environ(request.environ)
        allowed = []
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            try:
                endpoint, _args = adapter.match(method=method)
            except HTTPException:
                continue
            if endpoint != request.endpoint:
                allowed.append(method)
        if allowed:
            raise MethodNotAllowed(valid_methods=allowed)
        raise NotFound()

    return bp
