"""UIT in a real browser (headless Chromium): a user interface created and edited
through the console, its server-drawn preview in English and in Arabic (right to
left), the Menu Apps page, and the Languages page's import and export.

The demo deployment offers English and Arabic (العربية, right-to-left) and has
"Demo UI" (template Akua, menu on the left). Each test makes its own UI with a
unique name and puts back any text it changes, so the tests run alone or in any
order on the shared demo server.
Screenshots: <artifacts>/screenshots/uit-NN-*.png.
"""
from __future__ import annotations

import re

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from browser import (body_text, choose, click_and_load, data_table, field_errors, fill, flash, form_with,
                     go, heading, login, path, png, shot, sidebar, submit, table_rows, tick, wait, wait_path)
from support import console_session, tag

ARABIC_HOME = "الرئيسية"
UI_PATH = re.compile(r"/uit/user-interfaces/([0-9a-f-]{36})")
PRIMARY = (0x1E, 0x88, 0xE5)


@pytest.fixture(autouse=True)
def session(driver, server):
    login(driver, server)


@pytest.fixture(scope="module")
def logo_file(tmp_path_factory) -> str:
    f = tmp_path_factory.mktemp("uit") / "logo-256.png"
    f.write_bytes(png(256, 256, (0xFF, 0xB4, 0x00)))
    return str(f)


def rgb(css: str) -> tuple[int, int, int]:
    m = re.match(r"rgba?\((\d+),\s*(\d+),\s*(\d+)", css)
    assert m, css
    return tuple(int(x) for x in m.groups())


def create_ui(driver, name: str, template: str) -> str:
    sidebar(driver, "/uit/user-interfaces", "User Interfaces")
    assert heading(driver) == "User Interfaces"
    form = form_with(driver, "template")
    fill(form, "name", name)
    choose(form, "template", template)
    submit(driver, form)
    m = UI_PATH.fullmatch(path(driver))
    assert m, driver.current_url
    flash(driver)
    return m.group(1)


def preview(driver):
    """Inside the preview: what it drew, read from the rendered page."""
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".screen .menu li")))
    return driver.execute_script("""
        const menu = document.querySelector('.menu'), home = document.querySelector('main.home');
        const m = menu.getBoundingClientRect(), h = home.getBoundingClientRect();
        const active = document.querySelector('.menu li.active');
        const logo = document.querySelector('.brand img');
        const tile = document.querySelector('.rail .tile');
        const t = tile.getBoundingClientRect();
        return {dir: document.documentElement.dir, lang: document.documentElement.lang,
                menu: [...document.querySelectorAll('.menu li')].map(li => li.textContent.trim()),
                menuBox: [m.left, m.top, m.width, m.height], homeBox: [h.left, h.top, h.width, h.height],
                active: getComputedStyle(active).backgroundColor,
                logoLoaded: !!logo && logo.complete && logo.naturalWidth > 0,
                rails: [...document.querySelectorAll('.rail h2')].map(x => x.textContent.trim()),
                hero: !!document.querySelector('.hero'), tileRatio: t.width / t.height,
                images: [...document.querySelectorAll('.tile img')].filter(i => i.complete && i.naturalWidth > 0).length};
    """)


def test_a_ui_created_and_edited_in_the_console_is_previewed_in_english_and_arabic(driver, server, logo_file):
    name = f"E2E UI {tag()}"
    ui = create_ui(driver, name, "honua")
    assert heading(driver) == f"User Interface — {name}"
    assert driver.find_element(By.ID, "ui-version").text == "v1"

    form = form_with(driver, "colour_primary")
    # A colour that is not #RRGGBB is refused next to its field, and nothing is published.
    fill(form, "colour_primary", "blue")
    submit(driver, form)
    assert "must be a colour like #1A2B3C" in field_errors(driver)["colour_primary"]
    assert driver.find_element(By.ID, "ui-version").text == "v1"

    form = form_with(driver, "colour_primary")
    fill(form, "colour_primary", "#1e88e5")
    fill(form, "zapBannerSeconds", "8")
    arabic = form.find_element(By.CSS_SELECTOR, "input[name='languages[]'][value=ar]")
    tick(driver, arabic)
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=logo]").send_keys(logo_file)
    submit(driver, form)
    assert "published as version 2" in flash(driver).text
    assert driver.find_element(By.ID, "ui-version").text == "v2"

    # The editor's iframe shows the new version: Honua lays the menu across the top.
    driver.switch_to.frame(driver.find_element(By.ID, "uit-preview"))
    drawn = preview(driver)
    driver.switch_to.default_content()
    assert drawn["dir"] == "ltr" and drawn["menu"][0] == "Home"
    assert rgb(drawn["active"]) == PRIMARY
    assert drawn["logoLoaded"] and drawn["hero"]
    assert drawn["menuBox"][1] < drawn["homeBox"][1]            # menu above the home screen
    assert drawn["tileRatio"] > 1.5                              # landscape tiles
    shot(driver, "uit-01-editor.png", full_page=True)

    go(driver, server, f"/uit/user-interfaces/{ui}/preview?lang=en")
    english = preview(driver)
    assert english["rails"][:3] == ["Continue watching", "Favourites", "New movies"]
    assert english["images"] > 0, "no catalogue artwork was drawn"
    shot(driver, "uit-02-preview-en.png")

    go(driver, server, f"/uit/user-interfaces/{ui}/preview?lang=ar")
    arabic = preview(driver)
    assert arabic["dir"] == "rtl" and arabic["lang"] == "ar"
    assert arabic["menu"][0] == ARABIC_HOME
    assert "متابعة المشاهدة" in arabic["rails"]
    shot(driver, "uit-03-preview-ar.png")

    # Menu Apps: hide the TV guide and add a native app; the preview follows.
    go(driver, server, f"/uit/user-interfaces/{ui}/menu")
    assert heading(driver) == f"Menu Apps — {name}"
    guide = driver.find_element(By.CSS_SELECTOR, "tr[data-key=guide] input[type=checkbox]")
    tick(driver, guide, False)
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.uit-menu"))
    assert "version 3" in flash(driver).text
    form = form_with(driver, "packageName")
    fill(form, "name", "Radio")
    fill(form, "slug", "radio")
    fill(form, "packageName", "com.demo.radio")
    submit(driver, form)
    assert "version 4" in flash(driver).text
    shot(driver, "uit-04-menu-apps.png", full_page=True)
    go(driver, server, f"/uit/user-interfaces/{ui}/preview?lang=en")
    menu = preview(driver)["menu"]
    assert "TV Guide" not in menu and menu[-1] == "Radio"

    # What the apps get is the same version.
    doc = requests.get(server.url(f"/api/client/v1/ui/{ui}"), timeout=30)
    assert doc.status_code == 200 and doc.headers["ETag"] == '"4"'
    assert doc.json()["colours"]["primary"] == "#1E88E5"
    assert doc.json()["behaviour"]["zapBannerSeconds"] == 8


def test_the_demo_ui_in_arabic_mirrors_its_left_menu(driver, server):
    sidebar(driver, "/uit/user-interfaces", "User Interfaces")
    table = data_table(driver)
    link = table.find_element(By.XPATH, ".//a[normalize-space(.)='Demo UI']")
    click_and_load(driver, link)
    ui = UI_PATH.fullmatch(path(driver)).group(1)
    go(driver, server, f"/uit/user-interfaces/{ui}/preview?lang=en")
    english = preview(driver)
    assert english["menuBox"][0] < english["homeBox"][0]        # Akua: menu on the left
    assert english["tileRatio"] < 1                             # posters
    go(driver, server, f"/uit/user-interfaces/{ui}/preview?lang=ar")
    arabic = preview(driver)
    assert arabic["dir"] == "rtl" and arabic["menu"][0] == ARABIC_HOME
    assert arabic["menuBox"][0] > arabic["homeBox"][0]          # right to left: menu on the right
    shot(driver, "uit-05-demo-preview-ar.png")
    templates(driver, server)


def templates(driver, server):
    go(driver, server, "/uit/user-interfaces")
    sidebar(driver, "/uit/templates", "Templates")
    figures = driver.find_elements(By.CSS_SELECTOR, ".uit-thumbs figure")
    assert [f.get_attribute("data-template") for f in figures] == ["akua", "honua", "rhodium", "iridium", "palladium"]
    assert all(driver.execute_script("return arguments[0].naturalWidth", f.find_element(By.TAG_NAME, "img")) > 0 for f in figures)
    shot(driver, "uit-06-templates.png", full_page=True)


def test_languages_export_and_import_with_a_refused_file(driver, server, tmp_path):
    console = console_session(server)
    original = console.get("/uit/languages/ar/export?format=csv")
    assert original.status_code == 200 and original.headers["Content-Type"].startswith("text/csv")
    assert f"menu.home,Home,{ARABIC_HOME}" in original.text

    sidebar(driver, "/uit/languages", "Languages")
    rows = table_rows(data_table(driver))
    arabic = next(r for r in rows if r[1] == "ar")
    assert arabic[0] == "العربية" and arabic[2] == "right-to-left"
    done, total = (int(x) for x in re.search(r"(\d+) / (\d+)", arabic[3]).groups())
    assert done == total > 150

    def upload(filename: str, text: str):
        f = tmp_path / filename
        f.write_text(text, encoding="utf-8")
        form = form_with(driver, "file")
        choose(form, "language", "ar")
        form.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(str(f))
        submit(driver, form)

    # One unknown key on line 3 refuses the whole file: the first line's change is not made.
    upload("bad.csv", original.text.replace(f"menu.home,Home,{ARABIC_HOME}", "menu.home,Home,البيت", 1) + "menu.nope,,لا\r\n")
    error = flash(driver, "error").text
    assert "nothing changed" in error and "unknown key menu.nope" in error
    api = f"/api/client/v1/translations/ar?service=democrm"
    assert requests.get(server.url(api), timeout=30).json()["strings"]["menu.home"] == ARABIC_HOME
    shot(driver, "uit-07-languages-refused-import.png", full_page=True)

    upload("good.csv", original.text.replace(f"menu.home,Home,{ARABIC_HOME}", "menu.home,Home,البيت", 1))
    assert "1 text(s) changed" in flash(driver).text
    assert requests.get(server.url(api), timeout=30).json()["strings"]["menu.home"] == "البيت"

    # The editor finds the key, shows it right to left, and puts the original back.
    go(driver, server, "/uit/languages/ar?q=menu.home")
    field = driver.find_element(By.CSS_SELECTOR, "input[name=text_0]")
    assert field.get_attribute("dir") == "rtl" and field.get_attribute("value") == "البيت"
    fill(driver.find_element(By.CSS_SELECTOR, "form.uit-texts"), "text_0", ARABIC_HOME)
    shot(driver, "uit-08-language-editor.png")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.uit-texts"))
    assert "1 text(s) saved" in flash(driver).text
    assert console.get("/uit/languages/ar/export?format=csv").text == original.text
