"""CMS › Transcoders and CMS › Settings › Token Settings in a real browser (headless Chromium at
1280 px, see browser.py).

One operator's session, in file order: a transcoder is added (after the form refused a bad base
URL) with an API password, tested with the Test button against a fake streaming server on
loopback (its API checks the password), and shown again with only the password's hint; a second
transcoder points at a closed loopback port. A CDN hostname is added. Two channels made for the
run have relative addresses (served from their streaming server): the first, with 7 catch-up
days, is refused on a 3-day archive and then mapped on the fake server with the server's 7 days;
the second is mapped on the closed port. A Nimble token setting is refused for an unknown option
and then saved ("configured", hint only). FLS Health, after "Check now", flags the down channel
at the top and shows the first channel up, with its history. The demo's own delivery (its
Flussonic server and mappings) is not touched. At the end the module deletes what it made
(transcoders with their mappings, the CDN hostname, the channels) through the console.
Screenshots: <artifacts>/screenshots/delivery-NN-*.png.
"""
from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from browser import (body_text, button_link, click_and_load, data_table, details, field_errors, fill, flash,
                     form_with_button, go, heading, login, path, section, shot, sidebar, submit, table_rows,
                     tick, wait_path)
from support import Console, console_session, free_port, redirect_path, tag

API_USER = "admin"


class FakeOrigin(BaseHTTPRequestHandler):
    """A streaming server: /api behind Basic auth, /live/<name>/index.m3u8 always fresh."""
    password = ""

    def do_GET(self):
        import base64
        if self.path == "/api":
            expected = "Basic " + base64.b64encode(f"{API_USER}:{self.password}".encode()).decode()
            ok = self.headers.get("Authorization") == expected
            self.answer(200 if ok else 401, b'{"server":"fake"}', "application/json")
        elif re.fullmatch(r"/live/[\w-]+/index\.m3u8", self.path):
            start = datetime.now(timezone.utc) - timedelta(seconds=14)
            body = ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:7\n"
                    f"#EXT-X-PROGRAM-DATE-TIME:{start.isoformat(timespec='milliseconds').replace('+00:00', 'Z')}\n"
                    "#EXTINF:4.0,\nseg7.ts\n#EXTINF:4.0,\nseg8.ts\n#EXTINF:4.0,\nseg9.ts\n")
            self.answer(200, body.encode(), "application/vnd.apple.mpegurl")
        else:
            self.answer(404, b"not found", "text/plain")

    def do_HEAD(self):
        self.answer(200, b"", "text/plain")

    def answer(self, status, body, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def story(driver, server):
    t = tag()
    password = f"e2e-Api-Pass-{t}"
    handler = type("Origin", (FakeOrigin,), {"password": password})
    origin = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    size = driver.get_window_size()
    driver.set_window_size(1280, 900)
    console = console_session(server)
    number = 90000 + int(t, 16) % 9000
    s = {"tag": t, "password": password, "origin": f"http://127.0.0.1:{origin.server_address[1]}", "closed": free_port(),
         "live": f"E2E live {t}", "dead": f"E2E dead {t}", "cdn": f"https://cdn-{t}.example.net",
         "channel": f"E2E Delivery {t}", "number": number, "down_channel": f"E2E Down {t}", "down_number": number + 1,
         "stream": f"e2e-{t}", "console": console, "channel_ids": []}
    # The run's own channels, with paths that their streaming server serves.
    for name, n, catchup, stream in ((s["channel"], number, "7", f"e2e-{t}"), (s["down_channel"], number + 1, "0", f"e2e-{t}-down")):
        r = console.post("/cms/channels", {"_csrf": csrf(console, "/cms/channels/new"), "number": str(n), "name": name,
                                           "hlsURL": f"/live/{stream}/index.m3u8", "tokenType": "none", "drm": "none",
                                           "ageRating": "0", "catchupDays": catchup, "enabled": "on"})
        assert r.status_code == 303, (r.status_code, r.text[:2000])
        s["channel_ids"].append(int(re.search(r"/cms/channels/(\d+)", r.headers["Location"])[1]))
    s["channel_id"] = s["channel_ids"][0]
    login(driver, server)
    yield s
    problems = cleanup(console, s)
    driver.set_window_size(size["width"], size["height"])
    origin.shutdown()
    assert not problems, problems


def csrf(console: Console, page: str) -> str:
    token = re.search(r'name="_csrf" value="([^"]+)"', console.get(page).text)
    assert token, f"no CSRF token on {page}"
    return token[1]


def cleanup(console: Console, s: dict) -> list[str]:
    problems = []
    html = console.get("/cms/transcoders").text
    for name in (s["live"], s["dead"]):
        m = re.search(rf'href="/cms/transcoders/(\d+)">{re.escape(name)}</a>', html)
        if m:
            r = console.post(f"/cms/transcoders/{m[1]}/delete", {"_csrf": csrf(console, f"/cms/transcoders/{m[1]}/delete")})
            if r.status_code != 303:
                problems.append(f"deleting {name}: {r.status_code}")
    m = re.search(rf'href="/cms/transcoders/cdn/(\d+)">{re.escape(s["cdn"])}</a>', console.get("/cms/transcoders/cdn").text)
    if m:
        r = console.post(f"/cms/transcoders/cdn/{m[1]}/delete", {"_csrf": csrf(console, "/cms/transcoders/cdn")})
        if r.status_code != 303:
            problems.append(f"deleting the CDN hostname: {r.status_code}")
    for cid in s["channel_ids"]:
        r = console.post(f"/cms/channels/{cid}/delete", {"_csrf": csrf(console, f"/cms/channels/{cid}/delete")})
        if r.status_code != 303:
            problems.append(f"deleting channel {cid}: {r.status_code}")
    return problems


def row_of(table, first: str) -> list[str]:
    rows = [r for r in table_rows(table) if r and r[0] == first]
    assert len(rows) == 1, f"{first!r} in {table_rows(table)}"
    return rows[0]


def row_action(table, first: str, label: str):
    for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
        cells = tr.find_elements(By.TAG_NAME, "td")
        if cells and cells[0].text.strip() == first:
            found = tr.find_elements(By.XPATH, f".//*[self::a or self::button][normalize-space(.)='{label}']")
            assert len(found) == 1, f"row {first!r} has {len(found)} {label!r}"
            return found[0]
    raise AssertionError(f"no row {first!r} in {table_rows(table)}")


def server_form(driver):
    return form_with_button(driver, "Add transcoder")


def test_add_transcoder_and_test_it(driver, server, story):
    sidebar(driver, "/cms/transcoders", "Transcoders")
    assert heading(driver) == "Transcoders"
    button_link(driver, "Add a transcoder")
    wait_path(driver, "/cms/transcoders/new")
    form = server_form(driver)
    fill(form, "name", story["live"])
    fill(form, "baseURL", "edge1.example.net")
    fill(form, "apiURL", story["origin"] + "/api")
    fill(form, "apiUser", API_USER)
    fill(form, "apiSecret", story["password"])
    submit(driver, form)
    assert field_errors(driver) == {"baseURL": "Base URL must be an http(s) address such as https://edge1.example.net"}
    form = server_form(driver)
    assert form.find_element(By.NAME, "apiSecret").get_attribute("value") == "", "a refused form does not keep the password"
    assert story["password"] not in driver.page_source
    fill(form, "baseURL", story["origin"])
    fill(form, "apiSecret", story["password"])
    Select(form.find_element(By.NAME, "archiveForm")).select_by_value("flussonic")
    submit(driver, form)
    wait_path(driver, "/cms/transcoders")
    assert flash(driver).text.strip() == f"{story['live']} added. Test it, then map channels to it under FLS Mapping."
    row = row_of(data_table(driver), story["live"])
    assert row[1:4] == ["Flussonic", story["origin"], "unknown"] and row[5:7] == ["7 d", "Enabled"], row

    # Test: the fake API accepts only the right password.
    click_and_load(driver, row_action(data_table(driver), story["live"], "Test"))
    message = flash(driver).text.strip()
    assert message.startswith(f"Test of {story['live']}: Reachable — {story['origin']}/api answered 200 in"), message
    shot(driver, "delivery-01-transcoders.png", full_page=True)

    # The edit page shows the password's hint only.
    click_and_load(driver, row_action(data_table(driver), story["live"], "Edit"))
    form = form_with_button(driver, "Save transcoder")
    assert form.find_element(By.NAME, "apiSecret").get_attribute("value") == ""
    assert f"A password ending in …{story['password'][-4:]} is stored. Leave empty to keep it." in form.text
    assert story["password"] not in driver.page_source
    shot(driver, "delivery-02-transcoder-edit.png", full_page=True)

    # A second server where nothing listens: its test fails.
    go(driver, server, "/cms/transcoders/new")
    form = server_form(driver)
    fill(form, "name", story["dead"])
    fill(form, "baseURL", f"http://127.0.0.1:{story['closed']}")
    submit(driver, form)
    click_and_load(driver, row_action(data_table(driver), story["dead"], "Test"))
    assert flash(driver, "error").text.strip().startswith(f"Test of {story['dead']} failed: Not reachable")


def test_add_cdn_hostname(driver, server, story):
    sidebar(driver, "/cms/transcoders/cdn", "CDN Hostnames")
    form = form_with_button(driver, "Add hostname")
    fill(form, "baseURL", story["cdn"] + "/")
    Select(form.find_element(By.NAME, "kind")).select_by_value("akamai")
    fill(form, "priority", "5")
    fill(form, "weight", "3")
    submit(driver, form)
    assert flash(driver).text.strip() == f"{story['cdn']} added."
    assert row_of(data_table(driver), story["cdn"])[:6] == [story["cdn"], "Akamai", "5", "3", "Enabled", "unknown"]
    shot(driver, "delivery-03-cdn.png", full_page=True)


def map_form(driver):
    return form_with_button(driver, "Map channel")


def find_channel(driver, number: int):
    filters = driver.find_element(By.CSS_SELECTOR, "form.filters")
    fill(filters, "q", str(number))
    submit(driver, filters)
    return data_table(driver)


def test_map_channels(driver, server, story):
    sidebar(driver, "/cms/transcoders/mappings", "FLS Mapping")
    assert heading(driver) == "FLS Mapping"
    table = find_channel(driver, story["number"])
    row = row_of(table, str(story["number"]))
    assert row[1:4] == [story["channel"], "7 d", "not mapped"], row
    click_and_load(driver, row_action(table, str(story["number"]), "Map"))
    form = map_form(driver)
    assert form.find_element(By.NAME, "streamName").get_attribute("value") == f"live/{story['stream']}", "suggested from the address"
    Select(form.find_element(By.NAME, "transcoderID")).select_by_visible_text(f"{story['live']} (archive 7 d)")
    fill(form, "streamName", story["stream"])
    fill(form, "dvrDepthDays", "3")
    submit(driver, form)
    # 7 catch-up days do not fit a 3-day archive.
    assert field_errors(driver) == {"dvrDepthDays": "DVR depth (days) the channel offers 7 catch-up days but this stream keeps 3; "
                                                    "lower the channel's CatchupTV days or deepen the archive"}
    shot(driver, "delivery-04-mapping-refused.png", full_page=True)
    form = map_form(driver)
    fill(form, "dvrDepthDays", "0")
    submit(driver, form)
    assert flash(driver).text.strip() == f"{story['number']} {story['channel']} plays from the stream {story['stream']}."
    row = row_of(data_table(driver), str(story["number"]))
    assert row[3:7] == [story["live"], story["stream"], "7 d (server's)", "unknown"], row

    # The second channel on the server where nothing listens.
    click_and_load(driver, row_action(data_table(driver), str(story["down_number"]), "Map"))
    form = map_form(driver)
    Select(form.find_element(By.NAME, "transcoderID")).select_by_visible_text(f"{story['dead']} (archive 7 d)")
    submit(driver, form)
    assert flash(driver).text.strip() == f"{story['down_number']} {story['down_channel']} plays from the stream live/{story['stream']}-down."
    shot(driver, "delivery-05-mappings.png", full_page=True)


def test_token_setting(driver, server, story):
    sidebar(driver, "/cms/settings/tokens", "Token Settings")
    assert heading(driver) == "Token Settings"
    box = section(driver, "Nimble WMSAuth")
    form = box.find_element(By.CSS_SELECTOR, "form.form")
    assert "valid_minutes" in form.text and "signed_stream" in form.text
    secret = f"nimble-key-{story['tag']}"
    fill(form, "secret", secret)
    fill(form, "lifetimeSeconds", "900")
    fill(form, "options", "valid_minutes=20\nexpression=$uri")
    submit(driver, form)
    assert field_errors(driver) == {"options": "Options “expression” is not an option of the nimble scheme"}
    assert secret not in driver.page_source
    form = section(driver, "Nimble WMSAuth").find_element(By.CSS_SELECTOR, "form.form")
    fill(form, "secret", secret)
    fill(form, "options", "valid_minutes=20")
    submit(driver, form)
    assert flash(driver).text.strip() == f"Nimble WMSAuth saved (secret …{secret[-4:]})."
    facts = details(section(driver, "Nimble WMSAuth"))
    assert facts["Status"] == "configured" and facts["Secret"] == f"…{secret[-4:]}" and facts["Lifetime"] == "900 s", facts
    assert secret not in driver.page_source
    shot(driver, "delivery-06-token-settings.png", full_page=True)


def test_fls_health(driver, server, story):
    sidebar(driver, "/cms/transcoders/health", "FLS Health")
    check = driver.find_element(By.XPATH, "//form[@action='/cms/transcoders/health/run']//button")
    click_and_load(driver, check)
    wait_path(driver, "/cms/transcoders/health")
    assert re.fullmatch(r"Checked \d+: \d+ down\.", flash(driver, "error").text.strip())
    alert = driver.find_element(By.CSS_SELECTOR, ".flash.alert").text
    assert re.search(r"\d+ channels? down", alert) and "transcoder" in alert, alert
    down = section(driver, "Channels down")
    names = [r[0] for r in table_rows(down.find_element(By.CSS_SELECTOR, "table"))]
    assert f"{story['down_number']} {story['down_channel']}" in names, names
    assert f"{story['number']} {story['channel']}" not in names, names
    servers = {r[0]: r for r in table_rows(section(driver, "Transcoders").find_element(By.CSS_SELECTOR, "table"))}
    assert servers[story["live"]][2] == "up" and servers[story["dead"]][2] == "down", servers
    shot(driver, "delivery-07-health-top.png")
    shot(driver, "delivery-07-health.png", full_page=True)

    # The run's own channel is up; its history has the check.
    go(driver, server, f"/cms/transcoders/health/channel/{story['channel_id']}")
    assert heading(driver) == f"Health history — Channel {story['number']} {story['channel']}"
    rows = table_rows(data_table(driver))
    assert rows and rows[0][1] == "up" and rows[0][5].startswith("3 segments, newest"), rows
    shot(driver, "delivery-08-health-history.png", full_page=True)
