"""What a first visit needs around the canvas, with a mouse on a desktop and a finger on a
phone: Undo and Clear in view, ink after every toolbar button, all ten corrections in reach."""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from support import draw_on_canvas, wait_for_predicted_digit

PROMPT = "Draw a digit on the canvas"
EMPTY = "The canvas is empty"

# Whether a person sees an element and can press it: laid out, not transparent, inside the
# window, and the element found at its centre (in its own shadow root, if any) is it or inside
# it.
_IN_REACH = """(element) => {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return false;
    for (let node = element; node; node = node.parentElement || node.getRootNode().host) {
        if (getComputedStyle(node).opacity === "0") return false;
    }
    if (box.left < 0 || box.right > window.innerWidth) return false;
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    if (y < 0 || y > window.innerHeight) return false;
    const hit = element.getRootNode().elementFromPoint(x, y);
    return element === hit || element.contains(hit);
}"""

# Whether the canvas's drawing is ink (darker than mid-grey) at a point, in fractions of its
# size. The canvas paints a finished stroke there on its next animation frame.
_INK_AT = """([canvas, x, y]) => canvas.getContext('2d').getImageData(
    Math.round(x * canvas.width), Math.round(y * canvas.height), 1, 1).data[0] < 128"""


def _in_reach(locator):
    locator.scroll_into_view_if_needed()
    return locator.evaluate(_IN_REACH)


def _press(page, locator):
    if page.finger:
        locator.tap()
    else:
        locator.click()


def _open_draw_page(page, app_url):
    page.goto(app_url)
    page.get_by_text(PROMPT).wait_for()
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for()
    if page.finger:  # the canvas narrows to the phone's screen first
        page.wait_for_function(
            "(canvas) => canvas.getBoundingClientRect().width <= window.innerWidth - 20",
            arg=canvas.element_handle(),
        )
    return canvas


def _toolbar_button(page, name):
    return page.locator(".dc-toolbar").get_by_role("button", name=name, exact=True)


def test_undo_and_clear_are_in_view_under_the_canvas_and_work(visitor, app_url):
    page = visitor
    canvas = _open_draw_page(page, app_url)
    draw_on_canvas(page, 7, finger=page.finger)
    wait_for_predicted_digit(page, 7)
    if not page.finger:
        page.mouse.move(5, 5)  # no hover over the canvas
    for name in ("Undo", "Clear"):
        button = _toolbar_button(page, name)
        assert _in_reach(button), f"{name} is not in view"
        bounds = canvas.bounding_box()
        assert button.bounding_box()["y"] >= bounds["y"] + bounds["height"], f"{name} is not under"

    _press(page, _toolbar_button(page, "Undo"))  # the 7 was one stroke
    page.get_by_text(EMPTY).wait_for()
    draw_on_canvas(page, 1, finger=page.finger)
    wait_for_predicted_digit(page, 1)
    _press(page, _toolbar_button(page, "Clear"))
    page.get_by_text(EMPTY).wait_for()

    # The brush slider is whole after drawing: a press at its right end takes the largest size.
    track = page.get_by_test_id("stSlider").locator("div[data-rac][style*='touch-action']").first
    track.scroll_into_view_if_needed()
    bounds = track.bounding_box()
    end = (bounds["x"] + bounds["width"] - 1, bounds["y"] + bounds["height"] / 2)
    covered = track.evaluate(
        "(track, [x, y]) => !track.contains(document.elementFromPoint(x, y))", list(end)
    )
    assert not covered, "something covers the end of the brush slider"
    if page.finger:
        page.touchscreen.tap(*end)
    else:
        page.mouse.click(*end)
    expect(page.get_by_role("slider")).to_have_value("48")


def test_every_toolbar_button_leaves_the_next_stroke_in_ink(visitor, app_url):
    page = visitor
    canvas = _open_draw_page(page, app_url)
    drawing = page.locator("canvas.dc-canvas.lower-canvas")
    draw_on_canvas(page, 1, box=(0.05, 0.1, 0.1, 0.3), finger=page.finger)
    wait_for_predicted_digit(page, 1)
    buttons = page.locator(".dc-toolbar button")
    names = [
        buttons.nth(index).get_attribute("title")
        for index in range(buttons.count())
        if buttons.nth(index).is_visible()
    ]
    assert names, "the toolbar has no buttons"
    for position, name in enumerate(names):
        button = page.locator(".dc-toolbar").locator(f'button[title="{name}"]')
        if button.is_enabled():
            # Pressed wherever it is, shown or not (a toolbar shown only under the mouse).
            if page.finger:
                button.tap(force=True)
            else:
                canvas.hover()
                button.click(force=True)
        # A short vertical stroke in a column of its own: its middle must be ink.
        x = 0.2 + (0.12 * position) % 0.72
        draw_on_canvas(page, 1, box=(x, 0.55, 0.08, 0.35), finger=page.finger)
        middle = (x + 0.55 * 0.08, 0.55 + 0.5 * 0.35)
        try:
            page.wait_for_function(_INK_AT, arg=[drawing.element_handle(), *middle], timeout=5000)
        except PlaywrightTimeoutError:
            pytest.fail(f"a stroke drawn after pressing {name} left no ink")


def test_all_ten_corrections_are_in_reach_without_scrolling(visitor, app_url):
    page = visitor
    _open_draw_page(page, app_url)
    draw_on_canvas(page, 7, finger=page.finger)
    wait_for_predicted_digit(page, 7)
    page.get_by_text("Is this right?").wait_for()
    row = page.get_by_role("radiogroup", name="No, it is…")
    row.scroll_into_view_if_needed()
    scrolls = row.evaluate("(row) => row.scrollWidth > row.clientWidth + 1")
    assert not scrolls, "the row of digits scrolls sideways"
    for digit in range(10):
        button = row.get_by_role("radio", name=str(digit), exact=True)
        assert _in_reach(button), f"{digit} is out of view or covered"
    _press(page, row.get_by_role("radio", name="9", exact=True))
    page.get_by_text("Corrected: 7 → 9").wait_for()
