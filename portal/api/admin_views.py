"""The admin page where HQ and branch managers create API tokens for their staff (shown
once) and revoke them."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from ..core import access
from ..core.models import User
from ..core.models.api_token import ApiToken
from ..core.models.types import utcnow
from ..core.views.base import PortalView
from ..extensions import db
from . import tokens

MAX_LISTED = 200


class ApiTokenView(PortalView):
    permission = "api.tokens"

    def _staff(self):
        return access.scope(db.session.query(User), User).filter(User.active.is_(True)) \
            .order_by(User.branch_id, User.username).all()

    def _page(self, new=None, form=None, errors=None, status=200):
        listed = tokens.visible_tokens().order_by(ApiToken.id.desc()).limit(MAX_LISTED).all()
        response = make_response(self.render(
            "portal/api/tokens.html", tokens=listed, staff=self._staff(), new=new, form=form or {},
            errors=errors or {}, now=utcnow(), max_days=tokens.MAX_EXPIRY_DAYS,
        ), status)
        # The page may carry a secret: keep it out of every cache.
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/")
    def index(self):
        return self._page()

    @expose("/new", methods=("POST",))
    def create(self):
        form = request.form
        errors = {}
        user = None
        try:
            user_id = int(form.get("user_id", ""))
        except ValueError:
            user_id = None
        if user_id is not None and 0 < user_id < 2**31:
            user = access.scope(db.session.query(User), User).filter(User.id == user_id).one_or_none()
        if user is None:
            errors["user_id"] = _("Choose a member of your branch's staff.")
        days = None
        if form.get("expires_days", "").strip():
            try:
                days = int(form["expires_days"])
            except ValueError:
                errors["expires_days"] = _("A token expires after 1 to %(n)s days, or never.",
                                           n=tokens.MAX_EXPIRY_DAYS)
        if not errors:
            try:
                new = tokens.create_token(user, form.get("name", ""), days, created_by=current_user)
                db.session.commit()
            except tokens.TokenError as exc:
                db.session.rollback()
                errors["form"] = str(exc)
            else:
                # Rendered, not flashed: a flashed message would travel in the session cookie.
                return self._page(new=new)
        for message in errors.values():
            flash(message, "error")
        return self._page(form=form, errors=errors)

    @expose("/<int:token_id>/revoke", methods=("POST",))
    def revoke(self, token_id):
        token = tokens.visible_tokens().filter(ApiToken.id == token_id).one_or_none() \
            if token_id < 2**31 else None
        if token is None:
            abort(404)
        try:
            tokens.revoke_token(token, by=current_user)
            db.session.commit()
        except tokens.TokenError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("Token %(prefix)s… revoked: it no longer works.", prefix=token.prefix), "success")
        return redirect(url_for(".index"))
