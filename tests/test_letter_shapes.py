"""Letters laid out as no digit is written are unsure from their strokes; digits never are."""

import itertools

import numpy as np
import pytest

from bench.letters import LETTERS, SLANTS, letter_strokes
from model.data import pendigits
from model.inference.letter_shapes import (
    bar_with_stem,
    letter_shape,
    open_cup,
    side_by_side_uprights,
    spine_with_arms,
)

# Letters of the list the rules are for; bench.letters measures the rest.
T = [[(0.0, 0.0), (1.0, 0.0)], [(0.5, 0.0), (0.5, 1.0)]]
U = [[(0.05, 0.0), (0.05, 0.7), (0.3, 1.0), (0.7, 1.0), (0.95, 0.7), (0.95, 0.0)]]
D = [[(0.1, 0.0), (0.1, 1.0)], [(0.1, 0.0), (0.55, 0.0), (0.9, 0.25), (0.9, 0.75), (0.1, 1.0)]]
SEVEN = [[(0.0, 0.0), (1.0, 0.0), (0.4, 1.0)]]
FOUR = [[(0.1, 0.0), (0.0, 0.6), (1.0, 0.6)], [(0.7, 0.0), (0.7, 1.0)]]
ONE = [[(0.2, 0.25), (0.5, 0.0), (0.5, 1.0)], [(0.2, 1.0), (0.8, 1.0)]]


def _placed(shape, slant=0.0, size=200.0):
    return [
        np.asarray([(60 + (x * 0.8 + slant * (1 - y)) * size, 40 + y * size) for x, y in stroke])
        for stroke in shape
    ]


@pytest.mark.parametrize("slant", SLANTS)
def test_each_rule_finds_its_letters(slant):
    def placed(letter):
        return _placed(LETTERS[letter], slant)

    assert side_by_side_uprights(placed("H"))
    assert all(spine_with_arms(placed(letter)) for letter in "BEFLR")
    assert spine_with_arms(_placed(D, slant))
    assert bar_with_stem(_placed(T, slant))
    assert open_cup(_placed(U, slant))
    for digit in (SEVEN, FOUR, ONE):
        assert letter_shape(_placed(digit, slant)) is None


def test_sparse_and_dense_strokes_read_alike():
    # The canvas sends many points a stroke; the same letter as corners only is the same shape.
    dense = [
        np.concatenate([np.linspace(a, b, 40) for a, b in itertools.pairwise(stroke)])
        for stroke in _placed(LETTERS["E"])
    ]
    assert spine_with_arms(dense) and spine_with_arms(_placed(LETTERS["E"]))


def test_digits_people_write_are_never_letters(pendigits_dir):
    written = pendigits.load_pendigits(pendigits_dir, pendigits.TRAINING_WRITERS)
    called = [d.label for d in written if letter_shape([np.asarray(s) for s in d.strokes])]
    assert len(written) > 4000 and not called, called


def test_letters_from_strokes_say_why(predictor):
    for letter in "BEF":
        reading = predictor.read_strokes(letter_strokes(letter), 18)
        assert reading.uncertain and "no digit is written so" in reading.reason, letter
    # A thick pen's H was grouped as its left upright (1) and the rest, read as a sure 4.
    reading = predictor.read_strokes(letter_strokes("H", height=0.5), 28)
    assert reading.uncertain and "no digit is written so" in reading.reason, reading.text
    for shape in (T, U):
        strokes = [list(map(tuple, stroke)) for stroke in _placed(shape)]
        assert "no digit is written so" in predictor.read_strokes(strokes, 18).reason


def test_a_zigzag_of_many_points_is_looked_at_in_few():
    # 40,000 points back and forth across the canvas: 10 million evenly spaced points
    # (160 MB) before the outline was capped.
    from model.inference.letter_shapes import OUTLINE_POINTS, _Shape

    zigzag = np.array([[10.0 + 250.0 * (i % 2), 100.0 + i % 7] for i in range(40_000)])
    assert len(_Shape([zigzag]).points) <= OUTLINE_POINTS + 1


def test_a_loosely_written_t_is_not_read_from_its_drawing_as_a_1(predictor):
    # An unsure reading from strokes is read again from their drawing, which can hold no
    # ruled paper: the ruled-line search took a T's bar for a ruled line and read the rest
    # as a sure 1 (6 of these 12 T's).
    from bench.letters import wobbly_letter_strokes

    rng = np.random.default_rng(7)
    readings = [predictor.read_strokes(*wobbly_letter_strokes("T", rng)) for _ in range(12)]
    assert not [r.text for r in readings if r.text == "1" and not r.uncertain]
