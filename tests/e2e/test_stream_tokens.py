"""Stream-URL signing (`tvms tokens sign`, Domain/Delivery/StreamTokens.swift) checked two ways:

1. against independent references: Python's hashlib written from the vendors' descriptions
   (nginx, Flussonic, Wowza, Nimble) and Akamai's own generator (PyPI akamai-edgeauth);
2. against a real nginx with ngx_http_secure_link_module on loopback: a signed URL plays (200),
   an expired one gets 410, a tampered one or one signed for another client 403;
3. the callback instead of the signature: a real nginx with ngx_http_auth_request_module asks the
   running `tvms serve` (the session's demo server) about each request carrying a TVMS ticket.

Parts 1 and 2 need no TVMS database: `tvms tokens` runs without `configure`.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from support import (DEMO_CMS, DEMO_CRM, HTTP_TIMEOUT, OWNER_EMAIL, OWNER_PASSWORD, TVMS_BIN, _die_with_parent,
                     console_session, free_port, http_session, tag)

NOW = 1_700_000_000
AKAMAI_KEY = "aabbccddeeff00112233445566778899"
NGINX_SECRET = "secret"


def sign(scheme: str, secret: str, url: str, *, ip: str | None = None, ttl: int = 3600,
         now: int | None = NOW, user: str | None = None, options: tuple[str, ...] = ()) -> str:
    args = [str(TVMS_BIN), "tokens", "sign", "--scheme", scheme, "--secret", secret, "--url", url, "--ttl", str(ttl)]
    if ip is not None:
        args += ["--ip", ip]
    if now is not None:
        args += ["--now", str(now)]
    if user is not None:
        args += ["--user", user]
    for o in options:
        args += ["--option", o]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          cwd="/", preexec_fn=_die_with_parent)
    assert proc.returncode == 0, f"tvms tokens sign failed ({proc.returncode}): {proc.stdout}{proc.stderr}"
    return proc.stdout.strip()


def b64url_nopad(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# ------------------------------------------------------------- references ---


def edge_auth(**kw):
    """Akamai's EdgeAuth. Importing it sets TZ=GMT for the whole process; undo that so the
    other tests of the session keep the machine's zone."""
    saved = os.environ.get("TZ")
    from akamai.edgeauth import EdgeAuth
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()
    return EdgeAuth(**kw)


@pytest.mark.parametrize("url,ip", [
    ("/s/link", "127.0.0.1"),
    ("http://edge:8080/vod/ch1/index.m3u8", "203.0.113.9"),
    ("https://edge/vod/movie%20one.mp4?lang=de", "::1"),
])
def test_nginx_matches_reference(url, ip):
    path = unquote(urlsplit(url).path)   # nginx's $uri is the decoded path
    expires = NOW + 3600
    st = b64url_nopad(hashlib.md5(f"{expires}{path}{ip} {NGINX_SECRET}".encode()).digest())
    sep = "&" if "?" in url else "?"
    assert sign("nginx", NGINX_SECRET, url, ip=ip) == f"{url}{sep}st={st}&e={expires}"


@pytest.mark.parametrize("ip,user", [("192.0.2.10", None), ("192.0.2.10", "subscriber-7"), (None, None)])
def test_flussonic_matches_reference(ip, user):
    salt = "5a1t"
    start, end = NOW - 300, NOW + 10800
    text = "bbc" + (ip or "") + str(start) + str(end) + "SECRETKEY" + salt + (user or "")
    token = f"{hashlib.sha1(text.encode()).hexdigest()}-{salt}-{end}-{start}"
    expected = f"http://flussonic:8080/bbc/index.m3u8?token={token}" + (f"&user_id={user}" if user else "")
    assert sign("flussonic", "SECRETKEY", "http://flussonic:8080/bbc/index.m3u8", ip=ip, ttl=10800, user=user,
                options=(f"salt={salt}",)) == expected


def test_flussonic_derived_salt_is_keyed_by_the_secret():
    signed = sign("flussonic", "SECRETKEY", "http://flussonic/bbc/index.m3u8", ip="192.0.2.10", ttl=600)
    start, end = NOW - 300, NOW + 600
    salt = hmac.new(b"SECRETKEY", "\x1f".join(["bbc", "192.0.2.10", str(start), str(end), ""]).encode(),
                    hashlib.sha256).hexdigest()[:8]
    digest = hashlib.sha1(f"bbc192.0.2.10{start}{end}SECRETKEY{salt}".encode()).hexdigest()
    assert signed == f"http://flussonic/bbc/index.m3u8?token={digest}-{salt}-{end}-{start}"


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
@pytest.mark.parametrize("ip", [None, "198.51.100.4"])
def test_wowza_matches_reference(algorithm, ip):
    prefix, secret, end = "wowzatoken", "mySharedSecret", NOW + 1800
    params = [f"{prefix}CustomParameter=abc", f"{prefix}endtime={end}", f"{prefix}starttime={NOW}"]
    items = sorted(params + [secret] + ([ip] if ip else []))
    text = "live/_definst_/myStream?" + "&".join(items)
    digest = base64.b64encode(hashlib.new(algorithm, text.encode()).digest()).decode().replace("+", "-").replace("/", "_")
    url = "http://wowza:1935/live/_definst_/myStream/playlist.m3u8"
    expected = f"{url}?{'&'.join(sorted(params))}&{prefix}hash={digest}"
    assert sign("wowza", secret, url, ip=ip, ttl=1800,
                options=(f"algorithm={algorithm}", "param.CustomParameter=abc")) == expected


def nimble_server_time(unix: int) -> str:
    t = datetime.datetime.fromtimestamp(unix, tz=datetime.timezone.utc)
    hour12 = t.hour % 12 or 12
    return f"{t.month}/{t.day}/{t.year} {hour12}:{t.minute:02d}:{t.second:02d} {'AM' if t.hour < 12 else 'PM'}"


@pytest.mark.parametrize("ip", ["127.0.0.1", None])
@pytest.mark.parametrize("signed_stream", [False, True])
@pytest.mark.parametrize("now", [NOW, 1_336_120_385, 1_709_208_000])
def test_nimble_matches_reference(ip, signed_stream, now):
    key, minutes = "defaultpassword", 15
    server_time = nimble_server_time(now)
    stream = "live/stream" if signed_stream else ""
    hash_value = base64.b64encode(hashlib.md5(f"{ip or ''}{key}{server_time}{minutes}{stream}".encode()).digest()).decode()
    signature = f"server_time={server_time}&hash_value={hash_value}&validminutes={minutes}"
    if signed_stream:
        signature += f"&strm_len={len(stream)}"
    url = "http://nimble:8081/live/stream/playlist.m3u8"
    expected = f"{url}?wmsAuthSign={base64.b64encode(signature.encode()).decode()}"
    assert sign("nimble", key, url, ip=ip, ttl=minutes * 60, now=now,
                options=(f"signed_stream={'on' if signed_stream else 'off'}",)) == expected


@pytest.mark.parametrize("ip", ["127.0.0.1", None])
@pytest.mark.parametrize("signed_stream", [False, True])
def test_nimble_pay_per_view_matches_reference(ip, signed_stream):
    """Softvelum's pay-per-view signature: the viewer id hashed after the IP, sent as id=, and
    checkip=true when bound to the IP."""
    key, minutes, viewer = "defaultpassword", 240, "t1.7.channel.3.live.1700014400.u.abc-_9"
    server_time = nimble_server_time(NOW)
    stream = "live/stream" if signed_stream else ""
    hash_value = base64.b64encode(hashlib.md5(f"{ip or ''}{viewer}{key}{server_time}{minutes}{stream}".encode()).digest()).decode()
    signature = f"server_time={server_time}&hash_value={hash_value}&validminutes={minutes}"
    if signed_stream:
        signature += f"&strm_len={len(stream)}"
    signature += f"&id={viewer}" + ("&checkip=true" if ip else "")
    url = "http://nimble:8081/live/stream/playlist.m3u8"
    expected = f"{url}?wmsAuthSign={base64.b64encode(signature.encode()).decode()}"
    assert sign("nimble", key, url, ip=ip, ttl=minutes * 60, user=viewer,
                options=("ppv=on", f"signed_stream={'on' if signed_stream else 'off'}")) == expected


@pytest.mark.parametrize("algorithm", ["sha256", "sha1", "md5"])
@pytest.mark.parametrize("token_type", ["acl", "url"])
@pytest.mark.parametrize("ip", [None, "203.0.113.7"])
def test_akamai_matches_edgeauth(algorithm, token_type, ip):
    auth = edge_auth(key=AKAMAI_KEY, algorithm=algorithm, ip=ip, end_time=NOW + 300, token_name="hdnts")
    url = "https://cdn.example/live/ch1/index.m3u8"
    token = auth.generate_acl_token("/live/ch1/*") if token_type == "acl" else auth.generate_url_token("/live/ch1/index.m3u8")
    assert sign("akamai", AKAMAI_KEY, url, ip=ip, ttl=300,
                options=(f"algorithm={algorithm}", f"type={token_type}")) == f"{url}?hdnts={token}"


def test_akamai_salt_session_and_acl_list_match_edgeauth():
    auth = edge_auth(key=AKAMAI_KEY, end_time=NOW + 60, session_id="user42", salt="pepper", token_name="hdnts")
    token = auth.generate_acl_token(["/live/*", "/vod/*"])
    assert sign("akamai", AKAMAI_KEY, "/live/ch1/index.m3u8", ttl=60, user="user42",
                options=("acl=/live/*!/vod/*", "salt=pepper")) == f"/live/ch1/index.m3u8?hdnts={token}"


def test_cli_refuses_bad_input_with_a_clear_message():
    proc = subprocess.run([str(TVMS_BIN), "tokens", "sign", "--scheme", "akamai", "--secret", "abc", "--url", "/x"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, cwd="/")
    assert proc.returncode != 0
    assert "even-length hexadecimal" in proc.stdout + proc.stderr


# ------------------------------------------------------------ real nginx ---

# A private nginx: in the foreground, every file under {dir}. Each configuration adds its access
# log and its servers (NGINX_HEAD + access log + NGINX_HTTP_COMMON + servers).
NGINX_HEAD = """
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
"""
NGINX_HTTP_COMMON = """    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
"""

NGINX_CONF = NGINX_HEAD + """    access_log {dir}/access.log;
""" + NGINX_HTTP_COMMON + """    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        # One token per file: the hash covers the whole $uri (scope=path).
        location /vod/ {{
            secure_link $arg_st,$arg_e;
            secure_link_md5 "$secure_link_expires$uri$remote_addr {secret}";
            if ($secure_link = "") {{ return 403; }}
            if ($secure_link = "0") {{ return 410; }}
        }}
        # HLS: one token for the stream directory, so segment requests validate too (scope=directory).
        location ~ ^(?<stream_dir>/live/[^/]+)/ {{
            secure_link $arg_st,$arg_e;
            secure_link_md5 "$secure_link_expires$stream_dir$remote_addr {secret}";
            if ($secure_link = "") {{ return 403; }}
            if ($secure_link = "0") {{ return 410; }}
        }}
    }}
}}
"""

PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.0,\nseg0.ts\n#EXT-X-ENDLIST\n"
SEGMENT = bytes([0x47]) + bytes(187)   # one MPEG-TS packet


def start_nginx(root: Path, streams: tuple[str, ...], conf_text: str):
    """nginx in the foreground on loopback with `conf_text`, serving PLAYLIST and SEGMENT under
    each of `streams`; returns (process, base URL, http session) once it answers."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).is_file():
        pytest.fail("nginx is not installed (scripts/test.sh installs nginx-light)")
    for sub in ("tmp",) + tuple(f"www/{d}" for d in streams):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for d in streams:
        (root / "www" / d / "index.m3u8").write_text(PLAYLIST)
        (root / "www" / d / "seg0.ts").write_bytes(SEGMENT)
    conf = root / "nginx.conf"
    conf.write_text(conf_text)
    proc = subprocess.Popen([binary, "-p", str(root), "-e", str(root / "error.log"), "-c", str(conf)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=_die_with_parent)
    port = re.search(r"listen 127\.0\.0\.1:(\d+);", conf_text)[1]
    base = f"http://127.0.0.1:{port}"
    http = http_session()
    deadline = time.monotonic() + 15
    while True:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            pytest.fail(f"nginx exited ({proc.returncode}): {out}\n{(root / 'error.log').read_text(errors='replace')}")
        try:
            http.get(base + "/", timeout=1)
            break
        except Exception:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("nginx did not start listening within 15 s")
            time.sleep(0.1)
    return proc, base, http


def stop_nginx(proc, http) -> None:
    http.close()
    proc.send_signal(signal.SIGQUIT)   # graceful stop
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    root = tmp_path_factory.mktemp("nginx")
    conf = NGINX_CONF.format(dir=root, port=free_port(), secret=NGINX_SECRET)
    proc, base, http = start_nginx(root, ("vod/ch1", "live/ch1", "live/ch2"), conf)
    yield base, http
    stop_nginx(proc, http)


def live(url: str, **kw) -> str:
    """Signed at the current time: nginx compares the expiry with its own clock."""
    return sign("nginx", NGINX_SECRET, url, now=None, **kw)


def test_nginx_accepts_signed_playlist_and_segment(nginx):
    base, http = nginx
    playlist = http.get(live(base + "/vod/ch1/index.m3u8", ip="127.0.0.1", ttl=120), timeout=10)
    assert playlist.status_code == 200 and playlist.text == PLAYLIST
    segment = http.get(live(base + "/vod/ch1/seg0.ts", ip="127.0.0.1", ttl=120), timeout=10)
    assert segment.status_code == 200 and segment.content == SEGMENT
    # A URL that already has a query gets the token after it.
    with_query = http.get(live(base + "/vod/ch1/index.m3u8?lang=de", ip="127.0.0.1", ttl=120), timeout=10)
    assert with_query.status_code == 200


def test_nginx_refuses_unsigned_expired_tampered_and_foreign_ip(nginx):
    base, http = nginx
    assert http.get(base + "/vod/ch1/index.m3u8", timeout=10).status_code == 403
    expired = sign("nginx", NGINX_SECRET, base + "/vod/ch1/index.m3u8", ip="127.0.0.1", ttl=60, now=int(time.time()) - 3600)
    assert http.get(expired, timeout=10).status_code == 410
    good = live(base + "/vod/ch1/index.m3u8", ip="127.0.0.1", ttl=120)
    hash_start = good.index("st=") + 3
    flipped = "A" if good[hash_start] != "A" else "B"
    tampered = good[:hash_start] + flipped + good[hash_start + 1:]
    assert http.get(tampered, timeout=10).status_code == 403
    # Same token on another file: the hash covers the path.
    assert http.get(good.replace("/vod/ch1/index.m3u8", "/vod/ch1/seg0.ts"), timeout=10).status_code == 403
    # Expiry moved later without re-signing.
    expires = int(good.rsplit("&e=", 1)[1])
    assert http.get(good.rsplit("&e=", 1)[0] + f"&e={expires + 3600}", timeout=10).status_code == 403
    foreign = live(base + "/vod/ch1/index.m3u8", ip="10.1.2.3", ttl=120)
    assert http.get(foreign, timeout=10).status_code == 403
    assert http.get(live(base + "/vod/ch1/index.m3u8", ip="127.0.0.1", ttl=120), timeout=10).status_code == 200


def test_nginx_directory_token_covers_hls_segments(nginx):
    base, http = nginx
    playlist_url = live(base + "/live/ch1/index.m3u8", ip="127.0.0.1", ttl=120, options=("scope=directory",))
    assert http.get(playlist_url, timeout=10).status_code == 200
    query = playlist_url.split("?", 1)[1]
    # A player requests the segment with the playlist's token (the edge or a rewrite adds it).
    segment = http.get(f"{base}/live/ch1/seg0.ts?{query}", timeout=10)
    assert segment.status_code == 200 and segment.content == SEGMENT
    # The token is for ch1's directory only.
    assert http.get(f"{base}/live/ch2/index.m3u8?{query}", timeout=10).status_code == 403


# ------------------------------------------------- nginx auth_request ---

AUTH_CONF = NGINX_HEAD + """    log_format tvms '$remote_addr "$request" $status reason=$tvms_reason';
    access_log {dir}/access.log tvms;
""" + NGINX_HTTP_COMMON + """    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        set $tvms_reason "";
        # The configuration docs/DELIVERY.md gives operators, with this run's callback URL.
        location /cb/ {{
            auth_request /_tvms_auth;
            auth_request_set $tvms_reason $upstream_http_x_tvms_reason;
        }}
        location = /_tvms_auth {{
            internal;
            proxy_pass {callback};
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Real-IP $remote_addr;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def auth_nginx(server, tmp_path_factory):
    """A streaming server (kind nginx) with its callback turned on in the console, a channel of
    token type `callback` served by this nginx in the demo's Basic package, and the demo
    subscriber playing it; nginx asks TVMS through auth_request."""
    t = tag()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    console = console_session(server)

    def csrf(page: str) -> str:
        return re.search(r'name="_csrf" value="([^"]+)"', console.get(page).text)[1]

    name = f"E2E auth_request {t}"
    r = console.post("/cms/transcoders", {"_csrf": csrf("/cms/transcoders/new"), "name": name, "kind": "nginx", "baseURL": base,
                                          "dvrDepthDays": "0", "archiveForm": "query", "archiveStartParam": "start", "archiveEndParam": "end",
                                          "enabled": "on", "callbackEnabled": "on"})
    assert r.status_code == 200, f"adding the server: {r.status_code} {r.headers.get('Location')}"
    key = re.search(r"tvms_cb_[A-Za-z0-9_-]{43}", r.text)[0]
    assert f"/stream-auth/nginx/{key}" in r.text
    server_id = re.search(r'href="/cms/transcoders/(\d+)"', r.text)[1]

    with http_session() as api:
        login = api.post(server.url("/api/v1/auth/login"), json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "tokenName": "e2e-cb"},
                         timeout=HTTP_TIMEOUT)
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        deployments = api.get(server.url("/api/v1/deployments"), headers=headers, timeout=HTTP_TIMEOUT).json()
        rows = deployments if isinstance(deployments, list) else next(v for v in deployments.values() if isinstance(v, list))
        d = next(x["id"] for x in rows if x.get("cmsService") == DEMO_CMS)
        stream = f"cb/e2e{t}"
        ch = api.post(server.url(f"/api/v1/deployments/{d}/channels"), headers=headers, timeout=HTTP_TIMEOUT,
                      json={"number": 70000 + int(t, 16) % 9000, "name": f"E2E Callback {t}", "hlsUrl": f"{base}/{stream}/index.m3u8",
                            "tokenType": "callback"})
        assert ch.status_code == 201, ch.text
        channel = ch.json()["id"]
        packages = api.get(server.url(f"/api/v1/deployments/{d}/packages?kind=channel"), headers=headers, timeout=HTTP_TIMEOUT).json()
        prow = packages if isinstance(packages, list) else next(v for v in packages.values() if isinstance(v, list))
        basic = next(x["id"] for x in prow if x["name"] == "Basic")
        added = api.post(server.url(f"/api/v1/deployments/{d}/packages/{basic}/items"), headers=headers, timeout=HTTP_TIMEOUT,
                         json={"items": [channel]})
        assert added.status_code == 200, added.text

        root = tmp_path_factory.mktemp("nginx-auth")
        conf = AUTH_CONF.format(dir=root, port=port, callback=server.url(f"/stream-auth/nginx/{key}"))
        proc, _, http = start_nginx(root, (stream, "cb/other"), conf)
        try:
            device = api.post(server.url("/api/client/v1/auth/login"), timeout=HTTP_TIMEOUT,
                              json={"service": DEMO_CRM, "login": "demoviewer", "password": "demo1234",
                                    "device": {"uid": f"e2e-cb-{t}", "type": "androidtv"}})
            assert device.status_code == 201, device.text
            bearer = {"Authorization": f"Bearer {device.json()['token']}"}
            play = api.post(server.url("/api/client/v1/play"), headers=bearer, timeout=HTTP_TIMEOUT,
                            json={"kind": "live", "item": f"channel:{channel}"})
            assert play.status_code == 200, play.text
            grant = play.json()
            yield {"base": base, "http": http, "url": grant["url"], "stream": stream, "playback": grant["playbackID"], "bearer": bearer,
                   "server": server, "root": root}
        finally:
            stop_nginx(proc, http)
            api.delete(server.url(f"/api/v1/deployments/{d}/channels/{channel}"), headers=headers, timeout=HTTP_TIMEOUT)
            console.post(f"/cms/transcoders/{server_id}/delete", {"_csrf": csrf(f"/cms/transcoders/{server_id}/delete")})


def test_auth_request_lets_the_ticketed_playback_through(auth_nginx):
    s = auth_nginx
    url, http = s["url"], s["http"]
    assert url.startswith(f"{s['base']}/{s['stream']}/index.m3u8?token=t1."), url
    playlist = http.get(url, timeout=10)
    assert playlist.status_code == 200 and playlist.text == PLAYLIST, (playlist.status_code, (s["root"] / "error.log").read_text()[-2000:])
    ticket = url.split("token=", 1)[1]
    segment = http.get(f"{s['base']}/{s['stream']}/seg0.ts?token={ticket}", timeout=10)
    assert segment.status_code == 200 and segment.content == SEGMENT


def test_auth_request_refuses_without_ticket_other_stream_and_forgery(auth_nginx):
    s = auth_nginx
    base, http, ticket = s["base"], s["http"], s["url"].split("token=", 1)[1]
    assert http.get(f"{base}/{s['stream']}/index.m3u8", timeout=10).status_code == 401
    assert http.get(f"{base}/cb/other/index.m3u8?token={ticket}", timeout=10).status_code == 403
    flipped = ticket[:-1] + ("A" if ticket[-1] != "A" else "B")
    assert http.get(f"{base}/{s['stream']}/index.m3u8?token={flipped}", timeout=10).status_code == 403
    log = (s["root"] / "access.log").read_text()
    assert "reason=no_ticket" in log and "reason=wrong_stream" in log and "reason=bad_ticket" in log, log


def test_auth_request_refuses_a_stopped_playback(auth_nginx):
    s = auth_nginx
    stop = s["http"].post(s["server"].url(f"/api/client/v1/play/{s['playback']}/stop"), headers=s["bearer"], timeout=HTTP_TIMEOUT)
    assert stop.status_code == 204
    assert s["http"].get(s["url"], timeout=10).status_code == 403
    assert "reason=playback_ended" in (s["root"] / "access.log").read_text()
