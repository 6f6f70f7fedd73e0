"""DRM licence authorisation end to end: the operator stores a BuyDRM account in the console, a
demo channel is protected with BuyDRM, the demo viewer signs in and asks to play it, and the
player's licence request, with the header and token playback handed out, is checked by a fake
KeyOS-style licence endpoint on loopback.

The fake verifies the token the way a licence proxy in front of the vendor would, with an
independent JWT library (PyJWT): HS256 under the account's user key, `iss` the account id, `aud`
the vendor, `exp` in the future, and the entitlement claim `ent` naming the content and the DRM
system. A valid request gets licence bytes (200); a token altered by one character, one signed
with another key, one for other content and a request without the header are refused (403), so
the test fails if TVMS's token stopped matching the published JWS format (RFC 7515/7519).
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from support import DEMO_CRM, ServerPool, console_session, http_session, tag

ACCOUNT = "keyos-account-e2e"
CHANNEL_ID = 3          # a demo channel the demo viewer's product includes
DEVICE = {"uid": "drm-e2e-browser", "type": "chrome"}   # Chrome plays Widevine


class FakeLicenceServer(BaseHTTPRequestHandler):
    """POST /licence with `x-keyos-authorization: <JWT>` and the CDM's challenge as the body."""
    key = ""
    protected = ""
    seen: list = []

    def do_POST(self):
        challenge = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token = self.headers.get("x-keyos-authorization")
        try:
            if self.path != "/licence" or not token:
                raise PermissionError("no authorisation header")
            claims = jwt.decode(token, self.key, algorithms=["HS256"], audience="buydrm", issuer=ACCOUNT,
                                options={"require": ["exp", "iat", "sub", "jti"]})
            ent = claims.get("ent") or {}
            if ent.get("id") != self.protected or ent.get("system") != "widevine":
                raise PermissionError(f"token is for {ent}")
        except (jwt.PyJWTError, PermissionError) as e:
            self.seen.append(("refused", str(e)))
            self.answer(403, f"refused: {e}".encode(), "text/plain")
            return
        self.seen.append(("licensed", claims))
        self.answer(200, b"LICENCE:" + challenge, "application/octet-stream")

    def answer(self, status, body, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def setup():
    key = f"user-key-{tag()}-{tag()}"
    handler = type("Licence", (FakeLicenceServer,), {"key": key, "protected": f"channel:{CHANNEL_ID}", "seen": []})
    licence = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=licence.serve_forever, daemon=True).start()
    pool = ServerPool("drm")
    try:
        server = pool.start("demo", demo=True, fresh_database=True)
        yield {"server": server, "key": key, "licence": f"http://127.0.0.1:{licence.server_address[1]}/licence",
               "handler": handler}
    finally:
        licence.shutdown()
        problems = pool.stop_all()
        assert not problems, problems


def save_form(console, page_path: str, changes: dict[str, str]) -> None:
    """Submits the first form of a console page with its current values and `changes`."""
    page = console.page(page_path)
    form = next(f for f in page.forms if f.has_field("_csrf") and any(x.name in changes for x in f.fields))
    data: dict[str, str] = {}
    for f in form.fields:
        if not f.name or f.type in ("submit", "button", "file"):
            continue
        if f.type in ("checkbox", "radio") and not f.checked:
            continue
        # A checkbox without a value attribute is sent as "on", as a browser does.
        data[f.name] = f.value or ("on" if f.type == "checkbox" else "")
    data.update(changes)
    r = console.post(form.attrs.get("action") or page_path, data)
    assert r.status_code == 303, (page_path, r.status_code, r.text[:1500])


def test_licence_endpoint_accepts_the_token_playback_hands_out(setup):
    server = setup["server"]
    console = console_session(server)
    save_form(console, "/cms/settings/drm/buydrm", {"accountID": ACCOUNT, "key": setup["key"], "widevineURL": setup["licence"],
                                                    "lifetimeSeconds": "600", "enabled": "on"})
    save_form(console, f"/cms/channels/{CHANNEL_ID}", {"drm": "buydrm"})

    api = http_session()
    r = api.post(server.url("/api/client/v1/auth/login"), timeout=15,
                 json={"service": DEMO_CRM, "login": "demoviewer", "password": "demo1234", "device": DEVICE})
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    r = api.post(server.url("/api/client/v1/play"), json={"kind": "live", "item": f"channel:{CHANNEL_ID}"}, headers=auth, timeout=15)
    assert r.status_code == 200, r.text
    drm = r.json()["drm"]
    assert drm["system"] == "widevine" and drm["licenseURL"] == setup["licence"] and drm["headerName"] == "x-keyos-authorization"
    assert setup["key"] not in r.text, "the account key itself must never reach a device"

    challenge = b"\x08\x04widevine-challenge"
    ok = api.post(drm["licenseURL"], data=challenge, headers={drm["headerName"]: drm["token"]}, timeout=15)
    assert ok.status_code == 200, ok.text
    assert ok.content == b"LICENCE:" + challenge
    status, claims = setup["handler"].seen[-1]
    assert status == "licensed" and claims["exp"] - claims["iat"] == 600 and claims["sub"].isdigit()

    token = drm["token"]
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    other_key = jwt.encode(jwt.decode(token, options={"verify_signature": False}), "not-the-account-key", algorithm="HS256")
    other_content = jwt.encode({**jwt.decode(token, options={"verify_signature": False}), "ent": {"id": "channel:999", "system": "widevine"}},
                               setup["key"], algorithm="HS256")
    for bad in (tampered, other_key):
        assert api.post(drm["licenseURL"], data=challenge, headers={drm["headerName"]: bad}, timeout=15).status_code == 403
    # The fake checks the entitlement claim too: a well-signed token for other content is refused.
    assert api.post(drm["licenseURL"], data=challenge, headers={drm["headerName"]: other_content}, timeout=15).status_code == 403
    assert api.post(drm["licenseURL"], data=challenge, timeout=15).status_code == 403
    assert [s for s, _ in setup["handler"].seen] == ["licensed", "refused", "refused", "refused", "refused"]
