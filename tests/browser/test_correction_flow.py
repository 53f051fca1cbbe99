"""A correction in a real browser: draw, say what it really is, see it on the monitoring page."""

from playwright.sync_api import expect
from support import ADMIN_PASSWORD, draw_on_canvas, wait_for_predicted_digit

from model.operations.feedback import FeedbackStore


def _metric(page, label):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def test_a_correction_is_stored_and_counted_on_the_monitoring_page(page, fresh_app_url, tmp_path):
    # A server of its own: other browser tests store feedback on the shared one.
    app_url, feedback_db = fresh_app_url, tmp_path / "feedback.db"
    page.goto(app_url)
    page.get_by_text("Draw a digit on the canvas").wait_for()
    draw_on_canvas(page, 7)
    wait_for_predicted_digit(page, 7)
    page.get_by_text("Is this right?").wait_for()
    pills = page.get_by_test_id("stButtonGroup")
    pills.get_by_role("radio", name="1", exact=True).click()
    page.get_by_text("Saved — thank you. Corrected: 7 → 1.").wait_for()

    (sample,) = FeedbackStore(feedback_db).samples()
    assert (sample.predicted, sample.label, sample.source) == (7, 1, "canvas")
    assert sample.model_version == "v1" and sample.crop_png

    page.goto(f"{app_url}/Monitoring")
    expect(_metric(page, "Feedback samples")).to_have_text("1")
    expect(_metric(page, "Mistakes")).to_have_text("1")
    expect(_metric(page, "Read right")).to_have_text("0.0%")
    # The drawings are for the admin: a visitor sees the figures only.
    page.get_by_text("People's drawings are shown to admins only").wait_for()
    expect(page.get_by_text(f"#{sample.id}: 1 read as 7")).to_have_count(0)
    page.get_by_label("Admin password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in as admin").click()
    page.get_by_text(f"#{sample.id}: 1 read as 7").wait_for()
