"""`Predictor.read_strokes`: a number read from its pen strokes, as the canvas records them."""

import re
import tracemalloc

import numpy as np
import pytest
from strokes import STROKES

from model.errors import InvalidImageError
from model.inference.strokes import (
    best_cut,
    crossings,
    cut_cost,
    drawn,
    extent,
    merge_cost,
)
from ui.widgets.canvas import canvas_strokes

WIDTH, HEIGHT = 460, 360


def placed(digit, box):
    left, top, width, height = (
        v * s for v, s in zip(box, (WIDTH, HEIGHT, WIDTH, HEIGHT), strict=True)
    )
    return [[(left + x * width, top + y * height) for x, y in stroke] for stroke in STROKES[digit]]


def picture(strokes, pen=22):
    coverage = drawn([np.asarray(s, np.float32) for s in strokes], pen, shape=(HEIGHT, WIDTH))
    return np.round(255 * (1 - coverage)).astype(np.uint8)


def test_a_1_written_into_a_0_is_read_apart(predictor):
    strokes = placed(1, (0.3, 0.2, 0.1, 0.6)) + placed(0, (0.33, 0.2, 0.36, 0.6))
    assert predictor.read(picture(strokes)).text == "0"  # one blob on the picture
    reading = predictor.read_strokes(strokes, 22)
    assert reading.text == "10"
    one, zero = reading.digits
    assert one.box[0] < zero.box[0] and one.box[0] + one.box[2] > zero.box[0]  # they overlap


def test_a_7_touching_a_1_is_read_apart(predictor):
    strokes = placed(7, (0.1, 0.2, 0.35, 0.6)) + placed(1, (0.38, 0.2, 0.15, 0.6))
    assert predictor.read_strokes(strokes, 22).text == "71"


def test_a_4s_stem_written_after_the_next_digit_still_belongs_to_the_4(predictor):
    four = placed(4, (0.1, 0.2, 0.3, 0.6))
    seven = placed(7, (0.55, 0.2, 0.3, 0.6))
    assert predictor.read_strokes(four + seven, 22).text == "47"
    # The bar, written last, is short and lies inside the 4's span.
    bar = [[(0.12 * WIDTH, 0.55 * HEIGHT), (0.38 * WIDTH, 0.55 * HEIGHT)]]
    body = [[(0.3 * WIDTH, 0.2 * HEIGHT), (0.3 * WIDTH, 0.8 * HEIGHT)]]
    slanted = [[(0.3 * WIDTH, 0.2 * HEIGHT), (0.12 * WIDTH, 0.55 * HEIGHT)]]
    assert predictor.read_strokes(slanted + body + seven + bar, 22).text == "47"


def test_a_dot_alone_is_skipped_and_nothing_is_blank(predictor):
    strokes = placed(7, (0.1, 0.2, 0.3, 0.6)) + [[(300.0, 250.0)]]
    reading = predictor.read_strokes(strokes, 22)
    assert reading.text == "7" and len(reading.skipped) == 1
    assert predictor.read_strokes([]).reason.startswith("blank")
    assert predictor.read_strokes([[]]).digits == []


def test_the_pen_width_may_be_left_out(predictor):
    assert predictor.read_strokes(placed(7, (0.2, 0.2, 0.4, 0.6))).text == "7"


@pytest.mark.parametrize(
    "strokes, message",
    [
        ("7", "list of strokes"),
        ([[(1, 2, 3)]], "(x, y) points"),
        ([[(1, "a")]], "(x, y) points"),
        ([[(float("nan"), 2)]], "finite"),
        ([[(0, 0), (1, 1)]] * 401, "too many strokes"),
        ([[(0, 0)] * 50_001], "too many points"),
    ],
)
def test_bad_strokes_get_a_clear_error(predictor, strokes, message):
    with pytest.raises(InvalidImageError, match=re.escape(message)):
        predictor.read_strokes(strokes)


def test_a_bad_pen_width_gets_a_clear_error(predictor):
    with pytest.raises(InvalidImageError, match="pen_width"):
        predictor.read_strokes([[(0, 0), (5, 5)]], pen_width=-3)


def test_the_best_cut_sums_the_runs_scores():
    scores = {(0, 1): -1.0, (1, 2): -1.0, (0, 2): -0.5, (2, 3): -0.1}
    assert best_cut(scores, 3) == [(0, 2), (2, 3)]
    scores[(0, 2)] = -3.0
    assert best_cut(scores, 3) == [(0, 1), (1, 2), (2, 3)]


def test_the_canvas_json_gives_the_strokes_in_order():
    drawing = {
        "objects": [
            {"type": "Path", "path": [["M", 10.5, 20], ["Q", 11, 21, 12, 40], ["L", 12.5, 60]]},
            {"type": "rect", "left": 3},
            {"type": "path", "path": [["M", 50, 20], ["L", 80, 20]]},
        ]
    }
    assert canvas_strokes(drawing) == [
        [(10.5, 20.0), (12.0, 40.0), (12.5, 60.0)],
        [(50.0, 20.0), (80.0, 20.0)],
    ]
    assert canvas_strokes(None) == [] and canvas_strokes({"objects": None}) == []


def test_on_held_out_writers_strokes_are_never_worse_than_the_picture(predictor, pendigits_dir):
    from model.data.pen_sets import composed_numbers, test_digits

    numbers = composed_numbers(test_digits(pendigits_dir), count=40, seed=5)
    by_picture = sum(predictor.read(n["picture"]).text == n["text"] for n in numbers)
    by_strokes = [predictor.read_strokes(n["strokes"], n["pen"]).text == n["text"] for n in numbers]
    assert sum(by_strokes) >= by_picture
    assert sum(by_strokes) >= 0.9 * len(numbers)  # 37 of 40 (35 before the layout costs)


def test_a_digit_written_in_several_strokes_is_read_as_one(predictor, pendigits_dir):
    """An 8 as two loops, a 4 as a corner and a stub, a 0 in two arcs: each part alone reads
    as a digit, but stacked parts, or one far shorter than the other, are not two digits."""
    from model.data import pendigits
    from model.data.pen_sets import test_digits

    several = [digit for digit in test_digits(pendigits_dir) if len(digit.strokes) > 1]
    right = 0
    for digit in several:
        strokes = pendigits.placed(digit.strokes, 100.0, origin=(20.0, 20.0))
        right += predictor.read_strokes([s.tolist() for s in strokes], 8.0).text == str(digit.label)
    assert len(several) > 400
    assert right >= 0.99 * len(several)  # 430 of 432 (404 before the layout costs)


def _ring(cx, cy, rx, ry):
    turn = np.linspace(0, 2 * np.pi, 40)
    return np.stack([cx + rx * np.sin(turn), cy - ry * np.cos(turn)], axis=1)


def test_cutting_stacked_or_much_shorter_parts_costs_and_side_by_side_digits_do_not():
    def box(points):
        return extent([points], 10)

    upper, lower = box(_ring(150, 110, 40, 45)), box(_ring(150, 200, 50, 45))
    assert cut_cost(upper, lower) < -3  # an 8's two loops
    left, right = box(_ring(100, 150, 40, 90)), box(_ring(200, 150, 40, 90))
    assert cut_cost(left, right) == 0.0  # two 0s side by side
    stub = box(np.array([[245.0, 200.0], [245.0, 240.0]]))
    assert cut_cost(right, stub) < -2  # a stroke a third as tall, beside a digit
    touching = box(_ring(175, 150, 40, 90))  # overlapping the left 0 by a quarter of its width
    assert merge_cost(left, touching) < -2
    assert merge_cost(upper, lower) == 0.0


def test_strokes_that_cross_are_not_cut_into_two_digits(predictor):
    # An X: two strokes as tall as each other, each as wide as the whole, crossing. Each alone
    # is a sure 1, so without the crossing the grouping read "11".
    x = [[(150.0, 80.0), (230.0, 280.0)], [(230.0, 80.0), (150.0, 280.0)]]
    reading = predictor.read_strokes(x, 18)
    assert len(reading.digits) == 1 and reading.uncertain, reading.text
    # Two 1s side by side are still two digits.
    ones = [[(150.0, 80.0), (150.0, 280.0)], [(230.0, 80.0), (230.0, 280.0)]]
    assert predictor.read_strokes(ones, 18).text == "11"


def test_an_h_is_no_digit_and_an_unsure_reading_says_why(predictor):
    # Two uprights and a bar, as one group, read as a sure 4; no digit is written so.
    h = [[(150.0, 80.0), (150.0, 280.0)], [(250.0, 80.0), (250.0, 280.0)]]
    h.append([(150.0, 180.0), (250.0, 180.0)])
    reading = predictor.read_strokes(h, 18)
    assert reading.uncertain and "upright" in reading.reason, (reading.text, reading.reason)
    x = [[(150.0, 80.0), (230.0, 280.0)], [(230.0, 80.0), (150.0, 280.0)]]
    assert predictor.read_strokes(x, 18).reason  # the Draw page says why, never "None"


def test_crossing_is_crossing_not_touching():
    strokes = [
        [(0.0, 0.0), (100.0, 100.0)],
        [(100.0, 0.0), (0.0, 100.0)],  # crosses the first in the middle
        [(0.0, 0.0), (0.0, 100.0)],  # starts where the first starts: touching only
        # a long wavy stroke, crossing the first (thinned, it still does)
        [(x, 45.0 + 10.0 * (x % 2)) for x in np.linspace(-500.0, 150.0, 20_000)],
    ]
    crossing = crossings([np.asarray(s) for s in strokes], 10)
    assert crossing(0, 1) and crossing(1, 0)
    assert not crossing(0, 2) and not crossing(1, 2)
    assert crossing(0, 3)
    # Two zigzags of 25,000 points each are thinned first: no table of every pair of segments.
    x = np.linspace(0.0, 200.0, 25_000)
    zigzag = np.stack([x, 100.0 * (np.arange(len(x)) % 2)], axis=1)
    crossing = crossings([zigzag, zigzag[::-1] + (0.5, 0.0)], 2)
    tracemalloc.start()
    try:
        crossing(0, 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"{peak / 1e6:.0f} MB"


def test_the_best_cut_weighs_the_cost_of_each_cut():
    scores = {(0, 1): -0.1, (1, 2): -0.1, (0, 2): -0.5}
    assert best_cut(scores, 2) == [(0, 1), (1, 2)]
    assert best_cut(scores, 2, lambda left, right: -1.0) == [(0, 2)]


def test_each_digit_read_from_strokes_is_the_whole_ensembles_reading(predictor, pendigits_dir):
    # Groups the first network is sure of keep its answer without a second read: the
    # ensemble's answer is that network's there (its cascade), so nothing may differ.
    from model.data.pen_sets import composed_numbers, test_digits

    # A digit the pair reader read with its neighbour (from the picture) has the pair
    # reader's probabilities instead (tests/test_pairs.py).
    checked = 0
    for number in composed_numbers(test_digits(pendigits_dir), count=20, seed=6):
        for digit in predictor.read_strokes(number["strokes"], number["pen"]).digits:
            if digit.paired:
                continue
            (probabilities,) = predictor.predict_batch(digit.image28[None])
            np.testing.assert_allclose(digit.probabilities, probabilities, atol=1e-6)
            checked += 1
    assert checked >= 80


def test_the_layout_study_measures_every_cut_between_and_inside_digits(pendigits_dir):
    from model.data import pendigits
    from model.data.pen_sets import composed_numbers
    from model.study.stroke_layout import layouts, run

    digits = pendigits.load_pendigits(pendigits_dir, pendigits.TRAINING_WRITERS)
    numbers = composed_numbers(digits, count=30, seed=1)
    between, inside = layouts(numbers)
    assert len(between) == sum(len(number["text"]) - 1 for number in numbers)
    assert len(inside) == sum(sum(n - 1 for n in number["digit_strokes"]) for number in numbers)
    # Side by side, digits are about as tall as each other; a digit's parts are not.
    assert np.median(between[:, 1]) > 0.85 > np.median(inside[:, 1])
    # A digit's parts often cross; digits side by side seldom do.
    assert inside[:, 3].mean() > 0.3 > between[:, 3].mean()
    figures = run(30, pendigits_dir, seed=1)
    assert figures["between_digits"]["cuts"] == len(between) and figures["writers"][0] == 1


def test_groups_laid_over_one_another_are_found_and_digits_side_by_side_are_not():
    from model.inference.strokes import stacked

    # A K's arms as two groups, one over the other: no two digits of a number lie so.
    arms = [
        np.array([(90.0, 0.0), (10.0, 60.0)], np.float32),
        np.array([(35.0, 40.0), (90.0, 100.0)], np.float32),
    ]
    assert stacked([[0], [1]], arms, 8.0) == {0, 1}
    side_by_side = [np.asarray(s, np.float32) for s in placed(7, (0.1, 0.2, 0.3, 0.6))]
    side_by_side += [np.asarray(s, np.float32) for s in placed(1, (0.5, 0.2, 0.1, 0.6))]
    groups = [list(range(len(side_by_side) - 1)), [len(side_by_side) - 1]]
    assert stacked(groups, side_by_side, 22.0) == set()
