"""Language and time zone: Chinese first, English too, times shown in the branch's zone."""

from flask import current_app, has_request_context, session
from flask_babel import format_datetime, get_locale
from flask_login import current_user

from . import ROOT

SUPPORTED = ("zh_CN", "en")


def select_locale():
    if not has_request_context():  # start-up, CLI: Chinese first
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in SUPPORTED:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in SUPPORTED:
        return current_user.locale
    # Chinese first: the browser's language is not asked; the switch in the top bar is.
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    if has_request_context() and getattr(current_user, "is_authenticated", False) and current_user.branch:
        return current_user.branch.timezone
    return "Asia/Shanghai"


def init_i18n(app, babel):
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "portal" / "translations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.filters["localtime"] = lambda value: format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""
