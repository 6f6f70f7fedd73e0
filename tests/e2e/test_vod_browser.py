"""CMS › Movies and Series, movie packages and pay-per-view, Publish, a customer's Content
tab and the movie import/export in a real browser (headless Chromium, see browser.py).

The demo's on-demand catalogue: six movies, five of them in the movie package "Movies"
and "Premiere Night" sold by pay-per-view (rule "48h rental", EUR 3.99 / USD 4.49); the
series "Glass Valley" (two seasons of three episodes); a package of every kind granted by
the product "Basic Monthly", whose subscriber `demoviewer` pays from a EUR wallet.

The tests are one operator's session, in file order: a movie added with its artwork, put
in a new package that Basic Monthly then holds; a pay-per-view rule and a movie sold by
it; an episode added on top of a season (and deleted again); Publish and the published
movies document; a purchase from a customer's wallet; the movie export imported back.
Later tests use what earlier ones made (`story`); run alone (-k), or after an earlier
test failed, a test makes what it needs over HTTP instead (console_* helpers below).
Basic Monthly's content packages are put back as they were when the module ends; the
movies, packages and the rule it adds stay (other modules do not count them).
Screenshots: <artifacts>/screenshots/vod-NN-*.png.
"""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

import htmlutil
from browser import (BUTTON_LINK, body_text, button_link, checkbox, checkboxes, click_and_load,
                     data_table, details, field_errors, fill, flash, form_with, form_with_button, go,
                     heading, image_previews, intro, login, open_product_packages_tab, path, png,
                     query, section, shot, sidebar, submit, table_rows, tick, wait, wait_path)
from support import (DEMO_CRM, HTTP_TIMEOUT, SESSION_COOKIE, console_session, form_action,
                     redirect_path, tag)

DEMO_PRODUCT = "Basic Monthly"
DEMO_SUBSCRIBER = "demoviewer"
DEMO_MOVIES = ["Cold Iron", "Night Harbour", "Orbit Nine", "Paper Lanterns", "The Long Meadow"]
DEMO_SERIES = "Glass Valley"
PREMIERE = "Premiere Night"
PREMIERE_OFFER = {"rule": "48h rental", "unit": "hours", "count": 48, "prices": {"EUR": "3.99", "USD": "4.49"}}
PACKAGE = "E2E Films"
RULE = "Weekend"
YEAR = "2025"                    # of the movies the tests add
COVER_RGB = (0xE5, 0x39, 0x35)
WIDE_RGB = (0x1E, 0x88, 0xE5)
NOT_IN_A_PACKAGE = "Not in any package yet: nobody can watch it."
NOTHING_CHANGED = "Nothing changed since the last publish."
AGE_RATINGS = "must be one of 0, 6, 9, 12, 14, 16, 18"


@pytest.fixture(scope="module")
def artwork(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("vod-artwork")
    files = {"cover": (d / "cover-200x300.png", png(200, 300, COVER_RGB)),
             "wide": (d / "background-320x180.png", png(320, 180, WIDE_RGB)),
             "square": (d / "square-200x200.png", png(200, 200, (0x43, 0xA0, 0x47)))}
    for f, data in files.values():
        f.write_bytes(data)
    return {k: str(f) for k, (f, _) in files.items()}


@pytest.fixture(scope="module")
def story(server):
    """What the tests made, for the later ones: movie, package, granted, rental (dicts or
    flags), and Basic Monthly's id. At the end, Basic Monthly holds the packages it held
    at the start again."""
    console = console_session(server)
    product_id = product_id_of(console, DEMO_PRODUCT)
    before = product_grants(console, product_id)
    state = {"product_id": product_id}
    yield state
    console = console_session(server)
    set_product_grants(console, product_id, before)
    assert product_grants(console, product_id) == before, "Basic Monthly's packages were not put back"


@pytest.fixture(autouse=True)
def session(driver, server):
    """Every test starts with its own console session."""
    login(driver, server)


# ---------------------------------------------------------------- helpers ---


def movie_label(title: str) -> str:
    """How the package pages name a movie of YEAR."""
    return f"{title} ({YEAR})"


def opened(driver, base: str) -> int:
    """The id of the item page of `base` the browser is on."""
    m = re.fullmatch(rf"{base}/(\d+)", path(driver))
    assert m, f"not on an item of {base}: {driver.current_url} shows {body_text(driver)[:300]!r}"
    return int(m[1])


def filter_list(driver, base: str, **filters):
    """Fill the page's filter form (text or select) and apply it; returns the table."""
    form = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.filters")))
    for name, value in filters.items():
        field = form.find_element(By.NAME, name)
        if field.tag_name == "select":
            Select(field).select_by_value(value)
        else:
            fill(form, name, value)
    click_and_load(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait_path(driver, base)
    for name, value in filters.items():
        assert query(driver).get(name) == [value], driver.current_url
    return data_table(driver)


def movies_list(driver, **filters):
    """CMS › Movies through the sidebar, filtered if asked; returns the table."""
    sidebar(driver, "/cms/movies", "Movies")
    assert heading(driver) == "Movies"
    return filter_list(driver, "/cms/movies", **filters) if filters else data_table(driver)


def open_row_link(driver, table, text: str):
    click_and_load(driver, table.find_element(By.XPATH, f".//a[normalize-space(.)='{text}']"))


def open_tab(driver, label: str, key: str):
    tab = wait(driver).until(EC.element_to_be_clickable(
        (By.XPATH, f"//nav[contains(@class,'tabs')]/a[normalize-space(.)='{label}']")),
        f"no tab {label!r} on {driver.current_url}")
    click_and_load(driver, tab)
    assert query(driver).get("tab") == [key], driver.current_url


def section_rows(driver, title: str) -> list[list[str]]:
    return table_rows(section(driver, title).find_element(By.CSS_SELECTOR, "table.data-table"))


def section_intro(box) -> str:
    return box.find_element(By.CSS_SELECTOR, "p.intro").text.strip()


def package_movies(driver) -> list[str]:
    """The movies of the package page the browser is on (first column)."""
    return [r[0] for r in section_rows(driver, "Movies in this package")]


def search_picker(driver, package_id: int, term: str):
    """Search the package page's picker; returns the "Add movies" section."""
    form = section(driver, "Find movies to add").find_element(By.CSS_SELECTOR, "form.filters")
    fill(form, "q", term)
    click_and_load(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait_path(driver, f"/cms/movies/packages/{package_id}")
    assert query(driver).get("q") == [term], driver.current_url
    box = section(driver, "Add movies")
    assert section_intro(box) == f"Movies starting with “{term}”. Items sold by pay-per-view are not offered.", section_intro(box)
    return box


def euros(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d} EUR"


def cents(text: str) -> int:
    m = re.fullmatch(r"(-?)(\d+)\.(\d\d) EUR", text)
    assert m, f"not an amount in EUR: {text!r}"
    return (-1 if m[1] else 1) * (int(m[2]) * 100 + int(m[3]))


def premiere_id(driver) -> int:
    """Premiere Night's id, from the Buy form's option (content reference movie:ID)."""
    options = Select(form_with_button(driver, "Buy from the wallet").find_element(By.NAME, "item")).options
    refs = [o.get_attribute("value") for o in options if o.text.strip().startswith(f"Movie: {PREMIERE} — ")]
    assert len(refs) == 1 and re.fullmatch(r"movie:\d+", refs[0]), refs
    return int(refs[0].split(":")[1])


# The console over HTTP, for what an earlier test did not leave behind.


def product_id_of(console, name: str) -> int:
    links = [a.attrs.get("href", "") for a in console.page("/crm/products").by_tag("a") if a.text.strip() == name]
    ids = [int(m[1]) for m in (re.fullmatch(r"/crm/products/(\d+)", h) for h in links) if m]
    assert ids, f"no product {name!r} on /crm/products"
    return ids[0]


def grants_form(console, product_id: int) -> htmlutil.Form:
    action = f"/crm/products/{product_id}/packages"
    form = next((f for f in console.page(f"/crm/products/{product_id}?tab=packages").forms
                 if f.attrs.get("action") == action), None)
    assert form is not None, f"no form posting to {action}"
    return form


def product_grants(console, product_id: int) -> set[str]:
    """The ids of the content packages the product itself holds."""
    return {f.value for f in grants_form(console, product_id).fields if f.name == "packages[]" and f.checked}


def set_product_grants(console, product_id: int, package_ids: set[str]) -> None:
    form = grants_form(console, product_id)
    data = [("_csrf", form.value("_csrf"))] + [("packages[]", i) for i in sorted(package_ids)]
    r = console.post(form.attrs["action"], data)
    assert r.status_code == 303, f"saving {product_id}'s packages: {r.status_code} {r.text[:300]}"


def console_movie(console, title: str) -> int:
    """Adds a subscription movie of YEAR (no artwork) through the Add Movie form, as the
    browser would send it but URL-encoded; returns its id."""
    form = console.page("/cms/movies/new").form(field="streamURL")
    assert form is not None, "GET /cms/movies/new has no movie form"
    data = {f.name: (f.value if f.type != "checkbox" else "on") for f in form.fields
            if f.type != "file" and (f.type != "checkbox" or f.checked)}
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower())
    data.update({"title": title, "year": YEAR, "streamURL": f"https://vod.e2e.tvms/{slug}/index.m3u8"})
    r = console.post(form_action(form, "/cms/movies"), data)
    m = re.fullmatch(r"/cms/movies/(\d+)", redirect_path(r) or "")
    assert r.status_code == 303 and m, f"Add Movie over HTTP: {r.status_code} {r.text[:300]}"
    return int(m[1])


def console_package(console, name: str, movie_ids: list[int]) -> int:
    """A movie package with these movies; returns its id."""
    form = console.page("/cms/movies/packages").form(field="name")
    r = console.post("/cms/movies/packages", {"_csrf": form.value("_csrf"), "name": name, "description": ""})
    m = re.fullmatch(r"/cms/movies/packages/(\d+)", redirect_path(r) or "")
    assert r.status_code == 303 and m, f"Add Movie Package over HTTP: {r.status_code} {r.headers.get('Location')}"
    console.page(m[0])                 # as a browser follows the redirect (and takes the flash)
    if movie_ids:
        data = [("_csrf", form.value("_csrf"))] + [("items[]", str(i)) for i in movie_ids]
        r = console.post(f"{m[0]}/items", data)
        assert r.status_code == 303 and redirect_path(r) == m[0], (r.status_code, r.headers.get("Location"))
        flashes = [e.text.strip() for e in console.page(m[0]).with_classes("flash")]
        assert flashes == [f"{len(movie_ids)} movie(s) added."], flashes
    return int(m[1])


def a_movie(server, story) -> dict:
    """The movie of the first test, or a new one."""
    if "movie" not in story:
        title = f"E2E Movie {tag()}"
        story["movie"] = {"id": console_movie(console_session(server), title), "title": title}
    return story["movie"]


def a_package(server, story) -> dict:
    """The package of the second test, or a new (empty) one."""
    if "package" not in story:
        name = f"{PACKAGE} {tag()}"
        story["package"] = {"id": console_package(console_session(server), name, []), "name": name}
    return story["package"]


def a_granted_movie(server, story) -> dict:
    """The movie of the first test in the package of the second, which Basic Monthly
    holds; else a new movie in a new package that it then holds."""
    if not story.get("granted"):
        console = console_session(server)
        t = tag()
        movie = {"id": console_movie(console, f"E2E Movie {t}"), "title": f"E2E Movie {t}"}
        name = f"{PACKAGE} {t}"
        package = {"id": console_package(console, name, [movie["id"]]), "name": name}
        pid = story["product_id"]
        set_product_grants(console, pid, product_grants(console, pid) | {str(package["id"])})
        story.update(movie=movie, package=package, granted=True)
    return story["movie"]


# ------------------------------------------------------------------ tests ---


def test_vod_add_movie_with_artwork(driver, server, story, artwork):
    t = tag()
    title = f"E2E Movie {t}"
    genre = f"e2e-{t}"
    movies_list(driver)
    button_link(driver, "Add Movie")
    wait_path(driver, "/cms/movies/new")
    assert heading(driver) == "Add Movie"
    form = form_with(driver, "streamURL")
    assert form.get_attribute("enctype") == "multipart/form-data", form.get_attribute("enctype")
    for name, ratio in (("cover", "2:3"), ("wide", "16:9")):
        field = form.find_element(By.CSS_SELECTOR, f"input[type=file][name={name}]")
        help_text = field.find_element(By.XPATH, "ancestor::div[contains(@class,'field')]").text
        assert f"{ratio} PNG, JPEG or WebP" in help_text, help_text
    assert not form.find_elements(By.NAME, "removeCover"), "Add Movie offers to remove a cover"
    fill(form, "title", title)
    fill(form, "streamURL", f"https://vod.e2e.tvms/{t}/index.m3u8")
    fill(form, "genres", f"Drama, {genre.upper()}")
    fill(form, "year", YEAR)
    fill(form, "duration", "95")
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=cover]").send_keys(artwork["cover"])
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=wide]").send_keys(artwork["wide"])
    shot(driver, "vod-01-add-movie-form.png", full_page=True)
    submit(driver, form)

    movie_id = opened(driver, "/cms/movies")
    story["movie"] = {"id": movie_id, "title": title}
    assert flash(driver).text.strip() == f"Movie {title} added. Put it in a package so customers can watch it."
    assert heading(driver) == title
    assert intro(driver) == NOT_IN_A_PACKAGE
    previews = image_previews(driver)
    assert [p["caption"] for p in previews] == ["Cover · 200×300", "Background · 320×180"], previews
    assert [(p["width"], p["height"]) for p in previews] == [(200, 300), (320, 180)], \
        f"the previews did not load as uploaded: {previews}"
    assert [p["rgb"] for p in previews] == [list(COVER_RGB), list(WIDE_RGB)], \
        f"the previews are not the uploaded images: {previews}"
    for p in previews:
        assert re.search(r"/media/[0-9a-f-]{36}$", p["src"]), p["src"]
    story["movie"]["cover"] = urlsplit(previews[0]["src"]).path
    form = form_with(driver, "streamURL")
    values = {n: form.find_element(By.NAME, n).get_attribute("value") for n in ("title", "genres", "year", "duration")}
    assert values == {"title": title, "genres": f"drama,{genre}", "year": YEAR, "duration": "95"}, values
    for name in ("removeCover", "removeWide"):
        assert form.find_element(By.NAME, name).is_displayed(), f"no {name} box"
    shot(driver, "vod-02-movie-with-artwork.png", full_page=True)

    # The list finds it by its genre.
    table = movies_list(driver, genre=genre)
    assert [r[:6] for r in table_rows(table)] == \
        [[title, YEAR, "1:35:00", f"drama, {genre}", "Subscription", "Enabled"]], table_rows(table)

    # A cover of the wrong ratio on the edit page: refused, the old one stays.
    open_row_link(driver, table, title)
    assert opened(driver, "/cms/movies") == movie_id
    form = form_with(driver, "streamURL")
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=cover]").send_keys(artwork["square"])
    submit(driver, form)
    assert path(driver) == f"/cms/movies/{movie_id}"
    assert field_errors(driver) == {"cover": "Cover picture must be 2:3; this one is 200×200"}
    assert driver.find_element(By.CSS_SELECTOR, "form.form .flash.error").text.strip() == \
        "Please correct the fields marked below."
    assert not driver.find_elements(By.CSS_SELECTOR, ".flash.success")
    kept = [(p["src"], p["width"], p["height"], p["rgb"]) for p in previews]
    assert [(p["src"], p["width"], p["height"], p["rgb"]) for p in image_previews(driver)] == kept, \
        "the refused cover replaced the old one"
    shot(driver, "vod-03-cover-ratio-refused.png", full_page=True)
    go(driver, server, f"/cms/movies/{movie_id}")
    assert [(p["src"], p["width"], p["height"], p["rgb"]) for p in image_previews(driver)] == kept


def test_vod_movie_package_granted_to_product(driver, server, story):
    movie = a_movie(server, story)
    label = movie_label(movie["title"])
    movies_list(driver)
    button_link(driver, "Packages")
    wait_path(driver, "/cms/movies/packages")
    assert heading(driver) == "Movie Packages"
    assert [r[:3] for r in table_rows(data_table(driver)) if r[0] == "Movies"] == \
        [["Movies", "5 movie(s)", "in 1 product(s)/extra(s)"]]
    form = form_with_button(driver, "Add Movie Package", "//section[h2[normalize-space(.)='Add Movie Package']]")
    fill(form, "name", PACKAGE)
    fill(form, "description", "Made by the browser test")
    submit(driver, form)
    m = re.fullmatch(r"/cms/movies/packages/(\d+)", path(driver))
    assert m, f"after Add Movie Package: {driver.current_url}"
    package_id = int(m[1])
    story["package"] = {"id": package_id, "name": PACKAGE}
    assert flash(driver).text.strip() == f"{PACKAGE} added. Add movies to it below."
    assert heading(driver) == f"Movie Package — {PACKAGE}"
    assert intro(driver) == "Made by the browser test"
    assert package_movies(driver) == []
    assert "No movie yet." in section(driver, "Movies in this package").text
    offered = checkboxes(section(driver, "Add movies"))
    assert offered.get(label) is False, f"the movie is not offered: {sorted(offered)}"
    assert not any(offered.values()), "boxes ticked in advance"

    # The picker, searched by the start of the title (any case).
    term = movie["title"].lower()
    box = search_picker(driver, package_id, term)
    assert checkboxes(box) == {label: False}, checkboxes(box)
    tick(driver, checkbox(box, label))
    shot(driver, "vod-04-package-picker-search.png", full_page=True)
    submit(driver, form_with_button(driver, "Add Movies"))
    wait_path(driver, f"/cms/movies/packages/{package_id}")
    assert flash(driver).text.strip() == "1 movie(s) added."
    assert package_movies(driver) == [label]
    assert label not in checkboxes(section(driver, "Add movies")), "the package's movie is still offered"

    # Basic Monthly holds it from now on (until the module ends).
    product_id = open_product_packages_tab(driver, server, DEMO_PRODUCT)
    assert product_id == story["product_id"]
    own = section(driver, "Content packages")
    boxes = checkboxes(own)
    assert boxes.get("Movies: Movies") is True and boxes.get(f"Movies: {PACKAGE}") is False, boxes
    held = {k for k, on in boxes.items() if on}
    tick(driver, checkbox(own, f"Movies: {PACKAGE}"))
    shot(driver, "vod-05-product-movie-package.png", full_page=True)
    submit(driver, form_with_button(driver, "Save packages"))
    wait_path(driver, f"/crm/products/{product_id}")
    assert query(driver).get("tab") == ["packages"], driver.current_url
    assert flash(driver).text.strip() == "Content packages saved."
    boxes = checkboxes(section(driver, "Content packages"))
    assert {k for k, on in boxes.items() if on} == held | {f"Movies: {PACKAGE}"}, boxes
    story["granted"] = True

    # The package says where it is sold; the movie says which package it is in.
    sidebar(driver, "/cms/movies", "Movies")
    button_link(driver, "Packages")
    assert [r[:3] for r in table_rows(data_table(driver)) if r[0] == PACKAGE] == \
        [[PACKAGE, "1 movie(s)", "in 1 product(s)/extra(s)"]]
    go(driver, server, f"/cms/movies/packages/{package_id}")
    open_row_link(driver, section(driver, "Movies in this package"), label)
    assert opened(driver, "/cms/movies") == movie["id"]
    assert intro(driver) == f"In packages: {PACKAGE}"
    shot(driver, "vod-06-movie-in-package.png", full_page=True)


def test_vod_ppv_rule_and_one_way_selling(driver, server, story):
    package = a_package(server, story)
    t = tag()
    rental = f"E2E Rental {t}"
    movies_list(driver)
    button_link(driver, "PPV Rules")
    wait_path(driver, "/cms/movies/ppv-rules")
    assert heading(driver) == "Movies — PPV Rules"
    rules_table = driver.find_element(By.CSS_SELECTOR, "table.data-table")
    assert [PREMIERE_OFFER["rule"], "48 hours"] in [r[:2] for r in table_rows(rules_table)], table_rows(rules_table)
    form = form_with_button(driver, "Add Pay PerView Rule",
                            "//section[h2[normalize-space(.)='Add Pay PerView Rule']]")
    fill(form, "name", RULE)
    Select(form.find_element(By.NAME, "unit")).select_by_visible_text("Days")
    fill(form, "count", "2")
    submit(driver, form)
    wait_path(driver, "/cms/movies/ppv-rules")
    assert flash(driver).text.strip() == f"{RULE}: 2 days."
    rules_table = driver.find_element(By.CSS_SELECTOR, "table.data-table")
    assert [RULE, "2 days"] in [r[:2] for r in table_rows(rules_table)], table_rows(rules_table)
    rule = section(driver, f"Edit {RULE}")
    assert rule.find_element(By.NAME, "name").get_attribute("value") == RULE
    assert Select(rule.find_element(By.NAME, "unit")).first_selected_option.text.strip() == "Days"
    assert rule.find_element(By.NAME, "count").get_attribute("value") == "2"
    shot(driver, "vod-07-ppv-rules.png", full_page=True)

    # A movie sold by that rule, in EUR only.
    movies_list(driver)
    button_link(driver, "Add Movie")
    form = form_with(driver, "ppvRuleID")
    rules = Select(form.find_element(By.NAME, "ppvRuleID"))
    assert rules.first_selected_option.text.strip() == "Not PPV (sold by subscription packages)"
    assert f"{RULE} — 2 days" in [o.text.strip() for o in rules.options], [o.text for o in rules.options]
    fill(form, "title", rental)
    fill(form, "streamURL", f"https://vod.e2e.tvms/rental-{t}/index.m3u8")
    fill(form, "year", YEAR)
    rules.select_by_visible_text(f"{RULE} — 2 days")
    fill(form, "price_EUR", "2.50")
    shot(driver, "vod-08-add-ppv-movie.png", full_page=True)
    submit(driver, form)
    rental_id = opened(driver, "/cms/movies")
    story["rental"] = {"id": rental_id, "title": rental}
    assert flash(driver).text.strip() == f"Movie {rental} added."
    assert intro(driver) == f"Sold by pay-per-view: {RULE} (2 days)."
    form = form_with(driver, "ppvRuleID")
    assert Select(form.find_element(By.NAME, "ppvRuleID")).first_selected_option.text.strip() == f"{RULE} — 2 days"
    assert (form.find_element(By.NAME, "price_EUR").get_attribute("value"),
            form.find_element(By.NAME, "price_USD").get_attribute("value")) == ("2.50", "")
    rows = table_rows(movies_list(driver, sold="ppv"))
    sold = {r[0]: r[4] for r in rows}
    assert sold == {PREMIERE: f"PPV: {PREMIERE_OFFER['rule']}", rental: f"PPV: {RULE}"}, rows

    # Sold by pay-per-view, so not also in a subscription package: the picker does not offer it
    # (the server refuses it too; the Swift and REST tests post it directly).
    go(driver, server, f"/cms/movies/packages/{package['id']}")
    before = package_movies(driver)
    box = search_picker(driver, package["id"], rental)
    assert movie_label(rental) not in checkboxes(box), checkboxes(box)
    assert package_movies(driver) == before
    shot(driver, "vod-09-ppv-movie-not-in-package.png", full_page=True)


def test_vod_series_episode_on_top(driver, server):
    t = tag()
    episode = f"E2E Pilot {t}"
    sidebar(driver, "/cms/series", "Series")
    assert heading(driver) == "Series"
    open_row_link(driver, data_table(driver), DEMO_SERIES)
    series_id = opened(driver, "/cms/series")
    assert heading(driver) == DEMO_SERIES
    seasons = section_rows(driver, "Seasons")
    assert [r[:2] for r in seasons] == [["1", "Season 1"], ["2", "Season 2"]], seasons
    open_row_link(driver, section(driver, "Seasons"), "Season 1")
    season_id = opened(driver, "/cms/series")
    assert heading(driver) == "Season 1"
    assert intro(driver) == f"In packages (through {DEMO_SERIES}): Series"
    back = [a.text.strip() for a in driver.find_elements(By.CSS_SELECTOR, ".page-head a.button")]
    assert back == ["Series", DEMO_SERIES], back
    before = [r[:4] for r in section_rows(driver, "Episodes")]
    assert [r[:2] for r in before] == [["1", "Episode 1"], ["2", "Episode 2"], ["3", "Episode 3"]], before

    add = section(driver, "Episodes").find_element(
        By.XPATH, ".//a[contains(concat(' ', @class, ' '), ' button ')][normalize-space(.)='Add Episodes']")
    click_and_load(driver, add)
    wait_path(driver, "/cms/series/new")
    assert query(driver).get("parent") == [str(season_id)], driver.current_url
    assert heading(driver) == "Add Episodes — Season 1"
    form = form_with(driver, "addToTop")
    assert form.find_element(By.NAME, "number").get_attribute("value") == "4", \
        "the next episode number is not proposed"
    tick(driver, form.find_element(By.NAME, "addToTop"))
    fill(form, "title", episode)
    fill(form, "streamURL", f"https://vod.e2e.tvms/glass-valley/{t}.m3u8")
    fill(form, "duration", "1800")
    shot(driver, "vod-10-add-episode-on-top.png", full_page=True)
    submit(driver, form)

    # Back on the season, the new episode first.
    wait_path(driver, f"/cms/series/{season_id}")
    assert flash(driver).text.strip() == f"Episode {episode} added."
    rows = [r[:4] for r in section_rows(driver, "Episodes")]
    assert rows == [["4", episode, "30:00", "Enabled"]] + before, rows
    shot(driver, "vod-11-episode-first.png", full_page=True)

    # Deleted again: the demo's season is as it was.
    open_row_link(driver, section(driver, "Episodes"), episode)
    episode_id = opened(driver, "/cms/series")
    assert heading(driver) == f"Episode 4 — {episode}"
    button_link(driver, "Delete episode…")
    wait_path(driver, f"/cms/series/{episode_id}/delete")
    assert heading(driver) == f"Delete episode {episode}?"
    submit(driver, form_with_button(driver, "Delete episode"))
    wait_path(driver, f"/cms/series/{season_id}")
    assert flash(driver).text.strip() == f"Episode {episode} deleted."
    assert [r[:4] for r in section_rows(driver, "Episodes")] == before
    go(driver, server, f"/cms/series/{series_id}")
    assert [r[:2] for r in section_rows(driver, "Seasons")] == [r[:2] for r in seasons]


def test_vod_publish_movies_document(driver, server, story, http):
    movie = a_granted_movie(server, story)
    sidebar(driver, "/cms/publish", "Publish")
    assert heading(driver) == "Publish (Cloud Sync)"
    addresses = {r[0]: r[1] for r in section_rows(driver, "Current documents")}
    m = re.fullmatch(rf"{re.escape(server.base_url)}/catalogue/{DEMO_CRM}/(\d+)/\{{kind\}}\.json",
                     addresses.get(DEMO_PRODUCT, ""))
    assert m, addresses
    product_id = int(m[1])
    assert product_id == story["product_id"]
    click_and_load(driver, form_with_button(driver, "Publish now").find_element(By.TAG_NAME, "button"))
    wait_path(driver, "/cms/publish")
    text = flash(driver).text.strip()
    if text != NOTHING_CHANGED:   # else the 15-minute schedule published the changes first
        assert re.fullmatch(r"Published \d+ document\(s\): .+\.", text), text
        assert re.search(rf"\bproduct {product_id} movies v\d+ \(\d+ items\)", text), text
    # History, newest first: Published, Product, Document, Version, Items, Size, gzip, By.
    history = [r for r in section_rows(driver, "History") if r[1:3] == [DEMO_PRODUCT, "movies"]]
    assert history, section_rows(driver, "History")
    version = history[0][3]
    shot(driver, "vod-12-published.png", full_page=True)

    url = addresses[DEMO_PRODUCT].replace("{kind}", "movies")
    r = http.get(url, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"GET {url}: {r.status_code} {r.text[:300]}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    assert f"v{r.headers.get('X-Catalogue-Version')}" == version, (r.headers, version)
    doc = r.json()
    assert (doc["productId"], doc["kind"]) == (product_id, "movies"), {k: doc[k] for k in ("productId", "kind")}
    items = {i["title"]: i for i in doc["items"]}
    assert len(items) == len(doc["items"]) == int(history[0][4]), history[0]
    mine = items.get(movie["title"])
    assert mine is not None, f"{movie['title']} is not in the document: {sorted(items)}"
    assert (mine["id"], mine["access"], mine["grantedBy"]) == (movie["id"], "subscription", ["product"]), mine
    assert "ppv" not in mine and not any("stream" in k.lower() for k in mine), mine
    if "cover" in movie:
        assert mine["cover"] == movie["cover"], (mine["cover"], movie["cover"])
    premiere = items.get(PREMIERE)
    assert premiere is not None, sorted(items)
    assert (premiere["access"], premiere["grantedBy"], premiere["ppv"]) == ("ppv", [], PREMIERE_OFFER), premiere
    for title in DEMO_MOVIES:
        assert items[title]["access"] == "subscription", items[title]
    if "rental" in story:
        rental = items.get(story["rental"]["title"])
        assert rental is not None and rental["access"] == "ppv", rental
        assert rental["ppv"] == {"rule": RULE, "unit": "days", "count": 2, "prices": {"EUR": "2.50"}}, rental

    # Unchanged: a conditional GET costs a 304.
    again = http.get(url, headers={"If-None-Match": r.headers["ETag"]}, timeout=HTTP_TIMEOUT)
    assert again.status_code == 304, (again.status_code, again.headers)
    assert again.content == b"" and again.headers.get("ETag") == r.headers["ETag"], again.headers


def test_vod_customer_buys_ppv_from_wallet(driver, server, story):
    t = tag()
    sidebar(driver, "/crm/customers", "Customers")
    table = filter_list(driver, "/crm/customers", q=DEMO_SUBSCRIBER)
    rows = [r for r in table_rows(table) if DEMO_SUBSCRIBER in r]
    assert len(rows) == 1 and DEMO_PRODUCT in rows[0], table_rows(table)
    customer_id = int(rows[0][1])
    open_row_link(driver, table, str(customer_id))
    wait_path(driver, f"/crm/customers/{customer_id}")
    assert heading(driver) == f"Customer {customer_id} — {DEMO_SUBSCRIBER}"

    # What the customer can watch: the movies of Basic Monthly's packages.
    open_tab(driver, "Content", "content")
    titles = [r[0] for r in section_rows(driver, "Movies")]
    assert set(DEMO_MOVIES) <= set(titles), titles
    if story.get("granted"):
        assert story["movie"]["title"] in titles, titles
    assert PREMIERE not in titles, f"{PREMIERE} is listed before it was bought: {titles}"
    if "rental" in story:
        assert story["rental"]["title"] not in titles, titles
    assert section_rows(driver, "Pay-per-view purchases") == [], "the demo customer has bought already"
    assert "No purchase." in section(driver, "Pay-per-view purchases").text
    offers = [o.text.strip() for o in Select(form_with_button(driver, "Buy from the wallet").find_element(
        By.NAME, "item")).options]
    assert f"Movie: {PREMIERE} — 3.99 EUR" in offers, offers
    shot(driver, "vod-13-customer-content.png", full_page=True)

    # Ten euros into the wallet.
    open_tab(driver, "Wallet", "wallet")
    start = cents(details(section(driver, "Wallet"))["Balance"])
    form = form_with_button(driver, "Record")
    fill(form, "amount", "10.00")
    fill(form, "reason", f"E2E top-up {t}")
    submit(driver, form)
    wait_path(driver, f"/crm/customers/{customer_id}")
    assert flash(driver).text.strip() == f"Recorded; the wallet now holds {euros(start + 1000)}."
    assert details(section(driver, "Wallet"))["Balance"] == euros(start + 1000)

    # Premiere Night bought from it on the Content tab.
    open_tab(driver, "Content", "content")
    form = form_with_button(driver, "Buy from the wallet")
    assert f"pay from its wallet ({euros(start + 1000)})" in form.find_element(By.CSS_SELECTOR, "p.help").text
    Select(form.find_element(By.NAME, "item")).select_by_visible_text(f"Movie: {PREMIERE} — 3.99 EUR")
    submit(driver, form)
    wait_path(driver, f"/crm/customers/{customer_id}")
    assert query(driver).get("tab") == ["content"], driver.current_url
    bought = flash(driver).text.strip()
    assert re.fullmatch(rf"Bought {PREMIERE} \(48h rental\) for 3\.99 EUR;"
                        r" watchable until \d{4}-\d\d-\d\d \d\d:\d\d.*\.", bought), bought
    purchases = section_rows(driver, "Pay-per-view purchases")
    assert len(purchases) == 1, purchases
    assert purchases[0][1:4] == [f"{PREMIERE} (48h rental)", f"movie:{premiere_id(driver)}", "3.99 EUR"], purchases
    assert purchases[0][4] in bought, (purchases[0], bought)
    shot(driver, "vod-14-customer-bought-ppv.png", full_page=True)

    open_tab(driver, "Wallet", "wallet")
    assert details(section(driver, "Wallet"))["Balance"] == euros(start + 1000 - 399)
    if start == 0:
        assert euros(start + 1000 - 399) == "6.01 EUR"
    moves = [r[1:4] for r in section_rows(driver, "Wallet")]
    assert [euros(-399), euros(start + 601), f"Pay-per-view: {PREMIERE} (48h rental)"] in moves, moves
    assert ["10.00 EUR", euros(start + 1000), f"E2E top-up {t}"] in moves, moves
    shot(driver, "vod-15-customer-wallet.png", full_page=True)


def test_vod_movies_export_import(driver, server, story, http, tmp_path):
    t = tag()
    table = movies_list(driver)
    titles = [r[0] for r in table_rows(table)]
    assert not driver.find_elements(By.CSS_SELECTOR, ".pagination a[rel=next]"), "more than one page of movies"
    assert set(DEMO_MOVIES + [PREMIERE]) <= set(titles), titles
    export = wait(driver).until(EC.presence_of_element_located((By.XPATH, BUTTON_LINK.format("Export (CSV)"))))
    href = export.get_attribute("href")
    assert urlsplit(href).path == "/cms/movies/export.csv", href
    r = http.get(href, cookies={SESSION_COOKIE: driver.get_cookie(SESSION_COOKIE)["value"]},
                 timeout=HTTP_TIMEOUT, allow_redirects=False)
    assert r.status_code == 200, f"GET {href}: {r.status_code} {r.headers.get('Location')}"
    assert r.headers.get("Content-Type") == "text/csv; charset=utf-8", r.headers
    assert r.headers.get("Content-Disposition") == 'attachment; filename="movies.csv"', r.headers
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["external_id", "title"] and "age_rating" in header, header
    assert [row[1] for row in body] == titles, "the export is not the list of movies"
    assert not any("\n" in cell for row in body for cell in row), "a cell spans lines: line numbers below would be off"
    exported = tmp_path / "movies.csv"
    exported.write_bytes(r.content)

    # The export imported unchanged changes nothing.
    button_link(driver, "Import")
    wait_path(driver, "/cms/movies/import")
    assert heading(driver) == "Import movies"
    form = form_with_button(driver, "Check and import")
    assert form.get_attribute("enctype") == "multipart/form-data"
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(str(exported))
    shot(driver, "vod-16-import-form.png", full_page=True)
    submit(driver, form)
    wait_path(driver, "/cms/movies")
    assert flash(driver).text.strip() == f"Imported: 0 added, 0 updated, {len(body)} unchanged."
    assert [r[0] for r in table_rows(data_table(driver))] == titles
    shot(driver, "vod-17-import-unchanged.png", full_page=True)

    # One bad row (age rating 7) and one new movie: nothing is imported, the report names
    # the line and the column.
    col = {name: i for i, name in enumerate(header)}
    bad = titles.index(story["movie"]["title"]) if "movie" in story else 0
    edited = [list(row) for row in body]
    edited[bad][col["age_rating"]] = "7"
    template = next(row for row in body if not row[col["ppv_rule"]])
    new = list(template)
    new[col["external_id"]], new[col["title"]] = f"e2e-import-{t}", f"E2E Import {t}"
    new[col["stream_url"]] = f"https://vod.e2e.tvms/import-{t}/index.m3u8"
    new[col["cover_url"]] = new[col["image_url"]] = ""
    refused = tmp_path / f"movies-bad-{t}.csv"
    with open(refused, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\r\n").writerows([header] + edited + [new])
    button_link(driver, "Import")
    wait_path(driver, "/cms/movies/import")
    form = form_with_button(driver, "Check and import")
    form.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(str(refused))
    submit(driver, form)
    assert heading(driver) == "Import refused", body_text(driver)[:500]
    assert intro(driver) == f"1 problem(s) in {refused.name}. Nothing was imported; fix the file and upload it again."
    report = [r[:3] for r in table_rows(data_table(driver))]
    assert report == [[str(bad + 2), "age_rating", AGE_RATINGS]], report     # line 1 is the header
    assert form_with_button(driver, "Check and import", "//section[h2[normalize-space(.)='Upload again']]")
    shot(driver, "vod-18-import-refused.png", full_page=True)

    assert [r[0] for r in table_rows(movies_list(driver))] == titles, "the refused import changed the movies"
    table = movies_list(driver, q=f"E2E Import {t}")
    assert table_rows(table) == [] and "No movie matches." in body_text(driver)
