"""The web pages in a real browser (docs/web.md, "Proofs in a real browser").

Started by scripts/browser-test, which runs two `dispatch serve` instances on one embedded
database, makes the demo data with the real commands and passes what it made in BROWSER_*
environment variables. Headless Chromium (Debian's chromium and chromium-driver) is driven by
Selenium; every page is scanned by axe-core (axe-selenium-python 3.0.0, axe-core 4.10) and must
have zero violations, and a screenshot of each is written to .build/browser-test/screenshots/.
The pages are read from instance B; the peer mentor's device talks to instance A.
"""

import json
import os
import pathlib
import subprocess
import time

import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import Select, WebDriverWait

ENV = os.environ
B = ENV["BROWSER_B"]
ARTIFACTS = pathlib.Path(ENV["BROWSER_ARTIFACTS"])
DOWNLOADS = ARTIFACTS / "downloads"
FIRST, SECOND, THIRD = ENV["BROWSER_FIRST"], ENV["BROWSER_SECOND"], ENV["BROWSER_THIRD"]
MARKER = ENV["BROWSER_MARKER"]
_shots = [0]


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100", "--lang=en-GB"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(DOWNLOADS), "download.prompt_for_download": False, "intl.accept_languages": "en-GB,en",
    })
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def wait(driver, seconds, condition):
    """Waits for `condition`; an element that went stale because the page was replaced meanwhile
    is simply looked for again."""
    return WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def check_page(driver, name):
    """Scans the page with axe-core (zero violations), saves its screenshot, and checks that
    nothing of the case is on it."""
    _shots[0] += 1
    driver.save_screenshot(str(ARTIFACTS / "screenshots" / f"{_shots[0]:02d}-{name}.png"))
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    violations = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]]
    assert violations == [], f"axe on {name}: {violations}"
    assert MARKER not in driver.page_source, f"{name} shows case information"


def sign_in(driver, token, language="en"):
    driver.get(f"{B}/sign-in?lang={language}")
    field = driver.find_element(By.ID, "token")
    assert driver.find_element(By.CSS_SELECTOR, "label[for=token]").text
    field.send_keys(token)
    field.send_keys(Keys.ENTER)
    wait(driver, 10, lambda d: "/sign-in" not in d.current_url)


def sign_out(driver):
    driver.find_element(By.XPATH, "//form[@action='/sign-out']//button").click()
    wait(driver, 10, lambda d: d.find_elements(By.ID, "token"))
    assert driver.find_elements(By.CSS_SELECTOR, "p.notice[role=status]"), "the page says the user is signed out"


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#assignments tbody tr")


def device(*arguments):
    """The peer mentor's device (the real command line) talking to instance A."""
    environment = dict(ENV, DISPATCH_KEYSTORE=ENV["BROWSER_OLA_KEYSTORE"], DISPATCH_DEVICE_DIR=ENV["BROWSER_OLA_DEVICE"])
    result = subprocess.run([ENV["BROWSER_DISPATCH"], *arguments], env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_for_download(prefix, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = [p for p in DOWNLOADS.iterdir() if p.name.startswith(prefix) and not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no download starting with {prefix}: {list(DOWNLOADS.iterdir())}")


def test_sign_in_page(browser):
    browser.get(f"{B}/sign-in")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    check_page(browser, "sign-in")
    # A wrong token: the error is announced and tied to the field.
    field = browser.find_element(By.ID, "token")
    field.send_keys("adt_" + "A" * 43 + Keys.ENTER)
    wait(browser, 10, lambda d: d.find_elements(By.ID, "sign-in-error"))
    assert browser.find_element(By.ID, "token").get_attribute("aria-invalid") == "true"
    check_page(browser, "sign-in-error")


def test_coordinator_overview_live_cancel(browser):
    sign_in(browser, ENV["BROWSER_KARI"])
    assert browser.current_url.endswith("/overview")
    assert len(rows(browser)) == 3
    check_page(browser, "overview")

    # Keyboard: the first Tab reaches the skip link, which moves to the main content.
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.get_attribute("class") == "skip"
    assert active.value_of_css_property("outline-style") != "none", "the focus is visible"
    active.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"

    # Filter by region, by keyboard.
    region = browser.find_element(By.ID, "region")
    region.send_keys("Vest" + Keys.ENTER)
    wait(browser, 10, lambda d: "region=Vest" in d.current_url)
    assert [r.get_attribute("id") for r in rows(browser)] == [f"a-{FIRST}"]
    check_page(browser, "overview-filtered")
    Select(browser.find_element(By.ID, "status")).select_by_value("acknowledged")
    browser.find_element(By.ID, "region").clear()
    browser.find_element(By.XPATH, "//form[@action='/overview']//button").click()
    wait(browser, 10, lambda d: "status=acknowledged" in d.current_url)
    assert rows(browser) == [] and browser.find_element(By.ID, "assignments-empty")

    # Live: the page (from instance B) hears of the peer mentor's acknowledgement (through A).
    browser.get(f"{B}/overview")
    wait(browser, 10, lambda d: d.execute_script("return document.readyState") == "complete")
    time.sleep(1)
    device("sync")
    device("open", FIRST, "--passphrase-file", ENV["BROWSER_PASSPHRASE"])
    device("ack", FIRST)
    status = lambda d: d.find_element(By.CSS_SELECTOR, f"#a-{FIRST} td.status").text
    wait(browser, 15, lambda d: status(d) == "acknowledged")
    live = browser.find_element(By.ID, "live")
    assert live.get_attribute("aria-live") == "polite"
    assert "acknowledged" in live.text
    assert browser.find_element(By.CSS_SELECTOR, "[data-count=acknowledged]").text == "1"
    check_page(browser, "overview-live-update")

    # The peer mentor declines the third on its teaser: live too, and listed as declined on reload.
    device("decline", THIRD, "--reason", "too_far")
    wait(browser, 15, lambda d: d.find_element(By.CSS_SELECTOR, f"#a-{THIRD} td.status").text == "declined")
    browser.get(f"{B}/overview")
    declined = browser.find_elements(By.CSS_SELECTOR, "#declined tbody tr")
    assert len(declined) == 1 and "too far away" in declined[0].text
    assert f"a-{THIRD}" not in [r.get_attribute("id") for r in rows(browser)], "closed: not among the open ones"
    check_page(browser, "overview-declined")

    # One assignment: its timeline, then cancel with a reason.
    browser.find_element(By.CSS_SELECTOR, f"#a-{SECOND} th a").click()
    wait(browser, 10, lambda d: SECOND in d.current_url)
    timeline = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert timeline and "assignment.created" in browser.page_source
    check_page(browser, "assignment")
    reason = browser.find_element(By.ID, "reason")
    reason.send_keys("Sent twice by mistake")
    browser.find_element(By.XPATH, "//form[contains(@action, '/cancel')]//button").click()
    wait(browser, 10, lambda d: d.find_elements(By.CSS_SELECTOR, "p.notice"))
    assert browser.find_element(By.ID, "status").text == "cancelled"
    check_page(browser, "assignment-cancelled")

    # The language switch: Norwegian, then back.
    browser.find_element(By.CSS_SELECTOR, "button[name=lang][value=nb]").click()
    wait(browser, 10, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nb")
    assert "Tidslinje" in browser.page_source
    check_page(browser, "assignment-nb")
    browser.find_element(By.CSS_SELECTOR, "button[name=lang][value=en]").click()
    wait(browser, 10, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    sign_out(browser)
    browser.get(f"{B}/overview")
    assert browser.current_url.endswith("/sign-in"), "signed out means signed out"


def test_admin_pages_and_honorarium_csv(browser):
    sign_in(browser, ENV["BROWSER_ANNE"])
    browser.get(f"{B}/admin")
    assert "kari" in browser.page_source and "ola" in browser.page_source
    fingerprints = browser.find_elements(By.CSS_SELECTOR, "main table tbody code")
    assert len(fingerprints) >= 2, "kari's and ola's device keys"
    check_page(browser, "admin")
    period = browser.find_element(By.ID, "period")
    period.clear()
    period.send_keys(time.strftime("%Y") + Keys.ENTER)
    wait(browser, 10, lambda d: "/admin/honorarium" in d.current_url)
    check_page(browser, "admin-honorarium")
    browser.find_element(By.PARTIAL_LINK_TEXT, "CSV").click()
    csv = wait_for_download("honorarium-").read_text(encoding="utf-8")
    assert csv.startswith("organisation,period,peer_mentor_id,peer_mentor_handle")
    sign_out(browser)


def test_compliance_officer(browser):
    # Signed in with the one-time link `dispatch users sign-in-link` made.
    browser.get(ENV["BROWSER_PER_LINK"])
    check_page(browser, "sign-in-link")
    browser.find_element(By.XPATH, "//form[@action='/sign-in/link']//button").click()
    wait(browser, 10, lambda d: d.current_url.endswith("/compliance"))
    assert "intact" in browser.find_element(By.ID, "chain-status").text
    nav = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "header nav a")]
    assert nav == ["Compliance"], "no overview and no organisation page for this role"
    # The closed assignments, each with the device that downloaded it; none confirmed yet in the demo.
    erasures = browser.find_element(By.CSS_SELECTOR, "#erasure-table tbody").text
    assert "Not confirmed yet" in erasures and "ola" in erasures, erasures[:300]
    assert "Devices overdue: 0." in browser.find_element(By.ID, "erasure-summary").text
    check_page(browser, "compliance")
    browser.find_element(By.XPATH, "//form[@action='/compliance/dry-run']//button").click()
    wait(browser, 10, lambda d: d.find_elements(By.ID, "dry-run-result"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#dry-run-result li")) == 3
    assert "Dry run" in browser.find_element(By.CSS_SELECTOR, "#sweeps-table tbody").text, "the dry run is in the sweep history"
    check_page(browser, "compliance-dry-run")
    browser.find_element(By.XPATH, "//form[@action='/compliance/audit-extract']//button").click()
    path = wait_for_download("audit-extract")
    extract = path.read_text(encoding="utf-8").splitlines()
    assert len(extract) > 5 and "signature" in json.loads(extract[-1]), extract[-1][:200]
    assert MARKER not in "\n".join(extract)
    verified = subprocess.run([ENV["BROWSER_DISPATCH"], "audit", "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # Titles are not for this role.
    browser.get(f"{B}/assignments/{FIRST}")
    assert "Besøk" not in browser.page_source
    check_page(browser, "compliance-forbidden-assignment")
    sign_out(browser)
    # The link was for one use.
    browser.get(ENV["BROWSER_PER_LINK"])
    browser.find_element(By.XPATH, "//form[@action='/sign-in/link']//button").click()
    wait(browser, 10, lambda d: d.find_elements(By.ID, "sign-in-error"))


def test_other_organisation_sees_nothing(browser):
    sign_in(browser, ENV["BROWSER_BODIL"])
    assert rows(browser) == []
    for id in (FIRST, SECOND):
        browser.get(f"{B}/assignments/{id}")
        assert "Not found" in browser.find_element(By.TAG_NAME, "h1").text
        assert "Besøk" not in browser.page_source and "Følge" not in browser.page_source
    check_page(browser, "other-organisation-not-found")


def test_peer_mentor_is_sent_to_the_device_app(browser):
    sign_in(browser, ENV["BROWSER_OLA"], language="nb")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nb"
    assert rows(browser) == [] and "appen" in browser.page_source
    assert "Besøk" not in browser.page_source
    check_page(browser, "peer-mentor")
    sign_out(browser)
