"""The reading follows the pen: partial readings while a stroke is drawn, then the reading of
the whole stroke, and no partial one arriving after it."""

from support import wait_for_predicted_digit

PROMPT = "Draw a digit on the canvas"
# The marker of the reading shown ("partial-N" while the pen moves, "final" after).
_READING = "() => document.querySelector('.predicted-digit')?.dataset.reading ?? null"


def _reading(page):
    return page.evaluate(_READING)


def test_the_reading_follows_the_pen_and_the_whole_stroke_is_read_last(page, app_url):
    page.goto(app_url)
    page.get_by_text(PROMPT).wait_for()
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for()
    bounds = canvas.bounding_box()
    x = bounds["x"] + 0.5 * bounds["width"]
    top, height = bounds["y"] + 0.15 * bounds["height"], 0.7 * bounds["height"]
    page.mouse.move(x, top)
    page.mouse.down()
    seen = []
    # The pen goes down a "1" in four parts; after each, the page shows a new partial reading
    # before the pen lifts.
    for part in range(1, 5):
        for step in range(1, 11):
            page.mouse.move(x, top + height * (part - 1 + step / 10) / 4)
        page.wait_for_function(
            f"() => {{ const r = ({_READING})(); return r && r.startsWith('partial-') "
            f"&& !{seen!r}.includes(r); }}"
        )
        seen.append(_reading(page))
    assert page.get_by_text("Is this right?").count() == 0  # no question while drawing
    page.get_by_text("Reading as you draw").first.wait_for()
    page.mouse.up()

    page.wait_for_function(f"() => ({_READING})() === 'final'")
    wait_for_predicted_digit(page, 1)
    page.get_by_text("Is this right?").wait_for()
    page.wait_for_selector('[data-test-script-state="notRunning"]', state="attached")
    assert _reading(page) == "final"  # no partial reading came after the whole one
    numbers = [int(marker.removeprefix("partial-")) for marker in seen]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4, seen
