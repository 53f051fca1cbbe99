"""The draw page in a real browser: mouse strokes on the canvas, the digit on the page."""

from support import ROOT, draw_on_canvas, wait_for_predicted_digit


def test_drawn_digits_are_read(page, app_url):
    page.goto(app_url)
    page.get_by_text("Draw a digit on the canvas").wait_for()
    draw_on_canvas(page, 1)
    wait_for_predicted_digit(page, 1)
    page.locator(".js-plotly-plot").wait_for()
    page.get_by_text("What the model saw").wait_for()
    page.reload()
    page.get_by_text("Draw a digit on the canvas").wait_for()
    draw_on_canvas(page, 7)
    wait_for_predicted_digit(page, 7)


def test_a_number_drawn_side_by_side_then_cleared(page, app_url):
    page.goto(app_url)
    page.get_by_text("Draw a digit on the canvas").wait_for()
    draw_on_canvas(page, 4, box=(0.08, 0.2, 0.25, 0.6))
    wait_for_predicted_digit(page, 4)
    draw_on_canvas(page, 7, box=(0.4, 0.2, 0.25, 0.6))
    wait_for_predicted_digit(page, 47)
    draw_on_canvas(page, 1, box=(0.72, 0.2, 0.2, 0.6))
    wait_for_predicted_digit(page, 471)
    page.get_by_text("Confidence (whole number)").wait_for()
    page.get_by_text("Each digit as the model saw it").wait_for()
    page.get_by_text("What the model saw (28×28, MNIST format)").wait_for(state="detached")
    page.screenshot(path=str(ROOT / "assets" / "screenshot-draw.png"), full_page=True)
    page.get_by_role("button", name="Clear").click()
    page.get_by_text("The canvas is empty").wait_for()
    assert page.locator(".predicted-digit").count() == 0
