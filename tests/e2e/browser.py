"""Helpers of the browser tests (test_browser.py, test_crm_browser.py): headless
Chromium through the system chromedriver, explicit waits, screenshots.

Waiting style: never sleep. An action that loads a page goes through
click_and_load() (the old document is marked and the new one must replace it and
finish loading); anything else is a WebDriverWait on a condition.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from support import ARTIFACTS, OWNER_EMAIL, OWNER_PASSWORD, SCREENSHOTS

WAIT = 20  # seconds for any single page change

SIDEBAR_LINK = ("//nav[contains(concat(' ', normalize-space(@class), ' '), ' sidebar ')]"
                "//a[contains(normalize-space(.), '{}')]")
ADD_BUTTON = ("//a[contains(concat(' ', normalize-space(@class), ' '), ' button ')]"
              "[contains(normalize-space(.), 'Add')]")
BUTTON_LINK = ("//a[contains(concat(' ', normalize-space(@class), ' '), ' button ')]"
               "[normalize-space(.) = '{}']")


def new_driver() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROME_BIN", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,900",
                "--disable-dev-shm-usage", "--no-proxy-server", "--no-first-run",
                "--disable-extensions", "--lang=en-US"):
        options.add_argument(arg)
    (ARTIFACTS / "logs").mkdir(parents=True, exist_ok=True)
    service = webdriver.ChromeService(
        executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"),
        log_output=str(ARTIFACTS / "logs" / "chromedriver.log"))
    drv = webdriver.Chrome(options=options, service=service)
    drv.set_page_load_timeout(60)
    return drv


def wait(driver, timeout=WAIT):
    return WebDriverWait(driver, timeout)


def path(driver) -> str:
    return urlsplit(driver.current_url).path or "/"


def wait_path(driver, expected: str):
    wait(driver).until(lambda d: path(d) == expected,
                       f"expected path {expected}, still at {driver.current_url}")


def shot(driver, name: str, full_page: bool = False):
    """Screenshot into <artifacts>/screenshots/. full_page: grow the window to the
    document's height first (capped), then restore it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = None
    if full_page:
        size = driver.get_window_size()
        height = driver.execute_script(
            "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
        # The window also holds the browser's own chrome: add the difference.
        inner = driver.execute_script("return window.innerHeight")
        extra = max(0, size["height"] - inner)
        driver.set_window_size(size["width"], min(max(height + extra, size["height"]), 5000))
        driver.execute_script("window.scrollTo(0, 0)")
    try:
        assert driver.save_screenshot(str(SCREENSHOTS / name)), f"screenshot {name} failed"
    finally:
        if size is not None:
            driver.set_window_size(size["width"], size["height"])


def click(driver, element):
    """Click; if a styled label or overlay intercepts it, click through JavaScript."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    try:
        element.click()
    except ElementClickInterceptedException:
        driver.execute_script("arguments[0].click()", element)


def mark_page(driver):
    driver.execute_script("window.__e2eOldPage = true")


def wait_new_page(driver):
    """Wait until the document marked by mark_page() is replaced and the new one
    has finished loading. Driver errors while the page is swapped (stale or
    detached elements, inspector errors) just mean "not yet"."""
    WebDriverWait(driver, WAIT, poll_frequency=0.1, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return !window.__e2eOldPage && document.readyState === 'complete'"),
        "no new page loaded after the click")


def click_and_load(driver, element):
    """Click something that loads a new page, and wait for that page."""
    mark_page(driver)
    click(driver, element)
    wait_new_page(driver)


def submit_button(form):
    buttons = form.find_elements(By.CSS_SELECTOR, "button[type=submit], input[type=submit]")
    if not buttons:   # a <button> without type submits too
        buttons = form.find_elements(By.CSS_SELECTOR, "button:not([type=button])")
    assert buttons, "form has no submit button"
    return buttons[-1]


def submit(driver, form):
    """Submit a form with its own button (the server validates: the browser's
    checks are switched off), and wait for the answer page."""
    driver.execute_script("arguments[0].noValidate = true", form)
    click_and_load(driver, submit_button(form))


def body_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def go(driver, server, p):
    driver.get(server.url(p))


def fill(form, name: str, value: str):
    """Type into the form's field `name` (replacing what it held)."""
    field = form.find_element(By.NAME, name)
    field.clear()
    if value:
        field.send_keys(value)
    assert field.get_attribute("value") == value, \
        f"{name}: typed {value!r}, field holds {field.get_attribute('value')!r}"
    return field


def choose(form, name: str, value: str) -> Select:
    select = Select(form.find_element(By.NAME, name))
    select.select_by_value(value)
    return select


def tick(driver, box, on: bool = True):
    if box.is_selected() != on:
        click(driver, box)
    assert box.is_selected() == on


def heading(driver) -> str:
    return wait(driver).until(EC.presence_of_element_located((By.TAG_NAME, "h1"))).text.strip()


def flash(driver, kind: str = "success"):
    """The flash of that kind on the current page (its text must not be empty)."""
    el = wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, f".flash.{kind}")),
                            f"no .flash.{kind} on {driver.current_url}")
    assert el.text.strip(), f"empty .flash.{kind}"
    return el


def details(container) -> dict[str, str]:
    """A <dl class=details> as {dt text: dd text}."""
    dl = container if container.tag_name == "dl" else container.find_element(By.CSS_SELECTOR, "dl.details")
    keys = [e.text.strip() for e in dl.find_elements(By.TAG_NAME, "dt")]
    values = [e.text.strip() for e in dl.find_elements(By.TAG_NAME, "dd")]
    assert len(keys) == len(values), (keys, values)
    return dict(zip(keys, values))


def login(driver, server, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD):
    """A fresh console session: forget the cookies, log in through the form."""
    go(driver, server, "/login")
    driver.delete_all_cookies()
    go(driver, server, "/login")
    form = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form#login-form")))
    fill(form, "email", email)
    fill(form, "password", password)
    click_and_load(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait_path(driver, "/")
