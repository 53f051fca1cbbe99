"""The draw page in a real browser: mouse strokes on the canvas, the digit on the page."""

from strokes import STROKES
from support import ROOT, wait_for_predicted_digit


def _draw(page, digit, box=(0.25, 0.15, 0.5, 0.7)):
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for()
    bounds = canvas.bounding_box()
    left, top, width, height = box
    for stroke in STROKES[digit]:
        points = [
            (
                bounds["x"] + (left + x * width) * bounds["width"],
                bounds["y"] + (top + y * height) * bounds["height"],
            )
            for x, y in stroke
        ]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=12)
        page.mouse.up()


def test_drawn_digits_are_read(page, app_url):
    page.goto(app_url)
    page.get_by_text("Draw a digit on the canvas").wait_for()
    _draw(page, 1)
    wait_for_predicted_digit(page, 1)
    page.locator(".js-plotly-plot").wait_for()
    page.get_by_text("What the model saw").wait_for()
    page.reload()
    page.get_by_text("Draw a digit on the canvas").wait_for()
    _draw(page, 7)
    wait_for_predicted_digit(page, 7)


def test_a_number_drawn_side_by_side_then_cleared(page, app_url):
    page.goto(app_url)
    page.get_by_text("Draw a digit on the canvas").wait_for()
    _draw(page, 4, box=(0.08, 0.2, 0.25, 0.6))
    wait_for_predicted_digit(page, 4)
    _draw(page, 7, box=(0.4, 0.2, 0.25, 0.6))
    _draw(page, 1, box=(0.72, 0.2, 0.2, 0.6))
    wait_for_predicted_digit(page, 471)
    page.get_by_text("Confidence (whole number)").wait_for()
    page.get_by_text("Each digit as the model saw it").wait_for()
    page.get_by_text("What the model saw (28×28, MNIST format)").wait_for(state="detached")
    page.screenshot(path=str(ROOT / "assets" / "screenshot-draw.png"), full_page=True)
    page.locator('button[title="Reset canvas & history"]').click()
    page.get_by_text("The canvas is empty").wait_for()
    assert page.locator(".predicted-digit").count() == 0
