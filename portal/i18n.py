"""Language and time zone: Chinese first, English too, times shown in the branch's zone."""

from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from flask import current_app, g, has_app_context, has_request_context, session
from flask_babel import Babel, Domain, get_locale, get_timezone, to_user_timezone
from flask_login import current_user

from . import ROOT

SUPPORTED = ("zh_CN", "en")


class _NamedLocale(Locale):
    """A locale whose name is worked out once. Babel builds ``str(locale)`` anew on each
    call, and Flask-Babel asks for it for every translated text: about a hundred times a
    page."""

    def __str__(self) -> str:
        name = self.__dict__.get("_portal_name")
        if name is None:
            name = self.__dict__["_portal_name"] = super().__str__()
        return name


class _RequestDomain(Domain):
    """Flask-Babel's message domain, with the catalog of a request whose language is
    already known found in one step. Flask-Babel finds it anew for each text, through
    some ten context lookups (docs/performance.md); a page translates about sixty."""

    def get_translations(self):
        state = g.get("_flask_babel") if has_app_context() else None
        locale = getattr(state, "babel_locale", None)  # force_locale sets it too
        if locale is not None:
            found = self.cache.get((str(locale), self.domain[0]))
            if found is not None:
                return found
        return super().get_translations()


class PortalBabel(Babel):
    @cached_property
    def domain_instance(self):
        return _RequestDomain(domain=self.domain)


def _parse(code: str) -> Locale:
    parsed = Locale.parse(code)
    return _NamedLocale(parsed.language, parsed.territory, parsed.script, parsed.variant)


# Parsed once: Babel parses a locale name afresh (with a look on disk) on every request.
_PARSED = {code: _parse(code) for code in SUPPORTED}


def select_locale():
    code = _locale_code()
    return _PARSED.get(code, code)


def _locale_code() -> str:
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


def local_minute(value) -> str:
    """``yyyy-MM-dd HH:mm`` in the user's time zone, the portal's one way to show a
    moment. Digits and dashes need no locale, and Babel's pattern formatter was a visible
    share of a list page's time (docs/performance.md)."""
    if not value:
        return ""
    if value.tzinfo is None or not has_request_context():
        return to_user_timezone(value).strftime("%Y-%m-%d %H:%M")
    return _minute_in(_request_zone(), value)


def minute_formatter():
    """``local_minute`` with the user's time zone looked up once: for a list page that
    shows a hundred moments."""
    if not has_request_context():
        return local_minute
    zone = _request_zone()
    return lambda value: _minute_in(zone, value) if value and value.tzinfo is not None else local_minute(value)


def _request_zone():
    if "_portal_zone" not in g:
        g._portal_zone = _fast_zone(get_timezone())
    return g._portal_zone


def _fast_zone(zone):
    """The standard library's zone of the same name: its conversions run in C, pytz's
    in Python at twice the cost, for every moment a list shows."""
    try:
        return ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return zone


def _minute_in(zone, value) -> str:
    # Aware values (every UTCDateTime column) need no pytz normalising after astimezone.
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def init_i18n(app, babel):
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "portal" / "translations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    # Templates translate through the portal's one domain directly: Flask-Babel's callables
    # look the domain up again (three context lookups) for each of a page's fifty texts.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: babel.domain_instance.get_translations().ugettext(s),
        ngettext=lambda s, p, n: babel.domain_instance.get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: babel.domain_instance.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: babel.domain_instance.get_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["localtime"] = local_minute
