"""UIT › Hostnames, Top panel › Super Hostname and White Labelling in a real browser (headless
Chromium, see browser.py), plus the bootstrap answers those pages change.

The demo data set has the hostname tv.demo.example (every sign-in method, login texts in
English and Arabic), the reseller hostname tv.reseller.example (Demo Postpaid Reseller, with
its app branding and a console brand on console.reseller.example) and the super hostname
apps.tvms.example with service ids 1001 and 1002.

Each test works on names of its own (a random tag), and the white-labelling test puts the
installation's brand back as it found it, so the tests run alone (-k), in any order and next to
the other browser modules on the shared server.
Screenshots: <artifacts>/screenshots/hosts-NN-*.png.
"""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from browser import (body_text, checkbox, click_and_load, data_table, field_errors, fill, flash,
                     form_with, form_with_button, go, heading, login, new_driver, path, png, row_button,
                     shot, sidebar, submit, table_rows, tick, wait, wait_path)

RESELLER_DOMAIN = "console.reseller.example"
RESELLER_CONSOLE = "Postpaid Reseller Console"
RESELLER_TEAL = "rgb(15, 118, 110)"      # #0F766E, the demo reseller's console colour
ACME_RED = "rgb(185, 28, 28)"            # #B91C1C


def tag() -> str:
    return uuid.uuid4().hex[:8]


def bootstrap(http, server, query: str):
    return http.get(server.url("/api/client/v1/bootstrap?" + query), timeout=10)


def css(driver, selector: str, prop: str) -> str:
    return driver.execute_script(
        "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]]", selector, prop)


def logo_loaded(driver, selector: str) -> int:
    """The natural width of the logo once the browser has it (0 if it failed)."""
    wait(driver).until(lambda d: d.execute_script("return document.querySelector(arguments[0]).complete", selector))
    return driver.execute_script("return document.querySelector(arguments[0]).naturalWidth", selector)


def test_hostnames_list_add_edit_and_delete(driver, server, http):
    login(driver, server)
    sidebar(driver, "/uit/hostnames", "Hostnames")
    assert heading(driver) == "Hostnames"
    rows = table_rows(data_table(driver))
    demo = next(r for r in rows if r[0] == "tv.demo.example")
    assert demo[2] == "password, activation_code, mac" and demo[4] == "ar, en", demo
    assert any(r[0] == "tv.reseller.example" and r[1] == "Demo Postpaid Reseller" for r in rows), rows
    shot(driver, "hosts-01-hostnames-list.png")

    name = f"tv-{tag()}.example.com"
    click_and_load(driver, driver.find_element(By.XPATH, "//a[contains(@class,'button')][normalize-space(.)='Add a hostname']"))
    wait_path(driver, "/uit/hostnames/new")
    form = form_with(driver, "hostname")
    fill(form, "hostname", name.upper())
    tick(driver, checkbox(form, "MAC address of a linked box"), False)
    tick(driver, checkbox(form, "Set-top box"), False)
    fill(form, "loginSide_en", "Welcome! Call 0800 123 for an account.")
    fill(form, "newLanguage", "nl")
    fill(form, "loginSide_new", "Welkom! Bel 0800 123 voor een account.")
    fill(form, "supportEmail", "help@example.com")
    fill(form, "androidStoreURL", "https://play.google.com/store/apps/details?id=com.example.tv")
    shot(driver, "hosts-02-hostname-form.png", full_page=True)
    submit(driver, form)
    wait_path(driver, "/uit/hostnames")
    assert name in flash(driver).text
    row = next(r for r in table_rows(data_table(driver)) if r[0] == name)
    assert row[2] == "password, activation_code" and row[3] == "web, android, ios, tv" and row[4] == "en, nl", row

    # The app on that hostname gets it at once, in Dutch and (fallback) in English.
    b = bootstrap(http, server, f"host={name}&lang=nl").json()
    assert b["hostname"] == name and b["authMethods"] == ["password", "activation_code"]
    assert b["texts"]["loginSide"] == "Welkom! Bel 0800 123 voor een account."
    assert b["stores"] == {"android": "https://play.google.com/store/apps/details?id=com.example.tv", "ios": None}
    assert bootstrap(http, server, f"host={name}&lang=de").json()["texts"]["loginSide"].startswith("Welcome!")

    # Edit: without any sign-in method the form is refused, keeps what was typed, saves nothing.
    click_and_load(driver, driver.find_element(By.XPATH, f"//table[contains(@class,'data-table')]//a[normalize-space(.)='{name}']"))
    form = form_with(driver, "hostname")
    for label in ("Username and password", "Activation code (TV shows a code, phone confirms)"):
        tick(driver, checkbox(form, label), False)
    fill(form, "supportEmail", "not an address")
    submit(driver, form)
    errors = field_errors(driver)
    assert "needs at least one sign-in method" in errors.get("authMethods[]", ""), errors
    assert "must be an e-mail address" in errors.get("supportEmail", ""), errors
    assert form_with(driver, "hostname").find_element(By.NAME, "loginSide_nl").get_attribute("value").startswith("Welkom!")
    shot(driver, "hosts-03-hostname-refused.png", full_page=True)
    assert bootstrap(http, server, f"host={name}").json()["authMethods"] == ["password", "activation_code"]

    # The same name as another hostname is refused too.
    go(driver, server, "/uit/hostnames/new")
    form = form_with(driver, "hostname")
    fill(form, "hostname", "tv.demo.example")
    submit(driver, form)
    assert "is already in use" in body_text(driver)

    # Delete, through the confirmation page: the app's hostname is unknown afterwards.
    go(driver, server, "/uit/hostnames")
    row_link = driver.find_element(By.XPATH, f"//tr[td[1][normalize-space(.)='{name}']]//a[normalize-space(.)='Delete']")
    click_and_load(driver, row_link)
    assert heading(driver) == f"Delete {name}?"
    submit(driver, form_with_button(driver, "Delete hostname"))
    wait_path(driver, "/uit/hostnames")
    assert all(r[0] != name for r in table_rows(data_table(driver)))
    gone = bootstrap(http, server, f"host={name}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_hostname"


def test_super_hostname_service_ids(driver, server, http):
    login(driver, server)
    sidebar(driver, "/settings/super-hostnames", "Super Hostname")
    rows = table_rows(data_table(driver))
    assert any(r[0] == "apps.tvms.example" and r[1] == "2" for r in rows), rows
    click_and_load(driver, driver.find_element(By.XPATH, "//a[normalize-space(.)='apps.tvms.example']"))
    services = {r[0]: r[1] for r in table_rows(data_table(driver))}
    assert services["1001"] == "tv.demo.example" and services["1002"] == "tv.reseller.example", services

    sid = str(7000 + uuid.uuid4().int % 1000)
    form = form_with(driver, "serviceId")
    fill(form, "serviceId", sid)
    form.find_element(By.XPATH, ".//select[@name='hostname']/option[starts-with(normalize-space(.), 'tv.reseller.example')]").click()
    submit(driver, form)
    assert sid in flash(driver).text
    assert bootstrap(http, server, f"host=apps.tvms.example&service={sid}").json()["hostname"] == "tv.reseller.example"
    shot(driver, "hosts-04-super-hostname.png", full_page=True)

    # The same id twice on one super hostname is refused.
    form = form_with(driver, "serviceId")
    fill(form, "serviceId", sid)
    submit(driver, form)
    assert "already used" in flash(driver, "error").text

    # Without a service id the app is told to ask for one; an unknown id is a typed 404.
    ask = bootstrap(http, server, "host=apps.tvms.example").json()
    assert ask == {"serviceRequired": True, "hostname": "apps.tvms.example"}
    unknown = bootstrap(http, server, "host=apps.tvms.example&service=nope")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_service"

    submit(driver, driver.find_element(By.XPATH, f"//tr[td[1][normalize-space(.)='{sid}']]//form"))
    assert bootstrap(http, server, f"host=apps.tvms.example&service={sid}").status_code == 404


@pytest.fixture
def installation_brand(driver, server):
    """Leaves the installation's console brand empty again after the test."""
    yield
    login(driver, server)
    go(driver, server, "/settings/white-labelling")
    form = form_with(driver, "primaryColour")
    for name in ("name", "primaryColour", "supportContact", "consoleDomain"):
        fill(form, name, "")
    boxes = form.find_elements(By.NAME, "removeLogo")
    if boxes:
        tick(driver, boxes[0])
    submit(driver, form)
    flash(driver)


def test_white_labelling_installation_and_reseller_brands(driver, server, tmp_path, installation_brand):
    login(driver, server)
    sidebar(driver, "/settings/white-labelling", "White Labelling")
    logo = tmp_path / "acme.png"
    logo.write_bytes(png(240, 64, (185, 28, 28)))
    form = form_with(driver, "primaryColour")
    fill(form, "name", "Acme Operator")
    fill(form, "primaryColour", "#b91c1c")
    fill(form, "supportContact", "noc@acme.example")
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=logo]").send_keys(str(logo))
    submit(driver, form)
    flash(driver)
    assert driver.find_element(By.CSS_SELECTOR, ".topbar .brand-name").text == "Acme Operator"
    assert css(driver, "button.primary", "backgroundColor") == ACME_RED
    assert logo_loaded(driver, ".topbar .brand-logo") == 240
    assert driver.title.endswith("· Acme Operator")
    shot(driver, "hosts-05-console-installation-brand.png")

    # A bad colour is refused and the brand stays.
    form = form_with(driver, "primaryColour")
    fill(form, "primaryColour", "crimson")
    submit(driver, form)
    assert "must be a colour like #FF8800" in field_errors(driver).get("primaryColour", "")
    assert css(driver, "button.primary", "backgroundColor") == ACME_RED

    # The login page carries the brand before anyone signs in.
    driver.delete_all_cookies()
    go(driver, server, "/login")
    assert heading(driver) == "Acme Operator"
    assert logo_loaded(driver, ".login-logo") == 240
    assert css(driver, "button.primary", "backgroundColor") == ACME_RED
    assert "noc@acme.example" in body_text(driver)
    shot(driver, "hosts-06-login-installation-brand.png")

    # The reseller's own console domain shows its brand on the login page, and the reseller sees
    # it after signing in.
    port = urlsplit(server.base_url).port
    other = new_driver(extra_args=(f"--host-resolver-rules=MAP {RESELLER_DOMAIN} 127.0.0.1",))
    try:
        other.get(f"http://{RESELLER_DOMAIN}:{port}/login")
        assert heading(other) == RESELLER_CONSOLE
        assert css(other, "button.primary", "backgroundColor") == RESELLER_TEAL
        assert logo_loaded(other, ".login-logo") > 0
        shot(other, "hosts-07-login-reseller-domain.png")
        form = wait(other).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form#login-form")))
        fill(form, "email", "postpaid@demo.tvms")
        fill(form, "password", "demo1234")
        click_and_load(other, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        wait_path(other, "/portal")
        assert other.find_element(By.CSS_SELECTOR, ".topbar .brand-name").text == RESELLER_CONSOLE
        assert css(other, ".nav-section a.active", "backgroundColor") == RESELLER_TEAL
        assert "help@postpaid-reseller.example" in body_text(other)
        shot(other, "hosts-08-portal-reseller-brand.png")
    finally:
        other.quit()

    # The operator edits the reseller's console brand on the reseller's page.
    login(driver, server)
    go(driver, server, "/crm/resellers")
    click_and_load(driver, driver.find_element(By.XPATH, "//table[contains(@class,'data-table')]//a[normalize-space(.)='Demo Postpaid Reseller']"))
    click_and_load(driver, driver.find_element(By.XPATH, "//nav[contains(@class,'tabs')]/a[normalize-space(.)='Console Branding']"))
    assert path(driver).endswith("/console-branding")
    form = form_with(driver, "consoleDomain")
    assert form.find_element(By.NAME, "consoleDomain").get_attribute("value") == RESELLER_DOMAIN
    shot(driver, "hosts-09-reseller-console-branding.png", full_page=True)
