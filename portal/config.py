"""Settings from the environment, with safe defaults for the embedded SQLite setup."""

import os
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """Build the app config. Every knob is a PORTAL_* variable, documented in the README."""
    default_db = "sqlite:///" + str(Path(instance_path) / "portal.sqlite3")
    secure_cookies = _bool("PORTAL_SECURE_COOKIES", False)
    return {
        "SECRET_KEY": os.environ.get("PORTAL_SECRET_KEY", "dev-only-change-me"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("PORTAL_DATABASE_URL", default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": os.environ.get("PORTAL_DEFAULT_LOCALE", "zh_CN"),
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "PORTAL_LOGIN_MAX_FAILURES": int(os.environ.get("PORTAL_LOGIN_MAX_FAILURES", "5")),
        "PORTAL_LOGIN_LOCK_MINUTES": int(os.environ.get("PORTAL_LOGIN_LOCK_MINUTES", "15")),
        # Cookies: signed, HttpOnly, SameSite; Secure once served over HTTPS.
        "SESSION_PROTECTION": "strong",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 14,
        "WTF_CSRF_TIME_LIMIT": None,
        "FLASK_ADMIN_SWATCH": "default",
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    }
