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
    page.screenshot(path=str(ROOT / "assets" / "screenshot-draw.png"), full_page=True)
    page.reload()
    page.get_by_text("Draw a digit on the canvas").wait_for()
    _draw(page, 7)
    wait_for_predicted_digit(page, 7)
