"""The sales office's big lists show the same table whether the core reads their rows as
plain values (portal/core/views/plain_rows.py) or as records."""

import logging

import pytest

from portal.core.views.base import ScopedModelView

from ....core.test_plain_rows import _table


@pytest.mark.parametrize("url", ["/admin/estate/projects/", "/admin/estate/buildings/", "/admin/estate/units/"])
def test_a_sales_list_reads_the_same_from_plain_rows(web, office, monkeypatch, caplog, url):
    web.login("admin")
    with caplog.at_level(logging.WARNING, logger="portal.core.views.plain_rows"):
        plain = web.get(url)
    assert not caplog.records  # nothing read that the list did not select
    assert plain.status_code == 200
    assert "锦城花园E" in plain.text or "3栋" in plain.text  # the office's rows are listed
    with monkeypatch.context() as patched:
        patched.setattr(ScopedModelView, "_plain_plan", lambda self: None)
        orm = web.get(url)
    assert _table(plain.text) == _table(orm.text)
