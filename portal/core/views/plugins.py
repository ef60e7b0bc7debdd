"""HQ's plugin switchboard: which plugins run in which branch, with which settings."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...plugins import current_plugins
from ..models import Branch, BranchPlugin
from ..plugin_state import forget_cache
from .base import PortalView


class PluginSwitchboardView(PortalView):
    permission = "plugin.manage"

    def _row(self, branch_id: int, plugin: str) -> BranchPlugin | None:
        return db.session.scalar(
            select(BranchPlugin).where(BranchPlugin.branch_id == branch_id, BranchPlugin.plugin == plugin)
        )

    def _branch_or_404(self, branch_id: int) -> Branch:
        branch = db.session.get(Branch, branch_id)
        if branch is None:
            abort(404)
        return branch

    def _known_plugin_or_404(self, name: str, core_too: bool = False) -> str:
        # The core has settings (service levels, fees) but cannot be switched off.
        if name not in current_plugins().names() and not (core_too and name == "core"):
            abort(404)
        return name

    @expose("/")
    def index(self):
        plugins = current_plugins()
        names = plugins.names()
        branches = db.session.scalars(select(Branch).order_by(Branch.is_hq.desc(), Branch.code)).all()
        rows = db.session.scalars(select(BranchPlugin)).all()
        enabled = {(r.branch_id, r.plugin) for r in rows if r.enabled}
        return self.render(
            "portal/plugins/switchboard.html",
            branches=branches, plugins=[(n, plugins.info(n)) for n in names], enabled=enabled,
        )

    @expose("/<int:branch_id>/<plugin>/toggle", methods=["POST"])
    def toggle(self, branch_id, plugin):
        branch = self._branch_or_404(branch_id)
        name = self._known_plugin_or_404(plugin)
        row = self._row(branch.id, name)
        if row is None:
            row = BranchPlugin(branch_id=branch.id, plugin=name, enabled=True,
                               settings=self._stored(name, current_plugins().defaults(name)))
            db.session.add(row)
        else:
            row.enabled = not row.enabled
        db.session.commit()
        forget_cache()
        label = current_plugins().info(name).label
        flash(_("%(plugin)s is now on in %(branch)s.", plugin=label, branch=branch.name) if row.enabled
              else _("%(plugin)s is now off in %(branch)s.", plugin=label, branch=branch.name), "success")
        return redirect(url_for(".index"))

    @staticmethod
    def _stored(name, values):
        specs = {s.key: s for s in current_plugins().settings_spec(name)}
        return {k: specs[k].to_storage(v) for k, v in values.items() if k in specs}

    @expose("/<int:branch_id>/<plugin>/settings", methods=["GET", "POST"])
    def settings(self, branch_id, plugin):
        branch = self._branch_or_404(branch_id)
        name = self._known_plugin_or_404(plugin, core_too=True)
        plugins = current_plugins()
        row = self._row(branch.id, name)
        values = plugins.effective_settings(name, row.settings if row else None)
        errors = {}
        if request.method == "POST":
            submitted = {}
            for spec in plugins.settings_spec(name):
                if spec.type == "bool":
                    submitted[spec.key] = request.form.get(spec.key) == "on"
                else:
                    submitted[spec.key] = request.form.get(spec.key, "")
            clean, errors = plugins.validate_settings(name, submitted)
            if errors:
                values.update({k: v for k, v in submitted.items()})
                flash(_("Nothing was saved: correct the marked values."), "error")
            else:
                if row is None:
                    row = BranchPlugin(branch_id=branch.id, plugin=name, enabled=False, settings={})
                    db.session.add(row)
                row.settings = self._stored(name, clean)
                db.session.commit()
                flash(_("Settings saved for %(branch)s.", branch=branch.name), "success")
                return redirect(url_for(".settings", branch_id=branch.id, plugin=name))
        return self.render(
            "portal/plugins/settings.html", branch=branch, name=name, info=plugins.info(name),
            specs=plugins.settings_spec(name), values=values, errors=errors,
            enabled=bool(row and row.enabled) or name == "core",
        )
