"""The after-sales portal: ``create_app`` builds it, nothing else happens at import."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None, extra_plugins=()) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)

    from .config import from_environment

    app.config.from_mapping(from_environment(app.instance_path))
    if config:
        app.config.update(config)

    from . import lazy_migrate
    from .extensions import babel, csrf, db, login_manager
    from .plugins import PortalPlugins

    plugins = PortalPlugins(extra=extra_plugins, load_entry_points=app.config.get("PORTAL_ENTRY_POINTS", True))
    app.extensions["portal_plugins"] = plugins

    from .core import audit, models, tickets  # noqa: F401  (core tables, audit and timeline hooks)

    plugins.hook.portal_load_models()

    db.init_app(app)
    from . import read_only_requests

    read_only_requests.init_app(app, db)
    lazy_migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = app.config["SESSION_PROTECTION"]

    from .i18n import init_i18n

    init_i18n(app, babel)

    from . import auth, errors
    from .admin import init_admin

    app.register_blueprint(auth.bp)
    errors.init_app(app)
    with app.app_context():  # list filters read the plugins' ticket kinds when built
        init_admin(app, plugins)
    from .core.views.menu import menu_html

    from .core.views.fragments import kept

    app.jinja_env.globals["portal_menu"] = menu_html
    app.jinja_env.globals["kept"] = kept
    from .api import init_api; init_api(app)  # noqa: E702
    plugins.hook.portal_register_blueprints(app=app)

    from .cli import init_cli

    init_cli(app)
    return app
