"""HQ's views of the organisation: branches with their calendars, staff, roles."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectMultipleField, widgets
from wtforms.validators import Length, Optional, ValidationError
from zoneinfo import available_timezones

from ...plugins import current_plugins
from .. import access
from ..models import BranchHoliday
from .base import ScopedModelView

WEEKDAYS = [
    ("1", _l("Monday")), ("2", _l("Tuesday")), ("3", _l("Wednesday")), ("4", _l("Thursday")),
    ("5", _l("Friday")), ("6", _l("Saturday")), ("7", _l("Sunday")),
]


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class BranchView(ScopedModelView):
    permission_area = "branch"
    verb_permissions = {
        "create": "branch.manage", "edit": "branch.manage", "delete": None, "export": "branch.view",
    }
    branch_owned = False
    column_list = ("code", "name", "is_hq", "province", "region", "phone", "timezone", "active")
    column_searchable_list = ("code", "name", "province", "region")
    column_filters = ("province", "region", "active", "is_hq")
    column_default_sort = "code"
    form_columns = (
        "code", "name", "is_hq", "province", "region", "address", "phone", "timezone", "active",
        "working_weekdays", "work_start", "work_end", "holidays",
    )
    inline_models = [(BranchHoliday, {"form_columns": ("id", "day", "name", "is_workday")})]
    form_overrides = {"working_weekdays": CheckboxesField}
    form_args = {"working_weekdays": {"choices": WEEKDAYS, "coerce": str}}
    column_labels = {
        "code": _l("Code"), "name": _l("Name"), "is_hq": _l("HQ"), "province": _l("Province"),
        "region": _l("Region"), "address": _l("Address"), "phone": _l("Phone"),
        "timezone": _l("Time zone"), "active": _l("Active"), "working_weekdays": _l("Working days"),
        "work_start": _l("Opens"), "work_end": _l("Closes"), "holidays": _l("Holidays and make-up days"),
    }

    def on_form_prefill(self, form, id):
        model = self.get_one(id)
        form.working_weekdays.data = [str(d) for d in (model.working_weekdays or [])]

    def on_model_change(self, form, model, is_created):
        if model.timezone not in available_timezones():
            raise ValidationError(_("Unknown time zone “%(tz)s”, e.g. Asia/Shanghai.", tz=model.timezone))
        days = sorted({int(d) for d in (form.working_weekdays.data or [])})
        if not days:
            raise ValidationError(_("A branch needs at least one working day."))
        model.working_weekdays = days
        if model.work_start >= model.work_end:
            raise ValidationError(_("Closing time must be after opening time."))
        super().on_model_change(form, model, is_created)


class UserView(ScopedModelView):
    permission_area = "user"
    verb_permissions = {
        "create": "user.manage", "edit": "user.manage", "delete": None, "export": "user.view",
    }
    column_list = ("username", "full_name", "branch", "roles", "active", "last_login_at")
    column_searchable_list = ("username", "full_name", "phone")
    column_filters = ("active", "branch.code", "roles.code")
    column_default_sort = "username"
    form_columns = ("username", "full_name", "phone", "email", "branch", "roles", "active", "locale", "password")
    form_extra_fields = {
        "password": PasswordField(
            _l("Password"),
            validators=[Optional(), Length(min=8, message=_l("At least 8 characters."))],
            description=_l("Leave empty to keep the current password."),
        )
    }
    form_choices = {"locale": [("zh_CN", "中文"), ("en", "English")]}
    column_labels = {
        "username": _l("User name"), "full_name": _l("Full name"), "branch": _l("Branch"),
        "roles": _l("Roles"), "active": _l("Active"), "last_login_at": _l("Last login"),
        "phone": _l("Phone"), "email": _l("E-mail"), "locale": _l("Language"),
    }

    form_args = {"roles": {"query_factory": access.grantable_roles}}

    def on_model_change(self, form, model, is_created):
        if is_created and not form.password.data:
            raise ValidationError(_("A new user needs a password."))
        if form.password.data:
            model.set_password(form.password.data)
        model.__dict__.pop("password", None)  # populate_obj copied the plain text over
        super().on_model_change(form, model, is_created)


class RoleView(ScopedModelView):
    permission_area = "role"
    verb_permissions = {
        "view": "role.manage", "create": "role.manage", "edit": "role.manage",
        "delete": None, "export": "role.manage",
    }
    branch_owned = False
    column_list = ("code", "name", "plugin", "permissions")
    column_searchable_list = ("code", "name")
    form_columns = ("code", "name", "permissions")
    form_overrides = {"permissions": CheckboxesField}
    column_labels = {"code": _l("Code"), "name": _l("Name"), "plugin": _l("Plugin"), "permissions": _l("Permissions")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = "role.manage"

    def _permission_choices(self):
        choices = [("*", _("Everything"))]
        for group in current_plugins().hook.portal_permissions():
            choices += [(p.code, f"{p.code} — {p.label}") for p in group]
        return choices

    def _with_choices(self, form):
        form.permissions.choices = self._permission_choices()
        return form

    def create_form(self, obj=None):
        return self._with_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._with_choices(super().edit_form(obj))

    def on_model_change(self, form, model, is_created):
        model.permissions = list(form.permissions.data or [])
        super().on_model_change(form, model, is_created)
