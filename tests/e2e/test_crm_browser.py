"""The CRM console in a real browser (headless Chromium, see browser.py).

Each test logs in afresh and makes its own data with unique names, so that any
one of them can run alone (-k) and in any order: a product with a payment plan,
a customer (with a refused mobile number first), a renewal, an import refused
for one bad row and then accepted, and a bulk edit of two customers.
Screenshots: <artifacts>/screenshots/crm-NN-*.png.
"""
from __future__ import annotations

import base64
import calendar
import re
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from browser import (body_text, button_link, choose, click_and_load, details, fill,
                     flash, go, heading, login, path, query, shot, sidebar, submit, tick, wait,
                     wait_path)

DEMO_PRODUCT = "Basic Monthly"
DEMO_PLAN = "1:1"              # Basic Monthly — 1 month (9.99 EUR, 10.99 USD)
DEMO_PLAN_NAME = "1 month"
DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2})")


def tag() -> str:
    return uuid.uuid4().hex[:8]


def mobile() -> str:
    """A Dutch mobile number in international form, different on every call."""
    return "+316" + str(uuid.uuid4().int % 10**8).zfill(8)


@pytest.fixture(autouse=True)
def session(driver, server):
    """Every test starts with its own console session."""
    login(driver, server)








def form_with(driver, field: str, within: str = ""):
    """The form (class "form") that has a field of that name."""
    return wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, f"{within}//form[contains(concat(' ', @class, ' '), ' form ')][.//*[@name='{field}']]")),
        f"no form with a {field} field on {driver.current_url}")


def form_with_button(driver, label: str):
    return wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, f"//form[.//button[@type='submit'][normalize-space(.)='{label}']]")),
        f"no form with a {label!r} button on {driver.current_url}")


def field_errors(driver) -> list[str]:
    errors = wait(driver).until(EC.presence_of_all_elements_located((By.CSS_SELECTOR, ".field-error")),
                                f"no .field-error on {driver.current_url}")
    return [e.text.strip() for e in errors]


def table_rows(table) -> list[list[str]]:
    return [[td.text.strip() for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]


def submit_label(form) -> str:
    return form.find_element(By.CSS_SELECTOR, "button[type=submit]").text.strip()


def selected_text(form, name: str) -> str:
    return Select(form.find_element(By.NAME, name)).first_selected_option.text.strip()


def download_csv(driver) -> str:
    link = driver.find_element(By.CSS_SELECTOR, "a[download]")
    href = link.get_attribute("href") or ""
    prefix = "data:text/csv;base64,"
    assert href.startswith(prefix), f"download href {href[:60]!r}…"
    assert link.get_attribute("download").endswith(".csv"), link.get_attribute("download")
    return base64.b64decode(href[len(prefix):]).decode("utf-8")


def plus_one_month(text: str) -> tuple[str, str]:
    """("2026-12-24", "22:54") one calendar month after the date in `text`
    (the day clamped to the month's length, the time of day kept)."""
    m = DATE_TIME.search(text)
    assert m, f"no date in {text!r}"
    year, month, day, hm = int(m[1]), int(m[2]), int(m[3]), m[4]
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = min(day, calendar.monthrange(year, month)[1])
    return f"{year:04d}-{month:02d}-{day:02d}", hm


def search_customers(driver, server, term: str):
    """Customers list filtered through the search box; returns the table. (Always
    loads the list: pages answering a POST to /crm/customers have that path too.)"""
    go(driver, server, "/crm/customers")
    q = wait(driver).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "form.filters input[name=q]")))
    fill(q.find_element(By.XPATH, "ancestor::form"), "q", term)
    click_and_load(driver, q.find_element(By.XPATH, "ancestor::form").find_element(
        By.CSS_SELECTOR, "button[type=submit]"))
    wait_path(driver, "/crm/customers")
    assert query(driver).get("q") == [term], driver.current_url
    return wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.data-table")))


def open_add_customer(driver, server):
    go(driver, server, "/crm/customers")
    button_link(driver, "Add customer")
    wait_path(driver, "/crm/customers/new")
    assert heading(driver) == "Add a customer"
    return form_with(driver, "mobile")


def fill_customer(form, *, first: str, last: str, phone: str, login_name: str = "",
                  email: str = "", plan: str = DEMO_PLAN):
    choose(form, "plan", plan)
    choose(form, "currency", "EUR")
    fill(form, "firstName", first)
    fill(form, "lastName", last)
    fill(form, "city", "Utrecht")
    choose(form, "country", "NL")
    fill(form, "mobile", phone)
    fill(form, "email", email)
    fill(form, "login", login_name)


def created_customer(driver) -> tuple[int, dict[str, str]]:
    """On the page after adding one customer: its number and login details."""
    h = heading(driver)
    m = re.fullmatch(r"Customer (\d+) created", h)
    assert m, f"heading {h!r} on {driver.current_url}"
    return int(m[1]), details(driver.find_element(By.CSS_SELECTOR, "dl.details"))


def add_customer(driver, server, *, first: str, last: str) -> tuple[int, dict[str, str]]:
    form = open_add_customer(driver, server)
    fill_customer(form, first=first, last=last, phone=mobile())
    submit(driver, form)
    return created_customer(driver)


def row_of(driver, customer_id: int):
    rows = driver.find_elements(
        By.XPATH, f"//table[contains(@class, 'data-table')]//tr[.//input[@name='ids[]'][@value='{customer_id}']]")
    return rows[0] if rows else None


def write_csv(tmp_path, name: str, lines: list[str]) -> str:
    f = tmp_path / name
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(f)


def upload(driver, csv_path: str):
    """Send a file through the import form on the current page."""
    form = wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, "//form[@enctype='multipart/form-data'][.//input[@type='file'][@name='file']]")),
        f"no import form on {driver.current_url}")
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(csv_path)
    submit(driver, form)


# ------------------------------------------------------------------ tests ---


def test_crm_product_with_plan(driver, server):
    t = tag()
    name = f"E2E Product {t}"
    sidebar(driver, "/crm/products", "Products")
    assert heading(driver) == "Products"
    button_link(driver, "Add a product")
    wait_path(driver, "/crm/products/new")
    form = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.form")))

    fill(form, "name", name)
    fill(form, "mappingId", f"e2e-{t}")
    assert {o.get_attribute("value") for o in Select(form.find_element(By.NAME, "subscriptionType")).options} \
        == {"regular", "trial"}
    choose(form, "subscriptionType", "regular")
    choose(form, "paymentType", "subscription")
    tick(driver, form.find_element(By.NAME, "startFromFirstLogin"), True)
    fill(form, "maxDevices", "2")
    choose(form, "defaultCurrency", "EUR")
    fill(form, "allowedCountries", "nl, BE")        # as the help text writes it, lower case too
    tick(driver, form.find_element(By.NAME, "isRTL"), False)
    fill(form, "disclaimer", "E2E disclaimer shown before playback.")
    fill(form, "supportText", "Call +31 20 123 4567.")
    submit(driver, form)

    m = re.fullmatch(r"/crm/products/(\d+)", path(driver))
    assert m and query(driver).get("tab") == ["plans"], f"after adding a product: {driver.current_url}"
    product_id = int(m[1])
    assert name in flash(driver).text
    assert heading(driver) == name
    section = "//section[h2[normalize-space(.)='Payment plans']]"
    assert driver.find_elements(By.XPATH, section), "no 'Payment plans' section"

    # An amount that is not one: the tab again, the plan form with the message.
    plan_form = form_with(driver, "price_EUR", section)
    assert plan_form.find_element(By.NAME, "length").get_attribute("type") == "number"
    assert {o.get_attribute("value") for o in Select(plan_form.find_element(By.NAME, "unit")).options} \
        == {"days", "weeks", "months", "years"}
    # (Its button reads "Save plan" and its heading "Add a payment plan" is not shown:
    # reported to the Swift side; the label is not asserted here.)
    fill(plan_form, "name", "3 months")
    fill(plan_form, "length", "3")
    choose(plan_form, "unit", "months")
    fill(plan_form, "price_EUR", "abc")
    fill(plan_form, "price_USD", "15.95")
    fill(plan_form, "creditsPrice", "30")
    submit(driver, plan_form)
    errors = field_errors(driver)
    assert any("Price in EUR" in e for e in errors), errors
    assert path(driver) == f"/crm/products/{product_id}/plans", driver.current_url
    plan_form = form_with(driver, "price_EUR", section)
    assert plan_form.find_element(By.NAME, "name").get_attribute("value") == "3 months", \
        "the refused plan form lost what was typed"
    assert plan_form.find_element(By.NAME, "price_USD").get_attribute("value") == "15.95"
    shot(driver, "crm-01-plan-price-error.png", full_page=True)

    fill(plan_form, "price_EUR", "14.50")
    submit(driver, plan_form)
    wait_path(driver, f"/crm/products/{product_id}")
    assert query(driver).get("tab") == ["plans"], driver.current_url
    assert flash(driver).text.strip() == "Plan added."
    table = wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, f"{section}//table[contains(@class, 'data-table')]")))
    rows = [r for r in table_rows(table) if len(r) > 1 and r[1] == "3 months"]
    assert len(rows) == 1, table_rows(table)
    assert "14.50 EUR" in rows[0][3] and "15.95 USD" in rows[0][3], rows[0]
    assert rows[0][4] == "30 credits", rows[0]
    shot(driver, "crm-02-product-plans.png", full_page=True)

    # The Details tab keeps what the form sent.
    tabs = driver.find_elements(By.CSS_SELECTOR, "nav.tabs a")
    details_tab = [a for a in tabs if a.text.strip() == "Details"]
    assert details_tab, [a.text for a in tabs]
    click_and_load(driver, details_tab[0])
    form = form_with(driver, "allowedCountries")
    countries = form.find_element(By.NAME, "allowedCountries").get_attribute("value")
    assert sorted(c.strip() for c in countries.split(",")) == ["BE", "NL"], countries
    assert form.find_element(By.NAME, "maxDevices").get_attribute("value") == "2"
    assert form.find_element(By.NAME, "startFromFirstLogin").is_selected()
    assert not form.find_element(By.NAME, "isRTL").is_selected()
    assert form.find_element(By.NAME, "mappingId").get_attribute("value") == f"e2e-{t}"


def test_crm_create_customer(driver, server):
    t = tag()
    first, last, login_name = f"Eve{t}", "Tester", f"e2e{t}"
    sidebar(driver, "/crm/customers", "Customers")
    button_link(driver, "Add customer")
    wait_path(driver, "/crm/customers/new")
    form = form_with(driver, "mobile")

    plan_select = Select(form.find_element(By.NAME, "plan"))
    values = [o.get_attribute("value") for o in plan_select.options]
    assert values and all(re.fullmatch(r"\d+:\d+", v) for v in values), values
    fill_customer(form, first=first, last=last, phone="0612", login_name=login_name,
                  email=f"{login_name}@e2e.test")
    label = selected_text(form, "plan")
    assert label.startswith(f"{DEMO_PRODUCT} — {DEMO_PLAN_NAME} — ") and "9.99 EUR" in label, label
    assert re.search(r"— ends \d{4}-\d{2}-\d{2} —", label), label

    submit(driver, form)
    errors = field_errors(driver)
    assert any("country code" in e for e in errors), errors
    form = form_with(driver, "mobile")
    assert form.find_element(By.NAME, "firstName").get_attribute("value") == first
    assert Select(form.find_element(By.NAME, "plan")).first_selected_option.get_attribute("value") == DEMO_PLAN
    assert Select(form.find_element(By.NAME, "country")).first_selected_option.get_attribute("value") == "NL"
    shot(driver, "crm-03-customer-mobile-error.png", full_page=True)

    phone = mobile()
    fill(form, "mobile", phone)
    submit(driver, form)
    customer_id, creds = created_customer(driver)
    assert creds.get("Username") == login_name, creds
    password = creds.get("Password", "")
    assert re.fullmatch(r"\S{4,24}", password), creds
    assert creds.get("Status") == "Active", creds
    csv = download_csv(driver)
    assert login_name in csv and password in csv and str(customer_id) in csv, csv
    shot(driver, "crm-04-customer-created.png", full_page=True)

    table = search_customers(driver, server, login_name)
    rows = table_rows(table)
    assert len(rows) == 1 and rows[0][1] == str(customer_id), rows
    assert rows[0][3] == f"{first} {last}" and rows[0][7] == phone, rows[0]


def test_crm_renew_subscription(driver, server):
    t = tag()
    customer_id, _ = add_customer(driver, server, first=f"Renee{t}", last="Renewal")
    button_link(driver, "Open customer")
    wait_path(driver, f"/crm/customers/{customer_id}")
    tab = [a for a in driver.find_elements(By.CSS_SELECTOR, "nav.tabs a") if a.text.strip() == "Subscription"]
    assert tab, "no Subscription tab"
    click_and_load(driver, tab[0])
    assert query(driver).get("tab") == ["subscription"], driver.current_url

    before = details(driver.find_element(By.CSS_SELECTOR, "dl.details"))
    assert before.get("Product") == DEMO_PRODUCT, before
    old = before.get("Expires", "")
    want_day, want_time = plus_one_month(old)

    form = form_with_button(driver, "Extend subscription")
    plan = Select(form.find_element(By.NAME, "planId"))
    one_month = [o for o in plan.options if o.text.strip().startswith(DEMO_PLAN_NAME + " ")]
    assert one_month, [o.text for o in plan.options]
    plan.select_by_value(one_month[0].get_attribute("value"))
    choose(form, "from", "expiry")
    submit(driver, form)

    wait_path(driver, f"/crm/customers/{customer_id}")
    assert query(driver).get("tab") == ["subscription"], driver.current_url
    message = flash(driver).text
    assert "Subscription extended to" in message, message
    after = details(driver.find_element(By.CSS_SELECTOR, "dl.details"))
    new = after.get("Expires", "")
    assert new != old, f"Expires still {old}"
    m = DATE_TIME.search(new)
    assert m and (f"{m[1]}-{m[2]}-{m[3]}", m[4]) == (want_day, want_time), \
        f"Expires went from {old!r} to {new!r}; expected {want_day} {want_time}"
    assert new in message, f"flash {message!r} does not name the new expiry {new!r}"
    shot(driver, "crm-05-customer-renewed.png", full_page=True)


def test_crm_import_refused_then_accepted(driver, server, tmp_path):
    t = tag()
    good, bad = f"Good{t}", f"Bad{t}"
    header = "product,plan,firstname,lastname,mobile"
    refused = write_csv(tmp_path, f"refused-{t}.csv", [
        header,
        f"{DEMO_PRODUCT},{DEMO_PLAN_NAME},{good},Row,+31611111111",
        f"{DEMO_PRODUCT},no such plan,{bad},Row,0612",
    ])
    go(driver, server, "/crm/customers")
    button_link(driver, "Import")
    wait_path(driver, "/crm/customers/import")
    assert heading(driver) == "Import customers"
    upload(driver, refused)

    assert heading(driver) == "Import refused", body_text(driver)[:500]
    text = body_text(driver)
    assert "Nothing was imported" in text, text[:500]
    table = driver.find_element(By.CSS_SELECTOR, "table.data-table")
    rows = table_rows(table)
    line3 = [r for r in rows if r and r[0] == "3"]
    assert line3, rows
    assert any(r[1] == "plan" and r[2] == f'"no such plan" is not a plan of {DEMO_PRODUCT}' for r in line3), rows
    assert not [r for r in rows if r and r[0] == "2"], f"the good line 2 was reported: {rows}"
    shot(driver, "crm-06-import-refused.png", full_page=True)

    table = search_customers(driver, server, good)
    assert table_rows(table) == [], f"{good} Row exists after a refused import: {table_rows(table)}"
    empty = driver.find_elements(By.CSS_SELECTOR, "p.empty")
    assert empty and good in empty[0].text, "no 'no customer matches' text"

    accepted = write_csv(tmp_path, f"accepted-{t}.csv", [
        header,
        f"{DEMO_PRODUCT},{DEMO_PLAN_NAME},{good},Row,+31611111111",
        f"{DEMO_PRODUCT},{DEMO_PLAN_NAME},{bad},Row,+31612340612",
    ])
    go(driver, server, "/crm/customers")
    button_link(driver, "Import")
    wait_path(driver, "/crm/customers/import")
    upload(driver, accepted)
    assert heading(driver) == "2 customers imported", body_text(driver)[:500]
    rows = table_rows(driver.find_element(By.CSS_SELECTOR, "table.data-table"))
    assert len(rows) == 2 and all(r[2] and r[3] for r in rows), rows      # username, password
    csv = download_csv(driver)
    for r in rows:
        assert r[2] in csv and r[3] in csv, (r, csv)
    shot(driver, "crm-07-import-done.png", full_page=True)

    for first in (good, bad):
        rows = table_rows(search_customers(driver, server, first))
        assert len(rows) == 1 and rows[0][3] == f"{first} Row", rows


def test_crm_bulk_disable(driver, server):
    t = tag()
    first = f"Bulk{t}"
    ids = {add_customer(driver, server, first=first, last=last)[0] for last in ("One", "Two")}
    assert len(ids) == 2

    table = search_customers(driver, server, first)
    boxes = table.find_elements(By.CSS_SELECTOR, 'input[name="ids[]"]')
    assert {int(b.get_attribute("value")) for b in boxes} == ids, table_rows(table)
    for box in boxes:
        tick(driver, box)
    bulk = driver.find_element(By.XPATH, "//form[contains(@class, 'bulk-form')]"
                                         "//button[normalize-space(.)='Bulk edit selected']")
    click_and_load(driver, bulk)
    wait_path(driver, "/crm/customers/bulk")
    assert heading(driver) == "Bulk edit 2 customers"

    form = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.form")))
    hidden = {int(i.get_attribute("value")) for i in form.find_elements(By.CSS_SELECTOR, 'input[name="ids[]"]')}
    assert hidden == ids, hidden
    assert submit_label(form) == "Apply to 2 customers"
    status = Select(form.find_element(By.NAME, "status"))
    status.select_by_visible_text("Disable")
    assert status.first_selected_option.get_attribute("value") == "disable"
    shot(driver, "crm-08-bulk-edit.png", full_page=True)
    submit(driver, form)

    wait_path(driver, "/crm/customers")
    assert flash(driver).text.strip() == "2 customers changed."
    for customer_id in ids:
        row = row_of(driver, customer_id)
        assert row is not None, f"customer {customer_id} not on the first page of /crm/customers"
        badge = row.find_element(By.CSS_SELECTOR, ".badge")
        assert badge.text.strip() == "Disabled", f"customer {customer_id}: {row.text}"
    shot(driver, "crm-09-bulk-done.png", full_page=True)
