"""The Xtream Codes dialect and the per-customer M3U / XMLTV with real clients, against the
demo server (`tvms serve --demo`, subscriber demo01 / demo1234):

- pyxtream 0.8.0 with validate_json=True loads the whole demo catalogue, series info and EPG,
  and the stream URLs it builds are redirected to correctly signed addresses;
- xtream-api-client 0.1.0 signs in and lists, and raises its expected errors for bad logins
  (auth 0 with HTTP 200, and HTTP 401 on a server started with TVMS_XTREAM_AUTH_FAILURE=401);
- the M3U parses with m3u-ipytv, and the XMLTV passes Debian's tv_validate_file with the DTD
  read locally (XMLTV_SUPPLEMENT=/usr/share/xmltv).
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import contextlib
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from support import ServerPool, http_session

LOGIN, PASSWORD = "demo01", "demo1234"
FLUSSONIC_SECRET = "demo-flussonic-secret"   # DemoData.demoFlussonicSecret
LIVE_CHANNELS = 23      # 30 demo channels less the 5 sports ones (an extra package) and the 16+ and 18+ ones (parental PIN)
MOVIES = 4              # 5 by subscription less the 16+ one (parental); the PPV one is not listed
EPISODES = 6
GUIDE_CHANNEL = "Business Today"   # DemoData.guideChannels: a demo guide, 7 days of catch-up
GUIDE_TITLES = {"Markets Overnight", "Early Trading", "Opening Bell", "Business Hour", "Company Reports", "Closing Bell",
                "The Economy Tonight", "Global Markets"}


def api(server, action: str = "", **params):
    query = {"username": LOGIN, "password": PASSWORD, **params}
    if action:
        query["action"] = action
    with http_session() as s:
        r = s.get(server.url("/player_api.php"), params=query, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def flussonic_token_ok(url: str) -> bool:
    """The Flussonic securetoken of a redirect target, recomputed from the demo secret:
    sha1(stream + ip + start + end + secret + salt + user_id) with no client IP bound."""
    parts = urlsplit(url)
    q = parse_qs(parts.query)
    digest, salt, end, start = q["token"][0].split("-")
    stream = parts.path.strip("/")
    last = stream.rsplit("/", 1)
    if len(last) == 2 and "." in last[1]:
        stream = last[0]
    user = q.get("user_id", [""])[0]
    expected = hashlib.sha1(f"{stream}{start}{end}{FLUSSONIC_SECRET}{salt}{user}".encode()).hexdigest()
    return digest == expected and int(end) > int(start)


def follow_once(url: str):
    with http_session() as s:
        return s.get(url, allow_redirects=False, timeout=30)


def test_pyxtream_loads_the_demo_catalogue_and_its_urls_redirect(server, tmp_path):
    from pyxtream import XTream
    from pyxtream.schemaValidator import SchemaType, schemaValidator

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        x = XTream("tvms", LOGIN, PASSWORD, server.base_url, cache_path=str(tmp_path), validate_json=True, reload_time_sec=-1)
        assert x.state["authenticated"], out.getvalue()
        assert x.load_iptv()
        show = x.series[0]
        x.get_series_info_by_id(show)
        info = x._load_series_info_by_id_from_provider(show.series_id)
        epg = x.liveEpgByStream(next(c.id for c in x.channels if c.name == GUIDE_CHANNEL))
        table = x.allLiveEpgByStream(next(c.id for c in x.channels if c.name == GUIDE_CHANNEL))
    log = out.getvalue()
    # pyxtream prints what fails its schemas (and "Bad URL?" for URLs it cannot use).
    assert "Failed validating" not in log and "Bad URL" not in log and "could not be loaded" not in log, log
    assert (len(x.channels), len(x.movies), len(x.series)) == (LIVE_CHANNELS, MOVIES, 1), log
    assert x.account_expiration.total_seconds() > 0
    assert schemaValidator(info, SchemaType.SERIES)
    for raw in api(server, "get_live_streams"):
        assert schemaValidator(raw, SchemaType.LIVE)
    for raw in api(server, "get_vod_streams"):
        assert schemaValidator(raw, SchemaType.VOD)
    for raw in api(server, "get_series"):
        assert schemaValidator(raw, SchemaType.SERIES_INFO)
    for kind in ("get_live_categories", "get_vod_categories", "get_series_categories"):
        for raw in api(server, kind):
            assert schemaValidator(raw, SchemaType.GROUP)
    episodes = [e for season in show.seasons.values() for e in season.episodes.values()]
    assert len(episodes) == EPISODES and set(show.seasons) == {"Season 1", "Season 2"}

    # The guide: base64 titles, now and next, the past for catch-up.
    listings = epg["epg_listings"]
    assert len(listings) == 4
    assert base64.b64decode(listings[0]["title"]).decode() in GUIDE_TITLES
    assert any(row["has_archive"] == 1 for row in table["epg_listings"]) and sum(row["now_playing"] for row in table["epg_listings"]) == 1

    # The URLs pyxtream builds: each a redirect to a signed address of the right item.
    news = next(c for c in x.channels if c.name == GUIDE_CHANNEL)
    assert news.url == f"{server.base_url}/live/{LOGIN}/{PASSWORD}/{news.id}.ts"
    r = follow_once(news.url)
    assert r.status_code == 302 and r.headers["Location"].startswith("https://live.demo.tvms/business-today/index.m3u8?token="), r.text
    assert flussonic_token_ok(r.headers["Location"])
    movie = x.movies[0]
    r = follow_once(movie.url)
    assert r.status_code == 302 and r.headers["Location"].startswith("https://vod.demo.tvms/") and flussonic_token_ok(r.headers["Location"]), r.text
    r = follow_once(episodes[0].url)
    assert r.status_code == 302 and r.headers["Location"].startswith("https://vod.demo.tvms/glass-valley/"), r.text

    # Catch-up of a finished programme, START as the guide wrote it (server_info.timezone).
    past = [row for row in table["epg_listings"] if row["has_archive"] == 1][-1]
    r = follow_once(f"{server.base_url}/timeshift/{LOGIN}/{PASSWORD}/30/{quote(past['start'])}/{news.id}.ts")
    assert r.status_code == 302, r.text
    assert f"/business-today/archive-{past['start_timestamp']}-1800.m3u8?token=" in r.headers["Location"] and flussonic_token_ok(r.headers["Location"])
    # The same programme in XC's own form and as Unix seconds.
    day, clock = past["start"].split(" ")
    xc_start = f"{day}:{clock[:2]}-{clock[3:5]}"
    for start in (xc_start, past["start_timestamp"]):
        r = follow_once(f"{server.base_url}/timeshift/{LOGIN}/{PASSWORD}/30/{start}/{news.id}.ts")
        assert r.status_code == 302 and f"/archive-{past['start_timestamp']}-1800.m3u8" in r.headers["Location"], (start, r.text)


def test_xtream_api_client_signs_in_lists_and_refuses_bad_logins(server):
    from xtream_api_client import XtreamClient
    from xtream_api_client.exceptions import XtreamAuthenticationError

    client = XtreamClient(server.base_url, LOGIN, PASSWORD)
    account = client.get_account_info_parsed()
    assert account.username == LOGIN and account.status == "Active" and account.exp_date.isdigit()
    assert account.max_connections == 3 and account.active_connections is not None
    info = client.get_account_info()
    assert info["server_info"]["timezone"] == "Europe/Amsterdam" and info["user_info"]["auth"] == 1
    categories = client.list_live_categories()
    assert "News" in {c.name for c in categories}
    news = next(c for c in categories if c.name == "News")
    in_news = client.list_live_streams(news.category_id)
    assert {c.name for c in in_news} >= {"City News 24", "World Report", GUIDE_CHANNEL} and all(c.category_id == news.category_id for c in in_news)
    assert len(client.list_live_streams()) == LIVE_CHANNELS
    assert len(client.get_vod_streams()) == MOVIES and len(client.get_series()) == 1

    # Bad logins: user_info.auth = 0 with HTTP 200, which this client turns into its error.
    # (An unknown login: wrong passwords of demo01 would count towards its lock-out.)
    with pytest.raises(XtreamAuthenticationError):
        XtreamClient(server.base_url, "nobody01", "whatever1").get_account_info()
    with pytest.raises(XtreamAuthenticationError):
        XtreamClient(server.base_url, "nobody01", "whatever1").get_live_streams()
    with pytest.raises(XtreamAuthenticationError):
        XtreamClient(server.base_url, LOGIN, "Wr0ng-pass").get_account_info()


def test_strict_servers_answer_bad_logins_with_401():
    """The compatibility contract's HTTP 401 option (TVMS_XTREAM_AUTH_FAILURE=401)."""
    from xtream_api_client import XtreamClient
    from xtream_api_client.exceptions import XtreamHTTPError

    pool = ServerPool("xtream")
    try:
        strict = pool.start("strict", demo=True, fresh_database=True, env={"TVMS_XTREAM_AUTH_FAILURE": "401"})
        with pytest.raises(XtreamHTTPError) as e:
            XtreamClient(strict.base_url, "nobody01", "whatever1").get_account_info()
        assert e.value.status_code == 401
        with http_session() as s:
            r = s.get(strict.url("/player_api.php"), params={"username": "nobody01", "password": "x"}, timeout=30)
        assert r.status_code == 401 and r.json()["user_info"]["auth"] == 0
        assert XtreamClient(strict.base_url, LOGIN, PASSWORD).get_account_info()["user_info"]["auth"] == 1
    finally:
        problems = pool.stop_all()
    assert not problems, problems


def test_m3u_parses_with_ipytv_and_matches_the_guide(server, tmp_path):
    from ipytv import playlist

    with http_session() as s:
        r = s.get(server.url("/get.php"), params={"username": LOGIN, "password": PASSWORD, "type": "m3u_plus", "output": "ts"}, timeout=30)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("audio/x-mpegurl"), r.text
        guide = s.get(server.url("/xmltv.php"), params={"username": LOGIN, "password": PASSWORD}, timeout=120)
        assert guide.status_code == 200 and guide.headers["Content-Type"].startswith("application/xml")
    path = tmp_path / "demo01.m3u"
    path.write_bytes(r.content)
    pl = playlist.loadf(str(path))
    assert pl.length() == LIVE_CHANNELS + MOVIES + EPISODES
    header = pl.get_attributes()
    assert header["x-tvg-url"] == f"{server.base_url}/xmltv.php?username={LOGIN}&password={PASSWORD}"
    live = [c for c in pl.get_channels() if "/live/" in c.url]
    assert len(live) == LIVE_CHANNELS
    news = next(c for c in live if c.name == GUIDE_CHANNEL)
    assert news.attributes["tvg-id"].startswith("ch5.") and news.attributes["group-title"] == "News" and news.attributes["tvg-name"] == GUIDE_CHANNEL
    assert news.attributes["catchup"] == "default" and news.attributes["catchup-days"] == "7"
    assert news.attributes["catchup-source"] == f"{server.base_url}/timeshift/{LOGIN}/{PASSWORD}/{{duration:60}}/{{utc}}/{news.url.rsplit('/', 1)[1]}"
    assert news.url.startswith(f"{server.base_url}/live/{LOGIN}/{PASSWORD}/") and news.url.endswith(".ts")
    assert "tvg-logo" in news.attributes
    assert any(c.name == "Glass Valley S02E03" and "/series/" in c.url for c in pl.get_channels())

    # The playlist's tvg-ids are the guide's channel ids and the lists' epg_channel_id.
    guide_file = tmp_path / "demo01.xml"
    guide_file.write_bytes(guide.content)
    guide_ids = set(re.findall(rb'<channel id="([^"]+)"', guide.content))
    playlist_ids = {c.attributes.get("tvg-id", "").encode() for c in live} - {b""}
    api_ids = {s["epg_channel_id"].encode() for s in api(server, "get_live_streams")}
    assert b"ch5.democrm.tvms" in guide_ids and guide_ids <= playlist_ids == api_ids
    validator = shutil.which("tv_validate_file")
    assert validator, "tv_validate_file (xmltv-util) is required; scripts/test.sh installs it"
    env = dict(os.environ, XMLTV_SUPPLEMENT="/usr/share/xmltv")
    proc = subprocess.run([validator, str(guide_file)], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_credentials_never_reach_the_server_log(server):
    secret = "Wr0ngButUnique-7f3a"
    with http_session() as s:
        s.get(server.url(f"/live/{LOGIN}/{secret}/3.ts"), allow_redirects=False, timeout=30)
        s.get(server.url("/player_api.php"), params={"username": "nobody01", "password": secret}, timeout=30)
        s.get(server.url(f"/timeshift/{LOGIN}/{PASSWORD}/30/not-a-time/3.ts"), allow_redirects=False, timeout=30)
    log = server.log_path.read_text(errors="replace")
    assert secret not in log and "player_api.php?" not in log and f"/live/{LOGIN}/" not in log
