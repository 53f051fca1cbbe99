"""Pictures the way people make them: tight crops, tiny digits, grey paper, a desk around the
sheet, a thick marker, glare, a canvas's frame. Every picture is drawn here; the real sets in
../shared are for measuring only."""

import cv2
import numpy as np
import pytest
from strokes import draw_digit

DIGITS = (0, 2, 3, 4, 5, 7)


def _tight_crop(digit, width=24):
    """A digit drawn dark on white, cropped to its ink: the ink touches all four edges."""
    gray = draw_digit(digit, width=width)[:, :, 0]
    x, y, w, h = cv2.boundingRect((gray < 128).astype(np.uint8))
    return gray[y : y + h, x : x + w]


def _shrunk(gray, height):
    """The picture shrunk (anti-aliased, grey levels kept) to `height` pixels."""
    width = max(1, round(gray.shape[1] * height / gray.shape[0]))
    return cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)


def _on(gray, ink, paper, noise=0.0, seed=0):
    """A dark-on-white drawing repainted in other tones, with sensor noise."""
    coverage = 1.0 - gray.astype(np.float32) / 255.0
    picture = paper + coverage * (ink - paper)
    picture += np.random.default_rng(seed).normal(0.0, noise, picture.shape)
    return np.clip(np.rint(picture), 0, 255).astype(np.uint8)


def _touches_every_edge(gray):
    ink = gray < 128
    return ink[0].any() and ink[-1].any() and ink[:, 0].any() and ink[:, -1].any()


@pytest.mark.parametrize("digit", DIGITS)
@pytest.mark.parametrize("height", [24, 60, 150])
@pytest.mark.parametrize("polarity", ["dark-on-light", "light-on-dark"])
def test_a_tight_crop_touching_every_edge_is_read(predictor, digit, height, polarity):
    picture = _shrunk(_tight_crop(digit), height)
    assert _touches_every_edge(picture)
    if polarity == "light-on-dark":
        picture = 255 - picture
    prediction = predictor.predict(picture)
    assert prediction.digit == digit, prediction.reason


@pytest.mark.parametrize("digit", DIGITS)
@pytest.mark.parametrize("size", [12, 14, 16])
@pytest.mark.parametrize("polarity", ["dark-on-light", "light-on-dark"])
def test_a_tiny_anti_aliased_digit_filling_its_square_is_read(predictor, digit, size, polarity):
    # Like a postal-code digit: size-normalised to fill a small square (ink on every edge),
    # with 1-3 px grey strokes.
    crop = _tight_crop(digit, width=32)
    picture = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    assert _touches_every_edge(picture)
    assert len(np.unique(picture)) > 8  # grey levels, not a binary picture
    if polarity == "light-on-dark":
        picture = 255 - picture
    prediction = predictor.predict(picture)
    assert prediction.digit == digit, prediction.reason


@pytest.mark.parametrize("digit", DIGITS)
@pytest.mark.parametrize("paper", [100, 125])
def test_dark_ink_on_grey_paper_darker_than_mid_grey_is_read(predictor, digit, paper):
    picture = _on(_shrunk(draw_digit(digit)[:, :, 0], 120), ink=40, paper=paper, noise=2.0)
    prediction = predictor.predict(picture)
    assert prediction.digit == digit, prediction.reason


@pytest.mark.parametrize("digit", DIGITS)
def test_writing_on_a_sheet_lying_on_a_dark_desk_is_read(predictor, digit):
    sheet = _on(draw_digit(digit, width=14)[:, :, 0], ink=30, paper=215, noise=2.0)
    photo = np.full((400, 400), 35, np.uint8)
    photo[40:320, 60:340] = sheet[:280, :280]
    photo = cv2.GaussianBlur(photo, (0, 0), 1.0)
    prediction = predictor.predict(photo)
    assert prediction.digit == digit, prediction.reason


@pytest.mark.parametrize("digit", DIGITS)
def test_a_thick_marker_in_a_small_tight_crop_is_read(predictor, digit):
    # Strokes a fifth of the picture wide, like a marker photographed and cut to 28 x 28.
    picture = cv2.resize(_tight_crop(digit, width=55), (28, 28), interpolation=cv2.INTER_AREA)
    prediction = predictor.predict(picture)
    assert prediction.digit == digit, prediction.reason


@pytest.mark.parametrize("digit", DIGITS)
def test_glare_on_grey_paper_is_not_ink(predictor, digit):
    photo = _on(draw_digit(digit, canvas_size=400, width=12)[:, :, 0], ink=35, paper=118)
    glare = np.zeros(photo.shape, np.float32)
    cv2.ellipse(glare, (330, 60), (140, 90), 30, 0, 360, 1.0, -1)  # reaching the border
    glare = cv2.GaussianBlur(glare, (0, 0), 25)
    photo = np.clip(photo + glare * 140, 0, 255).astype(np.uint8)
    prediction = predictor.predict(photo)
    assert prediction.digit == digit, prediction.reason


@pytest.mark.parametrize("digit", DIGITS)
def test_a_screenshots_frame_around_the_canvas_is_not_ink(predictor, digit):
    canvas = 255 - draw_digit(digit, canvas_size=440, width=30)[:, :, 0]  # white on black
    screenshot = np.full((480, 456), 30, np.uint8)
    screenshot[20:460, 8:448] = canvas
    cv2.rectangle(screenshot, (6, 18), (449, 461), 140, 2)  # the canvas's grey border
    prediction = predictor.predict(screenshot)
    assert prediction.digit == digit, prediction.reason


def test_a_ruled_line_under_a_tight_crops_digit_is_the_digits_own_stroke(predictor):
    # The foot of a 2 runs from edge to edge of a tight crop, like a ruled line: it stays.
    picture = _shrunk(_tight_crop(2), 120)
    prediction = predictor.predict(picture)
    assert prediction.digit == 2 and prediction.image28[22:].max() > 200


@pytest.mark.parametrize("aspect", [1.5, 2.0, 2.5])
def test_a_wide_flat_zero_is_read_as_one_digit(predictor, aspect):
    picture = np.full((200, int(140 * aspect) + 60), 255, np.uint8)
    centre = (picture.shape[1] // 2, 100)
    cv2.ellipse(picture, centre, (int(70 * aspect), 70), 0, 0, 360, 0, 16, cv2.LINE_AA)
    assert predictor.read(picture).text == "0"


@pytest.mark.parametrize("digit", [3, 5])
@pytest.mark.parametrize("polarity", ["dark-on-light", "light-on-dark"])
def test_a_marker_digit_filling_a_postal_square_is_not_blank(predictor, digit, polarity):
    # Strokes a quarter of the picture wide, the picture 16 px: the "paper" under Otsu's split
    # is the strokes' graded edges, so the noise floor used to exceed the ink itself.
    picture = cv2.resize(_tight_crop(digit, width=70), (16, 16), interpolation=cv2.INTER_AREA)
    if polarity == "light-on-dark":
        picture = 255 - picture
    prediction = predictor.predict(picture)
    assert prediction.digit == digit, prediction.reason


def test_a_fat_ring_in_a_tight_crop_is_a_zero_not_a_dot(predictor):
    ring = np.full((64, 64), 255, np.uint8)
    cv2.ellipse(ring, (32, 32), (20, 20), 0, 0, 360, 0, 24)  # the hole a quarter as wide
    prediction = predictor.predict(cv2.resize(ring, (16, 16), interpolation=cv2.INTER_AREA))
    assert prediction.digit == 0, prediction.reason


def test_a_tight_crops_border_is_even_paper_where_strokes_cross_it_not_shading():
    from model.inference.ink import _paper, _working_gray

    def even(picture):
        return bool(_paper(_working_gray(picture.astype(np.float32)))[2])

    crop = _shrunk(_tight_crop(3), 40)  # its strokes cross each edge for less than half of it
    assert _touches_every_edge(crop) and even(crop) and even(255 - crop)
    assert not even(_shrunk(_tight_crop(7), 40))  # the 7's bar runs along the top: unsure
    shaded = np.clip(crop + np.linspace(-60, 0, crop.shape[1])[None], 0, 255).astype(np.uint8)
    assert not even(shaded)  # a lighting gradient along the border
    on_desk = crop.copy()
    on_desk[:, : crop.shape[1] // 5] = 30  # a dark desk along one whole side
    assert not even(on_desk)


def test_a_decimal_point_with_a_pinhole_is_still_a_dot_in_a_number(predictor):
    # A marker dot with a small hole: its loop does not make it a digit beside digits 7x taller.
    number = np.full((200, 500, 4), 255, np.uint8)
    number[:, :200], number[:, 300:] = draw_digit(3, 200, width=14), draw_digit(5, 200, width=14)
    cv2.circle(number, (250, 160), 14, (0, 0, 0, 255), -1)
    cv2.circle(number, (250, 160), 3, (255, 255, 255, 255), -1)
    assert predictor.read(number).text == "35"


def _block_counts(bitmap):
    """An 8x8 picture the way the UCI digits were made: a 32x32 bitmap's inked pixels counted
    in 4x4 blocks (0-16), scaled to 0-255, white on black."""
    counts = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3))
    return np.rint(counts * (255 / 16)).astype(np.uint8)


def test_a_tiny_pictures_stroke_along_an_edge_is_ink_not_shading():
    from model.inference.ink import _paper, _working_gray

    def even(picture, factor=8):  # 8x8 is enlarged 8 times to the working size
        return bool(_paper(_working_gray(picture.astype(np.float32)), factor)[2])

    ring = np.zeros((32, 32), np.uint8)
    cv2.ellipse(ring, (16, 15), (7, 13), 0, 0, 360, 1, 8)  # a fat 0 touching top and bottom
    zero = _block_counts(ring)
    assert 2 * np.count_nonzero(zero[0]) > 8  # its top runs along more than half the edge
    assert not even(zero, factor=1)  # in a picture of working size: unsure
    assert even(zero) and even(255 - zero)
    zero[1, 7] = 30  # a faint end on the right edge, beside clear ink one pixel in
    assert even(zero) and not even(zero, factor=1)
    shaded = np.clip(zero + np.linspace(0, 60, 8)[None], 0, 255).astype(np.uint8)
    assert not even(shaded)  # a gradient along the border holds no ink
    on_desk = zero.copy()
    on_desk[:, 0] = 200  # a light desk along one whole side
    assert not even(on_desk)


def test_strips_are_enlarged_by_their_short_side_within_the_working_size():
    from model.inference.ink import MIN_WORKING_SIZE, WORKING_SIZE, _working_gray

    assert _working_gray(np.zeros((12, 40), np.uint8)).shape == (72, 240)  # 6x: 12 -> 72
    assert _working_gray(np.zeros((8, 8), np.uint8)).shape == (64, 64)
    assert _working_gray(np.zeros((30, 600), np.uint8)).shape == (30, 600)  # 2x: over 1000
    assert _working_gray(np.zeros((MIN_WORKING_SIZE, 90), np.uint8)).shape == (64, 90)
    assert max(_working_gray(np.zeros((20, 400), np.uint8)).shape) <= WORKING_SIZE
