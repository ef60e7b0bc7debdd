"""The production entry point (``gunicorn portal.wsgi:app``): it builds the app from the
environment and settles the process. Run in a child process: a settled process never
collects what it froze, which the test process, building app after app, must not do."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import gc
from portal.wsgi import app
from portal.core.models import User
from portal.extensions import db
frozen = gc.get_freeze_count()
with app.app_context():
    db.create_all()
page = app.test_client().get("/login")
print(frozen > 10000, gc.get_threshold()[0] > 700, page.status_code, "csrf_token" in page.get_data(as_text=True))
"""


def test_the_wsgi_entry_point_serves_the_login_page_freezes_its_start_up_and_collects_less_often(tmp_path):
    env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
           "PORTAL_SECRET_KEY": "test-" + "x" * 40}
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True", "200", "True"]
