"""API tokens from creation to revocation: on the admin page and on the command line,
shown once, stored hashed, acting as exactly one user, refused once revoked or expired."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from portal.core.models import Ticket, User
from portal.core.models.api_token import ApiToken
from portal.core.models.types import utcnow
from portal.extensions import db
from tests.conftest import csrf_token

SECRET_RE = re.compile(r'data-testid="token-secret">(ast_[A-Za-z0-9_-]+)<')
PAGE = "/admin/api-tokens/"


def _me(client, secret, language="en"):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}", "Accept-Language": language})


def _create_on_page(web, user_id, expires="", name="till 2"):
    page = web.submit(PAGE, {"user_id": str(user_id), "name": name, "expires_days": expires},
                      post_url=PAGE + "new")
    found = SECRET_RE.search(page.text)
    return page, (found.group(1) if found else None)


def test_branch_manager_creates_a_token_shown_once_and_stored_hashed(app, web, client, world):
    web.login("a_branch_manager")
    page, secret = _create_on_page(web, world["users"]["a_clerk"])
    assert page.status_code == 200 and secret, page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert secret not in web.get(PAGE).text  # never shown again
    with app.app_context():
        stored = db.session.scalar(db.select(ApiToken))
        assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (stored.prefix, stored.secret_hash, stored.name)
        assert stored.user_id == world["users"]["a_clerk"]
        assert stored.created_by_id == world["users"]["a_branch_manager"]
    me = _me(client, secret)
    assert me.status_code == 200
    assert me.json["username"] == "a_clerk" and "ticket.create" in me.json["permissions"]
    assert "api.tokens" not in me.json["permissions"]  # exactly the clerk's rights, not the manager's


def test_branch_manager_cannot_mint_tokens_for_another_branch(app, web, world):
    web.login("a_branch_manager")
    assert "b_clerk" not in web.get(PAGE).text
    page, secret = _create_on_page(web, world["users"]["b_clerk"])
    assert secret is None
    _page, secret = _create_on_page(web, world["users"]["admin"])
    assert secret is None
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_hq_admin_creates_tokens_for_any_branch_and_sees_them_all(app, web, client, world):
    web.login("admin")
    _page, secret = _create_on_page(web, world["users"]["b_engineer"], expires="30")
    assert _me(client, secret).json["username"] == "b_engineer"
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken))
        assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    web.logout()
    web.login("a_branch_manager")
    assert token.prefix not in web.get(PAGE).text  # branch B's token is not A's business


def test_staff_without_api_tokens_cannot_open_the_page(web, world):
    web.login("a_clerk")
    assert web.get(PAGE).status_code == 403
    response = web.client.post(PAGE + "new", data={"user_id": str(world["users"]["a_clerk"]),
                                                   "csrf_token": csrf_token(web.get("/admin/").text)})
    assert response.status_code == 403


def test_revoked_token_answers_401(app, web, client, world):
    web.login("a_branch_manager")
    _page, secret = _create_on_page(web, world["users"]["a_engineer"])
    assert _me(client, secret).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
    web.submit(PAGE, {}, post_url=f"{PAGE}{token_id}/revoke")
    response = _me(client, secret)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert "revoked" in response.json["error"]["message"]
    assert 'data-testid="revoke-%d"' % token_id not in web.get(PAGE).text


def test_another_branch_cannot_revoke_by_id(app, web, world):
    web.login("admin")
    _create_on_page(web, world["users"]["b_clerk"])
    web.logout()
    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
    web.login("a_branch_manager")
    assert web.submit(PAGE, {}, post_url=f"{PAGE}{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_expired_token_and_switched_off_account_answer_401(app, client, tokens, world):
    assert _me(client, tokens["a_clerk"]).status_code == 200
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == world["users"]["a_clerk"]))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.get(User, world["users"]["a_engineer"]).active = False
        db.session.commit()
    expired = _me(client, tokens["a_clerk"])
    assert expired.status_code == 401 and "expired" in expired.json["error"]["message"]
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")
    assert _me(client, tokens["a_engineer"]).status_code == 401


def test_cli_creates_lists_and_revokes_tokens(app, runner, client, world):
    result = runner.invoke(args=["token", "create", "a_clerk", "--expires", "5", "--name", "till 3"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("ast_")
    assert _me(client, secret).json["username"] == "a_clerk"
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken))
        assert token.name == "till 3" and token.created_by_id is None
        assert timedelta(days=4) < token.expires_at - utcnow() <= timedelta(days=5)
    listing = runner.invoke(args=["token", "list"]).output
    assert token.prefix in listing and secret not in listing and "active" in listing
    assert runner.invoke(args=["token", "revoke", str(token.id)]).exit_code == 0
    assert _me(client, secret).status_code == 401
    assert "revoked" in runner.invoke(args=["token", "list"]).output


def test_cli_refuses_unknown_users_and_silly_expiries(runner, world):
    assert "no user" in runner.invoke(args=["token", "create", "nobody"]).output
    assert runner.invoke(args=["token", "create", "a_clerk", "--expires", "0"]).exit_code != 0
    assert runner.invoke(args=["token", "revoke", "999"]).exit_code != 0


def test_the_session_cookie_is_ignored_by_the_api(app, web, world):
    """A browser signed in to the portal cannot use the API (and so cannot be tricked into
    writing through it without a CSRF token): only bearer tokens count."""
    web.login("a_clerk")
    assert web.get("/admin/").status_code == 200
    assert web.get("/api/v1/me").status_code == 401
    response = web.client.post("/api/v1/tickets", json={"customer_id": world["customers"]["A"], "title": "csrf?"})
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0
    assert web.get("/admin/").status_code == 200  # still signed in to the portal


def test_a_token_is_only_accepted_as_a_bearer_header(client, tokens):
    secret = tokens["a_clerk"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Token {secret}"}).status_code == 401
    assert client.get(f"/api/v1/me?access_token={secret}").status_code in (401, 422)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}x"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {secret}"}).status_code == 200
