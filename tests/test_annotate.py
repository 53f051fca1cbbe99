import cv2
import numpy as np
from strokes import draw_digit, draw_number

from ui.annotate import SURE, annotate


def test_a_box_is_drawn_around_each_digit(predictor):
    image = draw_number((4, 7), size=300)  # wider than 1000 px: the copy is shrunk
    reading = predictor.read(image)
    picture = annotate(image, reading, longest_side=500)
    assert picture.shape[1] == 500 and picture.ndim == 3
    scale = 500 / image.shape[1]
    for digit in reading.digits:
        x, y, width, height = (round(value * scale) for value in digit.box)
        bottom_edge = picture[min(y + height, picture.shape[0] - 1), x + width // 2]
        assert tuple(bottom_edge) == SURE
    # Away from the boxes the picture is unchanged (white canvas).
    assert (picture[-3:, :] == 255).all()


def test_a_tiny_picture_is_enlarged_sharply_so_its_box_does_not_cover_it(predictor):
    # A 28x28 MNIST-style file: shown as it was, a box and its label would cover it.
    gray = cv2.resize(draw_digit(7)[:, :, 0], (28, 28), interpolation=cv2.INTER_AREA)
    reading = predictor.read(gray)
    picture = annotate(gray, reading)
    assert picture.shape[:2] == (280, 280)
    # Pixels kept sharp: each source pixel is a 10x10 block of one colour.
    assert np.array_equal(picture[100:110, 100:110, 0], np.full((10, 10), gray[10, 10]))
    assert (picture[-3:, :] == 255).all()  # below the box, the paper unchanged
    x, y, width, height = (10 * value for value in reading.digits[0].box)
    assert tuple(picture[y + height, x + width // 2]) == SURE


def test_a_strip_is_enlarged_by_its_short_side_within_the_longest_side(predictor):
    # A number 12 px tall and 300 wide: its short side sets the factor, its long side caps it.
    strip = np.full((12, 300), 255, np.uint8)
    strip[2:10, 20:22] = 0
    strip[6, 150] = 128
    picture = annotate(strip, predictor.read(strip))
    assert picture.shape[:2] == (36, 900)  # 3x: 4x would pass 1000 px
    # Sharp: the grey pixel is a 3x3 block, with paper beside it.
    assert (picture[18:21, 450:453] == 128).all()
    assert (picture[17, 450:453] == 255).all() and (picture[18:21, 453] == 255).all()
    # A large picture is only shrunk.
    assert annotate(np.full((100, 2000), 255, np.uint8), predictor.read(strip)).shape[:2] == (
        50,
        1000,
    )
