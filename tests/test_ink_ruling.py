"""Ruled lines are erased, and the writing resting on them, running along them or crossing
them stays (`model.inference.ink`)."""

import cv2
import numpy as np
import pytest
from strokes import draw_number

from model.inference.ink import find_ink

SIZE = 120  # a digit's height, in pixels
PEN = 10
DIGIT_WIDTH = 0.6 * SIZE
STEP = (0.6 + 0.15) * SIZE  # from one digit's left to the next one's (draw_number's gap)
ROOM = SIZE  # paper added above and below the writing, for more lines


def _left(index):
    return 0.3 * SIZE + index * STEP


def ruled(digits, line_y, tone=(0, 0, 0), thickness=4, pitch=1.5 * SIZE, gap=0.15):
    """`digits` drawn as a number (RGB; `gap` between digits, of SIZE), with ruled lines
    across the picture, one at `line_y` (in draw_number's rows: the digits span 0.2-1.2 x
    SIZE) and the others a pitch apart."""
    picture = draw_number(digits, size=SIZE, width=PEN, gap=gap)[:, :, :3]
    picture = np.ascontiguousarray(
        np.pad(picture, ((ROOM, ROOM), (0, 0), (0, 0)), constant_values=255)
    )
    y = (line_y + ROOM) % pitch
    while y < picture.shape[0]:
        line = np.full_like(picture, 255)
        cv2.line(line, (0, int(y)), (picture.shape[1] - 1, int(y)), tone, thickness)
        picture = np.minimum(picture, line)  # the ink lies over the line: the darker shows
        y += pitch
    return picture


def _ink(picture):
    return find_ink(picture).values


def test_a_0_and_a_2_resting_on_a_line_keep_their_bottoms(predictor):
    baseline = 1.2 * SIZE + PEN / 4  # the strokes' lower halves lie on the line
    picture = ruled([0, 2], baseline)
    values = _ink(picture)
    rows = slice(int(baseline + ROOM - PEN / 2), int(baseline + ROOM + PEN / 2) + 1)
    middle_of_0 = int(_left(0) + DIGIT_WIDTH / 2)
    foot_of_2 = slice(int(_left(1) + 0.4 * DIGIT_WIDTH), int(_left(1) + 0.8 * DIGIT_WIDTH))
    assert values[rows, middle_of_0].max() > 0.5  # the 0's bottom
    assert (values[rows, foot_of_2].max(axis=0) > 0.5).all()  # the 2's foot, all along
    # The line itself is gone: in the margins and between the digits.
    between = int(_left(1) - 0.07 * SIZE)
    for column in (5, between, values.shape[1] - 5):
        assert values[rows, column].max() == 0
    assert values[: ROOM // 2].max() == 0  # the line above the writing
    assert predictor.read(picture).text == "02"


def test_a_2_resting_on_a_grey_line_keeps_its_foot():
    baseline = 1.2 * SIZE
    values = _ink(ruled([2], baseline, tone=(140, 140, 140), thickness=6))
    rows = slice(int(baseline + ROOM - PEN / 2), int(baseline + ROOM + PEN / 2) + 1)
    foot = slice(int(_left(0) + 0.4 * DIGIT_WIDTH), int(_left(0) + 0.8 * DIGIT_WIDTH))
    assert (values[rows, foot].max(axis=0) > 0.5).all()
    assert values[rows, 5].max() == 0 and values[rows, -5].max() == 0


def test_two_touching_0s_on_a_line_are_not_joined_by_it():
    baseline = 1.2 * SIZE + PEN / 4
    values = _ink(ruled([0, 0], baseline, gap=-0.02))
    where_they_touch = int(0.3 * SIZE + 0.59 * SIZE)
    line = int(baseline + ROOM)
    assert values[line - 2 : line + 3, where_they_touch].max() == 0
    assert values[line - 2 : line + 3, int(0.6 * SIZE)].max() > 0.5  # the first 0's bottom


@pytest.mark.parametrize("line_at", [0.75, 0.88])
def test_digits_crossing_a_line_still_read(predictor, line_at):
    """A line through the lower part of a number: the strokes across it stay, and the line
    inside the 0's loop does not."""
    line_y = (0.2 + line_at) * SIZE
    picture = ruled([4, 0, 7], line_y)
    values = _ink(picture)
    inside_0 = int(_left(1) + DIGIT_WIDTH / 2)
    assert values[int(line_y + ROOM) - 3 : int(line_y + ROOM) + 4, inside_0].max() == 0
    assert predictor.read(picture).text == "407"


def test_a_page_of_plain_ruled_lines_is_blank(predictor):
    page = np.full((600, 800, 3), 250, np.uint8)
    for y in range(60, 600, 70):
        cv2.line(page, (0, y), (799, y + 3), (90, 110, 160), 3)
    ink = find_ink(page)
    assert ink.blank or ink.values.max() == 0
    assert predictor.read(page).text == ""


def test_the_ruled_benchmark_puts_the_writing_on_its_lines(pendigits_dir):
    from bench import ruled

    numbers = ruled.ruled_numbers(count=12, pendigits_dir=str(pendigits_dir))
    assert {number["place"] for number in numbers} == set(ruled.PLACES)
    for number in numbers:
        dark = number["picture"].min(axis=2) < 200
        full_rows = np.flatnonzero(dark.mean(axis=1) > 0.99)  # the ruled lines
        assert len(full_rows) >= 2
        writing = dark & ~np.isin(np.arange(dark.shape[0]), full_rows)[:, None]
        rows = np.flatnonzero(writing.any(axis=1))
        top, bottom = rows[0], rows[-1]
        touched = full_rows[(full_rows >= top) & (full_rows <= bottom + 1)]
        assert len(touched), "a line lies on or through the writing"


def test_the_ruled_benchmark_runs(pendigits_dir):
    from bench import ruled

    result = ruled.run(count=3, pendigits_dir=str(pendigits_dir))
    assert result["count"] == 3 and 0 <= result["right"] <= 3
    assert sum(place["count"] for place in result["by_place"].values()) == 3
