"""A real `streamlit run` server and a real Chromium (Debian's, never a downloaded one)."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from support import ROOT, require

from bench.startup import CHROMIUM_ARGS


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    `data_dir`; yields its URL once it answers."""
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DIGITS_FEEDBACK_DB": str(data_dir / "feedback.db"),
            "DIGITS_REGISTRY": str(data_dir / "registry"),
        },
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        pytest.fail(f"streamlit did not start: {server.stdout.read().decode()[-2000:]}")
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
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
