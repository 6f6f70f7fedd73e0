"""The reseller portal in a real browser (headless Chromium, see browser.py).

The demo data set has two resellers, each with three customers of its own:
postpaid@demo.tvms (credits; the 1-month plan at a 10 % discount) and
prepaid@demo.tvms (orders of units). Both log in at the console's login page and
are sent to /portal.

Every test logs in afresh and reads the balance, the stock and the counts from the
pages before it acts, so that any one of them can run alone (-k) and in any
order on the shared server; the one that takes credits away gives them back.
Screenshots: <artifacts>/screenshots/portal-NN-*.png.

The last three tests guard navigation: "Open customer" after a sale, no portal links for
operator staff, and exactly one highlighted sidebar item.
"""
from __future__ import annotations

import base64
import re
import uuid
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

import htmlutil
from browser import (body_text, button_link, click_and_load, details, fill, flash, go,
                     heading, login, path, shot, sidebar, submit, wait, wait_path)
from support import Console, form_action

POSTPAID = "postpaid@demo.tvms"
PREPAID = "prepaid@demo.tvms"
RESELLER_PASSWORD = "demo1234"
POSTPAID_NAME = "Demo Postpaid Reseller"
PREPAID_NAME = "Demo Prepaid Reseller"
PLAN_LABEL = "Basic Monthly — 1 month — costs "
POSTPAID_COST = 9          # the plan's 10 credits less the reseller's 10 % discount
MINUS = "\u2212"           # the ledger writes movements with a real minus sign


def tag() -> str:
    return uuid.uuid4().hex[:8]


def mobile() -> str:
    return "+316" + str(uuid.uuid4().int % 10**8).zfill(8)


# ---------------------------------------------------------------- helpers ---


def portal_login(driver, server, email: str, password: str = RESELLER_PASSWORD):
    """A fresh console session as a reseller: the login form, then the portal."""
    go(driver, server, "/login")
    driver.delete_all_cookies()
    go(driver, server, "/login")
    form = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form#login-form")))
    fill(form, "email", email)
    fill(form, "password", password)
    click_and_load(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait_path(driver, "/portal")






def section(driver, title: str):
    return wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, f"//section[contains(@class, 'panel')][h2[normalize-space(.)='{title}']]")),
        f"no section {title!r} on {driver.current_url}")


def table_rows(table) -> list[list[str]]:
    return [[td.text.strip() for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]


def data_table(driver):
    return wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.data-table")),
                              f"no table.data-table on {driver.current_url}")


def error_page(driver) -> tuple[str, str]:
    """The standalone error page: its heading ("404 · Not Found") and message."""
    box = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "body.login-page main.login-box")),
                             f"no error page at {driver.current_url}: {body_text(driver)[:300]}")
    return box.find_element(By.TAG_NAME, "h1").text.strip(), box.find_element(By.TAG_NAME, "p").text.strip()


def customer_count(driver) -> int:
    """The dashboard's intro: "3 customers"."""
    intro = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "main p.intro"))).text.strip()
    m = re.fullmatch(r"(\d+) customers?", intro)
    assert m, f"dashboard intro {intro!r}"
    return int(m[1])


def dashboard(driver, name: str):
    sidebar(driver, "/portal", "Dashboard")
    assert heading(driver) == name


def balance(driver) -> int:
    """The postpaid dashboard's balance in credits."""
    credits = details(section(driver, "Balance").find_element(By.CSS_SELECTOR, "dl.details"))
    assert re.fullmatch(r"-?\d+", credits.get("Credits", "")), credits
    return int(credits["Credits"])


def stock(driver) -> dict[str, tuple[int, int]]:
    """The prepaid dashboard's open orders: {order: (units left, of)}."""
    rows = table_rows(section(driver, "Stock").find_element(By.CSS_SELECTOR, "table.data-table"))
    out = {}
    for r in rows:
        assert len(r) >= 3 and r[1].isdigit() and r[2].isdigit(), rows
        out[r[0]] = (int(r[1]), int(r[2]))
    return out


def offer(driver) -> list[str]:
    """The dashboard's "What you can sell" labels."""
    return [r[0] for r in table_rows(section(driver, "What you can sell").find_element(By.CSS_SELECTOR, "table"))]


def open_sale_form(driver):
    button_link(driver, "Sell a subscription")
    wait_path(driver, "/portal/customers/new")
    assert heading(driver) == "Sell a subscription"
    return sale_form(driver)


def sale_form(driver):
    return wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, "//form[contains(@class, 'form')][@action='/portal/customers'][.//select[@name='plan']]")),
        f"no sale form on {driver.current_url}")


def fill_sale(form, *, first: str, last: str, cost_label: str):
    plan = Select(form.find_element(By.NAME, "plan"))
    labels = [o.text.strip() for o in plan.options]
    assert PLAN_LABEL + cost_label in labels, labels
    plan.select_by_visible_text(PLAN_LABEL + cost_label)
    fill(form, "firstName", first)
    fill(form, "lastName", last)
    fill(form, "email", f"{first.lower()}@e2e.test")
    fill(form, "mobile", mobile())
    fill(form, "city", "Utrecht")
    fill(form, "country", "NL")


def sold(driver) -> tuple[int, dict[str, str]]:
    """The one-time credentials page after a sale: customer number and login details."""
    wait_path(driver, "/portal/credentials")
    h = heading(driver)
    m = re.fullmatch(r"Customer (\d+) sold", h)
    assert m, f"heading {h!r} on {driver.current_url}: {body_text(driver)[:300]}"
    creds = details(section(driver, "Login details").find_element(By.CSS_SELECTOR, "dl.details"))
    assert re.fullmatch(r"\S{4,64}", creds.get("Username", "")), creds
    assert re.fullmatch(r"\S{4,24}", creds.get("Password", "")), creds
    assert creds.get("Status") == "Active", creds
    return int(m[1]), creds


def download_csv(driver) -> str:
    link = driver.find_element(By.CSS_SELECTOR, "a[download]")
    href = link.get_attribute("href") or ""
    prefix = "data:text/csv;base64,"
    assert href.startswith(prefix), f"download href {href[:60]!r}…"
    return base64.b64decode(href[len(prefix):]).decode("utf-8")


def customers_list(driver):
    sidebar(driver, "/portal/customers", "My customers")
    assert heading(driver) == "My customers"
    return data_table(driver)


def row_ids(table) -> list[int]:
    return [int(r[0]) for r in table_rows(table) if r and r[0].isdigit()]


def search(driver, term: str):
    form = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.filters")))
    fill(form, "q", term)
    click_and_load(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait_path(driver, "/portal/customers")
    return data_table(driver)


def ledger_rows(driver) -> list[list[str]]:
    """Balance log, newest first: [when, movement, why, by]."""
    sidebar(driver, "/portal/ledger", "Balance log")
    assert heading(driver) == "Balance log"
    return table_rows(data_table(driver))


def fetch(driver, url: str) -> tuple[int, str, str]:
    """GET through the browser's own session (a download would leave the page)."""
    return tuple(driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'})"
        "  .then(r => r.text().then(t => done([r.status, r.headers.get('Content-Type') || '', t])))"
        "  .catch(e => done([0, '', String(e)]));", url))


def owner_adjust(server, reseller_id: int, amount: int, reason: str) -> None:
    """The operator's "Add or deduct balance" form, through requests (for cleaning up)."""
    console = Console(server)
    console.login_ok()
    page = console.page(f"/crm/resellers/{reseller_id}")
    form = page.form(field="amount")
    assert form is not None, f"/crm/resellers/{reseller_id} has no credits form"
    r = console.post(form_action(form, f"/crm/resellers/{reseller_id}/credits"),
                     {"_csrf": form.value("_csrf") or "", "amount": str(amount), "reason": reason})
    assert r.status_code == 303, r.status_code
    after = htmlutil.parse(console.get(f"/crm/resellers/{reseller_id}").text)
    assert "Balance updated." in " ".join(e.text for e in after.with_classes("flash", "success")), \
        f"adjusting {amount} credits of reseller {reseller_id} failed"


def owner_reseller_page(driver, server, name: str) -> int:
    """As the owner: CRM › Resellers, then the reseller's Details; returns its id."""
    login(driver, server)
    sidebar(driver, "/crm/resellers", "Resellers")
    row = wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, f"//table[contains(@class, 'data-table')]//tr[td[normalize-space(.)='{name}']]")),
        f"no reseller {name!r} on /crm/resellers")
    click_and_load(driver, row.find_element(By.XPATH, ".//a[normalize-space(.)='Details']"))
    m = re.fullmatch(r"/crm/resellers/(\d+)", path(driver))
    assert m, driver.current_url
    assert heading(driver) == f"Reseller {m[1]} — {name}"
    return int(m[1])


# ------------------------------------------------------------------ tests ---


def test_portal_postpaid_sale(driver, server):
    t = tag()
    first, last = f"Pat{t}", "Postpaid"
    portal_login(driver, server, POSTPAID)
    assert heading(driver) == POSTPAID_NAME
    links = {urlsplit(a.get_attribute("href")).path for a in driver.find_elements(By.CSS_SELECTOR, "nav.sidebar a")}
    assert {"/portal", "/portal/customers", "/portal/ledger"} <= links, links
    assert not [h for h in links if h.startswith("/crm") or h == "/"], f"operator links in the sidebar: {links}"
    before = balance(driver)
    count = customer_count(driver)
    assert f"{PLAN_LABEL}{POSTPAID_COST} credits" in offer(driver), offer(driver)
    assert before >= POSTPAID_COST, f"the postpaid reseller has only {before} credits left"
    shot(driver, "portal-01-postpaid-dashboard.png", full_page=True)

    form = open_sale_form(driver)
    intro = driver.find_element(By.CSS_SELECTOR, "main p.intro").text.strip()
    assert intro == f"You have {before} credits.", intro
    fill_sale(form, first=first, last=last, cost_label=f"{POSTPAID_COST} credits")
    shot(driver, "portal-02-sale-form.png", full_page=True)
    submit(driver, form)

    customer_id, creds = sold(driver)
    login_name, password = creds["Username"], creds["Password"]
    csv = download_csv(driver)
    assert login_name in csv and password in csv and str(customer_id) in csv, csv
    shot(driver, "portal-03-credentials.png", full_page=True)

    # Shown once: the same address again only says so (post/redirect/get).
    go(driver, server, "/portal/credentials")
    wait_path(driver, "/portal/customers")
    assert "shown only once" in flash(driver, "info").text
    assert password not in body_text(driver)

    table = customers_list(driver)
    assert row_ids(table)[:1] == [customer_id], f"newest customer is not {customer_id}: {table_rows(table)[:3]}"
    rows = table_rows(search(driver, first))
    assert len(rows) == 1, rows
    assert rows[0][:4] == [str(customer_id), login_name, f"{first} {last}", "Active"], rows[0]
    row = driver.find_element(By.CSS_SELECTOR, "table.data-table tbody tr")
    assert [b.text.strip() for b in row.find_elements(By.CSS_SELECTOR, "form button")] == ["Renew", "Disable"]
    shot(driver, "portal-04-customers.png", full_page=True)

    dashboard(driver, POSTPAID_NAME)
    assert balance(driver) == before - POSTPAID_COST, f"balance went from {before} to {balance(driver)}"
    assert customer_count(driver) == count + 1
    shot(driver, "portal-05-dashboard-after-sale.png", full_page=True)

    rows = ledger_rows(driver)
    assert rows, "empty balance log"
    newest = rows[0]
    assert newest[1:3] == [f"{MINUS}{POSTPAID_COST} credits", f"new customer {login_name}"], newest
    assert POSTPAID in newest[3], f"ledger 'By' reads {newest[3]!r}"
    assert [r for r in rows if r[2] == f"new customer {login_name}"] == [newest], "the sale was logged twice"
    shot(driver, "portal-06-ledger.png", full_page=True)

    status, ctype, text = fetch(driver, server.url("/portal/statement.csv"))
    assert status == 200 and ctype.startswith("text/csv"), (status, ctype, text[:200])
    lines = [line for line in text.splitlines() if f",new customer {login_name}," in line]
    assert len(lines) == 1, text
    cells = lines[0].split(",")
    assert cells[2:4] == [f"-{POSTPAID_COST}", "CREDITS"] and cells[5] == str(customer_id), lines[0]


def test_portal_insufficient_credits(driver, server):
    # What one sale costs and what the reseller holds now (earlier tests may have sold).
    portal_login(driver, server, POSTPAID)
    start = balance(driver)
    count = customer_count(driver)
    left = POSTPAID_COST - 1                     # one credit short of a sale
    deduct = start - left
    reason = f"e2e deduction {tag()}"

    reseller_id = owner_reseller_page(driver, server, POSTPAID_NAME)
    deducted = 0
    try:
        if deduct:
            form = wait(driver).until(EC.presence_of_element_located(
                (By.XPATH, "//section[h2[normalize-space(.)='Add or deduct balance']]//form")))
            fill(form, "amount", str(-deduct))
            fill(form, "reason", reason)
            submit(driver, form)
            wait_path(driver, f"/crm/resellers/{reseller_id}")
            assert flash(driver).text.strip() == "Balance updated."
            deducted = deduct
            assert details(driver.find_element(By.CSS_SELECTOR, "dl.details")).get("Balance") == f"{left} credits"
            shot(driver, "portal-07-owner-deducted.png", full_page=True)

        portal_login(driver, server, POSTPAID)
        assert balance(driver) == left
        form = open_sale_form(driver)
        assert driver.find_element(By.CSS_SELECTOR, "main p.intro").text.strip() == f"You have {left} credits."
        first = f"Broke{tag()}"
        fill_sale(form, first=first, last="Short", cost_label=f"{POSTPAID_COST} credits")
        submit(driver, form)

        # The form again, with the reason and what was typed.
        assert path(driver) == "/portal/customers", driver.current_url
        assert heading(driver) == "Sell a subscription"
        error = wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "form.form .flash.error"))).text.strip()
        assert error == (f"Not enough credits: this costs {POSTPAID_COST} and {POSTPAID_NAME} has {left}."
                         " Ask the operator for more credits."), error
        form = sale_form(driver)
        assert form.find_element(By.NAME, "firstName").get_attribute("value") == first
        assert not driver.find_elements(By.CSS_SELECTOR, ".flash.success")
        shot(driver, "portal-08-insufficient-credits.png", full_page=True)

        rows = table_rows(customers_list(driver))
        assert not [r for r in rows if first in " ".join(r)], f"{first} was created: {rows}"
        assert table_rows(search(driver, first)) == [], "a customer was created by the refused sale"
        dashboard(driver, POSTPAID_NAME)
        assert balance(driver) == left, "the refused sale moved the balance"
        assert customer_count(driver) == count
        rows = ledger_rows(driver)
        if deducted:
            moved = f"{MINUS}{deduct}" if deduct > 0 else f"+{-deduct}"
            assert rows[0][1:3] == [f"{moved} credits", reason], rows[0]
        assert not [r for r in rows if first in r[2]], rows[:3]
    finally:
        if deducted:   # give the credits back: the other tests sell on this account
            owner_adjust(server, reseller_id, deducted, f"e2e refund of '{reason}'")


def test_portal_prepaid_sale_uses_one_unit(driver, server):
    t = tag()
    first = f"Una{t}"
    portal_login(driver, server, PREPAID)
    assert heading(driver) == PREPAID_NAME
    assert not driver.find_elements(By.XPATH, "//section[h2[normalize-space(.)='Balance']]"), \
        "a prepaid reseller's dashboard shows a credits balance"
    before = stock(driver)
    units = sum(left for left, _ in before.values())
    assert units >= 1, f"no units left: {before}"
    count = customer_count(driver)
    assert f"{PLAN_LABEL}1 unit" in offer(driver), offer(driver)
    shot(driver, "portal-09-prepaid-dashboard.png", full_page=True)

    form = open_sale_form(driver)
    assert not driver.find_elements(By.CSS_SELECTOR, "main p.intro"), "credits intro on a prepaid sale form"
    fill_sale(form, first=first, last="Prepaid", cost_label="1 unit")
    submit(driver, form)
    customer_id, creds = sold(driver)
    shot(driver, "portal-10-prepaid-credentials.png", full_page=True)

    customers_list(driver)
    rows = table_rows(search(driver, first))
    assert [r[:4] for r in rows] == [[str(customer_id), creds["Username"], f"{first} Prepaid", "Active"]], rows

    dashboard(driver, PREPAID_NAME)
    after = stock(driver)
    assert sum(left for left, _ in after.values()) == units - 1, f"stock went from {before} to {after}"
    # The unit comes off the oldest order that still had one; nothing else moves.
    used = min((o for o, (left, _) in before.items() if left > 0), key=int)
    assert after == {**before, used: (before[used][0] - 1, before[used][1])}, f"stock went from {before} to {after}"
    assert customer_count(driver) == count + 1
    shot(driver, "portal-11-prepaid-dashboard-after-sale.png", full_page=True)

    rows = ledger_rows(driver)
    assert rows and rows[0][1:3] == [f"{MINUS}1 unit(s)", f"new customer {creds['Username']}"], rows[:2]
    assert PREPAID in rows[0][3], rows[0]
    shot(driver, "portal-12-prepaid-ledger.png", full_page=True)


def test_portal_isolation(driver, server):
    # The prepaid reseller's customer as it is now.
    portal_login(driver, server, PREPAID)
    theirs = table_rows(customers_list(driver))
    assert theirs, "the prepaid reseller has no customer"
    foreign_id, foreign_login, _, foreign_status, foreign_expires = theirs[-1][:5]
    assert foreign_status == "Active", theirs[-1]

    portal_login(driver, server, POSTPAID)
    start = balance(driver)
    table = customers_list(driver)
    mine = row_ids(table)
    assert mine and int(foreign_id) not in mine, f"{foreign_id} listed for {POSTPAID}: {mine}"
    assert table_rows(search(driver, foreign_login)) == [], f"search finds {foreign_login}"
    assert driver.find_element(By.CSS_SELECTOR, "p.empty").is_displayed()

    # A forged action: the own Renew (then Disable) form re-aimed at the other's customer.
    for action in ("renew", "disable"):
        go(driver, server, "/portal/customers")     # (the error page has no sidebar)
        table = data_table(driver)
        own = table.find_element(By.XPATH, f".//form[contains(@action, '/{action}')]")
        driver.execute_script("arguments[0].setAttribute('action', arguments[1])", own,
                              f"/portal/customers/{foreign_id}/{action}")
        click_and_load(driver, own.find_element(By.TAG_NAME, "button"))
        assert error_page(driver) == ("404 · Not Found", "The customer was not found."), \
            f"{action} of another reseller's customer: {body_text(driver)[:300]}"
        if action == "renew":
            shot(driver, "portal-13-foreign-renew-404.png")

    # The other reseller's customer page: 404 (binaries before 8121e39 have no portal
    # customer page at all, see test_portal_credentials_open_customer_link).
    go(driver, server, f"/portal/customers/{foreign_id}")
    assert error_page(driver)[0] == "404 · Not Found", f"/portal/customers/{foreign_id}: {body_text(driver)[:300]}"

    for page in ("/crm/resellers", "/crm/customers", f"/crm/customers/{foreign_id}",
                 "/crm/resellers/2/statement.csv", "/system-users"):
        go(driver, server, page)
        assert error_page(driver) == ("403 · Forbidden", "Your role does not allow this."), \
            f"{page} for a reseller: {body_text(driver)[:300]}"
        if page == "/crm/resellers":
            shot(driver, "portal-14-operator-page-403.png")

    go(driver, server, "/portal")
    wait_path(driver, "/portal")
    assert balance(driver) == start, "the refused renewal was charged"
    assert not [r for r in ledger_rows(driver) if foreign_login in r[2]]

    portal_login(driver, server, PREPAID)
    rows = [r for r in table_rows(customers_list(driver)) if r[0] == foreign_id]
    assert rows and rows[0][3:5] == [foreign_status, foreign_expires], \
        f"customer {foreign_id} changed: {rows}; was {foreign_status}, {foreign_expires}"


# ----------------------------------------- navigation and links (once bugs) ---

def test_portal_credentials_open_customer_link(driver, server):
    portal_login(driver, server, PREPAID)
    form = open_sale_form(driver)
    fill_sale(form, first=f"Link{tag()}", last="Check", cost_label="1 unit")
    submit(driver, form)
    customer_id, _ = sold(driver)
    button_link(driver, "Open customer")
    assert path(driver) == f"/portal/customers/{customer_id}"
    page = driver.find_elements(By.CSS_SELECTOR, "body.login-page")
    assert not page, f"'Open customer' leads to an error page: {body_text(driver)[:200]}"
    assert str(customer_id) in heading(driver)


def test_portal_links_not_offered_to_the_operator(driver, server):
    login(driver, server)
    links = [urlsplit(a.get_attribute("href")).path for a in driver.find_elements(By.CSS_SELECTOR, "nav.sidebar a")]
    portal = [h for h in links if h == "/portal" or h.startswith("/portal/")]
    for href in portal:
        go(driver, server, href)
        assert not driver.find_elements(By.CSS_SELECTOR, "body.login-page"), \
            f"the owner's sidebar link {href} leads to: {body_text(driver)[:200]}"


def test_portal_sidebar_marks_one_page(driver, server):
    portal_login(driver, server, POSTPAID)
    for href, label in (("/portal/customers", "My customers"), ("/portal/ledger", "Balance log")):
        sidebar(driver, href, label)
        active = [a.text.strip() for a in driver.find_elements(By.CSS_SELECTOR, "nav.sidebar a.active")]
        assert active == [label], f"on {href} the sidebar marks {active}"
