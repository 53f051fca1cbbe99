"""The draw page's canvas size: as wide as wanted, narrower where the page has less room."""

from ui.widgets.canvas import MIN_WIDTH, canvas_size


def test_the_canvas_is_full_size_until_the_page_says_otherwise():
    assert canvas_size(None, 460, 360 / 460) == (460, 360)
    assert canvas_size(1200, 460, 360 / 460) == (460, 360)


def test_a_phone_gets_a_canvas_as_wide_as_its_screen_with_the_same_shape():
    width, height = canvas_size(358, 460, 360 / 460)
    assert width == 358 and height == round(358 * 360 / 460)


def test_the_canvas_never_shrinks_below_a_usable_width():
    assert canvas_size(120, 460, 360 / 460)[0] == MIN_WIDTH
