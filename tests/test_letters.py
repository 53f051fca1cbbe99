"""Pen-written digits drawn on a canvas, and the letters benchmark (issue 24, item 6)."""

import pytest


@pytest.mark.slow
def test_letters_benchmark_reads_letters_and_digits(mnist_dir, pendigits_dir):
    from bench import letters

    result = letters.run(str(mnist_dir), str(pendigits_dir), quick=True)
    rows = result["letters"]["letters"]
    assert set(rows) == set(letters.LETTERS)
    assert result["letters"]["count"] == sum(row["count"] for row in rows.values())
    assert rows["X"]["flagged"] == rows["X"]["count"]  # an X is never a digit
    # The Draw page reads the letters from their strokes: as many, counted the same way.
    by_strokes = result["letters_as_strokes"]["letters"]
    assert set(by_strokes) == set(rows)
    assert all(by_strokes[k]["count"] == rows[k]["count"] for k in rows)
    wobbly = result["wobbly_letters_as_strokes"]
    assert wobbly["count"] == letters.QUICK_WOBBLY * len(rows) and wobbly["flagged_rate"] > 0.5
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


@pytest.mark.parametrize(
    "letter", ["A", "B", "D", "E", "F", "K", "L", "M", "P", "R", "T", "U", "Y"]
)
@pytest.mark.parametrize("slant", [-0.15, 0.0, 0.2])
def test_a_letter_drawn_in_strokes_is_no_number(predictor, letter, slant):
    # As the Draw page reads it. A K's strokes used to be grouped as "111", each sure; a B
    # read as a sure 8, an E or F as 5, a T as 7, a U or D as 0.
    from bench.letters import letter_strokes

    reading = predictor.read_strokes(letter_strokes(letter, slant=slant, height=0.75), 18)
    assert not reading.digits or reading.uncertain, reading.text


@pytest.mark.parametrize("letter, width, height", [("N", 18, 0.75), ("W", 10, 0.5)])
def test_a_letter_in_one_stroke_is_not_cut_into_digits_by_its_picture(
    predictor, letter, width, height
):
    # Its strokes read as one unsure digit; the picture, cut, read as a sure "11" or "41",
    # and was taken instead.
    from bench.letters import letter_strokes

    strokes = letter_strokes(letter, slant=0.2, height=height)
    reading = predictor.read_strokes(strokes, width)
    assert not reading.digits or reading.uncertain, reading.text


def test_touching_digits_cut_apart_stay_sure(predictor):
    from strokes import draw_number

    reading = predictor.read(draw_number((3, 5), gap=-0.1))
    assert reading.text == "35" and not reading.uncertain
