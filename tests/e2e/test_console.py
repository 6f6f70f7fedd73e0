"""Web console through plain HTTP (requests): login, CSRF, errors, lock-out, logout."""
import uuid

import pytest

import htmlutil
from support import (DEMO_CMS, OWNER_EMAIL, SESSION_COOKIE, Console, form_action,
                     redirect_path)


def assert_logged_out(console):
    r = console.get("/")
    assert r.status_code == 303 and redirect_path(r) == "/login", \
        f"GET / : {r.status_code} Location={r.headers.get('Location')}"


def error_shown(page: htmlutil.Page) -> bool:
    return bool(page.with_classes("flash", "error") or page.with_classes("field-error"))


def test_unauthenticated_console_redirects_to_login(server):
    assert_logged_out(Console(server))


def test_login_form_carries_csrf(server):
    console = Console(server)
    page = console.page("/login")
    form = page.form(id="login-form")
    assert form is not None
    for name in ("email", "password", "_csrf"):
        assert form.has_field(name), f"login form lacks {name}"
    csrf = [f for f in form.fields if f.name == "_csrf"][0]
    assert csrf.type == "hidden" and len(csrf.value) >= 16, csrf
    assert [e for e in page.by_tag("button") if e.attrs.get("type") == "submit"], \
        "no button[type=submit]"


def test_login_redirects_home(server):
    console = Console(server)
    r = console.login()
    assert r.status_code == 303, r.text[:500]
    assert redirect_path(r) == "/"
    assert SESSION_COOKIE in console.http.cookies, console.http.cookies.keys()
    home = console.get("/")
    assert home.status_code == 200
    page = htmlutil.parse(home.text)
    assert page.by_tag("h1")
    assert DEMO_CMS in home.text


def test_login_without_csrf_is_rejected(server):
    console = Console(server)
    console.login_form()            # gets a session cookie first
    r = console.post("/login", {"email": OWNER_EMAIL, "password": "demo1234"})
    assert r.status_code == 403, r.status_code
    assert_logged_out(console)


def test_login_with_forged_csrf_is_rejected(server):
    console = Console(server)
    r = console.login(_csrf="forged-" + uuid.uuid4().hex)
    assert r.status_code == 403, r.status_code
    assert_logged_out(console)


def test_wrong_password_shows_error_and_stays_logged_out(server):
    console = Console(server)
    r = console.login(OWNER_EMAIL, "wrong-password")
    assert not (r.status_code == 303 and redirect_path(r) == "/"), "wrong password logged in"
    if r.status_code in (302, 303):    # post/redirect/get back to the form
        assert redirect_path(r) == "/login"
        r = console.get("/login")
    page = htmlutil.parse(r.text)
    assert page.form(id="login-form") is not None, "login form not shown again"
    assert error_shown(page), "no .flash.error / .field-error on the page"
    assert_logged_out(console)


def create_user_via_console(console, email, password, role="support"):
    page = console.page("/system-users/new")
    form = page.form(field="email")
    assert form is not None, "no user form on /system-users/new"
    data = {"_csrf": form.value("_csrf") or "", "name": "E2E " + email,
            "email": email, "password": password, "role": role}
    boxes = [f for f in form.fields if f.name == "deploymentIds[]"]
    if boxes:
        data["deploymentIds[]"] = boxes[0].value
    r = console.post(form_action(form, "/system-users"), data)
    assert r.status_code == 303 and redirect_path(r) == "/system-users", \
        f"create user: {r.status_code} {r.headers.get('Location')} {r.text[:500]}"


def test_five_failed_logins_lock_the_account(server):
    admin = Console(server)
    admin.login_ok()
    email = f"lockme-{uuid.uuid4().hex[:8]}@e2e.test"
    password = "correct-horse-42"
    create_user_via_console(admin, email, password)

    console = Console(server)
    console.login_ok(email, password)          # the account works
    console = Console(server)
    for attempt in range(5):
        r = console.login(email, f"wrong-{attempt}-password")
        assert not (r.status_code == 303 and redirect_path(r) == "/")
    r = console.login(email, password)          # right password, but locked now
    assert not (r.status_code == 303 and redirect_path(r) == "/"), "locked account logged in"
    if r.status_code in (302, 303):
        r = console.get(redirect_path(r) or "/login")
    assert "locked" in r.text.lower(), r.text[:2000]
    assert_logged_out(console)


def test_logout_ends_the_session(server):
    console = Console(server)
    console.login_ok()
    page = console.page("/")
    form = page.form(cls="logout")
    assert form is not None, "no form.logout on the home page"
    r = console.post(form_action(form, "/logout"), {"_csrf": form.value("_csrf") or ""})
    assert r.status_code in (302, 303), r.status_code
    assert_logged_out(console)


@pytest.mark.parametrize("path", ["/system-users", "/system-users/new"])
def test_console_pages_need_login(server, path):
    r = Console(server).get(path)
    assert r.status_code == 303 and redirect_path(r) == "/login"
