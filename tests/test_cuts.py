"""Touching and overlapping digits: cut paths that bend around strokes, the best chain of
pieces, and numbers of held-out pen writers (validation writers 21-24) read through `read`."""

import cv2
import numpy as np

from model.inference.cuts import between, cut_paths, start_columns
from model.inference.reader import _best_chain


def _slanted_pair():
    """Two slanted bars whose columns overlap: no straight column parts them, a bent path does."""
    crop = np.zeros((100, 90), np.float32)
    cv2.line(crop, (10, 95), (45, 5), 1.0, 6)
    cv2.line(crop, (40, 95), (75, 5), 1.0, 6)
    return crop


def test_a_cut_path_bends_around_strokes_that_share_columns():
    crop = _slanted_pair()
    mask = crop > 0.3
    assert mask.any(axis=0)[10:76].all()  # every column between them holds ink: no straight cut
    paths = cut_paths(crop, start_columns(mask, [45]))
    clean = [path for path in paths if not crop[np.arange(100), path].any()]
    assert clean, "no path through the background between the two bars"
    (left, start), (right, middle) = between(crop, None, clean[0]), between(crop, clean[0], None)
    assert start == 0 and middle == clean[0].min()
    assert left.sum() + right.sum() == crop.sum()
    for piece in (left, right):
        count, _ = cv2.connectedComponents((piece > 0.3).astype(np.uint8))
        assert count == 2 and piece.sum() > 0.4 * crop.sum()  # one whole bar each


def test_the_best_chain_of_pieces_wins_whatever_its_length():
    # Nodes 0..3; the whole (0, 3) reads poorly, the three pieces read well.
    pieces = [(0, 1, 1), (1, 2, 1), (2, 3, 1), (0, 2, 1), (0, 3, 1)]
    scores = np.log([0.99, 0.98, 0.99, 0.6, 0.5])
    assert _best_chain(4, pieces, scores, expected=3.0) == [0, 1, 2]
    # When the whole reads far better and the width holds about one digit, it is one digit.
    scores = np.log([0.3, 0.4, 0.3, 0.5, 0.99])
    assert _best_chain(4, pieces, scores, expected=1.0) == [4]


def test_numbers_of_joined_pen_digits_are_cut_into_their_digits(predictor, pendigits_dir):
    from model.data import pendigits
    from model.data.pen_sets import composed_numbers

    digits = pendigits.load_pendigits(pendigits_dir, pendigits.VALIDATION_WRITERS)
    numbers = composed_numbers(digits, count=100, seed=77)
    joined = [
        number
        for number in numbers
        if sum(gap != "spaced" for gap in number["gaps"]) >= min(2, len(number["gaps"]))
    ]
    texts = [predictor.read(number["picture"]).text for number in joined]
    assert len(joined) == 72
    # Straight column cuts read 40 of them with the right number of digits and 26 exactly;
    # the cut-path search 55 and 39 (bundled model of Dec 2026).
    right_length = sum(len(text) == len(n["text"]) for text, n in zip(texts, joined, strict=True))
    exact = sum(text == n["text"] for text, n in zip(texts, joined, strict=True))
    assert right_length >= 48 and exact >= 33, (right_length, exact)
