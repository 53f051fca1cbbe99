"""A real `streamlit run` server and a real Chromium (Debian's, never a downloaded one)."""

import contextlib
import importlib.util
import shutil
import time
from pathlib import Path

import pytest
from support import ADMIN_PASSWORD, require

from bench.servers import CHROMIUM_ARGS, start_streamlit, wait_until_healthy


def pytest_collection_modifyitems(items):
    """Every test here starts a server and a browser: all are slow."""
    folder = Path(__file__).parent
    for item in items:
        if folder in item.path.parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def private_data_dir(tmp_path_factory):
    """The server's own feedback database and model registry, never the repo's `data/`."""
    return tmp_path_factory.mktemp("browser-data")


@pytest.fixture(scope="session")
def feedback_db(private_data_dir):
    return private_data_dir / "feedback.db"


@contextlib.contextmanager
def _streamlit_server(data_dir):
    """A `streamlit run app.py` of its own, with its feedback database and registry in
    `data_dir`; yields its URL once it answers. Its output goes to `data_dir`/server.log
    (a pipe nobody reads would fill up and stall it). Its admin password is ADMIN_PASSWORD."""
    with open(data_dir / "server.log", "w+") as log:
        server, url = start_streamlit(data_dir, log, {"DIGITS_ADMIN_PASSWORD": ADMIN_PASSWORD})
        try:
            wait_until_healthy(url, server, time.monotonic() + 90)
        except RuntimeError:
            server.kill()
            log.seek(0)
            pytest.fail(f"streamlit did not start: {log.read()[-2000:]}")
        try:
            yield url
        finally:
            server.terminate()
            server.wait(timeout=20)


@pytest.fixture(scope="session")
def app_url(private_data_dir):
    with _streamlit_server(private_data_dir) as url:
        yield url


@pytest.fixture
def fresh_app_url(tmp_path):
    """A server no page has been opened on yet."""
    with _streamlit_server(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    require(executable is not None, "Chromium is not installed (apt-get install -y chromium)")
    installed = importlib.util.find_spec("playwright") is not None
    require(installed, "Playwright is not installed (pip install -r requirements-dev.txt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


DESKTOP = {"viewport": {"width": 1280, "height": 900}}

# What Streamlit's page logs when it drops its connection to the server; the page then comes
# back blank (the canvas empty, what was drawn lost), so no test may see it.
LOST_CONNECTION = "Websocket connection encountered fatal error"


@contextlib.contextmanager
def _browser_page(browser, **options):
    """A page in a context of its own (`options`), failing the test if the app's connection
    broke while it ran."""
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(60_000)
    logged = []  # every message: Playwright's own `console_messages()` keeps the last 200
    page.on("console", lambda message: logged.append(message.text))
    try:
        yield page
        broken = [text for text in logged if LOST_CONNECTION in text]
        assert not broken, f"the app's connection broke: {broken[0][:300]}"
    finally:
        context.close()


@pytest.fixture
def page(browser, app_url):
    with _browser_page(browser, **DESKTOP) as page:
        yield page


# A 390x844 touch screen, as Playwright's "iPhone 13", in Chromium.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "screen": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/15.0 Mobile/15E148 Safari/604.1"
    ),
}


@pytest.fixture
def phone(browser, app_url):
    """A page on a 390x844 touch screen."""
    with _browser_page(browser, **PHONE) as page:
        yield page


@pytest.fixture(params=["desktop", "phone"])
def visitor(request, browser, app_url):
    """A page on a 1280x900 desktop with a mouse, then on a 390x844 touch phone: the test
    runs once for each (`visitor.finger` says which)."""
    with _browser_page(browser, **(PHONE if request.param == "phone" else DESKTOP)) as page:
        page.finger = request.param == "phone"
        yield page
