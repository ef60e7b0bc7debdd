"""Who is calling, in which language: bearer tokens only, Accept-Language for messages.

The API never looks at the session cookie. Flask-Login would consult the session and the
remember-me cookie *before* a ``request_loader``, so a browser signed in to the portal
could write through the API without a CSRF token; instead the token's user is installed
as ``current_user`` for the request, and every permission and branch check in
``portal.core.access`` then sees exactly that user.
"""

from __future__ import annotations

from contextlib import ExitStack

from flask import current_app, g, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import user_loaded_from_request

from . import tokens
from .errors import ApiError

# Chinese first, like the portal; English for integrations that ask for it.
LANGUAGES = {"zh": "zh_CN", "en": "en"}


def use_request_language() -> None:
    """Answer in the language of Accept-Language (zh or en), Chinese by default."""
    if "_api_locale" in g:
        return
    best = request.accept_languages.best_match(["zh", "zh-CN", "zh-Hans", "en", "en-US", "en-GB"]) or "zh"
    locale = LANGUAGES.get(best.split("-")[0].lower(), "zh_CN")
    stack = ExitStack()
    stack.enter_context(force_locale(locale))
    g._api_locale = stack  # closed when the request ends (see init_api)


def release_language(exc=None) -> None:
    stack = g.pop("_api_locale", None)
    if stack is not None:
        stack.close()


def resolve() -> tuple:
    """(token, problem) for this request, looked up once."""
    if "_api_auth" not in g:
        token, problem = tokens.authenticate(request.headers.get("Authorization"))
        g._api_auth = (token, problem)
        user = token.user if token else None
        current_app.login_manager._update_request_context_with_user(user)
        if user is not None:
            user_loaded_from_request.send(current_app._get_current_object(), user=user)
    return g._api_auth


def rate_limit_key() -> str:
    """One bucket per token; callers without a usable token share their address's bucket,
    so guessing tokens is throttled too."""
    use_request_language()  # a 429 is answered in the caller's language too
    token, _problem = resolve()
    # The hash, not the id: ids of deleted test rows come back, hashes never do.
    return f"token:{token.secret_hash[:24]}" if token else f"ip:{request.remote_addr or '-'}"


def require_token() -> None:
    use_request_language()
    token, problem = resolve()
    if token is None:
        message = {
            "expired": _("This API token has expired. Ask your manager for a new one."),
            "revoked": _("This API token was revoked."),
            "inactive": _("The account of this API token is switched off."),
        }.get(problem, _("Send a valid API token: Authorization: Bearer <token>."))
        raise ApiError(401, message, code="unauthorized",
                       headers={"WWW-Authenticate": 'Bearer realm="portal-api"'})
