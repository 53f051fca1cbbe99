"""Pen-written digits drawn on a canvas, and the letters benchmark (issue 24, item 6)."""

import numpy as np
import pytest

from model.data.pendigits import draw_pen_digit, read_pendigits

UNIPEN = """.SEGMENT DIGIT    0 ? "7"
.COMMENT 7 3  1
.PEN_DOWN
 100  400
 300  400
 180  100
.PEN_UP
.SEGMENT DIGIT    1 ? "1"
.COMMENT 1 24  2
.PEN_DOWN
 200  400
 200  100
.PEN_UP
"""


def test_pen_digits_are_read_from_unipen_and_drawn_upright(tmp_path):
    (tmp_path / "pendigits-orig.tra").write_text(UNIPEN)
    seven, one = read_pendigits(tmp_path)
    assert (seven.label, seven.writer, one.label, one.writer) == (7, 3, 1, 24)
    assert len(seven.strokes) == 1 and seven.strokes[0].shape == (3, 2)
    canvas = draw_pen_digit(seven, np.random.default_rng(0), slant=0.0, height_fraction=0.6)
    ink = canvas[:, :, 0] < 128
    rows = np.flatnonzero(ink.any(axis=1))
    top_row, bottom_row = ink[rows[0]], ink[rows[-1]]
    # The 7's bar is at the top (the tablet's y grows upwards): wide there, a point below.
    assert np.count_nonzero(top_row) > 3 * np.count_nonzero(bottom_row)
    assert read_pendigits(tmp_path, limit=1)[0].label == 7
    with pytest.raises(FileNotFoundError):
        read_pendigits(tmp_path / "nowhere")


@pytest.mark.slow
def test_letters_benchmark_reads_letters_and_digits(mnist_dir, pendigits_dir):
    from bench import letters

    result = letters.run(str(mnist_dir), str(pendigits_dir), quick=True)
    rows = result["letters"]["letters"]
    assert set(rows) == set(letters.LETTERS)
    assert result["letters"]["count"] == sum(row["count"] for row in rows.values())
    assert rows["X"]["flagged"] == rows["X"]["count"]  # an X is never a digit
    for name in ("mnist_test", "pendigits"):
        assert result[name]["count"] == letters.QUICK_DIGITS
        assert result[name]["accuracy"] > 0.9 and result[name]["flagged_rate"] < 0.1


@pytest.mark.parametrize("letter", ["A", "F", "M", "N", "R", "W"])
@pytest.mark.parametrize("width", [10, 18])
def test_a_letter_cut_into_digits_is_no_number(predictor, letter, width):
    # An A, M or W is as wide as a touching pair of digits: it used to be cut and read as
    # "11", "14" or "44", its halves being digits the gate half believes.
    from bench.letters import draw_letter

    reading = predictor.read(draw_letter(letter, width=width))
    assert not reading.digits or reading.uncertain, reading.text


def test_touching_digits_cut_apart_stay_sure(predictor):
    from strokes import draw_number

    reading = predictor.read(draw_number((3, 5), gap=-0.1))
    assert reading.text == "35" and not reading.uncertain
