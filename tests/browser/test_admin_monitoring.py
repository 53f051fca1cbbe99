"""Admin actions in a real browser: hidden from a visitor; after signing in, the export
downloads a zip of the feedback (made when clicked, outside the script run)."""

import zipfile

import numpy as np
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from support import ADMIN_PASSWORD

from model.operations.feedback import FeedbackStore


def test_a_visitor_sees_no_admin_actions_and_the_admin_exports_a_zip(page, app_url, feedback_db):
    store = FeedbackStore(feedback_db)
    store.add(
        image28=np.zeros((28, 28), np.uint8), predicted=3, label=8, confidence=0.4, source="photo"
    )
    page.goto(f"{app_url}/Monitoring")
    page.get_by_text("Sign in as admin (in the sidebar)").first.wait_for()
    expect(page.get_by_text("All samples: delete, export")).to_have_count(0)
    expect(page.get_by_role("button", name="Activate")).to_have_count(0)
    expect(page.get_by_text(str(feedback_db))).to_have_count(0)

    page.get_by_label("Admin password").fill("not the password")
    page.get_by_role("button", name="Sign in as admin").click()
    page.get_by_text("Wrong admin password.").wait_for()
    expect(page.get_by_text("All samples: delete, export")).to_have_count(0)

    page.get_by_label("Admin password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in as admin").click()
    page.get_by_text("All samples: delete, export").click()
    path = _download(page, "Export as PNG + CSV (zip)")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "feedback.csv" in names and len(names) > 1


def _download(page, button, tries=3):
    """The path of the file a download button gives. A click that lands while the page is
    still rerunning (CI's 2 cores, busy) can be lost: it is tried again, as a person would."""
    for attempt in range(tries):
        try:
            with page.expect_download(timeout=20_000) as download:
                page.get_by_role("button", name=button).click()
            return download.value.path()
        except PlaywrightTimeoutError:
            if attempt == tries - 1:
                raise
