"""Error pages in the user's language; nothing leaks a stack trace."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db


def _page(status: int, title: str, message: str):
    if request.accept_mimetypes.best == "application/json":
        return {"error": {"code": status, "message": message}}, status
    return render_template("portal/error.html", status=status, title=title, message=message), status


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _page(400, _("The form has expired"), _("Reload the page and send the form again."))

    @app.errorhandler(403)
    def forbidden(exc):
        return _page(403, _("Not allowed"), _("Your role does not allow this page or action."))

    @app.errorhandler(404)
    def not_found(exc):
        return _page(404, _("Not found"), _("There is nothing here, or it belongs to another branch."))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return _page(exc.code or 500, exc.name, exc.description or "")

    @app.errorhandler(Exception)
    def unexpected(exc):
        db.session.rollback()
        app.logger.exception("unexpected error")
        return _page(500, _("Something went wrong"), _("Nothing was saved. Please try again."))
