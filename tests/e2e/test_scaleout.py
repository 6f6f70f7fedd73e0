"""Two `tvms serve` processes on one PostgreSQL database behave as one service.

Runs only with TVMS_E2E_DATABASE_URL (PostgreSQL): node A starts with --demo on
a fresh database, node B (plain `serve`, its own empty TVMS_DATA_DIR) starts
after A is healthy. Sessions, CSRF tokens and API tokens live in the database,
so a login on one node is valid on the other.
"""
import pytest

import htmlutil
from support import (DEMO_CMS, HTTP_TIMEOUT, OWNER_EMAIL, OWNER_PASSWORD, PG_ADMIN_URL,
                     Console, ServerPool, form_action, http_session, redirect_path)

pytestmark = pytest.mark.skipif(
    not PG_ADMIN_URL, reason="scale-out needs PostgreSQL: set TVMS_E2E_DATABASE_URL")


@pytest.fixture(scope="module")
def nodes():
    pool = ServerPool("scaleout")
    try:
        db = pool.fresh_database()
        a = pool.start("node-a", demo=True, database_url=db)
        b = pool.start("node-b", demo=False, database_url=db)
    except Exception:
        pool.stop_all()
        raise
    yield a, b
    problems = pool.stop_all()
    assert not problems, "graceful shutdown failed:\n" + "\n".join(problems)


def test_both_nodes_ready(nodes):
    with http_session() as http:
        for node in nodes:
            r = http.get(node.url("/readyz"), timeout=HTTP_TIMEOUT)
            assert r.status_code == 200, (node.name, r.text)
            assert r.json().get("status") == "ready", (node.name, r.text)


def test_console_session_from_a_is_valid_on_b(nodes):
    a, b = nodes
    on_a = Console(a)
    on_a.login_ok()
    on_b = Console(b, on_a.http)        # the same cookie jar
    r = on_b.get("/")
    assert r.status_code == 200, f"node B: {r.status_code} Location={r.headers.get('Location')}"
    page = htmlutil.parse(r.text)
    assert page.by_tag("h1") and DEMO_CMS in r.text
    assert page.form(id="login-form") is None


def test_logout_on_b_ends_the_session_on_a(nodes):
    a, b = nodes
    on_a = Console(a)
    on_a.login_ok()
    on_b = Console(b, on_a.http)
    form = on_b.page("/").form(cls="logout")
    assert form is not None, "no form.logout on node B's home page"
    r = on_b.post(form_action(form, "/logout"), {"_csrf": form.value("_csrf") or ""})
    assert r.status_code in (302, 303), r.status_code
    r = on_a.get("/")
    assert r.status_code == 303 and redirect_path(r) == "/login"


def test_api_token_from_a_works_on_b(nodes):
    a, b = nodes
    with http_session() as http:
        r = http.post(a.url("/api/v1/auth/login"), timeout=HTTP_TIMEOUT,
                      json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD,
                            "tokenName": "e2e-scaleout"})
        assert r.status_code in (200, 201), r.text
        token = r.json()["token"]
        r = http.get(b.url("/api/v1/me"), headers={"Authorization": f"Bearer {token}"},
                     timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, r.text
