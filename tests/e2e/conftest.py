"""Fixtures of the TVMS end-to-end suite (see support.py for the environment).

server   session-scoped: one `tvms serve --demo` on a free port, with a fresh data
         dir (SQLite) or a fresh PostgreSQL database (TVMS_E2E_DATABASE_URL);
         stopped with SIGTERM at the end, and it must exit within 20 s.
http     a requests.Session that ignores proxy settings.
driver   module-scoped: one headless Chromium (system chromedriver) per browser
         test module (test_browser.py, test_crm_browser.py); see browser.py.
"""
from __future__ import annotations

import re

import pytest

from support import (ARTIFACTS, PG_ADMIN_URL, SCREENSHOTS, TVMS_BIN, ServerPool,
                     http_session)


def pytest_report_header(config):
    db = PG_ADMIN_URL or "SQLite (TVMS_DATA_DIR)"
    return [f"tvms binary: {TVMS_BIN}", f"database: {db}", f"artifacts: {ARTIFACTS}"]


@pytest.fixture(scope="session")
def server():
    pool = ServerPool("main")
    try:
        srv = pool.start("demo", demo=True, fresh_database=True)
    except Exception:
        pool.stop_all()
        raise
    yield srv
    problems = pool.stop_all()
    assert not problems, "graceful shutdown failed:\n" + "\n".join(problems)


@pytest.fixture
def http():
    with http_session() as s:
        yield s


@pytest.fixture(scope="module")
def driver():
    from browser import new_driver   # selenium is only needed by the browser tests
    drv = new_driver()
    try:
        yield drv
    finally:
        drv.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing browser test, keep a screenshot and the page source."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    driver = item.funcargs.get("driver") if hasattr(item, "funcargs") else None
    if driver is None:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = "FAILED-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
    try:
        driver.save_screenshot(str(SCREENSHOTS / f"{stem}.png"))
        (SCREENSHOTS / f"{stem}.html").write_text(driver.page_source)
    except Exception as exc:  # the browser may be gone
        print(f"could not save failure screenshot: {exc}")
