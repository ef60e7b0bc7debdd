"""Fixtures: one app per run on SQLite (or on PostgreSQL when PORTAL_TEST_DATABASE_URL is
set), an emptied database for every test, a small world of branches and users, and
helpers that log in and send forms with their CSRF token like a browser does."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

# A third-party plugin "installed" through its entry point, as a package on sys.path.
sys.path.insert(0, str(Path(__file__).parent / "plugins" / "example_dist"))

from portal import create_app  # noqa: E402
from portal.core.provisioning import create_branch, create_user, sync_roles  # noqa: E402
from portal.extensions import db  # noqa: E402

PASSWORD = "correct-horse-1"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "portal-test.sqlite3")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
        "PORTAL_PASSWORD_METHOD": "pbkdf2:sha256:1000",
        "WTF_CSRF_ENABLED": True,
    })
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def empty_database():
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{name}"' for name in tables)
        db.session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f'DELETE FROM "{name}"'))
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean(app):
    # No app context stays pushed during a test: requests must each get their own ``g``,
    # as in production. Tests open ``app.app_context()`` where they read the database.
    yield
    with app.app_context():
        db.session.rollback()
        empty_database()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


class Browserish:
    """A test client used the way a person uses the site: forms carry their token."""

    def __init__(self, client):
        self.client = client

    def login(self, username, password=PASSWORD, follow=False):
        token = csrf_token(self.client.get("/login").text)
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                                follow_redirects=follow)

    def logout(self):
        page = self.client.get("/admin/")
        return self.client.post("/logout", data={"csrf_token": csrf_token(page.text)})

    def submit(self, form_url, data, post_url=None, follow=False):
        """GET the page holding the form, then POST with its CSRF token."""
        token = csrf_token(self.client.get(form_url).text)
        return self.client.post(post_url or form_url, data={**data, "csrf_token": token}, follow_redirects=follow)

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)


@pytest.fixture
def web(client):
    return Browserish(client)


@pytest.fixture
def world(app):
    """HQ and two branches (A: retail store, B: field equipment), each with a user per
    core role, and one customer file with a product in each branch. Returns ids."""
    with app.app_context():
        return _build_world()


def _build_world():
    from datetime import date

    from portal.core.models import Customer, Product

    sync_roles()
    hq = create_branch("HQ", "总部", "上海", is_hq=True)
    a = create_branch("A", "上海一店", "上海", ["retail_store"])
    b = create_branch("B", "郑州服务站", "河南", ["equipment_field"])
    users = {"admin": create_user("admin", PASSWORD, "HQ", ["hq_admin"])}
    for branch in (a, b):
        for role in ("branch_manager", "clerk", "engineer"):
            name = f"{branch.code.lower()}_{role}"
            users[name] = create_user(name, PASSWORD, branch.code, [role])
    customers = {}
    for branch, phone, serial in ((a, "13800000001", "SN-A-1"), (b, "13900000002", "SN-B-1")):
        customer = Customer(branch_id=branch.id, name=f"客户{branch.code}", phone=phone)
        customer.products.append(Product(branch_id=branch.id, name="洗衣机", serial_number=serial,
                                          purchase_date=date(2026, 1, 10)))
        db.session.add(customer)
        customers[branch.code] = customer
    db.session.commit()
    return {
        "hq": hq.id, "A": a.id, "B": b.id,
        "users": {name: user.id for name, user in users.items()},
        "customers": {code: c.id for code, c in customers.items()},
        "products": {code: c.products[0].id for code, c in customers.items()},
    }
