"""CMS › EPG Urls, EPG matching, the EPG Builder and the EPG Overview in a real browser
(headless Chromium, see browser.py), and the product's guide outputs over HTTP.

The tests are one operator's session, in file order: a guide source without a URL is added
(after the form refused a bad URL and zone); a generated XMLTV file is uploaded into it (and a
truncated one refused); matching links "City News 24" by name to the guide's "City News 24 HD",
proposes "Cartoon Time" for the guide's "Cartoon Tyme", which is accepted, and a channel linked
by hand with a shift is cleared again; the builder gets a weekly slot on "Local Channel"
(an overlapping programme is refused, one programme deleted); the overview shows the linked
channels' programmes per day and "N/A" for the others; the guide grid (at 1280 px) places the
linked channel's hourly programmes as equal boxes around the now line; the XMLTV export of the
Basic package validates; and the public epg.xml(.gz), epg.json and
now-next.json of "Basic Monthly" carry the generated programmes (tv_validate_file accepts the
XMLTV when Debian's xmltv-util is installed). Later tests use what earlier ones made (`story`);
run alone (-k), a test makes what it needs over HTTP instead (console_* helpers below).

The generated guide covers now-2h … now+46h in hourly programmes (UTC, "+0000"), so what is
on now is known. The demo deployment's zone is Europe/Amsterdam (the overview counts days there).

Matching is deployment-wide, so at the end the module (written before sources could be deleted and
names forgotten; it still cleans up the old way) (`story`'s teardown, over HTTP): renames its guide's
channels by uploading one more file (so a later run's "same name" matching does not pick this
run's guide), deletes its hand-made programmes, runs matching once more (which drops the pending
proposals) and clears every link that was not there when it started. The alias "Accept" leaves
cannot be forgotten: on a second run on the same database "Cartoon Time" is linked by that alias
at once, and the review step uses the next candidate ("Junior Science" for "Junior Sciense").
Screenshots: <artifacts>/screenshots/epg-NN-*.png.
"""
from __future__ import annotations

import gzip
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from browser import (body_text, button_link, checkbox, checkboxes, click_and_load, data_table,
                     field_errors, fill, flash, form_with_button, go, heading, intro, login, path,
                     query, row_button, section, shot, sidebar, submit, table_rows, tick, wait,
                     wait_path)
from support import DEMO_CRM, HTTP_TIMEOUT, Console, console_session, redirect_path, tag

DEMO_PRODUCT = "Basic Monthly"
DEMO_ZONE = ZoneInfo("Europe/Amsterdam")     # the demo deployment's time zone
NEWS = "City News 24"                        # linked by name to the guide's "City News 24 HD"
# Proposed for review, in this order: (TVMS channel, the guide's spelling, title word, a title
# with an ampersand). The first is used unless an earlier run's Accept left its alias behind.
FUZZY = [("Cartoon Time", "Cartoon Tyme", "Toons", "Cats & Dogs"),
         ("Junior Science", "Junior Sciense", "Lab", "Bits & Bytes")]
BY_HAND = "World Report"                     # linked by hand (shift 30) and cleared again
BUILT = "Local Channel"                      # the EPG Builder's channel
UNLINKED = ["World Report", "Test Card"]     # N/A on the overview
HOURS = 48                                   # hourly programmes from now-2h
FEED_HOURS = 2                               # the id-only channel's programmes are longer
SLOT_TIME = "21:05"                          # the builder's weekly slot (deployment time)
SLOT_MINUTES = 50
MATCHING = "/cms/epg/matching"
BUILDER = "/cms/epg/builder"
OVERVIEW = "/cms/epg/overview"


# ------------------------------------------------------------- the guide ---


def xmltv_time(d: datetime) -> str:
    return d.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S +0000")


def esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def guide_plan(t: str, base: datetime) -> dict:
    """What the generated guide holds: per XMLTV channel id its display name (None: the
    channel is only named by its programmes) and its programmes [(start, stop, title)]."""
    plan = {}
    news = f"citynews.{t}.e2e.tvms"
    plan[news] = {"name": "City News 24 HD", "tvms": NEWS,
                  "programmes": [(base + timedelta(hours=k), base + timedelta(hours=k + 1), f"E2E {t} News {k:02d}")
                                 for k in range(HOURS)]}
    for tvms, spelling, word, special in FUZZY:
        ext = f"{word.lower()}.{t}.e2e.tvms"
        plan[ext] = {"name": spelling, "tvms": tvms,
                     # Programme 2 (from the start of this hour) is on now.
                     "programmes": [(base + timedelta(hours=k), base + timedelta(hours=k + 1),
                                     f"E2E {t} {special}" if k == 2 else f"E2E {t} {word} {k:02d}") for k in range(HOURS)]}
    feed = f"feed-{t}.e2e.tvms"
    plan[feed] = {"name": None, "tvms": None,
                  "programmes": [(base + timedelta(hours=k), base + timedelta(hours=k + FEED_HOURS), f"E2E {t} Feed {k:02d}")
                                 for k in range(0, HOURS, FEED_HOURS)]}
    return plan


def guide_xml(plan: dict) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE tv SYSTEM "xmltv.dtd">',
             '<tv generator-info-name="TVMS e2e">']
    for ext, ch in plan.items():
        if ch["name"] is not None:
            lines.append(f'  <channel id="{ext}">\n    <display-name lang="en">{esc(ch["name"])}</display-name>\n  </channel>')
    for ext, ch in plan.items():
        for i, (start, stop, title) in enumerate(ch["programmes"]):
            lines.append(f'  <programme start="{xmltv_time(start)}" stop="{xmltv_time(stop)}" channel="{ext}">')
            lines.append(f'    <title lang="en">{esc(title)}</title>')
            if ext.startswith("citynews."):
                lines.append(f"    <desc lang=\"en\">Headlines at {start:%H:%M} UTC.</desc>")
                lines.append('    <category lang="en">News</category>')
            lines.append("  </programme>")
    lines.append("</tv>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def truncated(xml: bytes, plan: dict) -> bytes:
    """The guide cut off inside a title of the second channel's programmes."""
    ext = list(plan)[1]
    title = esc(plan[ext]["programmes"][5][2]).encode()
    cut = xml.index(b"<title lang=\"en\">" + title) + len(b"<title lang=\"en\">") + 6
    return xml[:cut]


def hour_floor(d: datetime) -> datetime:
    return d.replace(minute=0, second=0, microsecond=0)


def on_air(programmes, at: datetime) -> str | None:
    return next((title for start, stop, title in programmes if start <= at < stop), None)


# ----------------------------------------------------------------- story ---


@pytest.fixture(scope="module")
def story(server, tmp_path_factory):
    """What the tests made, for the later ones. At the end, over HTTP: the guides it added
    are renamed, its hand-made programmes deleted, matching run once more (no pending
    proposal stays) and every link that was not there at the start cleared."""
    t = tag()
    base = hour_floor(datetime.now(timezone.utc)) - timedelta(hours=2)
    plan = guide_plan(t, base)
    xml = guide_xml(plan)
    d = tmp_path_factory.mktemp("epg-guides")
    files = {"good": d / f"guide-{t}.xml", "bad": d / f"guide-{t}-truncated.xml"}
    files["good"].write_bytes(xml)
    files["bad"].write_bytes(truncated(xml, plan))
    console = console_session(server)
    before = linked_channel_actions(console)
    state = {"tag": t, "base": base, "plan": plan, "files": {k: str(v) for k, v in files.items()},
             "source_name": f"E2E guide {t}", "sources": []}
    yield state

    console = console_session(server)
    problems = []
    for source_id in state["sources"]:
        problem = console_upload(console, source_id, f"retired-{t}.xml", retired_xml(plan, t, base))
        if problem:
            problems.append(f"renaming the guide's channels: {problem}")
    channels = console_channels(console)
    if BUILT in channels:
        problems += delete_builder_programmes(console, channels[BUILT][0])
    problems += console_post(console, f"{MATCHING}/run", MATCHING)
    for action in linked_channel_actions(console) - before:
        problems += console_post(console, action, MATCHING)
    left = linked_channel_actions(console) - before
    assert not problems and not left, f"the module's clean-up failed: {problems}, still linked: {left}"


@pytest.fixture(autouse=True)
def session(driver, server):
    """Every test starts with its own console session."""
    login(driver, server)


# ---------------------------------------------------------------- helpers ---


def section_table(driver, title: str):
    return section(driver, title).find_element(By.CSS_SELECTOR, "table.data-table")


def section_rows(driver, title: str) -> list[list[str]]:
    return table_rows(section_table(driver, title))


def source_page(driver) -> int:
    m = re.fullmatch(r"/cms/epg/(\d+)", path(driver))
    assert m, f"not on a guide source's page: {driver.current_url} shows {body_text(driver)[:300]!r}"
    return int(m[1])


def epg_urls(driver):
    """CMS › EPG Urls through the sidebar; returns the table of sources."""
    sidebar(driver, "/cms/epg", "EPG Urls")
    assert heading(driver) == "EPG Urls"
    return data_table(driver)


def open_source(driver, server, story):
    go(driver, server, f"/cms/epg/{story['source_id']}")
    assert heading(driver) == f"EPG source — {story['source_name']}"


def guide_channels(driver) -> dict[str, list[str]]:
    """The source page's "Channels in this guide": {guide channel id: [name, programmes, from, until]}."""
    return {r[0]: r[1:5] for r in section_rows(driver, "Channels in this guide")}


def upload(driver, file: str):
    form = form_with_button(driver, "Import file")
    assert form.get_attribute("enctype") == "multipart/form-data", form.get_attribute("enctype")
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(file)
    submit(driver, form)


def console_time(d: datetime) -> str:
    """How the console shows a time, without the zone's abbreviation."""
    return d.astimezone(DEMO_ZONE).strftime("%Y-%m-%d %H:%M")


def open_matching(driver, server):
    """EPG Urls (sidebar) › EPG matching."""
    epg_urls(driver)
    button_link(driver, "EPG matching")
    wait_path(driver, MATCHING)
    assert heading(driver) == "EPG matching"


def channel_options(driver) -> dict[str, tuple[int, str]]:
    """The channels the "Link by hand" form offers: {name: (id, "number name")}."""
    select = form_with_button(driver, "Link").find_element(By.NAME, "channel")
    out = {}
    options = Select(select).options
    # The form starts on an empty choice, so one stray click links nothing.
    assert options[0].get_attribute("value") == "" and options[0].is_selected(), options[0].text
    for o in options[1:]:
        m = re.fullmatch(r"\d+ (.+)", o.text.strip())
        assert m, o.text
        out[m[1]] = (int(o.get_attribute("value")), o.text.strip())
    return out


def linked_rows(driver) -> dict[str, list[str]]:
    """The "Linked channels" table: {"number name": [guide channel, shift]}."""
    return {r[0]: r[1:3] for r in section_rows(driver, "Linked channels")}


def review_rows(driver) -> list[list[str]]:
    return section_rows(driver, "To review")


def product_id(driver) -> int:
    """Basic Monthly's id, from its link on CRM › Products."""
    sidebar(driver, "/crm/products", "Products")
    link = wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, f"//table[contains(@class,'data-table')]//a[normalize-space(.)='{DEMO_PRODUCT}']")))
    m = re.search(r"/crm/products/(\d+)$", link.get_attribute("href"))
    assert m, link.get_attribute("href")
    return int(m[1])


# The console over HTTP: what an earlier test did not leave behind, and the clean-up.


def csrf(console: Console) -> str:
    token = console.page("/cms/epg").form(field="name").value("_csrf")
    assert token, "no CSRF token on /cms/epg"
    return token


def console_post(console: Console, action: str, then: str) -> list[str]:
    """POSTs a console action (a button without fields); returns the problems."""
    r = console.post(action, {"_csrf": csrf(console)})
    if r.status_code != 303 or redirect_path(r) != then:
        return [f"POST {action}: {r.status_code} {r.headers.get('Location')}"]
    console.page(then)               # as a browser follows the redirect (and takes the flash)
    return []


def console_upload(console: Console, source_id: int, filename: str, data: bytes) -> str | None:
    """Uploads a guide through the source page's form over HTTP; returns a problem or None."""
    r = console.post(f"/cms/epg/{source_id}/upload", {"_csrf": csrf(console)},
                     files={"file": (filename, data, "application/xml")})
    if r.status_code != 303:
        return f"upload {filename} into {source_id}: {r.status_code}"
    flashes = [e.text.strip() for e in console.page(f"/cms/epg/{source_id}").with_classes("flash")]
    if not any(f.startswith(f"Imported {filename}: ") for f in flashes):
        return f"upload {filename} into {source_id}: {flashes}"
    return None


def console_source(server, story) -> int:
    """The guide source of the first test, or a new one made through the same form over HTTP."""
    if "source_id" not in story:
        console = console_session(server)
        form = console.page("/cms/epg").form(field="zone")
        data = {f.name: f.value for f in form.fields if f.type != "checkbox" or f.checked}
        data.update({"name": story["source_name"], "url": "", "zone": "UTC", "enabled": "on"})
        r = console.post("/cms/epg", data)
        m = re.fullmatch(r"/cms/epg/(\d+)", redirect_path(r) or "")
        assert r.status_code == 303 and m, f"Add guide over HTTP: {r.status_code} {r.text[:300]}"
        console.page(m[0])
        story["source_id"] = int(m[1])
        story["sources"].append(int(m[1]))
    return story["source_id"]


def console_guide(server, story) -> int:
    """The source of the second test with the generated guide in it, or one made over HTTP."""
    source_id = console_source(server, story)
    if not story.get("uploaded"):
        with open(story["files"]["good"], "rb") as f:
            problem = console_upload(console_session(server), source_id, "guide.xml", f.read())
        assert problem is None, problem
        story["uploaded"] = True
    return source_id


def console_channels(console: Console) -> dict[str, tuple[int, str]]:
    """{name: (id, "number name")} from the matching page's channel picker."""
    html = console.get(MATCHING).text
    m = re.search(r'<select[^>]*name="channel"[^>]*>(.*?)</select>', html, re.S)
    assert m, f"no channel picker on {MATCHING}"
    out = {}
    for value, text in re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', m[1]):
        label = unescape(text).strip()
        out[label.split(" ", 1)[1]] = (int(value), label)
    return out


def linked_channel_actions(console: Console) -> set[str]:
    """The "Clear link" actions of the matching page: one per linked channel."""
    return {f.attrs["action"] for f in console.page(MATCHING).forms
            if re.fullmatch(rf"{MATCHING}/channels/\d+/clear", f.attrs.get("action", ""))}


def console_link(server, story, name: str, ext: str):
    """Links a channel to one of the guide's channels through the Link by hand form."""
    console = console_session(server)
    channels = console_channels(console)
    html = console.get(MATCHING).text
    guide = re.search(rf'<option value="(\d+)"[^>]*>[^<]* — {re.escape(ext)} \({re.escape(story["source_name"])}\)</option>', html)
    assert guide, f"{ext} is not offered on {MATCHING}"
    r = console.post(f"{MATCHING}/link", {"_csrf": csrf(console), "channel": str(channels[name][0]),
                                          "guide": guide[1], "shift": "0"})
    assert r.status_code == 303 and redirect_path(r) == MATCHING, (r.status_code, r.headers.get("Location"))
    console.page(MATCHING)


def linked_guide(server, story) -> dict:
    """City News 24 and the accepted channel as the matching test left them; else City News 24
    linked by hand over HTTP. {TVMS name: guide channel id}."""
    console_guide(server, story)
    news = next(ext for ext, ch in story["plan"].items() if ch["tvms"] == NEWS)
    if "linked" not in story:
        console_link(server, story, NEWS, news)
        story["linked"] = {NEWS: news}
    return story["linked"]


def delete_builder_programmes(console: Console, channel_id: int) -> list[str]:
    """Deletes the hand-made programmes of the channel whose titles start with "E2E "."""
    problems = []
    page = f"{BUILDER}?channel={channel_id}"
    for row in re.findall(r"<tr>(.*?)</tr>", console.get(page).text, re.S):
        cells = [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        action = re.search(r'action="(/cms/epg/builder/programmes/\d+/delete\?channel=\d+)"', row)
        if action and len(cells) > 2 and cells[2].startswith("E2E "):
            r = console.post(unescape(action[1]), {"_csrf": csrf(console)})
            if r.status_code != 303:
                problems.append(f"deleting {cells[2]}: {r.status_code}")
            console.page(page)
    return problems


def retired_xml(plan: dict, t: str, base: datetime) -> bytes:
    """The module's guide channels under names nothing matches (one programme, as a guide
    needs one)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<tv generator-info-name="TVMS e2e">']
    for i, ext in enumerate(plan):
        lines.append(f'  <channel id="{ext}"><display-name>E2E retired {t} {i}</display-name></channel>')
    feed = list(plan)[-1]
    lines.append(f'  <programme start="{xmltv_time(base)}" stop="{xmltv_time(base + timedelta(minutes=5))}"'
                 f' channel="{feed}"><title>E2E retired {t}</title></programme>')
    lines.append("</tv>")
    return ("\n".join(lines) + "\n").encode()


# ------------------------------------------------------------------ tests ---


def test_epg_add_guide_source(driver, server, story):
    name = story["source_name"]
    table = epg_urls(driver)
    assert name not in [r[0] for r in table_rows(table)]
    box = section(driver, "Add a guide")
    form = box.find_element(By.CSS_SELECTOR, "form.form")
    defaults = {n: form.find_element(By.NAME, n).get_attribute("value")
                for n in ("url", "zone", "timeShiftMinutes", "refreshHour", "retentionDays")}
    assert defaults == {"url": "", "zone": "UTC", "timeShiftMinutes": "0", "refreshHour": "4", "retentionDays": "7"}, defaults
    fill(form, "name", name)
    fill(form, "url", "ftp://x")
    fill(form, "zone", "Mars/Olympus_Mons")
    submit(driver, form)

    # Refused: both fields say why, the form keeps what was typed, nothing was added.
    wait_path(driver, "/cms/epg")
    assert heading(driver) == "EPG Urls"
    errors = field_errors(driver)
    assert errors == {"url": "XMLTV URL must be an http(s) URL of an XMLTV file (.xml or .xml.gz)",
                      "zone": "Time zone of times without an offset is not a time zone name (e.g. UTC, Europe/Amsterdam)"}, errors
    assert flash(driver, "error").text.strip() == "Please correct the fields marked below."
    form = section(driver, "Add a guide").find_element(By.CSS_SELECTOR, "form.form")
    assert [form.find_element(By.NAME, n).get_attribute("value") for n in ("name", "url", "zone")] == [name, "ftp://x", "Mars/Olympus_Mons"]
    assert name not in [r[0] for r in table_rows(data_table(driver))]
    shot(driver, "epg-01-add-guide-refused.png", full_page=True)

    # No URL: a source filled by uploads.
    fill(form, "url", "")
    fill(form, "zone", "UTC")
    submit(driver, form)
    source_id = source_page(driver)
    story["source_id"] = source_id
    story["sources"].append(source_id)
    assert flash(driver).text.strip() == f"{name} added. Upload a guide file below."
    assert heading(driver) == f"EPG source — {name}"
    assert intro(driver) == "Filled by uploaded files."
    assert not driver.find_elements(By.XPATH, "//button[normalize-space(.)='Import now']"), \
        "a source without a URL offers Import now"
    assert "Not imported yet." in section(driver, "Runs").text
    assert "No channel yet." in section(driver, "Channels in this guide").text
    settings = section(driver, "Settings").find_element(By.CSS_SELECTOR, "form.form")
    values = {n: settings.find_element(By.NAME, n).get_attribute("value")
              for n in ("name", "url", "zone", "timeShiftMinutes", "refreshHour", "retentionDays")}
    assert values == {"name": name, "url": "", "zone": "UTC", "timeShiftMinutes": "0", "refreshHour": "", "retentionDays": "7"}, values
    shot(driver, "epg-02-guide-added.png", full_page=True)

    rows = {r[0]: r for r in table_rows(epg_urls(driver))}
    assert rows.get(name, [])[1:5] == ["uploads", "0", "never", "—"], rows.get(name)


def test_epg_upload_guide(driver, server, story):
    source_id = console_source(server, story)
    plan = story["plan"]
    total = sum(len(ch["programmes"]) for ch in plan.values())
    expected = {ext: [ch["name"] or ext, str(len(ch["programmes"])), console_time(ch["programmes"][0][0]),
                      console_time(ch["programmes"][-1][1])] for ext, ch in plan.items()}
    open_source(driver, server, story)
    upload(driver, story["files"]["good"])
    assert source_page(driver) == source_id
    good = os.path.basename(story["files"]["good"])
    assert flash(driver).text.strip() == f"Imported {good}: {total} programmes on {len(plan)} channels."
    runs = section_rows(driver, "Runs")
    assert len(runs) == 1 and runs[0][1:5] == ["ok", f"{total} programmes on {len(plan)} channels", str(len(plan)), str(total)] \
        and re.fullmatch(r"\d+\.\d s", runs[0][5]) and runs[0][6] == "", runs
    channels = guide_channels(driver)
    assert {ext: [v[0], v[1], v[2][:16], v[3][:16]] for ext, v in channels.items()} == expected, channels
    story["uploaded"] = True
    shot(driver, "epg-03-guide-imported.png", full_page=True)

    # A truncated file: refused, recorded as failed, the guide as it was.
    upload(driver, story["files"]["bad"])
    assert source_page(driver) == source_id
    bad = os.path.basename(story["files"]["bad"])
    assert flash(driver, "error").text.strip() == \
        f"{bad} was not imported: The document ends inside <title>: the file is truncated."
    runs = section_rows(driver, "Runs")
    assert [r[1] for r in runs] == ["failed", "ok"], runs
    assert runs[0][2:5] == ["The document ends inside <title>: the file is truncated.", "0", "0"], runs[0]
    assert guide_channels(driver) == channels, "the failed import changed the guide"
    shot(driver, "epg-04-truncated-guide-refused.png", full_page=True)

    rows = {r[0]: r for r in table_rows(epg_urls(driver))}
    assert rows[story["source_name"]][1:4] == ["uploads", str(len(plan)), "failed"], rows[story["source_name"]]


def test_epg_matching(driver, server, story):
    console_guide(server, story)
    name, plan = story["source_name"], story["plan"]
    ext = {ch["tvms"]: e for e, ch in plan.items() if ch["tvms"]}
    feed = next(e for e, ch in plan.items() if ch["tvms"] is None)
    open_matching(driver, server)
    channels = channel_options(driver)
    story["channels"] = channels
    assert NEWS not in {k.split(" ", 1)[1] for k in linked_rows(driver)}, "City News 24 is linked before matching"

    click_and_load(driver, form_with_button(driver, "Run matching").find_element(By.TAG_NAME, "button"))
    wait_path(driver, MATCHING)
    m = re.fullmatch(r"Linked (\d+) channel\(s\); (\d+) to review\.", flash(driver).text.strip())
    assert m and int(m[1]) >= 1 and int(m[2]) >= 1, flash(driver).text
    linked = linked_rows(driver)
    # The same name once quality words ("HD") are left out: linked at once, no shift.
    assert linked.get(channels[NEWS][1]) == [f"{ext[NEWS]} ({name})", "—"], linked
    review = review_rows(driver)
    mine = {r[0]: r for r in review if r[1].endswith(f", {name})")}
    fuzzy = None
    for tvms, spelling, *_ in FUZZY:
        label = channels[tvms][1]
        if label in mine:
            assert mine[label][1] == f"{spelling} ({ext[tvms]}, {name})", mine[label]
            fuzzy = fuzzy or tvms
        else:
            # An earlier run's Accept: the name is remembered, so it is linked at once.
            guide = linked.get(label, [""])[0]
            assert re.fullmatch(r"[a-z]+\.[0-9a-f]{8}\.e2e\.tvms \(E2E guide [0-9a-f]{8}\)", guide) \
                and not guide.endswith(f"({name})"), f"{tvms} is neither to review nor linked by an earlier run's name: {guide!r}"
    assert fuzzy, f"nothing of this guide to review: {review}"
    confidence = re.fullmatch(r"(\d+) %", mine[channels[fuzzy][1]][2])
    assert confidence and 40 <= int(confidence[1]) < 100, mine[channels[fuzzy][1]]
    assert not any(r[0] == channels[NEWS][1] for r in review), "a linked channel is also proposed"
    shot(driver, "epg-05-matching-to-review.png", full_page=True)

    # Accepted: linked, and no longer to review.
    click_and_load(driver, row_button(driver, section_table(driver, "To review"), channels[fuzzy][1], 0, "Accept"))
    wait_path(driver, MATCHING)
    assert flash(driver).text.strip() == "Linked; the name is remembered for next time."
    assert linked_rows(driver).get(channels[fuzzy][1]) == [f"{ext[fuzzy]} ({name})", "—"], linked_rows(driver)
    assert channels[fuzzy][1] not in [r[0] for r in review_rows(driver)], review_rows(driver)
    story["linked"] = {NEWS: ext[NEWS], fuzzy: ext[fuzzy]}
    story["fuzzy"] = fuzzy
    shot(driver, "epg-06-matching-accepted.png", full_page=True)

    # By hand, with the channel's own shift; then cleared.
    form = form_with_button(driver, "Link")
    assert form.find_element(By.NAME, "shift").get_attribute("value") == "0"
    Select(form.find_element(By.NAME, "channel")).select_by_visible_text(channels[BY_HAND][1])
    Select(form.find_element(By.NAME, "guide")).select_by_visible_text(f"{feed} — {feed} ({name})")
    fill(form, "shift", "30")
    shot(driver, "epg-07-link-by-hand.png", full_page=True)
    submit(driver, form)
    wait_path(driver, MATCHING)
    assert flash(driver).text.strip() == "Linked."
    assert linked_rows(driver).get(channels[BY_HAND][1]) == [f"{feed} ({name})", "30 min"], linked_rows(driver)
    shot(driver, "epg-08-linked-by-hand.png", full_page=True)

    click_and_load(driver, row_button(driver, section_table(driver, "Linked channels"), channels[BY_HAND][1], 0, "Clear link"))
    wait_path(driver, MATCHING)
    assert flash(driver).text.strip() == "Link cleared."
    linked = linked_rows(driver)
    assert channels[BY_HAND][1] not in linked, linked
    assert linked.get(channels[NEWS][1]) == [f"{ext[NEWS]} ({name})", "—"], linked
    m = re.search(r"(\d+) channel\(s\) without a guide\.", intro(driver))
    assert m and int(m[1]) == len(channels) - len(linked), (intro(driver), len(channels), len(linked))
    shot(driver, "epg-09-link-cleared.png", full_page=True)


def test_epg_builder(driver, server, story):
    t = story["tag"]
    title = f"E2E {t} Slot"
    today = datetime.now(DEMO_ZONE).date()
    go(driver, server, OVERVIEW)        # neither the sidebar nor EPG Urls links the builder
    button_link(driver, "EPG Builder")
    wait_path(driver, BUILDER)
    assert heading(driver) == "EPG Builder"
    picker = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.filters")))
    select = Select(picker.find_element(By.NAME, "channel"))
    option = next((o for o in select.options if re.fullmatch(rf"\d+ {BUILT}", o.text.strip())), None)
    assert option is not None, [o.text for o in select.options]
    label, channel_id = option.text.strip(), int(option.get_attribute("value"))
    select.select_by_visible_text(label)
    click_and_load(driver, picker.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait_path(driver, BUILDER)
    assert query(driver).get("channel") == [str(channel_id)], driver.current_url
    listing = f"{label} — programmes made here"
    assert not [r for r in section_rows(driver, listing) if r[2].startswith(f"E2E {t}")]

    form = section(driver, "Add a programme or a weekly slot").find_element(By.CSS_SELECTOR, "form.form")
    assert form.find_element(By.NAME, "date").get_attribute("value") == today.isoformat(), "the date is not today's"
    days = checkboxes(form)
    assert days == {d: False for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}, days
    fill(form, "title", title)
    fill(form, "category", "Local")
    fill(form, "time", SLOT_TIME)
    fill(form, "duration", str(SLOT_MINUTES))
    for day in days:
        tick(driver, checkbox(form, day))
    fill(form, "weeks", "1")
    shot(driver, "epg-10-builder-weekly-slot.png", full_page=True)
    submit(driver, form)

    wait_path(driver, BUILDER)
    assert query(driver).get("channel") == [str(channel_id)], driver.current_url
    assert flash(driver).text.strip() == "7 programme(s) added."
    hh, mm = map(int, SLOT_TIME.split(":"))
    starts = [datetime.combine(today + timedelta(days=i), datetime.min.time(), DEMO_ZONE).replace(hour=hh, minute=mm)
              for i in range(7)]
    expected = [[console_time(s), console_time(s + timedelta(minutes=SLOT_MINUTES)), title, "Local"] for s in starts]
    mine = [r[:4] for r in section_rows(driver, listing) if r[2] == title]
    assert [[r[0][:16], r[1][:16], r[2], r[3]] for r in mine] == expected, mine
    story["built"] = {"name": BUILT, "label": label, "title": title, "starts": starts}
    shot(driver, "epg-11-builder-programmes.png", full_page=True)

    # Inside today's slot: refused, and the form keeps what was typed.
    form = section(driver, "Add a programme or a weekly slot").find_element(By.CSS_SELECTOR, "form.form")
    clash = f"E2E {t} Clash"
    fill(form, "title", clash)
    fill(form, "time", (starts[0] + timedelta(minutes=20)).strftime("%H:%M"))
    fill(form, "duration", "30")
    for day in days:
        tick(driver, checkbox(form, day), False)
    submit(driver, form)
    wait_path(driver, BUILDER)
    assert flash(driver, "error").text.strip() == f"{title} is already on {BUILT} then; delete it first."
    form = section(driver, "Add a programme or a weekly slot").find_element(By.CSS_SELECTOR, "form.form")
    assert form.find_element(By.NAME, "title").get_attribute("value") == clash
    assert [r[2] for r in section_rows(driver, listing)].count(clash) == 0
    shot(driver, "epg-12-builder-overlap-refused.png", full_page=True)

    # Tomorrow's deleted.
    tomorrow = next(r[0] for r in section_rows(driver, listing) if r[2] == title and r[0].startswith(expected[1][0]))
    click_and_load(driver, row_button(driver, section_table(driver, listing), tomorrow, 0, "Delete"))
    wait_path(driver, BUILDER)
    assert flash(driver).text.strip() == "Programme deleted."
    mine = [[r[0][:16], r[1][:16], r[2], r[3]] for r in section_rows(driver, listing) if r[2] == title]
    assert mine == expected[:1] + expected[2:], mine
    story["built"]["starts"] = starts[:1] + starts[2:]
    shot(driver, "epg-13-builder-programme-deleted.png", full_page=True)


def per_day(starts, today: date) -> list[int]:
    counts = [0] * 7
    for s in starts:
        day = (s.astimezone(DEMO_ZONE).date() - today).days
        if 0 <= day < 7:
            counts[day] += 1
    return counts


def test_epg_overview(driver, server, story):
    linked = linked_guide(server, story)
    plan, name = story["plan"], story["source_name"]
    before = datetime.now(DEMO_ZONE).date()
    go(driver, server, OVERVIEW)
    after = datetime.now(DEMO_ZONE).date()
    assert heading(driver) == "EPG Overview"
    assert [a.text.strip() for a in driver.find_elements(By.CSS_SELECTOR, ".page-head a.button")] == \
        ["EPG Urls", "EPG matching", "EPG Builder"]
    # No., Channel, Guide, Next 7 days, Gaps, Until
    rows = {r[1]: r for r in table_rows(data_table(driver))}
    for tvms, ext in linked.items():
        row = rows[tvms]
        programmes = plan[ext]["programmes"]
        days = {" · ".join(map(str, per_day([p[0] for p in programmes], d))) for d in (before, after)}
        assert row[2] == f"{name} · {ext}", row
        assert row[3] in days, (row, days)
        # One hole: from the guide's end to the end of the week.
        assert row[4] == "1", row
        assert row[5][:16] == console_time(programmes[-1][1]), row
    if "built" in story:
        built = story["built"]
        row = rows[built["name"]]
        assert re.fullmatch(r"EPG Builder · builder-\d+", row[2]), row
        assert row[3] in {" · ".join(map(str, per_day(built["starts"], d))) for d in (before, after)}, row
        assert row[4].isdigit() and int(row[4]) > 0, row
        assert row[5][:16] == console_time(built["starts"][-1] + timedelta(minutes=SLOT_MINUTES)), row
    for tvms in UNLINKED:
        assert rows[tvms][2:6] == ["N/A", "—", "—", "—"], rows[tvms]
    badge = driver.find_element(By.XPATH, f"//tr[td[normalize-space(.)='{UNLINKED[0]}']]/td[3]/span")
    assert "muted" in badge.get_attribute("class").split(), badge.get_attribute("class")
    shot(driver, "epg-14-overview.png", full_page=True)


GRID = "/cms/epg/overview/grid"


def grid_boxes(driver) -> list[dict]:
    """The guide grid's programme boxes: tooltip, state, shown title and geometry (viewBox units)."""
    out = []
    for g in driver.find_elements(By.CSS_SELECTOR, ".guide-grid g.programme"):
        rect = g.find_element(By.XPATH, "./*[local-name()='svg']")     # the box, which clips its text
        out.append({"tooltip": g.find_element(By.TAG_NAME, "title").get_attribute("textContent"),
                    "state": g.get_attribute("class").split()[1],
                    "title": g.find_element(By.CSS_SELECTOR, "text.title").get_attribute("textContent"),
                    "x": float(rect.get_attribute("x")), "width": float(rect.get_attribute("width")),
                    "screen": rect.rect})
    return out


def test_epg_guide_grid(driver, server, story):
    linked = linked_guide(server, story)
    plan = story["plan"]
    news = plan[linked[NEWS]]["programmes"]
    size = driver.get_window_size()
    driver.set_window_size(1280, size["height"])      # the console at 1280 px
    try:
        go(driver, server, OVERVIEW)
        tab = driver.find_element(By.XPATH, "//nav[contains(@class,'tabs')]/a[normalize-space(.)='Guide grid']")
        click_and_load(driver, tab)
        wait_path(driver, GRID)
        assert heading(driver) == "EPG Overview"
        assert [a.text.strip() for a in driver.find_elements(By.CSS_SELECTOR, "nav.tabs a")] == ["Coverage", "Guide grid", "XMLTV export"]
        svg = driver.find_element(By.CSS_SELECTOR, ".guide-grid svg")
        # It fits the console at 1280 px: no horizontal scrolling, about a pixel per unit.
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
        assert 900 <= svg.rect["width"] <= 1010, svg.rect
        names = [t.get_attribute("textContent") for t in driver.find_elements(By.CSS_SELECTOR, ".guide-grid .channel text.name")]
        assert names[0] == "Demo One" and len(names) == 25, names
        assert "No guide linked" in [t.get_attribute("textContent") for t in driver.find_elements(By.CSS_SELECTOR, ".guide-grid .channel text.note")]
        shot(driver, "epg-15-guide-grid.png", full_page=True)

        # One channel: filter by its name.
        form = driver.find_element(By.CSS_SELECTOR, "form.filters")
        fill(form, "q", NEWS)
        submit(driver, form)
        wait_path(driver, GRID)
        assert query(driver).get("q") == [NEWS], query(driver)
        names = [t.get_attribute("textContent") for t in driver.find_elements(By.CSS_SELECTOR, ".guide-grid .channel text.name")]
        assert names == [NEWS], names
        boxes = grid_boxes(driver)
        assert boxes, "no programme box for the linked channel"
        titles = {b["tooltip"].split(" ", 1)[1]: b for b in boxes}
        assert set(titles) <= {p[2] for p in news}, titles.keys()
        t0 = datetime.now(timezone.utc)
        current = [b for b in boxes if b["state"] == "current"]
        assert len(current) == 1 and current[0]["tooltip"].split(" ", 1)[1] in {on_air(news, t0), on_air(news, t0 - timedelta(minutes=1))}, current
        # Hourly programmes: every whole one is 800/6 units wide, and they follow each other.
        whole = [b for b in boxes if b["x"] > 190.0 and b["x"] + b["width"] < 989.9]
        assert whole and all(abs(b["width"] - 133.3) < 0.11 for b in whole), [(b["x"], b["width"]) for b in boxes]
        for a, b in zip(boxes, boxes[1:]):
            assert abs(a["x"] + a["width"] - b["x"]) < 0.11, (a, b)
        # Its start time and title are shown in the box, on screen.
        box = current[0]
        label = driver.find_element(By.XPATH, f"//*[local-name()='g'][contains(@class,'current')]/*[local-name()='svg']/*[local-name()='text'][contains(@class,'title')]")
        assert label.get_attribute("textContent") == box["title"], (label.get_attribute("textContent"), box)
        assert box["tooltip"].endswith(box["title"]) or box["title"].endswith("…"), box
        assert label.rect["x"] >= box["screen"]["x"] and label.rect["x"] + label.rect["width"] <= box["screen"]["x"] + box["screen"]["width"] + 1, (label.rect, box["screen"])
        now = driver.find_element(By.CSS_SELECTOR, ".guide-grid g.now line")
        assert box["x"] <= float(now.get_attribute("x1")) <= box["x"] + box["width"], (now.get_attribute("x1"), box)
        shot(driver, "epg-16-guide-grid-one-channel.png")

        # Three hours later, the filter kept.
        button_link(driver, "Later →")
        wait_path(driver, GRID)
        assert query(driver).get("q") == [NEWS] and "hour" in query(driver), query(driver)
    finally:
        driver.set_window_size(size["width"], size["height"])


def test_epg_xmltv_export(driver, server, story, tmp_path):
    linked = linked_guide(server, story)
    go(driver, server, OVERVIEW)
    tab = driver.find_element(By.XPATH, "//nav[contains(@class,'tabs')]/a[normalize-space(.)='XMLTV export']")
    click_and_load(driver, tab)
    wait_path(driver, "/cms/epg/export")
    rows = {r[0]: r for r in table_rows(data_table(driver))}
    assert {"All channels", "Basic", "Sports"} <= set(rows), rows
    link = driver.find_element(By.XPATH, "//tr[td[normalize-space(.)='Basic']]//a[normalize-space(.)='Download .xml']")
    console = console_session(server)
    r = console.get(link.get_attribute("href").replace(server.base_url, ""))
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment;"), (r.status_code, r.headers)
    tree = ET.fromstring(r.content)
    names = {d.text for c in tree.findall("channel") for d in c.findall("display-name")[:1]}
    assert NEWS in names, names
    validator = "/usr/bin/tv_validate_file"
    if os.path.exists(validator):
        f = tmp_path / "export.xml"
        f.write_bytes(r.content)
        proc = subprocess.run([validator, str(f)], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "XMLTV_SUPPLEMENT": "/usr/share/xmltv"})
        assert proc.returncode == 0, f"tv_validate_file: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def test_epg_guide_outputs(driver, server, story, http, tmp_path):
    linked = linked_guide(server, story)
    plan = story["plan"]
    pid = product_id(driver)
    open_matching(driver, server)
    channels = channel_options(driver)
    base = f"{server.base_url}/catalogue/{DEMO_CRM}/{pid}"

    def get(path: str, **params):
        r = http.get(base + path, params=params, timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, f"GET {r.url}: {r.status_code} {r.text[:300]}"
        return r

    # What is on now, and next.
    ids = {tvms: channels[tvms][0] for tvms in linked}
    t0 = datetime.now(timezone.utc)
    doc = get("/now-next.json", channels=",".join(map(str, ids.values()))).json()
    t1 = datetime.now(timezone.utc)
    by_id = {c["id"]: c for c in doc["channels"]}
    assert set(by_id) == set(ids.values()), doc
    for tvms, ext in linked.items():
        programmes = plan[ext]["programmes"]
        now = by_id[ids[tvms]]["now"]
        assert now is not None and now["title"] in {on_air(programmes, t0), on_air(programmes, t1)}, (tvms, now)
        i = next(i for i, p in enumerate(programmes) if p[2] == now["title"])
        assert now["start"] == programmes[i][0].strftime("%Y-%m-%dT%H:%M:%SZ"), now
        assert by_id[ids[tvms]]["next"]["title"] == programmes[i + 1][2], by_id[ids[tvms]]

    # A window: the titles, and catch-up (City News 24 keeps seven days) for what has ended.
    news = linked[NEWS]
    programmes = plan[news]["programmes"]
    start, stop = programmes[0][0], programmes[8][0]
    t0 = datetime.now(timezone.utc)
    doc = get("/epg.json", channels=",".join(map(str, ids.values())),
              **{"from": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "to": stop.strftime("%Y-%m-%dT%H:%M:%SZ")}).json()
    t1 = datetime.now(timezone.utc)
    assert (doc["from"], doc["to"]) == (start.strftime("%Y-%m-%dT%H:%M:%SZ"), stop.strftime("%Y-%m-%dT%H:%M:%SZ")), doc
    window = {c["id"]: c["programmes"] for c in doc["channels"]}
    assert set(window) == set(ids.values()), doc
    for tvms, ext in linked.items():
        assert [p["title"] for p in window[ids[tvms]]] == [p[2] for p in plan[ext]["programmes"][:8]], (tvms, window[ids[tvms]])
    if "fuzzy" in story:        # the ampersand, unescaped; no catch-up on a kids channel
        special = next(s for tvms, _, _, s in FUZZY if tvms == story["fuzzy"])
        assert window[ids[story["fuzzy"]]][2]["title"] == f"E2E {story['tag']} {special}", window[ids[story["fuzzy"]]][2]
        assert not any(p["catchup"] for p in window[ids[story["fuzzy"]]])
    got = window[ids[NEWS]]
    assert [p["title"] for p in got] == [p[2] for p in programmes[:8]], got
    assert got[0]["description"] == f"Headlines at {start:%H:%M} UTC." and got[0]["categories"] == ["News"], got[0]
    for p, (_, end, _) in zip(got, programmes):
        if end <= t0:
            assert p["catchup"] is True, p
        elif end > t1:
            assert p["catchup"] is False, p

    # XMLTV: parses, names the channels, carries the programmes (the ampersand unescaped).
    xml = get("/epg.xml").content
    tree = ET.fromstring(xml)
    number = {tvms: channels[tvms][1].split(" ", 1)[0] for tvms in linked}
    xml_channels = {c.get("id"): [d.text for d in c.findall("display-name")] for c in tree.findall("channel")}
    for tvms, ext in linked.items():
        xid = f"ch{number[tvms]}.{DEMO_CRM}.tvms"
        assert xml_channels.get(xid) == [tvms, number[tvms]], xml_channels
        titles = [p.findtext("title") for p in tree.findall("programme") if p.get("channel") == xid]
        assert titles == [p[2] for p in plan[ext]["programmes"]], titles
        starts = [p.get("start") for p in tree.findall("programme") if p.get("channel") == xid]
        assert starts == [xmltv_time(p[0]) for p in plan[ext]["programmes"]], starts[:3]
    if "fuzzy" in story:
        special = next(s for tvms, _, _, s in FUZZY if tvms == story["fuzzy"])
        assert f"E2E {story['tag']} {special}".encode().replace(b"&", b"&amp;") in xml
    zipped = get("/epg.xml.gz").content
    assert {c.get("id") for c in ET.fromstring(gzip.decompress(zipped)).findall("channel")} == set(xml_channels)

    validator = "/usr/bin/tv_validate_file"
    if os.path.exists(validator):
        f = tmp_path / "epg.xml"
        f.write_bytes(xml)
        proc = subprocess.run([validator, str(f)], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "XMLTV_SUPPLEMENT": "/usr/share/xmltv"})
        assert proc.returncode == 0, f"tv_validate_file: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
