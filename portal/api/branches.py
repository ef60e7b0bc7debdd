"""Branches (read): the caller's own branch, or every branch for HQ staff."""

import marshmallow as ma

from ..core.models import Branch
from ..core.plugin_state import enabled_plugins
from .common import ID, get_or_404, require, scoped
from .pagination import PageArgs, page_schema, paginate


class BranchSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    is_hq = ma.fields.Boolean(required=True)
    province = ma.fields.String(required=True)
    region = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    phone = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True, metadata={"description": "IANA zone, e.g. Asia/Shanghai."})
    active = ma.fields.Boolean(required=True)
    working_weekdays = ma.fields.List(ma.fields.Integer(), required=True,
                                      metadata={"description": "ISO weekdays, 1 = Monday … 7 = Sunday."})
    work_start = ma.fields.Time(required=True)
    work_end = ma.fields.Time(required=True)
    plugins = ma.fields.Function(lambda b: sorted(enabled_plugins(b.id)), required=True,
                                 metadata={"type": "array", "items": {"type": "string"},
                                           "description": "Plugins HQ switched on in this branch."})


def register(bp):
    @bp.route("/branches", tags=["branches"])
    @bp.arguments(PageArgs, location="query")
    @bp.response(200, page_schema(BranchSchema))
    def list_branches(args):
        """Branches the caller may see (needs branch.view)"""
        require("branch.view")
        return paginate(scoped(Branch), Branch.id, args)

    @bp.route(f"/branches/<{ID}:branch_id>", tags=["branches"])
    @bp.response(200, BranchSchema)
    def get_branch(branch_id):
        """One branch (needs branch.view)"""
        require("branch.view")
        return get_or_404(Branch, branch_id)
