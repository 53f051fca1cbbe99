"""The pen-written digits: reading the UNIPEN-style file, whole writers held out, drawing them."""

import numpy as np
import pytest

from model.data import pendigits
from model.data.named_styles import styled_ink, styled_strokes
from model.training.pen_digits import pen_pictures

SAMPLE = """.INCLUDE dene.doc
.SEGMENT DIGIT    0 ? "7"
.COMMENT 7 3  12
.PEN_DOWN
 100  400
 300  400
 150  100
.PEN_UP
.DT 100
.PEN_DOWN
 120  250
 260  250
.PEN_UP
.SEGMENT DIGIT    1 ? "1"
.COMMENT 1 4  13
.PEN_DOWN
 200  400
 200  100
.PEN_UP
"""


def test_the_file_format_is_read_with_y_turned_down():
    seven, one = pendigits.parse(SAMPLE)
    assert (seven.label, seven.writer, len(seven.strokes)) == (7, 3, 2)
    assert (one.label, one.writer, len(one.strokes)) == (1, 4, 1)
    # The tablet's y grows upwards: the 7's bar (y 400) is at the top of the picture.
    assert seven.strokes[0][0, 1] < seven.strokes[0][2, 1]


def test_a_digit_without_strokes_is_refused():
    with pytest.raises(pendigits.PendigitsFormatError):
        pendigits.parse('.SEGMENT DIGIT 0 ? "3"\n.COMMENT 3 1 1\n')


def test_writers_are_held_out_whole():
    training, validation, test = (
        set(pendigits.TRAINING_WRITERS),
        set(pendigits.VALIDATION_WRITERS),
        set(pendigits.TEST_WRITERS),
    )
    assert not training & validation and not training & test and not validation & test
    assert len(test) >= 6 and training | validation | test == set(range(1, 31))


def test_the_real_file_has_30_writers(pendigits_dir):
    digits = pendigits.load_pendigits(pendigits_dir)
    assert len(digits) == 7494
    assert pendigits.writers_in(digits) == list(range(1, 31))
    held_out = pendigits.load_pendigits(pendigits_dir, pendigits.TEST_WRITERS)
    assert pendigits.writers_in(held_out) == list(pendigits.TEST_WRITERS)


def test_a_digit_is_drawn_with_a_round_pen_of_the_given_width():
    seven = pendigits.parse(SAMPLE)[0]
    bar = [np.array([[10, 20], [60, 20]], np.float32)]
    coverage = pendigits.draw(bar, (40, 80), pen=8)
    # Across the stroke, the ink is the pen's width; round ends reach half of it beyond.
    assert coverage[:, 35].sum() == pytest.approx(8, abs=0.5)
    assert coverage[20, 7] == 1 and coverage[20, 5] == 0
    picture = pendigits.canvas_picture(seven.strokes, np.random.default_rng(0))
    assert picture.shape == (280, 280, 4) and picture[..., 3].min() == 255
    assert picture[..., 0].min() == 0 and picture[..., 0].max() == 255


def test_pen_pictures_are_mnist_format():
    digits = pendigits.parse(SAMPLE)
    images, labels = pen_pictures(digits, np.random.default_rng(1), named_share=1.0)
    assert images.shape == (2, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == [7, 1]
    assert images.max() > 200 and images[:, :2].max() == 0  # ink inside MNIST's margin


def test_named_styles_add_ink_to_the_digits_that_have_one():
    rng = np.random.default_rng(2)
    ink = np.zeros((84, 84), np.float32)
    ink[10:74, 40:46] = 1.0  # a plain 1
    flagged = styled_ink(ink, 1, rng)
    assert flagged.sum() > ink.sum() * 1.2
    assert flagged[:, :38].max() > 0.5  # the flag reaches left of the stem
    assert styled_ink(ink, 3, rng) is None
    seven = pendigits.parse(SAMPLE)[0]
    crossed = styled_strokes(seven.strokes, 7, rng)
    assert len(crossed) == len(seven.strokes) + 1


def test_a_zero_may_be_written_as_a_spiral_its_pen_running_on_inside_the_loop():
    # Issue 25: a writer's 0s with the pen leading in from inside the loop were read as "10".
    angles = np.linspace(0, 2 * np.pi, 60)
    loop = np.stack([50 + 30 * np.sin(angles), 50 - 45 * np.cos(angles)], axis=1)
    zero = [loop.astype(np.float32)]
    centre, half = np.array([50.0, 50.0]), np.array([30.0, 45.0])
    rng = np.random.default_rng(0)
    depths = []
    for _ in range(60):
        styled = styled_strokes(zero, 0, rng, spiral_share=0.2)
        if len(styled) == 1 and len(styled[0]) > len(loop):  # the pen ran on or led in
            added = styled[0][len(loop) :] if np.allclose(styled[0][:60], loop) else styled[0]
            depths.append(np.min(np.hypot(*((added - centre) / half).T)))
    assert min(depths) < 0.6  # some curl well inside the loop...
    assert max(depths) > 0.85  # ...others overlap its outline, as before
    plain = np.random.default_rng(0)
    for _ in range(60):  # without a spiral share, no 0 curls inside (the digit networks' data)
        styled = styled_strokes(zero, 0, plain)
        if len(styled) == 1 and len(styled[0]) > len(loop):
            assert np.min(np.hypot(*((styled[0][60:] - centre) / half).T)) > 0.8
