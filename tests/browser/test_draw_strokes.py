"""The Draw page reads the strokes, not only the pixels: digits whose ink overlaps stay apart."""

from support import draw_on_canvas, wait_for_predicted_digit

PROMPT = "Draw a digit on the canvas"


def test_overlapping_digits_are_read_apart_from_their_strokes(page, app_url):
    page.goto(app_url)
    page.get_by_text(PROMPT).wait_for()
    # A 1 written into the 0 beside it: on the picture, one 0 with a line inside (read "0").
    draw_on_canvas(page, 1, box=(0.3, 0.2, 0.1, 0.6))
    wait_for_predicted_digit(page, 1)
    draw_on_canvas(page, 0, box=(0.33, 0.2, 0.36, 0.6))
    wait_for_predicted_digit(page, "10")


def test_an_h_drawn_on_the_canvas_is_not_read_as_a_digit(page, app_url):
    page.goto(app_url)
    page.get_by_text(PROMPT).wait_for()
    h = [[(0.0, 0.0), (0.0, 1.0)], [(1.0, 0.0), (1.0, 1.0)], [(0.0, 0.5), (1.0, 0.5)]]
    draw_on_canvas(page, h, box=(0.35, 0.2, 0.25, 0.6))
    warning = page.get_by_text("Can't read that")
    warning.wait_for()
    text = warning.inner_text()
    assert "upright" in text and "None" not in text, text
