"""The canvas itself: a stroke drawn as the brush size changes, and a finger on a phone."""

from support import draw_on_canvas, finger_stroke, wait_for_predicted_digit

PROMPT = "Draw a digit on the canvas"
# The darkness (0 black to 255 white) of the canvas's drawing at a point, in fractions of its
# size.
_INK_AT = """([canvas, x, y]) => {
    const pixel = canvas.getContext('2d').getImageData(
        Math.round(x * canvas.width), Math.round(y * canvas.height), 1, 1).data;
    return pixel[0];
}"""


def _ink_at(page, x, y):
    drawing = page.locator("canvas.dc-canvas.lower-canvas")
    return drawing.evaluate(f"(canvas) => ({_INK_AT})([canvas, {x}, {y}])")


def test_a_stroke_begun_as_the_brush_changes_is_kept_whole(page, app_url):
    page.goto(app_url)
    page.get_by_text(PROMPT).wait_for()
    slider = page.get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    # The stroke starts at once: the rerun the new brush size causes lands while it is drawn.
    box = (0.25, 0.15, 0.5, 0.7)
    draw_on_canvas(page, 7, box=box)
    wait_for_predicted_digit(page, 7)
    page.get_by_text("23").first.wait_for()  # the new brush size was taken
    # The first point of the 7's top bar is ink: the stroke was not cut short.
    start_x, start_y = box[0] + 0.05 * box[2], box[1]
    assert _ink_at(page, start_x + 0.01, start_y) < 128


def test_a_brush_changed_while_the_canvas_still_loads_leaves_a_canvas(page, app_url):
    # The canvas's script is held back until the rerun the new brush size causes has come:
    # the first mount then finishes after it was superseded, and Streamlit calls its cleanup.
    held = []
    script = "**/bidi-components/streamlit-drawable-canvas*/**"
    page.route(script, lambda route: held.append(route))
    with page.expect_request(script):  # waits until the page has asked for the script
        page.goto(app_url)
    page.get_by_text(PROMPT).wait_for()  # route handlers run while Playwright waits
    assert held, "the canvas's script was asked for but not held"
    slider = page.get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.get_by_text("23").first.wait_for()
    page.wait_for_selector('[data-test-script-state="notRunning"]', state="attached")
    for route in held:
        route.continue_()
    page.unroute(script)
    draw_on_canvas(page, 7)
    wait_for_predicted_digit(page, 7)


def test_a_finger_stroke_on_a_phone_is_read(phone, app_url):
    phone.goto(app_url)
    phone.get_by_text(PROMPT).wait_for()
    canvas = phone.locator("canvas.upper-canvas")
    canvas.wait_for()
    # The canvas narrows to the phone's screen: the page tells the app its width, which
    # redraws it narrower.
    phone.wait_for_function(
        "(canvas) => canvas.getBoundingClientRect().width <= window.innerWidth - 20",
        arg=canvas.element_handle(),
    )
    canvas.scroll_into_view_if_needed()
    bounds = canvas.bounding_box()
    assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 390
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    stroke = [(0.45, 0.25), (0.55, 0.12), (0.55, 0.88)]
    left, top, width, height = bounds["x"], bounds["y"], bounds["width"], bounds["height"]
    finger_stroke(phone, [(left + x * width, top + y * height) for x, y in stroke])
    wait_for_predicted_digit(phone, 1)
