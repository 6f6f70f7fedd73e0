"""The CMS console in a real browser (headless Chromium, see browser.py).

The demo lineup has 30 channels (numbers 1-30) in eight UI groups, and two TV
packages: "Basic" (granted by the product "Basic Monthly") and "Sports" (granted
by that product's extra package "Sports").

Each test logs in afresh and adds its own channel (and package or group) with a
unique name, so that any one of them can run alone (-k) and in any order on the
shared server; the test that grants a package to Basic Monthly takes it back, the
UI group test deletes its group, and the pager test deletes the channels it adds.
Only the first test adds its channel in the browser (with a logo); the others add
theirs through the same form over HTTP (console_channel), so that a broken Add
Channel page fails that one test and not the package, product, group and search
tests as well. Logos are real PNG files written by png() below.
Screenshots: <artifacts>/screenshots/cms-NN-*.png.
"""
from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from browser import (body_text, button_link, checkbox, checkboxes, click_and_load, data_table,
                     field_errors, fill, flash, form_with, form_with_button, go, heading,
                     image_previews, intro, login, open_product_packages_tab, path, png, query,
                     row_button, section, shot, sidebar, submit, table_rows, tick, wait, wait_path)
from support import Console, console_session, form_action, redirect_path, tag

DEMO_CHANNELS = 30
DEMO_PRODUCT = "Basic Monthly"
DEMO_GROUPS = ["News", "Sports", "Kids", "Movies", "Documentaries", "Music", "General", "All channels"]
PAGE_SIZE = 50                   # channels per page of /cms/channels
MANY = 200                       # channels ticked at once: a form body over 2 KiB
LOGO_COLOUR = (0x1E, 0x88, 0xE5)
NOT_IN_A_PACKAGE = "Not in any package yet: nobody can watch it."


@pytest.fixture(scope="module")
def logos(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("cms-logos")
    files = {"square": d / "square-128.png", "wide": d / "wide-200x100.png", "text": d / "not-an-image.png"}
    files["square"].write_bytes(png(128, 128, LOGO_COLOUR))
    files["wide"].write_bytes(png(200, 100, (0xE5, 0x39, 0x35)))
    files["text"].write_text("this is not an image\n")
    return {k: str(v) for k, v in files.items()}


@pytest.fixture(autouse=True)
def session(driver, server):
    """Every test starts with its own console session."""
    login(driver, server)


# ---------------------------------------------------------------- helpers ---


def logo_preview(driver) -> dict:
    """The edit page's logo preview once the browser has finished with it: whether it
    loaded, its natural size, the colour of its centre pixel, and its caption."""
    return image_previews(driver)[0]


def channel_list(driver, server, term: str | None = None):
    """CMS › Channels (through the sidebar), optionally searched through the filter form;
    returns the table."""
    sidebar(driver, "/cms/channels", "Channels")
    assert heading(driver) == "Channels"
    if term is not None:
        form = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.filters")))
        fill(form, "q", term)
        click_and_load(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        wait_path(driver, "/cms/channels")
        assert query(driver).get("q") == [term], driver.current_url
    return data_table(driver)


def open_add_channel(driver, server):
    channel_list(driver, server)
    button_link(driver, "Add Channel")
    wait_path(driver, "/cms/channels/new")
    assert heading(driver) == "Add Channel"
    form = form_with(driver, "number")
    assert form.get_attribute("enctype") == "multipart/form-data", form.get_attribute("enctype")
    return form


def fill_channel(form, *, name: str, slug: str, tags: str = "", logo: str | None = None) -> int:
    """Name, HLS URL, tags and logo; keeps the number the form proposes and returns it."""
    number = form.find_element(By.NAME, "number").get_attribute("value")
    assert number.isdigit(), f"Add Channel proposes number {number!r}"
    fill(form, "name", name)
    fill(form, "hlsURL", f"https://live.e2e.tvms/{slug}/index.m3u8")
    fill(form, "tags", tags)
    if logo:
        form.find_element(By.CSS_SELECTOR, "input[type=file][name=logo]").send_keys(logo)
    return int(number)


def opened_channel(driver) -> int:
    m = re.fullmatch(r"/cms/channels/(\d+)", path(driver))
    assert m, f"not on a channel page: {driver.current_url} shows {body_text(driver)[:300]!r}"
    return int(m[1])


def console_channel(server, name: str, *, tags: str = "", console: Console | None = None) -> tuple[int, int]:
    """Adds a channel (no logo) through the Add Channel form over HTTP, as the browser
    would send it but URL-encoded; returns (id, number). The tests that need a channel
    but are about other pages use this, so that a broken Add Channel page fails the
    Add Channel test only."""
    console = console or console_session(server)
    form = console.page("/cms/channels/new").form(field="number")
    assert form is not None, "GET /cms/channels/new has no channel form"
    data = {f.name: (f.value if f.type != "checkbox" else "on") for f in form.fields
            if f.type != "file" and (f.type != "checkbox" or f.checked)}
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower())
    data.update({"name": name, "tags": tags, "hlsURL": f"https://live.e2e.tvms/{slug}/index.m3u8"})
    r = console.post(form_action(form, "/cms/channels"), data)
    assert r.status_code == 303, f"Add Channel over HTTP: {r.status_code} {r.text[:300]}"
    m = re.fullmatch(r"/cms/channels/(\d+)", redirect_path(r) or "")
    assert m, r.headers.get("Location")
    return int(m[1]), int(data["number"])


def console_action(console: Console, action: str, then: str) -> str | None:
    """POSTs a console action (a delete) over HTTP; returns a problem or None."""
    token = console.page("/cms/packages").form(field="name").value("_csrf")
    r = console.post(action, {"_csrf": token})
    if r.status_code != 303 or redirect_path(r) != then:
        return f"POST {action}: {r.status_code} {r.headers.get('Location')}"
    return None


def console_delete_channel(console: Console, channel_id: int) -> str | None:
    return console_action(console, f"/cms/channels/{channel_id}/delete", "/cms/channels")


def channel_total(driver, server) -> int:
    """How many channels the list holds, counted page by page."""
    channel_list(driver, server)
    total = len(table_rows(data_table(driver)))
    while driver.find_elements(By.CSS_SELECTOR, ".pagination a[rel=next]"):
        click_and_load(driver, driver.find_element(By.CSS_SELECTOR, ".pagination a[rel=next]"))
        total += len(table_rows(data_table(driver)))
    return total


def add_package(driver, server, name: str, description: str = "") -> int:
    sidebar(driver, "/cms/packages", "TV Packages")
    assert heading(driver) == "TV Packages"
    form = form_with_button(driver, "Add TV Package", "//section[h2[normalize-space(.)='Add TV Package']]")
    fill(form, "name", name)
    fill(form, "description", description)
    submit(driver, form)
    m = re.fullmatch(r"/cms/packages/(\d+)", path(driver))
    assert m, f"after Add TV Package: {driver.current_url}"
    assert flash(driver).text.strip() == f"{name} added. Add channels to it below."
    assert heading(driver) == f"TV Package — {name}"
    return int(m[1])


def package_channels(driver) -> list[list[str]]:
    """The rows [No., Channel, actions] of "Channels in this package"."""
    box = section(driver, "Channels in this package")
    return table_rows(box.find_element(By.CSS_SELECTOR, "table.data-table"))



def groups_table(driver):
    sidebar(driver, "/cms/ui-groups", "UI Groups")
    assert heading(driver) == "UI Groups"
    return data_table(driver)


def group_order(driver) -> list[tuple[int, str, str]]:
    """(Order, Group, Channels) of the UI Groups list, top to bottom."""
    rows = table_rows(data_table(driver))
    return [(int(r[0]), r[1], r[2]) for r in rows]


# ------------------------------------------------------------------ tests ---


def test_cms_add_channel_with_square_logo(driver, server, logos):
    t = tag()
    name = f"Logo Test {t}"

    table = channel_list(driver, server)
    before = table_rows(table)
    numbers = [int(r[0]) for r in before]
    assert not driver.find_elements(By.CSS_SELECTOR, ".pagination a[rel=next]") or len(before) == PAGE_SIZE

    form = open_add_channel(driver, server)
    file_input = form.find_element(By.CSS_SELECTOR, "input[type=file][name=logo]")
    help_text = file_input.find_element(By.XPATH, "ancestor::div[contains(@class,'field')]").text
    assert "Square (1:1) PNG, JPEG or WebP" in help_text, help_text
    assert not form.find_elements(By.NAME, "removeLogo"), "Add Channel offers to remove a logo"
    number = fill_channel(form, name=name, slug=f"logo-{t}", tags="e2e, Logo", logo=logos["square"])
    if len(before) < PAGE_SIZE:
        assert number == max(numbers) + 1, f"Add Channel proposes {number}, the list ends at {max(numbers)}"
    assert file_input.get_attribute("value").endswith("square-128.png"), file_input.get_attribute("value")
    shot(driver, "cms-01-add-channel-form.png", full_page=True)
    submit(driver, form)

    channel_id = opened_channel(driver)
    assert flash(driver).text.strip() == \
        f"Channel {number} {name} added. Put it in a package so customers can watch it."
    assert heading(driver) == f"Channel {number} — {name}"
    assert intro(driver) == NOT_IN_A_PACKAGE
    logo = logo_preview(driver)
    assert logo["width"] > 0, f"the logo preview did not load: {logo}"
    assert (logo["width"], logo["height"]) == (128, 128), logo
    assert logo["rgb"] == list(LOGO_COLOUR), f"the preview is not the uploaded image: {logo}"
    assert re.search(r"/media/[0-9a-f-]{36}$", logo["src"]), logo["src"]
    assert logo["caption"] == "Logo · 128×128", logo["caption"]
    form = form_with(driver, "number")
    assert form.find_element(By.NAME, "name").get_attribute("value") == name
    assert form.find_element(By.NAME, "tags").get_attribute("value") == "e2e,logo"
    assert form.find_element(By.NAME, "removeLogo").is_displayed(), "no 'Remove the logo' box"
    shot(driver, "cms-02-channel-with-logo.png", full_page=True)

    # A non-square logo on Add Channel: the form again with the message, nothing added.
    form = open_add_channel(driver, server)
    wide_name = f"Wide Logo {t}"
    wide_number = fill_channel(form, name=wide_name, slug=f"wide-{t}", logo=logos["wide"])
    assert wide_number == number + 1
    submit(driver, form)
    assert heading(driver) == "Add Channel"
    errors = field_errors(driver)
    assert errors == {"logo": "Logo must be square (1:1); this one is 200×100"}, errors
    assert driver.find_element(By.CSS_SELECTOR, "form.form .flash.error").text.strip() == \
        "Please correct the fields marked below."
    form = form_with(driver, "number")
    assert form.find_element(By.NAME, "name").get_attribute("value") == wide_name, \
        "the refused form lost what was typed"
    assert not driver.find_elements(By.CSS_SELECTOR, ".flash.success")
    shot(driver, "cms-03-non-square-logo-refused.png", full_page=True)

    # Not an image at all.
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=logo]").send_keys(logos["text"])
    submit(driver, form)
    assert heading(driver) == "Add Channel"
    assert field_errors(driver) == {"logo": "Logo must be a PNG, JPEG or WebP image"}

    table = channel_list(driver, server, wide_name.lower())
    assert table_rows(table) == [], f"a refused channel was added: {table_rows(table)}"
    assert "No channel matches." in body_text(driver)
    form = open_add_channel(driver, server)
    assert form.find_element(By.NAME, "number").get_attribute("value") == str(number + 1), \
        "a refused channel took a number"
    table = channel_list(driver, server, name.lower())
    rows = table_rows(table)
    assert [r[:7] for r in rows] == [[str(number), name, "HLS", "—", "all", "e2e,logo", "Enabled"]], rows

    # On the edit page a non-square logo is refused too, and the old one stays.
    click_and_load(driver, table.find_element(By.XPATH, f".//a[normalize-space(.)='{name}']"))
    assert opened_channel(driver) == channel_id
    form = form_with(driver, "number")
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=logo]").send_keys(logos["wide"])
    submit(driver, form)
    assert path(driver) == f"/cms/channels/{channel_id}"
    assert field_errors(driver) == {"logo": "Logo must be square (1:1); this one is 200×100"}
    assert logo_preview(driver)["width"] == 128, "the refused upload replaced the logo"

    # Removing the logo.
    form = form_with(driver, "number")
    tick(driver, form.find_element(By.NAME, "removeLogo"))
    submit(driver, form)
    assert opened_channel(driver) == channel_id
    assert flash(driver).text.strip() == "Channel saved."
    assert not driver.find_elements(By.CSS_SELECTOR, ".image-previews img"), "the logo is still shown"
    assert not form_with(driver, "number").find_elements(By.NAME, "removeLogo")
    shot(driver, "cms-04-logo-removed.png", full_page=True)


def test_cms_tv_package_add_and_remove_channels(driver, server):
    t = tag()
    channel = f"Pkg Channel {t}"
    package = f"E2E Package {t}"
    channel_id, number = console_channel(server, channel)
    go(driver, server, f"/cms/channels/{channel_id}")
    assert heading(driver) == f"Channel {number} — {channel}"
    assert intro(driver) == NOT_IN_A_PACKAGE

    package_id = add_package(driver, server, package, "Made by the browser test")
    assert intro(driver) == "Made by the browser test"
    assert package_channels(driver) == []
    assert "No channel yet." in section(driver, "Channels in this package").text
    add_box = section(driver, "Add channels")
    offered = checkboxes(add_box)
    assert offered.get(f"{number} {channel}") is False, f"the new channel is not offered: {sorted(offered)}"
    assert offered.get("1 Demo One") is False, sorted(offered)
    assert not any(offered.values()), "boxes ticked in advance"
    tick(driver, checkbox(add_box, f"{number} {channel}"))
    tick(driver, checkbox(add_box, "1 Demo One"))
    shot(driver, "cms-05-package-add-channels.png", full_page=True)
    submit(driver, form_with_button(driver, "Add Channels"))

    wait_path(driver, f"/cms/packages/{package_id}")
    assert flash(driver).text.strip() == "2 channel(s) added."
    rows = package_channels(driver)
    assert [r[:2] for r in rows] == [["1", "Demo One"], [str(number), channel]], rows
    offered = checkboxes(section(driver, "Add channels"))
    assert f"{number} {channel}" not in offered and "1 Demo One" not in offered, \
        "channels of the package are still offered"
    shot(driver, "cms-06-package-with-channels.png", full_page=True)

    # Remove one of them.
    table = section(driver, "Channels in this package").find_element(By.CSS_SELECTOR, "table")
    click_and_load(driver, row_button(driver, table, "Demo One", 1, "Remove"))
    wait_path(driver, f"/cms/packages/{package_id}")
    assert flash(driver).text.strip() == "Channel removed from the package."
    assert [r[:2] for r in package_channels(driver)] == [[str(number), channel]]
    assert "1 Demo One" in checkboxes(section(driver, "Add channels"))

    # The list of packages counts it; the channel page names the package.
    sidebar(driver, "/cms/packages", "TV Packages")
    rows = [r for r in table_rows(data_table(driver)) if r[0] == package]
    assert rows and rows[0][1:3] == ["1 channel(s)", "in no product"], rows
    go(driver, server, f"/cms/packages/{package_id}")
    table = section(driver, "Channels in this package").find_element(By.CSS_SELECTOR, "table")
    click_and_load(driver, table.find_element(By.XPATH, f".//a[normalize-space(.)='{channel}']"))
    assert opened_channel(driver) == channel_id
    assert intro(driver) == f"In packages: {package}"
    shot(driver, "cms-07-channel-in-package.png", full_page=True)
    # Demo One is back to the demo package only.
    go(driver, server, "/cms/channels")
    click_and_load(driver, data_table(driver).find_element(By.XPATH, ".//a[normalize-space(.)='Demo One']"))
    assert intro(driver) == "In packages: Basic"


def test_cms_grant_package_to_product(driver, server):
    t = tag()
    channel = f"Granted Channel {t}"
    package = f"E2E Grant {t}"
    _, number = console_channel(server, channel)
    package_id = add_package(driver, server, package)
    add_box = section(driver, "Add channels")
    tick(driver, checkbox(add_box, f"{number} {channel}"))
    submit(driver, form_with_button(driver, "Add Channels"))
    assert flash(driver).text.strip() == "1 channel(s) added."

    product_id = open_product_packages_tab(driver, server, DEMO_PRODUCT)
    own = section(driver, "Content packages")
    boxes = checkboxes(own)
    assert boxes.get("Channels: Basic") is True, boxes
    assert boxes.get("Channels: Sports") is False, boxes
    assert boxes.get(f"Channels: {package}") is False, boxes
    extra = section(driver, "Extra package Sports")
    assert checkboxes(extra).get("Channels: Sports") is True, checkboxes(extra)
    tick(driver, checkbox(own, f"Channels: {package}"))
    shot(driver, "cms-08-product-content-packages.png", full_page=True)
    submit(driver, form_with_button(driver, "Save packages"))

    wait_path(driver, f"/crm/products/{product_id}")
    assert query(driver).get("tab") == ["packages"], driver.current_url
    assert flash(driver).text.strip() == "Content packages saved."
    boxes = checkboxes(section(driver, "Content packages"))
    assert boxes.get(f"Channels: {package}") is True, f"not ticked after saving: {boxes}"
    assert boxes.get("Channels: Basic") is True, f"saving lost the Basic grant: {boxes}"
    assert boxes.get("Channels: Sports") is False, boxes
    assert checkboxes(section(driver, "Extra package Sports")).get("Channels: Sports") is True
    shot(driver, "cms-09-product-package-granted.png", full_page=True)

    # The package says where it is sold, and cannot be deleted while it is.
    sidebar(driver, "/cms/packages", "TV Packages")
    rows = [r for r in table_rows(data_table(driver)) if r[0] == package]
    assert rows and rows[0][1:3] == ["1 channel(s)", "in 1 product(s)/extra(s)"], rows
    go(driver, server, f"/cms/packages/{package_id}")
    click_and_load(driver, form_with_button(driver, "Delete package").find_element(By.TAG_NAME, "button"))
    wait_path(driver, f"/cms/packages/{package_id}")
    assert flash(driver, "error").text.strip() == \
        f"{package} is in 1 product(s) or extra package(s); take it out there first."
    assert heading(driver) == f"TV Package — {package}"
    shot(driver, "cms-10-package-delete-refused.png", full_page=True)

    # Take the grant back (the other tests and modules expect the demo's grants).
    open_product_packages_tab(driver, server, DEMO_PRODUCT)
    own = section(driver, "Content packages")
    tick(driver, checkbox(own, f"Channels: {package}"), False)
    submit(driver, form_with_button(driver, "Save packages"))
    assert flash(driver).text.strip() == "Content packages saved."
    boxes = checkboxes(section(driver, "Content packages"))
    assert boxes.get(f"Channels: {package}") is False and boxes.get("Channels: Basic") is True, boxes

    # Now it can go.
    go(driver, server, f"/cms/packages/{package_id}")
    click_and_load(driver, form_with_button(driver, "Delete package").find_element(By.TAG_NAME, "button"))
    wait_path(driver, "/cms/packages")
    assert flash(driver).text.strip() == "Package deleted."
    assert package not in [r[0] for r in table_rows(data_table(driver))]


def test_cms_ui_group_members_and_order(driver, server):
    t = tag()
    channel = f"Group Channel {t}"
    group = f"E2E Group {t}"
    _, number = console_channel(server, channel)

    groups_table(driver)
    start = group_order(driver)
    names = [g[1] for g in start]
    assert set(DEMO_GROUPS) <= set(names), names
    assert [g[0] for g in start] == sorted(g[0] for g in start), f"groups not in order: {start}"
    form = form_with_button(driver, "Add group", "//section[h2[normalize-space(.)='Add a group']]")
    fill(form, "name", group)
    submit(driver, form)
    wait_path(driver, "/cms/ui-groups")
    assert flash(driver).text.strip() == f"{group} added."
    order = group_order(driver)
    assert [g[1] for g in order] == names + [group], order
    assert order[-1][2] == "0 channel(s)", order[-1]

    # The same name twice is refused.
    form = form_with_button(driver, "Add group", "//section[h2[normalize-space(.)='Add a group']]")
    fill(form, "name", group)
    submit(driver, form)
    assert group in flash(driver, "error").text, flash(driver, "error").text
    assert [g[1] for g in group_order(driver)] == names + [group]

    # Members: the new channel and channel 1.
    click_and_load(driver, data_table(driver).find_element(By.XPATH, f".//a[normalize-space(.)='{group}']"))
    m = re.fullmatch(r"/cms/ui-groups/(\d+)", path(driver))
    assert m, driver.current_url
    group_id = int(m[1])
    assert heading(driver) == f"UI group — {group}"
    form = form_with_button(driver, "Save group")
    boxes = checkboxes(form)
    assert len(boxes) >= DEMO_CHANNELS + 1 and not any(boxes.values()), boxes
    tick(driver, checkbox(form, f"{number} {channel}"))
    tick(driver, checkbox(form, "1 Demo One"))
    shot(driver, "cms-11-ui-group-members.png", full_page=True)
    submit(driver, form)
    wait_path(driver, f"/cms/ui-groups/{group_id}")
    assert flash(driver).text.strip() == "Group saved: 2 channel(s)."
    ticked = [label for label, on in checkboxes(form_with_button(driver, "Save group")).items() if on]
    assert ticked == ["1 Demo One", f"{number} {channel}"], ticked

    # Up: the new group swaps places with the one above it.
    groups_table(driver)
    order = group_order(driver)
    assert order[-1][1:] == (group, "2 channel(s)"), order
    click_and_load(driver, row_button(driver, data_table(driver), group, 1, "Up"))
    wait_path(driver, "/cms/ui-groups")
    moved = group_order(driver)
    expected = names[:-1] + [group, names[-1]]
    assert [g[1] for g in moved] == expected, f"after Up: {moved}"
    assert [g[0] for g in moved] == list(range(1, len(moved) + 1)), f"Order column after Up: {moved}"
    shot(driver, "cms-12-ui-group-moved-up.png", full_page=True)

    # Up on the first group changes nothing; Down brings the new one back to the end.
    click_and_load(driver, row_button(driver, data_table(driver), expected[0], 1, "Up"))
    assert [g[1] for g in group_order(driver)] == expected
    click_and_load(driver, row_button(driver, data_table(driver), group, 1, "Down"))
    assert [g[1] for g in group_order(driver)] == names + [group]

    # Delete it again (the demo's groups are left as they were).
    click_and_load(driver, row_button(driver, data_table(driver), group, 1, "Delete"))
    wait_path(driver, "/cms/ui-groups")
    assert flash(driver).text.strip() == "Group deleted."
    assert [g[1] for g in group_order(driver)] == names


def test_cms_channel_search_and_pager(driver, server):
    t = tag()
    name = f"Zephyr {t} HD"
    channel_id, number = console_channel(server, name, tags=f"e2e-{t}, Weather")

    # The whole list: by number, ascending, one page while there are fewer than 50.
    table = channel_list(driver, server)
    rows = table_rows(table)
    numbers = [int(r[0]) for r in rows]
    assert numbers == sorted(set(numbers)), f"rows not by ascending number: {numbers}"
    assert set(range(1, DEMO_CHANNELS + 1)) <= set(numbers) or len(rows) == PAGE_SIZE, numbers
    summary = driver.find_element(By.CSS_SELECTOR, ".pagination span").text.strip()
    assert summary == f"{len(rows)} shown, by number", summary
    assert not driver.find_elements(By.CSS_SELECTOR, ".pagination a[rel=prev]")
    next_links = driver.find_elements(By.CSS_SELECTOR, ".pagination a[rel=next]")
    assert len(rows) <= PAGE_SIZE, len(rows)
    if len(rows) < PAGE_SIZE:
        assert not next_links, "a next link under a page that is not full"
    # The new channel has the highest number: on this page, or on a next one.
    assert number in numbers or next_links, f"channel {number} is not listed and there is no next link"
    if next_links:
        click_and_load(driver, next_links[0])
        assert query(driver).get("after") == [str(numbers[-1])], driver.current_url
        more = [int(r[0]) for r in table_rows(data_table(driver))]
        assert more and more[0] > numbers[-1] and more == sorted(set(more)), more
        assert driver.find_elements(By.CSS_SELECTOR, ".pagination a[rel=prev]")
    shot(driver, "cms-13-channel-list.png", full_page=True)

    # Name prefix, any case.
    table = channel_list(driver, server, f"zePHyr {t[:5]}")
    rows = table_rows(table)
    assert [r[:2] for r in rows] == [[str(number), name]], rows
    assert driver.find_element(By.CSS_SELECTOR, "form.filters input[name=q]").get_attribute("value") \
        == f"zePHyr {t[:5]}"
    shot(driver, "cms-14-channel-search-name.png", full_page=True)
    # Not the middle of a name.
    table = channel_list(driver, server, f"{t} hd")
    assert table_rows(table) == [] and "No channel matches." in body_text(driver)

    # Number.
    table = channel_list(driver, server, str(number))
    assert [r[:2] for r in table_rows(table)] == [[str(number), name]], table_rows(table)
    click_and_load(driver, table.find_element(By.XPATH, f".//a[normalize-space(.)='{name}']"))
    assert opened_channel(driver) == channel_id

    # Tag.
    table = channel_list(driver, server, f"e2e-{t}")
    assert [r[:2] for r in table_rows(table)] == [[str(number), name]], table_rows(table)

    # Nothing.
    table = channel_list(driver, server, "99999")
    assert table_rows(table) == [] and "No channel matches." in body_text(driver)
    shot(driver, "cms-15-channel-search-none.png", full_page=True)


def test_cms_channel_list_pages_by_number(driver, server):
    """Keyset pages of 50 channels: fills the lineup up to three pages (over HTTP, deleted
    again at the end), then walks Next → Next → Previous → Previous in the browser."""
    total = channel_total(driver, server)
    console = console_session(server)
    added: list[int] = []
    try:
        t = tag()
        for i in range(max(0, 2 * PAGE_SIZE + 1 - total)):       # a third page
            added.append(console_channel(server, f"Filler {t} {i:03d}", console=console)[0])

        def page() -> list[int]:
            rows = table_rows(data_table(driver))
            numbers = [int(r[0]) for r in rows]
            assert numbers == sorted(set(numbers)), f"rows not by ascending number: {numbers}"
            summary = driver.find_element(By.CSS_SELECTOR, ".pagination span").text.strip()
            assert summary == f"{len(rows)} shown, by number", summary
            return numbers

        def link(rel: str):
            links = driver.find_elements(By.CSS_SELECTOR, f".pagination a[rel={rel}]")
            return links[0] if links else None

        channel_list(driver, server)
        page1 = page()
        assert len(page1) == PAGE_SIZE and page1[0] == 1, page1
        assert link("prev") is None, "a Previous link on the first page"
        assert link("next") is not None and link("next").text.strip() == "Next →"
        click_and_load(driver, link("next"))
        wait_path(driver, "/cms/channels")
        assert query(driver).get("after") == [str(page1[-1])], driver.current_url
        page2 = page()
        assert len(page2) == PAGE_SIZE and page2[0] > page1[-1], page2
        assert link("prev") is not None and link("prev").text.strip() == "← Previous"
        shot(driver, "cms-16-channel-list-page-2.png", full_page=True)
        click_and_load(driver, link("next"))
        assert query(driver).get("after") == [str(page2[-1])], driver.current_url
        page3 = page()
        assert page3 and page3[0] > page2[-1], page3
        if total + len(added) == 2 * PAGE_SIZE + 1:
            assert len(page3) == 1, page3
            assert link("next") is None, "a Next link on the last page"
        shot(driver, "cms-17-channel-list-page-3.png", full_page=True)

        # Previous from page 3 must show page 2, not jump to the first page.
        click_and_load(driver, link("prev"))
        back = page()
        assert back == page2, (f"'← Previous' on page 3 shows channels {back[0]}-{back[-1]}, "
                               f"page 2 was {page2[0]}-{page2[-1]}")
        click_and_load(driver, link("prev"))
        assert page() == page1
    finally:
        problems = [p for p in (console_delete_channel(console, i) for i in added) if p]
        assert not problems, problems


def test_cms_package_add_many_channels_at_once(driver, server):
    """An operator ticks 200 channels in one go (lineups of hundreds are normal): the
    form's body is then over 2 KiB, more than the server's first read of a connection,
    and must still pass the CSRF check. A browser of its own, so that its connections
    are new (an earlier upload on a kept-alive connection widens that connection's
    reads). Fills the lineup up to 200 channels over HTTP; deletes them and the package
    after."""
    from browser import new_driver
    total = channel_total(driver, server)
    console = console_session(server)
    added: list[int] = []
    package_id = None
    fresh = new_driver()
    try:
        t = tag()
        for i in range(max(0, MANY - total)):
            added.append(console_channel(server, f"Bulk {t} {i:03d}", console=console)[0])
        login(fresh, server)
        package = f"E2E Many {t}"
        package_id = add_package(fresh, server, package)
        form = form_with_button(fresh, "Add Channels")
        boxes = form.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")
        assert len(boxes) >= MANY, len(boxes)
        for box in boxes[:MANY]:
            tick(fresh, box)
        submit(fresh, form)
        shot(fresh, "cms-18-package-many-channels-added.png")
        assert path(fresh) == f"/cms/packages/{package_id}", \
            f"after ticking {MANY} channels: {fresh.current_url} shows {body_text(fresh)[:200]!r}"
        assert flash(fresh).text.strip() == f"{MANY} channel(s) added."
        assert len(package_channels(fresh)) == MANY
    finally:
        fresh.quit()
        problems = []
        if package_id is not None:
            problems.append(console_action(console, f"/cms/packages/{package_id}/delete", "/cms/packages"))
        problems += [console_delete_channel(console, i) for i in added]
        problems = [p for p in problems if p]
        assert not problems, problems
