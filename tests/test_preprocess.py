import numpy as np
import pytest
from strokes import draw_digit

from model.inference.ink import find_ink
from model.inference.preprocess import source_box, to_mnist
from model.inference.segment import stroke_width


def _bbox(image28):
    rows = np.flatnonzero(image28.max(axis=1) > 0)
    cols = np.flatnonzero(image28.max(axis=0) > 0)
    return rows[0], rows[-1], cols[0], cols[-1]


def _center_of_mass(image28):
    rows, cols = np.indices(image28.shape)
    total = image28.sum()
    return (rows * image28).sum() / total, (cols * image28).sum() / total


def test_output_is_mnist_format():
    image28, reason = to_mnist(draw_digit(3))
    assert reason is None
    assert image28.shape == (28, 28) and image28.dtype == np.uint8
    assert image28.max() == 255 and image28[0].max() == 0  # white on black, black border
    top, bottom, left, right = _bbox(image28)
    assert max(bottom - top + 1, right - left + 1) in (19, 20, 21)  # fitted into the 20x20 box
    center_y, center_x = _center_of_mass(image28)
    assert abs(center_y - 13.5) <= 1.0 and abs(center_x - 13.5) <= 1.0


def test_polarity_is_read_from_the_image():
    dark_on_light = to_mnist(draw_digit(5))[0]
    light_on_dark = to_mnist(draw_digit(5, ink=(255, 255, 255, 255), background=(0, 0, 0, 255)))[0]
    np.testing.assert_array_equal(dark_on_light, light_on_dark)


def test_ink_only_in_alpha_reads_like_ink_in_colour():
    opaque = to_mnist(draw_digit(2))[0]
    # A transparent canvas whose strokes are black with alpha: RGB is zero everywhere.
    alpha_only = to_mnist(draw_digit(2, ink=(0, 0, 0, 255), background=(0, 0, 0, 0)))[0]
    white_alpha = to_mnist(draw_digit(2, ink=(255, 255, 255, 255), background=(255, 255, 255, 0)))[
        0
    ]
    assert np.abs(opaque.astype(int) - alpha_only).max() <= 2
    assert np.abs(opaque.astype(int) - white_alpha).max() <= 2


def test_position_and_size_on_the_canvas_do_not_matter():
    center = to_mnist(draw_digit(7))[0].astype(int)
    corner_small = to_mnist(draw_digit(7, box=(0.7, 0.72, 0.15, 0.18), width=5))[0].astype(int)
    assert np.abs(center - corner_small).mean() < 15  # same digit, resampled differently


def test_thin_pen_on_a_big_canvas_does_not_vanish():
    image28 = to_mnist(draw_digit(4, canvas_size=1000, width=3))[0]
    width = stroke_width(image28 > 127)
    assert 1.4 <= width <= 3.5  # MNIST's median stroke is 2.25 px


@pytest.mark.parametrize("digit", [0, 3, 4])
def test_big_thin_strokes_thickened_at_reduced_size_look_as_at_full_size(digit, monkeypatch):
    from model.inference import preprocess

    picture = draw_digit(digit, canvas_size=1000, width=3)
    reduced = to_mnist(picture)[0].astype(int)
    monkeypatch.setattr(preprocess, "THICKEN_SIZE", 10**6)
    full = to_mnist(picture)[0].astype(int)
    assert np.abs(reduced - full).mean() < 2.5 and np.abs(reduced - full).max() < 40
    assert abs(stroke_width(reduced > 127) - stroke_width(full > 127)) < 0.1


def test_long_stroke_stays_inside():
    # A 1 drawn as a long slanted stroke: its mass is at one end, the cap keeps it whole.
    canvas = np.full((300, 300), 255, dtype=np.uint8)
    canvas[20:280, 140:160] = 0
    canvas[20:40, 100:160] = 0
    image28 = to_mnist(canvas)[0]
    top, bottom, left, right = _bbox(image28)
    assert top >= 0 and bottom <= 27 and bottom - top + 1 >= 19


@pytest.mark.parametrize(
    "image",
    [
        np.full((280, 280, 4), 255, dtype=np.uint8),
        np.zeros((280, 280, 4), dtype=np.uint8),
        np.zeros((50, 50), dtype=np.uint8),
        np.full((10, 10, 3), 128, dtype=np.uint8),
    ],
    ids=["white-canvas", "transparent-canvas", "black", "grey"],
)
def test_blank_images_have_no_digit(image):
    image28, reason = to_mnist(image)
    assert image28 is None and "blank" in reason


def test_ink_map_ignores_faint_background_noise():
    rng = np.random.default_rng(0)
    gray = np.clip(230 + rng.normal(0, 4, (100, 100)), 0, 255).astype(np.uint8)
    gray[30:70, 45:55] = 20
    ink = find_ink(gray)
    assert ink.contrast > 180
    assert ink.values[:20].max() == 0 and ink.values[40, 50] == 1.0


def test_ruled_lines_and_shadows_are_ignored(predictor):
    import cv2

    from model.inference.ink import find_ink

    page = draw_digit(7, canvas_size=400, ink=(40, 40, 120, 255))
    for y in (50, 150, 250, 350):
        cv2.line(page, (0, y), (399, y + 8), (200, 150, 110, 255), 3)  # slightly slanted ruling
    shade = np.linspace(1.0, 0.55, 400)[None, :, None]  # light falling off to the right
    page[:, :, :3] = (page[:, :, :3] * shade).astype(np.uint8)
    ink = find_ink(page)
    assert ink.values[45:62, :60].max() == 0  # the ruling left of the digit is gone
    assert ink.values[80:130, 340:].max() == 0  # the shadowed paper between lines is not ink
    assert predictor.predict(page).digit == 7


def test_a_two_pixel_wide_stroke_is_centred_by_its_mass():
    from model.inference.preprocess import place_by_center_of_mass

    patch = np.zeros((20, 2), dtype=np.float32)
    patch[:, :] = 1.0
    placed = place_by_center_of_mass(patch)
    rows = np.flatnonzero(placed.any(axis=1))
    cols = np.flatnonzero(placed.any(axis=0))
    assert (rows[0], rows[-1]) == (4, 23) and (cols[0], cols[-1]) == (13, 14)


def test_a_box_in_source_pixels_covers_what_it_touches_within_the_picture():
    # A one-pixel-wide line enlarged 4x: its box is one source pixel wide, never zero.
    assert source_box((9, 0, 2, 400), 4.0, (500, 3)) == (2, 0, 1, 100)
    # Corners between source pixels round outwards; a box never leaves the picture.
    assert source_box((1, 1, 2, 2), 4.0, (10, 10)) == (0, 0, 1, 1)
    assert source_box((5, 5, 10, 10), 0.5, (12, 12)) == (10, 10, 2, 2)
    assert source_box((38, 0, 8, 8), 4.0, (5, 10)) == (9, 0, 1, 2)


def test_a_tiny_scans_faint_stroke_edges_stay_ink():
    # A 16-px scan: a 2-px stroke with a grey edge at 8% of its ink (under INK_FLOOR), enlarged
    # 4x to be worked on. The edge is the stroke's, not background: it stays ink.
    picture = np.zeros((16, 16), np.uint8)
    picture[2:14, 7:9] = 255
    picture[2:14, 6] = picture[2:14, 9] = 20
    ink = find_ink(picture)
    assert ink.values[20:40, 24:26].min() > 0  # working columns of source column 6
    assert ink.enlarged == 4


def test_a_tiny_scans_grey_edges_thicken_its_mnist_digit():
    import cv2

    # A 0 of 1-px strokes with a 1-px grey edge (24% of the ink: below the strokes' level),
    # as area interpolation makes a small scan: the edges reach the 28x28 image.
    bare = np.zeros((16, 16), np.uint8)
    cv2.ellipse(bare, (8, 8), (5, 6), 0, 0, 360, 255, 1)
    edged = np.maximum(bare, (cv2.dilate(bare, np.ones((3, 3), np.uint8)) > 0) * np.uint8(60))
    with_edges, without = (to_mnist(p)[0].astype(float) for p in (edged, bare))
    assert with_edges.sum() > 1.05 * without.sum()
    assert np.count_nonzero(with_edges) > 1.2 * np.count_nonzero(without)


def test_strokes_take_in_the_faint_ink_within_their_reach():
    from model.inference.segment import components

    ink = np.zeros((40, 40), np.float32)
    ink[5:35, 10:14] = 1.0  # a stroke...
    ink[5:35, 14:16] = 0.2  # ...its faint edge, 2 px
    ink[5:35, 20] = 0.2  # faint ink 6 px away: not the stroke's
    ink[2, 30] = 1.0  # a speck...
    ink[3, 30] = 0.2  # ...whose faint edge stays unlabelled with it
    label_image, kept = components(ink, reach=2)
    assert [row[0] for row in kept] == [label_image[20, 12]]
    assert (label_image[5:35, 14:16] == label_image[20, 12]).all()
    assert label_image[5:35, 20].max() == 0 and label_image[3, 30] == 0
    assert kept[0][1:5] == (10, 5, 6, 30)  # the box holds the edge; the area is the stroke's
    assert kept[0][5] == 4 * 30
    plain, plain_kept = components(ink)
    assert plain[5:35, 14:16].max() == 0 and plain_kept[0][1:5] == (10, 5, 4, 30)
    ink[2:4, 30] = 0.0  # one stroke alone (a quicker path): the same
    label_image, kept = components(ink, reach=2)
    assert (label_image[5:35, 14:16] == 1).all() and kept == [(1, 10, 5, 6, 30, 4 * 30)]
