"""The WSGI app benchmarks.run serves with gunicorn: the portal exactly as ``create_app``
builds it and ``portal.wsgi`` serves it (settled: ``portal/serving.py``), plus two yardsticks that exist only here, never in the portal:

* ``/bench/ceiling`` — a bare Flask route answering "ok": what the stack can do at best
  (and ``/bench/hold``, which holds its worker 0.2 s: the runner's "all workers free?");
* ``/bench-admin/ticket/`` — a plain Flask-Admin ``ModelView(Ticket, db)`` with default
  settings in a second ``Admin``: the baseline the portal's own lists are compared with.

    BENCH_DATABASE_URL=sqlite:////tmp/bench/portal.sqlite3 gunicorn benchmarks.bench_app:app
"""

from __future__ import annotations

import os
import time

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme

from portal import create_app
from portal.core.models import Ticket
from portal.extensions import db
from portal.serving import settle

from . import load



class BaselineTicketView(ModelView):
    """Flask-Admin's defaults, open to anyone: the benchmark's reference list."""

    is_accessible = lambda self: True  # noqa: E731 - the whole point is "nothing added"


def build(url: str) -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})

    @app.route("/bench/ceiling")
    def bench_ceiling():
        return "ok"

    @app.route("/bench/hold")
    def bench_hold():
        # Holds its worker a moment: benchmarks.run asks one per worker at once to see
        # that every worker is free (Server.drain).
        time.sleep(load.HOLD_SECONDS)
        return "ok"

    baseline = Admin(app, name="Flask-Admin baseline", url="/bench-admin", endpoint="bench_admin",
                     theme=Bootstrap4Theme())
    baseline.add_view(BaselineTicketView(Ticket, db, name="Tickets", endpoint="bench_ticket", url="ticket"))
    return app


if os.environ.get("BENCH_DATABASE_URL"):  # loaded by gunicorn: a server process, as portal.wsgi runs it
    app = build(os.environ["BENCH_DATABASE_URL"])
    settle()
else:
    app = None
