"""Flask-Migrate, loaded only where it is used.

Alembic weighs some 12 MB in every web worker (issue 10 keeps a worker under 150 MB),
yet only the ``flask db`` commands, the migration tests and the benchmark loader use it.
So the ``db`` command group and ``app.extensions["migrate"]`` are stand-ins that load
Flask-Migrate the first time they are used, then hand over to it.
"""

from __future__ import annotations

import click
from flask import g
from flask.cli import with_appcontext


def init_app(app, db, directory: str) -> None:
    app.extensions["migrate"] = _Config(app, db, directory)
    app.cli.add_command(_DbGroup(app, db, directory), name="db")


def _load(app, db, directory):
    from flask_migrate import Migrate

    if not isinstance(app.extensions.get("migrate"), _Config):
        return app.extensions["migrate"]
    Migrate(compare_type=True, render_as_batch=True).init_app(app, db, directory=directory)
    return app.extensions["migrate"]


class _Config:
    def __init__(self, app, db, directory):
        self._args = (app, db, directory)

    def __getattr__(self, name):
        return getattr(_load(*self._args), name)


@with_appcontext
def _remember_options(directory, x_arg):
    # what Flask-Migrate's own ``db`` group does with its options
    g.directory = directory
    g.x_arg = x_arg


class _DbGroup(click.Group):
    """Flask-Migrate's ``db`` group: the same options, its commands loaded when asked for."""

    def __init__(self, app, db, directory):
        super().__init__(name="db", help="Perform database migrations.", callback=_remember_options, params=[
            click.Option(["-d", "--directory"], default=None, help='Migration script directory (default is "migrations")'),
            click.Option(["-x", "--x-arg"], multiple=True, help="Additional arguments consumed by custom env.py scripts"),
        ])
        self._args = (app, db, directory)

    def _real(self):
        _load(*self._args)
        from flask_migrate.cli import db as real

        return real

    def list_commands(self, ctx):
        return self._real().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._real().get_command(ctx, name)
