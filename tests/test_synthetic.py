import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps
from strokes import STROKES

from model.data.synthetic import (
    LUMA,
    canvas_digit,
    number_image,
    photo,
    photo_pixels,
    pixel_art,
    realistic_sets,
    skeleton,
)

LABELS = sorted(STROKES)


def _digit28(label):
    """An MNIST-like digit: the pen strokes of `label` in the 20x20 box, white on black."""
    image = np.zeros((28, 28), dtype=np.uint8)
    for stroke in STROKES[label]:
        points = np.round((4 + np.array(stroke) * 20) * 16).astype(np.int32)
        cv2.polylines(image, [points], False, 255, thickness=2, lineType=cv2.LINE_AA, shift=4)
    return image


def _rng(seed=0):
    return np.random.default_rng(seed)


def _box(mask):
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    return columns[0], rows[0], columns[-1] - columns[0] + 1, rows[-1] - rows[0] + 1


def _pen_width(mask):
    """Average stroke width: 2 x area / perimeter."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    return 2.0 * mask.sum() / sum(cv2.arcLength(contour, True) for contour in contours)


def _no_square_blocks(thin):
    return not (thin[:-1, :-1] & thin[1:, :-1] & thin[:-1, 1:] & thin[1:, 1:]).any()


def _components(mask, connectivity):
    return cv2.connectedComponents(mask.astype(np.uint8), connectivity=connectivity)[0] - 1


def test_skeleton_of_a_thick_line_is_one_pixel_wide():
    mask = np.zeros((60, 200), dtype=np.uint8)
    cv2.line(mask, (20, 30), (180, 30), 1, thickness=15)
    thin = skeleton(mask)
    assert thin.sum(axis=0).max() == 1  # one pixel per column
    assert 150 <= thin.sum() <= 165  # about the line's length, not its area
    assert _components(thin, 8) == 1
    assert np.abs(np.flatnonzero(thin.any(axis=1)) - 30).max() <= 1  # the centre line


def test_skeleton_of_a_ring_stays_a_thin_closed_loop():
    mask = np.zeros((100, 100), dtype=np.uint8)
    cv2.circle(mask, (50, 50), 30, 1, thickness=12)
    thin = skeleton(mask)
    assert _no_square_blocks(thin)
    assert _components(thin, 8) == 1
    assert _components(~thin, 4) == 2  # the outside and the hole
    radius = np.hypot(*(np.argwhere(thin) - 50).T)
    assert np.abs(radius - 30).max() <= 2
    # Every pixel of a loop has exactly two neighbours: no spurs, no doubled pixels.
    neighbours = cv2.filter2D(thin.astype(np.uint8), -1, np.ones((3, 3)), borderType=0) - 1
    assert (neighbours[thin] == 2).all()


def test_skeleton_of_nothing_is_nothing():
    assert not skeleton(np.zeros((10, 10))).any()
    with pytest.raises(ValueError):
        skeleton(np.zeros((4, 4, 3)))


@pytest.mark.parametrize("brush", [2, 12, 36])
def test_canvas_digit_draws_with_the_given_pen_and_size(brush):
    options = {"canvas_size": (1000, 600), "height_fraction": 0.5, "style": "white"}
    image = canvas_digit(_digit28(7), _rng(), brush=brush, **options)
    assert image.shape == (600, 1000, 4) and image.dtype == np.uint8
    assert (image[:, :, 3] == 255).all()
    ink = image[:, :, 0] < 128
    assert abs(_box(ink)[3] - 300) <= 3
    assert _pen_width(ink) == pytest.approx(brush, rel=0.1, abs=0.75)


def test_canvas_digit_backgrounds():
    digit = _digit28(2)
    options = {"canvas_size": 280, "height_fraction": 0.6, "brush": 14}

    transparent = canvas_digit(digit, _rng(), style="transparent", **options)
    assert transparent.shape == (280, 280, 4)
    assert not transparent[:, :, :3].any()  # the ink is only in alpha
    assert transparent[:, :, 3].max() == 255 and (transparent[:, :, 3] == 0).mean() > 0.7

    black = canvas_digit(digit, _rng(), style="black", **options)
    assert black.shape == (280, 280, 3) and black.max() == 255 and (black == 0).mean() > 0.7
    # The same random draws give the same drawing in every style.
    np.testing.assert_array_equal(black[:, :, 0], transparent[:, :, 3])

    gray = canvas_digit(digit, _rng(), style="gray", **options)
    assert gray.shape == (280, 280)
    assert np.ptp(gray) >= 140

    colour = canvas_digit(digit, _rng(), style="colour", **options)
    brightness = colour @ LUMA
    ink = transparent[:, :, 3] == 255
    assert brightness[~ink & (transparent[:, :, 3] == 0)].min() - brightness[ink].max() >= 89

    with pytest.raises(ValueError, match="style"):
        canvas_digit(digit, _rng(), style="neon", **options)


def test_canvas_digit_defaults_stay_in_range():
    for seed in range(25):
        image = canvas_digit(_digit28(seed % 2 * 3), _rng(seed))
        height, width = image.shape[:2]
        assert width in (200, 280, 400, 600, 1000) and 0.5 * width <= height <= 1.5 * width
        gray = image[:, :, 3] if image.ndim == 3 and not image[:, :, :3].any() else image
        gray = gray.reshape(height, width, -1).mean(axis=2)
        background = np.median(gray)
        _, _, _, ink_height = _box(np.abs(gray - background) > 40)
        assert 0.2 * height <= ink_height <= 0.92 * height


def test_pixel_art_is_small_and_two_coloured():
    shapes = set()
    for seed in range(40):
        image = pixel_art(_digit28(LABELS[seed % len(LABELS)]), _rng(seed))
        height, width = image.shape[:2]
        assert 16 <= height <= 40 and 16 <= width <= 48
        pixels = image.reshape(height * width, -1)
        colours = np.unique(pixels, axis=0)
        assert len(colours) == 2, colours
        counts = [(pixels == colour).all(axis=1).mean() for colour in colours]
        assert 0.015 <= min(counts) <= 0.5  # some ink, and more background than ink
        if image.ndim == 3 and image.shape[2] == 4:
            assert set(np.unique(image[:, :, 3])) == {0, 255}
        shapes.add(image.shape)
    assert len(shapes) >= 6  # sizes and formats vary


def test_pixel_art_size_override():
    image = pixel_art(_digit28(4), _rng(), size=(24, 32), height_fraction=0.9)
    assert image.shape[:2] == (32, 24)


def _decode(jpeg, transpose=True):
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    return np.asarray((ImageOps.exif_transpose(image) if transpose else image).convert("L"))


def test_photo_is_a_jpeg_with_the_ink_where_it_was_drawn():
    image, ink = photo_pixels(_digit28(3), _rng(), long_side=600)
    decoded = _decode(photo(_digit28(3), _rng(), long_side=600, orientation=1))
    assert decoded.shape == image.shape[:2] and max(decoded.shape) == 600
    assert np.abs(decoded.astype(int) - image @ LUMA).mean() < 4  # only JPEG loss
    assert decoded[ink].mean() < decoded[~ink].mean() - 60


TURNS = {3: 2, 6: 1, 8: -1}  # np.rot90's quarter turns, counter-clockwise


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_photo_exif_orientation_round_trip(orientation):
    upright = _decode(photo(_digit28(7), _rng(5), long_side=600, orientation=1))
    stored = _decode(photo(_digit28(7), _rng(5), long_side=600, orientation=orientation), False)
    turned = _decode(photo(_digit28(7), _rng(5), long_side=600, orientation=orientation))
    # The pixels are stored turned, as a camera does...
    assert np.abs(stored.astype(int) - np.rot90(upright, TURNS[orientation])).mean() < 3
    # ...and the EXIF tag turns them back.
    assert turned.shape == upright.shape
    assert np.abs(turned.astype(int) - upright).mean() < 3


def test_photo_ink_is_darker_than_the_paper_around_it():
    for seed in range(6):
        image, ink = photo_pixels(_digit28(seed % 4), _rng(seed), long_side=600)
        gray = np.round(image @ LUMA).astype(np.uint8)
        paper_nearby = cv2.medianBlur(gray, 61)
        core = cv2.erode(ink.astype(np.uint8), np.ones((3, 3))).astype(bool)
        darker = gray[core].astype(int) <= paper_nearby[core].astype(int) - 25
        assert darker.mean() >= 0.95, seed
        _, _, _, ink_height = _box(ink)
        assert 0.12 * image.shape[0] <= ink_height <= 0.55 * image.shape[0]


def test_number_image_boxes_are_left_to_right_and_apart():
    digits = [_digit28(label) for label in (1, 1, 7, 0, 4)]
    for seed in range(5):
        image, boxes = number_image(digits, _rng(seed))
        height, width = image.shape[:2]
        assert image.shape[2] == 4 and (image[:, :, 3] == 255).all()
        assert 300 <= height <= 400 and len(boxes) == len(digits)
        ink = image[:, :, 0] < 255
        inside = np.zeros_like(ink)
        for (x, y, w, h), (next_x, *_) in zip(boxes, boxes[1:] + [(width, 0, 0, 0)], strict=True):
            assert x >= 0 and y >= 0 and y + h <= height
            assert x + w < next_x  # a gap: no touching, no overlap
            assert _box(ink[y : y + h, x : x + w]) == (0, 0, w, h)  # the box is tight
            inside[y : y + h, x : x + w] = True
        assert not ink[~inside].any()
        heights = [h for *_, h in boxes]
        assert max(heights) <= 1.4 * min(heights)


def test_number_image_needs_digits():
    with pytest.raises(ValueError):
        number_image([], _rng())


def _small_set(seed):
    labels = np.array([0, 1, 2, 3, 4, 5, 7])
    images = np.stack([_digit28(label) for label in labels])
    return realistic_sets(images, labels, count=2, seed=seed), labels


def _same(first, second):
    if isinstance(first, bytes):
        return first == second
    return first.shape == second.shape and np.array_equal(first, second)


def test_realistic_sets_are_deterministic_and_complete():
    sets, labels = _small_set(seed=3)
    again, _ = _small_set(seed=3)
    other, _ = _small_set(seed=4)
    assert list(sets) == ["canvas", "pixel_art", "photo", "numbers"]
    for name, items in sets.items():
        assert len(items) == 2
        for (image, text), (image_again, text_again) in zip(items, again[name], strict=True):
            assert text == text_again and _same(image, image_again)
        assert not all(_same(a, b) for (a, _), (b, _) in zip(items, other[name], strict=True))
    assert [text for _, text in sets["canvas"]] == ["0", "1"]
    assert all(isinstance(image, bytes) for image, _ in sets["photo"])
    allowed = set("".join(str(label) for label in labels))
    for image, text in sets["numbers"]:
        assert 3 <= len(text) <= 5 and set(text) <= allowed and text[0] != "0"
        assert image.ndim == 3 and image.shape[2] == 4


def test_realistic_sets_checks_its_input():
    with pytest.raises(ValueError, match="labels"):
        realistic_sets(np.zeros((3, 28, 28), np.uint8), np.zeros(2), count=1)
    with pytest.raises(ValueError, match="unknown"):
        realistic_sets(np.zeros((1, 28, 28), np.uint8), np.zeros(1), count=1, names=["x"])
    with pytest.raises(ValueError, match="ink"):
        canvas_digit(np.zeros((28, 28), np.uint8), _rng())
