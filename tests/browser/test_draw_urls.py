"""The first stroke is kept, whatever URL the draw page was opened by.

Each test opens the page the way a visitor does (root, `/draw`, a reload, back and forward) and
draws exactly one stroke: a "1", which must be read.
"""

import pytest
from support import draw_on_canvas, wait_for_predicted_digit

PROMPT = "Draw a digit on the canvas"


def _one_stroke_is_read(page):
    page.get_by_text(PROMPT).wait_for()
    draw_on_canvas(page, 1)
    wait_for_predicted_digit(page, 1)
    assert page.get_by_text("Page not found").count() == 0


@pytest.mark.parametrize("path", ["", "/draw"])
def test_one_stroke_on_a_fresh_server(page, fresh_app_url, path):
    page.goto(f"{fresh_app_url}{path}")
    _one_stroke_is_read(page)


def test_one_stroke_on_a_warm_server_by_each_url_and_after_a_reload(page, app_url, browser):
    # Another visitor has been here first: the server has run the app's navigation.
    warm = browser.new_page()
    warm.goto(app_url)
    warm.get_by_text(PROMPT).wait_for()
    warm.close()
    for path in ["/draw", ""]:
        page.goto(f"{app_url}{path}")
        _one_stroke_is_read(page)
        page.reload()
        _one_stroke_is_read(page)


def test_one_stroke_after_back_and_forward(page, app_url):
    page.goto(f"{app_url}/draw")
    page.get_by_text(PROMPT).wait_for()
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Upload").click()
    page.get_by_text("Upload an image, or click a sample").wait_for()
    page.go_back()
    _one_stroke_is_read(page)
    page.go_forward()
    page.get_by_text("Upload an image, or click a sample").wait_for()
    page.go_back()
    _one_stroke_is_read(page)
