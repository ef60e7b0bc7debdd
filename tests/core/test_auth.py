"""Signing in and out as a person would."""

import re
import threading

from portal.core.models import User
from portal.extensions import db
from tests.conftest import PASSWORD, Browserish, csrf_token


def test_login_lands_on_a_page_for_the_role(web, world):
    response = web.login("a_clerk", follow=True)
    assert response.status_code == 200
    assert "New customer file" in response.text or "新建客户档案" in response.text
    # a clerk has no staff menu, a manager does
    assert "/admin/user/" not in response.text
    web.logout()
    manager_page = web.login("a_branch_manager", follow=True)
    assert "/admin/user/" in manager_page.text


def test_wrong_password_gets_a_clear_message_and_no_session(web, world):
    response = web.login("a_clerk", "wrong-password", follow=True)
    assert "用户名或密码错误" in response.text or "Wrong user name or password" in response.text
    assert web.get("/admin/").status_code == 302  # still signed out


def test_repeated_failures_lock_the_account_even_for_the_right_password(app, web, world):
    for _ in range(5):
        web.login("a_clerk", "wrong-password")
    response = web.login("a_clerk", PASSWORD, follow=True)
    assert "Try again in" in response.text or "分钟后再试" in response.text
    assert web.get("/admin/").status_code == 302
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="a_clerk"))
        assert user.locked_until is not None


def test_inactive_user_cannot_sign_in(app, web, world):
    with app.app_context():
        db.session.get(User, world["users"]["a_clerk"]).active = False
        db.session.commit()
    web.login("a_clerk", follow=True)
    assert web.get("/admin/").status_code == 302


def test_logout_needs_a_post_with_csrf_and_ends_the_session(web, world):
    web.login("a_clerk")
    assert web.client.get("/logout").status_code == 405
    assert web.client.post("/logout").status_code == 400  # no CSRF token
    assert web.get("/admin/").status_code == 200
    web.logout()
    assert web.get("/admin/").status_code == 302


def test_session_and_remember_cookies_have_safe_flags(app, web, world):
    token_page = web.client.get("/login").text
    response = web.client.post("/login", data={
        "username": "a_clerk", "password": PASSWORD, "remember": "y", "csrf_token": csrf_token(token_page)})
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    session = [c for c in cookies if c.startswith("session=")]
    assert remember and session
    for cookie in remember + session:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie


def test_passwords_are_stored_hashed_with_scrypt_by_default(app):
    user = User(username="x", branch_id=1)
    with app.app_context():
        app.config["PORTAL_PASSWORD_METHOD"], old = "scrypt", app.config["PORTAL_PASSWORD_METHOD"]
        try:
            user.set_password("s3cret-pass")
        finally:
            app.config["PORTAL_PASSWORD_METHOD"] = old
    assert user.password_hash.startswith("scrypt:")
    assert "s3cret-pass" not in user.password_hash
    assert user.check_password("s3cret-pass") and not user.check_password("other")


def test_login_never_redirects_to_another_site(web, world):
    token = csrf_token(web.client.get("/login").text)
    response = web.client.post("/login?next=//evil.example/x",
                               data={"username": "a_clerk", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/admin/"


def _meanwhile(request):
    """Another person's request, answered while this one waits (its own thread, so its own
    request, session and database connection, as on a server)."""
    answers = []
    thread = threading.Thread(target=lambda: answers.append(request()))
    thread.start()
    thread.join(timeout=30)
    return answers[0]


def _while_the_password_is_checked(monkeypatch, request) -> list:
    """Answer ``request`` meanwhile, once, between the sign-in's read of the person and its
    writes; its answer is put in the list returned."""
    check, answers = User.check_password, []

    def checking(user, password):
        monkeypatch.setattr(User, "check_password", check)
        answers.append(_meanwhile(request))
        return check(user, password)

    monkeypatch.setattr(User, "check_password", checking)
    return answers


def test_two_devices_signing_in_at_the_same_moment_both_get_in(app, web, world, monkeypatch):
    phone = Browserish(app.test_client())
    phone_answer = _while_the_password_is_checked(monkeypatch, lambda: phone.login("a_clerk"))
    assert web.login("a_clerk").status_code == 302  # was an error page: the phone's sign-in had changed the record
    assert phone_answer[0].status_code == 302
    assert web.get("/admin/").status_code == 200
    assert phone.get("/admin/").status_code == 200


def test_wrong_passwords_sent_at_the_same_moment_all_count(app, web, world, monkeypatch):
    other = Browserish(app.test_client())
    _while_the_password_is_checked(monkeypatch, lambda: other.login("a_clerk", "guess-two"))
    web.login("a_clerk", "guess-one")
    with app.app_context():
        assert db.session.get(User, world["users"]["a_clerk"]).failed_logins == 2


def test_signing_in_does_not_spoil_a_managers_open_form_on_that_person(app, web, world):
    web.login("a_branch_manager")
    edit = f"/admin/user/edit/?id={world['users']['a_clerk']}"
    page = web.get(edit).text
    form = dict(re.findall(r'<input[^>]*\bname="(\w+)"[^>]*\bvalue="([^"]*)"', page))
    form.update(re.findall(r'<select[^>]*\bname="(\w+)"[^>]*>.*?<option[^>]*\bselected[^>]*\bvalue="([^"]*)"',
                           page, re.S))
    form.update(re.findall(r'<select[^>]*\bname="(\w+)"[^>]*>.*?<option[^>]*\bvalue="([^"]*)"[^>]*\bselected',
                           page, re.S))
    assert "seen_version" in form and "csrf_token" in form
    Browserish(app.test_client()).login("a_clerk")  # the clerk signs in while the form is open
    form["full_name"] = "王小明"
    page = web.client.post(edit, data=form, follow_redirects=True).text
    assert "Someone else saved" not in page and "其他人" not in page
    with app.app_context():
        assert db.session.get(User, world["users"]["a_clerk"]).full_name == "王小明"
