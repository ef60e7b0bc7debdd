"""Who the token acts as: an integration checks its token and learns its branch here."""

import marshmallow as ma
from flask_login import current_user

from ..core import access


class MeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    full_name = ma.fields.String(required=True)
    branch_id = ma.fields.Integer(required=True)
    branch_code = ma.fields.Function(lambda u: u.branch.code, required=True, metadata={"type": "string"})
    sees_all_branches = ma.fields.Function(lambda u: access.sees_all_branches(u), required=True,
                                           metadata={"type": "boolean"})
    roles = ma.fields.Function(lambda u: sorted(u.role_codes), required=True,
                               metadata={"type": "array", "items": {"type": "string"}})
    permissions = ma.fields.Function(lambda u: sorted(u.permissions), required=True,
                                     metadata={"type": "array", "items": {"type": "string"}})


def register(bp):
    @bp.route("/me", tags=["me"])
    @bp.response(200, MeSchema)
    def whoami():
        """The user this token acts as, with branch, roles and permissions"""
        return current_user
