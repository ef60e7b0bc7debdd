"""Staff (read, for those with user.view): who can be assigned, who a token acts as."""

import marshmallow as ma
from sqlalchemy import or_

from ..core.models import User
from .common import ID, contains, get_or_404, require, scoped
from .fields import QueryId, Text
from .pagination import PageArgs, page_schema, paginate


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    full_name = ma.fields.String(required=True)
    phone = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    branch_id = ma.fields.Integer(required=True)
    active = ma.fields.Boolean(required=True)
    roles = ma.fields.Function(lambda u: sorted(u.role_codes), required=True,
                               metadata={"type": "array", "items": {"type": "string"}})


class UserArgs(PageArgs):
    q = Text(64, metadata={"description": "Part of the user name or full name."})
    branch_id = QueryId(metadata={"description": "Only this branch (HQ staff)."})
    active = ma.fields.Boolean(metadata={"description": "Only active (true) or switched-off (false) accounts."})


def register(bp):
    @bp.route("/users", tags=["users"])
    @bp.arguments(UserArgs, location="query")
    @bp.response(200, page_schema(UserSchema))
    def list_users(args):
        """Staff of the caller's branch, every branch for HQ (needs user.view)"""
        require("user.view")
        query = scoped(User)
        if args.get("q"):
            pattern = contains(args["q"])
            query = query.filter(or_(User.username.ilike(pattern, escape="\\"),
                                     User.full_name.ilike(pattern, escape="\\")))
        if args.get("branch_id"):
            query = query.filter(User.branch_id == args["branch_id"])
        if "active" in args:
            query = query.filter(User.active.is_(args["active"]))
        return paginate(query, User.id, args)

    @bp.route(f"/users/<{ID}:user_id>", tags=["users"])
    @bp.response(200, UserSchema)
    def get_user(user_id):
        """One member of staff (needs user.view)"""
        require("user.view")
        return get_or_404(User, user_id)
