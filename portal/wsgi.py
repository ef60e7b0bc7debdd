"""The app as a production server runs it: ``gunicorn portal.wsgi:app``.

Configured from the environment (README, "Configuration"), built once per worker
process, then settled (:func:`portal.serving.settle`).
"""

from . import create_app
from .serving import settle

app = create_app()
settle()
