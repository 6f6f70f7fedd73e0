"""The console in a real browser: headless Chromium through the system chromedriver.

The tests of this module run in order on one browser (the module-scoped `driver`
fixture of conftest.py): log in, home page, system
users list and sorting, the user form (errors, then a new user), log out.
Screenshots go to <artifacts>/screenshots/.
"""
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from browser import (ADD_BUTTON, SIDEBAR_LINK, body_text, click, click_and_load, go,
                     mark_page, path, shot, submit_button, wait, wait_new_page, wait_path)
from support import DEMO_CMS, OWNER_EMAIL, OWNER_PASSWORD

NEW_EMAIL = f"e2e-support-{uuid.uuid4().hex[:8]}@e2e.test"
NEW_PASSWORD = "e2e-password-123"

USER_FORM = "//form[.//input[@name='email']]"


def test_01_login_and_home(driver, server):
    go(driver, server, "/")
    form = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form#login-form")))
    assert path(driver) == "/login", "an anonymous visit to / must land on /login"
    form.find_element(By.CSS_SELECTOR, "input[name=email]").send_keys(OWNER_EMAIL)
    form.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(OWNER_PASSWORD)
    hidden = form.find_element(By.CSS_SELECTOR, "input[name=_csrf]")
    assert hidden.get_attribute("type") == "hidden" and hidden.get_attribute("value")
    click_and_load(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait_path(driver, "/")
    wait(driver).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
    cards = driver.find_elements(By.CSS_SELECTOR, ".deployment-card")
    text = body_text(driver)
    assert DEMO_CMS in text or cards, "home page shows no demo deployment"
    if cards:
        assert any(DEMO_CMS in c.text for c in cards), [c.text for c in cards]
    assert driver.find_elements(By.CSS_SELECTOR, "nav.sidebar"), "no nav.sidebar"
    shot(driver, "01-home.png")


def test_02_system_users_list_and_sort(driver, server):
    if path(driver) != "/":
        go(driver, server, "/")
    link = wait(driver).until(EC.element_to_be_clickable(
        (By.XPATH, SIDEBAR_LINK.format("System Users"))))
    click_and_load(driver, link)
    wait_path(driver, "/system-users")
    table = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.data-table")))
    assert OWNER_EMAIL in table.text
    sortable = [a for a in table.find_elements(By.CSS_SELECTOR, "th a")
                if "sort=" in (a.get_attribute("href") or "")]
    assert sortable, "no sortable header link (th a with sort=)"
    click_and_load(driver, sortable[0])
    assert "sort=" in driver.current_url, "URL did not gain sort="
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.data-table")))
    assert OWNER_EMAIL in driver.find_element(By.CSS_SELECTOR, "table.data-table").text
    shot(driver, "02-users.png")


def test_03_user_form_shows_field_errors(driver, server):
    if path(driver) != "/system-users":
        go(driver, server, "/system-users")
    add = wait(driver).until(EC.element_to_be_clickable((By.XPATH, ADD_BUTTON)))
    click_and_load(driver, add)
    wait_path(driver, "/system-users/new")
    form = wait(driver).until(EC.presence_of_element_located((By.XPATH, USER_FORM)))
    for name in ("name", "email", "password", "role", "_csrf"):
        assert form.find_elements(By.NAME, name), f"user form lacks {name}"
    # Skip the browser's own checks (required=...) so that the server validates.
    driver.execute_script("arguments[0].noValidate = true", form)
    click_and_load(driver, submit_button(form))
    errors = wait(driver).until(
        EC.presence_of_all_elements_located((By.CSS_SELECTOR, ".field-error")))
    assert any(e.text.strip() for e in errors), "empty .field-error messages"
    shot(driver, "03-form-errors.png")


def test_04_create_user(driver, server):
    forms = driver.find_elements(By.XPATH, USER_FORM)
    if not forms:
        go(driver, server, "/system-users/new")
        forms = [wait(driver).until(EC.presence_of_element_located((By.XPATH, USER_FORM)))]
    form = forms[0]
    driver.execute_script("arguments[0].noValidate = true", form)
    for name, value in (("name", "E2E Support"), ("email", NEW_EMAIL), ("password", NEW_PASSWORD)):
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    Select(form.find_element(By.NAME, "role")).select_by_value("support")
    boxes = form.find_elements(By.CSS_SELECTOR, 'input[name="deploymentIds[]"]')
    assert boxes, "no deployment checkbox"
    if not boxes[0].is_selected():
        click(driver, boxes[0])
    assert boxes[0].is_selected()
    click_and_load(driver, submit_button(form))
    wait_path(driver, "/system-users")
    flash = wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".flash")))
    assert flash.text.strip(), "empty flash message"
    assert "error" not in (flash.get_attribute("class") or "").split(), flash.text
    table = driver.find_element(By.CSS_SELECTOR, "table.data-table")
    if NEW_EMAIL not in table.text:
        # Not on the first page: find it with the filter form.
        q = driver.find_element(By.CSS_SELECTOR, "form.filters input[name=q]")
        q.clear()
        q.send_keys(NEW_EMAIL)
        mark_page(driver)
        q.submit()
        wait_new_page(driver)
        table = wait(driver).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, "table.data-table")))
    assert NEW_EMAIL in table.text
    shot(driver, "04-user-created.png")


def test_05_logout(driver, server):
    if not driver.find_elements(By.CSS_SELECTOR, "form.logout button"):
        go(driver, server, "/")
    button = wait(driver).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "form.logout button")))
    click_and_load(driver, button)
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form#login-form")))
    go(driver, server, "/")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form#login-form")))
    assert path(driver) == "/login"
