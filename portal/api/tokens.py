"""Creating, revoking and checking API tokens. Used by the admin page, the CLI and the
API's authentication; never commits (the caller does)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..core import access
from ..core.models import User
from ..core.models.api_token import ApiToken
from ..core.models.types import utcnow
from ..extensions import db

# "ast_" tells a leaked secret for what it is (secret scanners look for such prefixes).
TOKEN_PREFIX = "ast_"
MAX_EXPIRY_DAYS = 3650
# last_used_at is a hint for people cleaning up tokens, not an access log: writing it on
# every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class TokenError(ValueError):
    """A token request refused; the message is for the person."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user: User, name: str = "", expires_days: int | None = None,
                 created_by: User | None = None) -> NewToken:
    """A new token for ``user``. ``created_by`` (None from the CLI) must hold
    ``api.tokens`` in the user's branch."""
    if created_by is not None and not access.can("api.tokens", created_by, branch_id=user.branch_id):
        raise TokenError(_("Your role does not allow this step."))
    if not user.active:
        raise TokenError(_("This account is switched off: it cannot get a token."))
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise TokenError(_("A token expires after 1 to %(n)s days, or never.", n=MAX_EXPIRY_DAYS))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id, branch_id=user.branch_id, name=(name or "").strip()[:80], prefix=secret[:12],
        secret_hash=digest(secret), created_by_id=created_by.id if created_by else None, created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    db.session.add(token)
    db.session.flush()
    return NewToken(token, secret)


def revoke_token(token: ApiToken, by: User | None = None) -> ApiToken:
    if by is not None and not access.can("api.tokens", by, branch_id=token.branch_id):
        raise TokenError(_("Your role does not allow this step."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = by.id if by else None
    return token


def visible_tokens(user: User | None = None):
    """Tokens the user may see on the token page: their branch's, HQ all."""
    return access.scope(db.session.query(ApiToken), ApiToken, user)


def authenticate(header: str | None) -> tuple[ApiToken | None, str | None]:
    """(token, None) for a usable bearer token, else (None, problem) with problem one of
    ``missing``, ``invalid``, ``expired``, ``revoked``, ``inactive``."""
    scheme, _sep, secret = (header or "").strip().partition(" ")
    if not header or scheme.lower() != "bearer":
        return None, "missing"
    secret = secret.strip()
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None, "invalid"
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash == digest(secret)))
    if token is None:
        return None, "invalid"
    now = utcnow()
    if token.revoked_at is not None:
        return None, "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return None, "expired"
    if not token.user.active:
        return None, "inactive"
    _touch(token, now)
    return token, None


def _touch(token: ApiToken, now) -> None:
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    # A bare UPDATE committed on its own: no audit entry, no version bump, and the
    # request's own transaction starts clean.
    db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                       .execution_options(synchronize_session=False))
    db.session.commit()
