"""On a failed browser test, keep what the browser showed: a screenshot and the page's HTML
beside the other artefacts (.build/browser-test/failures/)."""

import os
import pathlib

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        driver = item.funcargs.get("browser")
        if driver is not None:
            folder = pathlib.Path(os.environ["BROWSER_ARTIFACTS"]) / "failures"
            folder.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(folder / f"{item.name}.png"))
            (folder / f"{item.name}.html").write_text(f"<!-- {driver.current_url} -->\n" + driver.page_source, encoding="utf-8")
