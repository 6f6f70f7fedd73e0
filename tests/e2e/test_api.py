"""REST API v1: bearer-token login, /me, error shape, deployments."""
import pytest

from support import (DEMO_AUTH_TOKEN, DEMO_CMS, DEMO_CRM, HTTP_TIMEOUT, OWNER_EMAIL,
                     OWNER_PASSWORD, http_session)


def api_login(server, http, email=OWNER_EMAIL, password=OWNER_PASSWORD, token_name="e2e"):
    return http.post(server.url("/api/v1/auth/login"),
                     json={"email": email, "password": password, "tokenName": token_name},
                     timeout=HTTP_TIMEOUT)


def assert_error_shape(r):
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    err = body["error"]
    assert isinstance(err.get("code"), str) and err["code"], body
    assert isinstance(err.get("message"), str) and err["message"], body


def items_of(body):
    """A list response: a bare array, or an object holding one array (items/data/...)."""
    if isinstance(body, list):
        return body
    assert isinstance(body, dict), body
    for key in ("items", "data", "deployments", "results"):
        if isinstance(body.get(key), list):
            return body[key]
    lists = [v for v in body.values() if isinstance(v, list)]
    assert len(lists) == 1, f"cannot find the list in {body}"
    return lists[0]


@pytest.fixture(scope="module")
def token(server):
    with http_session() as http:
        r = api_login(server, http)
    assert r.status_code in (200, 201), r.text
    return r.json()["token"]


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_token(server, http):
    r = api_login(server, http, token_name="e2e-login-test")
    assert r.status_code in (200, 201), r.text
    body = r.json()
    assert isinstance(body.get("token"), str) and len(body["token"]) >= 16, body


def test_me_with_token(server, http, token):
    r = http.get(server.url("/api/v1/me"), headers=auth(token), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    body = r.json()
    email = body.get("email") or (body.get("user") or {}).get("email")
    assert email == OWNER_EMAIL, body


def test_me_without_token_is_401_with_error_shape(server, http):
    r = http.get(server.url("/api/v1/me"), timeout=HTTP_TIMEOUT)
    assert r.status_code == 401, r.text
    assert_error_shape(r)


def test_me_with_unknown_token_is_401(server, http):
    r = http.get(server.url("/api/v1/me"), headers=auth("not-a-real-token-0123456789"),
                 timeout=HTTP_TIMEOUT)
    assert r.status_code == 401, r.text
    assert_error_shape(r)


def test_deployments_lists_demo_without_auth_token(server, http, token):
    r = http.get(server.url("/api/v1/deployments"), headers=auth(token), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    deployments = items_of(r.json())
    demo = [d for d in deployments if d.get("cmsService") == DEMO_CMS]
    assert demo, f"no deployment with cmsService {DEMO_CMS!r}: {deployments}"
    assert demo[0].get("crmService") == DEMO_CRM, demo[0]
    # The business API token is a secret: the API never shows it.
    assert DEMO_AUTH_TOKEN not in r.text
