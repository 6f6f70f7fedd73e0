"""Helpers of the browser tests (test_browser.py, test_crm_browser.py, test_cms_browser.py,
test_vod_browser.py): headless Chromium through the system chromedriver, explicit waits,
screenshots, the console's page parts (sidebar, sections, forms, tables, image previews) and
real PNG files to upload.

Waiting style: never sleep. An action that loads a page goes through
click_and_load() (the old document is marked and the new one must replace it and
finish loading); anything else is a WebDriverWait on a condition.
"""
from __future__ import annotations

import os
import re
import struct
import zlib
from urllib.parse import parse_qs, urlsplit

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


def new_driver(extra_args: tuple[str, ...] = ()) -> webdriver.Chrome:
    """extra_args: more Chromium switches, e.g. --host-resolver-rules to reach the server
    under another host name, or the WebTV test's autoplay policy."""
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROME_BIN", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,900",
                "--disable-dev-shm-usage", "--no-proxy-server", "--no-first-run",
                "--disable-extensions", "--lang=en-US") + tuple(extra_args):
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


# ------------------------------------------------------------ page parts ---


def sidebar(driver, href: str, label: str):
    link = wait(driver).until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, f'nav.sidebar a[href="{href}"]')), f"no sidebar link to {href}")
    assert link.text.strip() == label, f"sidebar link {href} reads {link.text!r}"
    click_and_load(driver, link)
    wait_path(driver, href)


def button_link(driver, label: str):
    """Follow the page's a.button with exactly this text."""
    button = wait(driver).until(EC.element_to_be_clickable((By.XPATH, BUTTON_LINK.format(label))),
                                f"no a.button {label!r} on {driver.current_url}")
    click_and_load(driver, button)


def query(driver) -> dict[str, list[str]]:
    return parse_qs(urlsplit(driver.current_url).query)


def section(driver, title: str):
    return wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, f"//section[contains(@class, 'panel')][h2[normalize-space(.)='{title}']]")),
        f"no section {title!r} on {driver.current_url}")


def form_with(driver, field: str):
    return wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, f"//form[contains(concat(' ', @class, ' '), ' form ')][.//*[@name='{field}']]")),
        f"no form with a {field} field on {driver.current_url}")


def form_with_button(driver, label: str, within: str = ""):
    return wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, f"{within}//form[.//button[@type='submit'][normalize-space(.)='{label}']]")),
        f"no form with a {label!r} button on {driver.current_url}")


def field_errors(driver) -> dict[str, str]:
    """{field name: its error} of the form errors on the page."""
    errors = wait(driver).until(EC.presence_of_all_elements_located((By.CSS_SELECTOR, ".field.has-error")),
                                f"no field error on {driver.current_url}")
    out = {}
    for field in errors:
        named = field.find_elements(By.CSS_SELECTOR, "[name]")
        out[named[0].get_attribute("name") if named else "?"] = \
            field.find_element(By.CSS_SELECTOR, ".field-error").text.strip()
    return out


def data_table(driver, within: str = ""):
    return wait(driver).until(EC.presence_of_element_located(
        (By.XPATH, f"{within}//table[contains(@class, 'data-table')]")),
        f"no table.data-table on {driver.current_url}")


def table_rows(table) -> list[list[str]]:
    return [[td.text.strip() for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]


def intro(driver) -> str:
    """The page's intro line (under the heading)."""
    return wait(driver).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "main .page-head + p.intro, main h1 + p.intro")),
        f"no intro on {driver.current_url}").text.strip()


def checkboxes(container) -> dict[str, bool]:
    """The checkbox picker of a form: {label: ticked}."""
    out = {}
    for label in container.find_elements(By.CSS_SELECTOR, "label.check"):
        boxes = label.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")
        if boxes:
            out[label.text.strip()] = boxes[0].is_selected()
    return out


def checkbox(container, label: str):
    boxes = container.find_elements(
        By.XPATH, f".//label[contains(concat(' ', @class, ' '), ' check ')][normalize-space(.)='{label}']"
                  "/input[@type='checkbox']")
    assert len(boxes) == 1, f"{len(boxes)} checkboxes labelled {label!r}: {sorted(checkboxes(container))}"
    return boxes[0]


def row_button(driver, table, first_text: str, column: int, label: str):
    """The button `label` in the row whose cell `column` reads first_text."""
    for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
        cells = tr.find_elements(By.TAG_NAME, "td")
        if len(cells) > column and cells[column].text.strip() == first_text:
            buttons = tr.find_elements(By.XPATH, f".//button[normalize-space(.)='{label}']")
            assert len(buttons) == 1, f"row {first_text!r} has {len(buttons)} {label!r} buttons"
            return buttons[0]
    raise AssertionError(f"no row {first_text!r} in {table_rows(table)}")


def open_product_packages_tab(driver, server, product: str) -> int:
    sidebar(driver, "/crm/products", "Products")
    link = wait(driver).until(EC.element_to_be_clickable(
        (By.XPATH, f"//table[contains(@class,'data-table')]//a[normalize-space(.)='{product}']")),
        f"no product {product!r} in the list")
    click_and_load(driver, link)
    m = re.fullmatch(r"/crm/products/(\d+)", path(driver))
    assert m, driver.current_url
    assert heading(driver) == product
    tab = wait(driver).until(EC.element_to_be_clickable(
        (By.XPATH, "//nav[contains(@class,'tabs')]/a[normalize-space(.)='Content packages']")))
    click_and_load(driver, tab)
    assert query(driver).get("tab") == ["packages"], driver.current_url
    active = driver.find_element(By.CSS_SELECTOR, "nav.tabs a.active")
    assert active.text.strip() == "Content packages" and active.get_attribute("aria-current") == "page"
    return int(m[1])


def image_previews(driver) -> list[dict]:
    """The edit page's image previews (.image-previews figure), left to right, once the
    browser has finished with them: for each, its src and alt, whether it loaded and its
    natural size, the colour of its centre pixel, and its caption ("Cover · 200×300")."""
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".image-previews figure img")),
                       f"no image preview on {driver.current_url}")
    wait(driver).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('.image-previews figure img')].every(i => i.complete)"),
        "an image preview never finished loading")
    out = []
    for figure in driver.find_elements(By.CSS_SELECTOR, ".image-previews figure"):
        info = driver.execute_script("""
            const img = arguments[0];
            const out = {src: img.currentSrc, alt: img.alt, width: img.naturalWidth, height: img.naturalHeight, rgb: null};
            if (img.naturalWidth > 0) {
                const c = document.createElement('canvas');
                c.width = img.naturalWidth; c.height = img.naturalHeight;
                const g = c.getContext('2d');
                g.drawImage(img, 0, 0);
                const p = g.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
                out.rgb = [p[0], p[1], p[2]];
            }
            return out;""", figure.find_element(By.TAG_NAME, "img"))
        info["caption"] = figure.find_element(By.TAG_NAME, "figcaption").text.strip()
        out.append(info)
    return out


# ----------------------------------------------------------------- files ---


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour (8-bit RGB, no interlace)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    row = b"\x00" + bytes(rgb) * width             # filter type 0, then the pixels
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))
