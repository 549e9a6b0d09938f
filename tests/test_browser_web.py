"""The web pages in a real headless Chromium (Selenium with Debian's chromedriver; nothing is downloaded).

A real server (uvicorn in a thread, on a free 127.0.0.1 port, against the test database with the demo
loaded) is driven as a person would: sign in as each kind of user, read each page, switch the language,
and run one flow end to end (a lead asks for a team, accepts it, the members appear). Screenshots go to
``test-artifacts/``. No page may show an error or a stack trace.
"""

from __future__ import annotations

import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import User
from hrsys.app import create_app
from hrsys.config import Settings
from hrsys.demo.load import load_into
from hrsys.people.models import Person

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
ERROR_SIGNS = re.compile(r"Traceback|Internal Server Error|sqlalchemy\.exc|\"status\":\s*500")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(db: Any, session: Session, settings: Settings) -> Iterator[dict[str, Any]]:
    """The app with the demo, served by uvicorn on a free port; the demo users' passwords."""
    import uvicorn

    with session.begin():
        load_into(session, settings)
    passwords = {}
    with open(settings.demo_credentials_file, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and not line.startswith("#"):
                passwords[parts[0]] = parts[1]
    users = {u.role.value: u for u in session.scalars(sa.select(User).order_by(User.id.desc()))}
    port = _free_port()
    app = create_app(settings)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "users": users, "passwords": passwords}
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (Path(CHROMEDRIVER).exists() and Path(CHROMIUM).exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed (bash .ci/browser.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hrsys-chrome-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={profile}", "--window-size=1280,1800", "--lang=th",
    ):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver: Any, css: str, timeout: float = 20) -> Any:
    """The first element matching ``css`` once it is there (after a form's navigation)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def _navigated(driver: Any, away_from: str | None = None, to: str | None = None, timeout: float = 20) -> None:
    """Wait for a form's navigation: the address leaves ``away_from`` or reaches ``to``."""
    from selenium.webdriver.support.ui import WebDriverWait

    def done(d: Any) -> bool:
        path = d.current_url.split("127.0.0.1", 1)[-1]
        if to is not None:
            return to in path
        return away_from is not None and away_from not in path

    WebDriverWait(driver, timeout).until(done)


def _shot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def _page(driver: Any, name: str) -> str:
    """The page's visible text, after checking it shows no error; with a screenshot."""
    from selenium.webdriver.common.by import By

    _shot(driver, name)
    source = driver.page_source
    assert not ERROR_SIGNS.search(source), f"{name}: {source[:1500]}"
    assert not driver.find_elements(By.ID, "error-message"), f"{name}: {driver.find_element(By.TAG_NAME, 'main').text}"
    return str(driver.find_element(By.TAG_NAME, "body").text)


def _sign_in(driver: Any, server: dict[str, Any], role: str) -> User:
    from selenium.webdriver.common.by import By

    user: User = server["users"][role]
    driver.delete_all_cookies()
    driver.get(server["url"] + "/")
    assert "/sign-in" in driver.current_url
    driver.find_element(By.ID, "username").send_keys(user.username)
    driver.find_element(By.ID, "password").send_keys(server["passwords"][user.username])
    driver.find_element(By.ID, "sign-in-button").click()
    _navigated(driver, away_from="/sign-in")
    return user


def test_each_kind_of_user_in_a_real_browser(server: dict[str, Any], browser: Any, session: Session) -> None:
    from selenium.webdriver.common.by import By

    url = server["url"]
    # a wrong password: a readable message on the sign-in page
    browser.get(url + "/sign-in")
    browser.find_element(By.ID, "username").send_keys("nobody")
    browser.find_element(By.ID, "password").send_keys("not-the-password")
    browser.find_element(By.ID, "sign-in-button").click()
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in _wait(browser, "#sign-in-error").text
    _shot(browser, "00-sign-in-refused")

    # staff: profile with levels and Buddhist-Era dates, gap chart, paths, training plan in baht
    staff = _sign_in(browser, server, "staff")
    assert browser.current_url.endswith("/me")
    person = session.get(Person, staff.person_id)
    assert person is not None
    text = _page(browser, "01-staff-me-th")
    assert f"{person.first_name_th} {person.last_name_th}" in text
    assert re.search(r"\d{1,2} \S+ 25[5-7]\d", text), "Thai dates in the Buddhist Era"
    assert re.search(r"ความพร้อม: \d+%", text)
    assert browser.find_elements(By.CSS_SELECTOR, "figure.chart-box svg"), "the gap chart is drawn"
    assert "บาท" in text
    browser.execute_script("document.getElementById('h-paths').scrollIntoView()")
    _shot(browser, "01b-staff-paths-and-plan")
    # the Thai font is used for Thai text (vendored, loaded from /static)
    family = browser.execute_script("return getComputedStyle(document.body).fontFamily")
    assert "Sarabun" in family
    assert browser.execute_script("return document.fonts.check('16px Sarabun', 'ทักษะ')")

    # switch to English: remembered, Christian-Era dates
    browser.find_element(By.ID, "lang-switch").click()
    _wait(browser, "html[lang='en']")
    text = _page(browser, "02-staff-me-en")
    assert "My profile" in text and f"{person.first_name_en} {person.last_name_en}" in text
    assert re.search(r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20[12]\d", text)
    browser.get(url + "/me")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    # a self-assessment through the form (keyboard: the form submits with Enter in the evidence field)
    browser.find_element(By.ID, "sa-evidence").send_keys("ran the team's dashboard\n")
    _navigated(browser, to="saved=true")
    assert "Saved." in _page(browser, "03-staff-self-assessed")
    # a staff member opening the HR dashboard gets a readable refusal, not a stack trace
    browser.get(url + "/hr")
    _wait(browser, "#error-message")
    refused = browser.find_element(By.ID, "error-message").text
    assert "Your role may not open this page" in refused
    assert not ERROR_SIGNS.search(browser.page_source)
    browser.find_element(By.ID, "lang-switch").click()  # back to Thai for the others
    _wait(browser, "html[lang='th']")

    # HR officer: dashboard of the agency subtree, people search
    _sign_in(browser, server, "hr_officer")
    assert browser.current_url.endswith("/hr")
    text = _page(browser, "04-hr-dashboard")
    assert "อุปทานและอุปสงค์ทักษะ" in text
    cells = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#heat-map td")]
    assert any(re.fullmatch(r"\d+ / \d+", c) for c in cells)
    assert browser.find_elements(By.CSS_SELECTOR, "#bench tbody tr")
    browser.get(url + "/hr/people")
    browser.find_element(By.ID, "skill").send_keys("TH-DG:DL03")
    browser.find_element(By.ID, "skill").submit()
    _wait(browser, "#result-count")
    text = _page(browser, "05-hr-people-search")
    found = re.search(r"(\d+) คน", browser.find_element(By.ID, "result-count").text)
    assert found and int(found.group(1)) > 0

    # task-force lead: needs, KPI chart, ask for a team, accept it, members appear
    _sign_in(browser, server, "taskforce_lead")
    assert browser.current_url.endswith("/lead")
    _page(browser, "06-lead-taskforces")
    browser.find_element(By.PARTIAL_LINK_TEXT, "ทีมเปิดเผยข้อมูลภาครัฐ").click()
    _wait(browser, "#needs")
    text = _page(browser, "07-lead-taskforce")
    assert "ยังไม่มีสมาชิก" in text
    assert browser.find_elements(By.CSS_SELECTOR, "#h-kpis ~ figure svg, figure.chart-box svg")
    browser.find_element(By.ID, "propose-button").click()
    _wait(browser, "#proposal-members")
    _page(browser, "08-lead-proposal")
    proposed = [
        r.find_elements(By.TAG_NAME, "td")[0].text
        for r in browser.find_elements(By.CSS_SELECTOR, "#proposal-members tbody tr")
    ]
    assert proposed
    browser.find_element(By.ID, "accept-button").click()
    _wait(browser, "#accepted")
    text = _page(browser, "09-lead-accepted")
    assert "ยอมรับทีมแล้ว" in text
    members = browser.find_element(By.ID, "member-list").text
    for name in proposed:
        assert name in members

    # sign out: back to the sign-in page, and the pages ask for a sign-in again
    browser.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button").click()
    _navigated(browser, to="/sign-in")
    assert "/sign-in" in browser.current_url
    browser.get(url + "/lead")
    assert "/sign-in" in browser.current_url
