"""Strokes laid out as no digit is written: the letters a digit reader would otherwise read
as a sure digit (an H as 4 or 14, an E or F as 5, a B as 8, a T as 7, a U as 0).

Each rule looks at one group of strokes (one character) in canvas pixels. None of them
fires on any of the 5,996 digits of pendigits writers 1-24, so a digit written as people
write digits is not called a letter (`tests/test_letter_shapes.py`).
"""

import cv2
import numpy as np

from model.inference.strokes import at_most

# A stroke at least UPRIGHT_HEIGHT of its group's height and at most UPRIGHT_LEAN as wide as
# it is tall is upright; two uprights apart by UPRIGHT_APART of the group's width are no digit.
UPRIGHT_HEIGHT = 0.8
UPRIGHT_LEAN = 0.35
UPRIGHT_APART = 0.4
# A straight segment at least SPINE_TALL of its group's height, leaning at most SPINE_LEAN,
# with no more than SPINE_LEFTOVER of the ink left of it and strokes reaching SPINE_REACH
# of the group's width right of it at its top and middle, is a letter's spine (E, F, B, R).
SPINE_TALL = 0.8
SPINE_LEAN = 0.3  # (a T's stem, an H's half: upright runs lean at most this much too)
SPINE_LEFTOVER = 0.05
SPINE_REACH = 0.4
LONE_ARM = 0.15  # ...or reaching no further than this at the top and middle, only at the bottom (L)
STRAIGHT = 0.04  # a run of a stroke is straight within this much of its group's height
# A T: a straight bar along the top, across at least BAR_WIDE of the width, with a straight
# upright of at least STEM_TALL of the height from its middle (the middle 40% of the bar).
BAR_WIDE = 0.8
STEM_TALL = 0.7
# A U: open at the top and the middle by a gap of at least CUP_GAP of the width, closed and
# round at the bottom.
CUP_GAP = 0.5
POINTS = 100  # strokes are looked at as points this far apart: the longer side / POINTS,
OUTLINE_POINTS = 2000  # ...and no more than this many in all


def letter_shape(strokes):
    """Why one group's strokes are laid out as no digit is written (a letter), or None.

    Args:
        strokes: the group's strokes, (N, 2) arrays of (x, y) points, y down.
    """
    if side_by_side_uprights(strokes):
        return "two upright strokes side by side, as in an H: no digit is written so"
    shape = _Shape(strokes)
    if _spine_with_arms(shape):
        return (
            "a straight upright with strokes off its side, as in an E, F, B or L: "
            "no digit is written so"
        )
    if _bar_with_stem(shape):
        return (
            "a bar along the top with an upright from its middle, as in a T: no digit is written so"
        )
    if _open_cup(shape):
        return "open at the top, as a U is: no digit is written so"
    if _bar_into_upright(shape):
        return "a bare bar into an upright, half an H: no digit is written so"
    return None


def side_by_side_uprights(strokes):
    """Whether one group's strokes hold two upright strokes standing apart, as an H's do
    (a 4's left arm stops at its bar; a 1 is one upright)."""
    if len(strokes) < 2:
        return False
    points = np.concatenate(strokes)
    height, width = float(np.ptp(points[:, 1])), float(np.ptp(points[:, 0]))
    centres = [
        float(stroke[:, 0].mean())
        for stroke in strokes
        if np.ptp(stroke[:, 1]) >= UPRIGHT_HEIGHT * height
        and np.ptp(stroke[:, 0]) <= UPRIGHT_LEAN * np.ptp(stroke[:, 1])
    ]
    return len(centres) >= 2 and max(centres) - min(centres) >= UPRIGHT_APART * max(width, 1e-6)


def spine_with_arms(strokes):
    """Whether one group's strokes stand on a straight upright at their left, with strokes
    off it at the top and the middle, as an E, F, B or R does, or only at the bottom, as an
    L does (a 1's flag and foot reach both sides; a 5's upright stops at its bowl; a
    b-shaped 6 has nothing at the top but its bowl fills the middle)."""
    return _spine_with_arms(_Shape(strokes))


def bar_with_stem(strokes):
    """Whether one group's strokes are a bar along the top and an upright from its middle,
    as a T's are (a 7's stem leaves the bar's end; a 1's flag is short)."""
    return _bar_with_stem(_Shape(strokes))


def open_cup(strokes):
    """Whether one group's strokes are open across the top and the middle and closed along a
    round bottom, as a U is (an open 4's bottom is its upright alone; a 0 is closed)."""
    return _open_cup(_Shape(strokes))


class _Shape:
    """One group's strokes, with what the rules look at, each found once when first asked."""

    def __init__(self, strokes):
        self.strokes = strokes
        corners = np.concatenate(strokes).astype(np.float64).reshape(-1, 2)
        self.low = corners.min(axis=0)
        self.width, self.height = corners.max(axis=0) - self.low
        self._runs = self._points = None

    @property
    def runs(self):
        """The (start, end) points of each stroke's straight runs."""
        if self._runs is None:
            self._runs = list(_straight_runs(self.strokes, STRAIGHT * self.height))
        return self._runs

    @property
    def points(self):
        """Points evenly spaced along the strokes (a zigzag of thousands of points gets
        no more than OUTLINE_POINTS)."""
        if self._points is None:
            paths = [_along(stroke) for stroke in self.strokes]
            length = sum(along[-1] for _, along in paths)
            step = max(float(max(self.width, self.height)) / POINTS, length / OUTLINE_POINTS, 1e-6)
            self._points = np.concatenate([_resampled(*path, step) for path in paths])
        return self._points


def _spine_with_arms(shape):
    width, height = shape.width, shape.height
    if height <= 0 or width < 0.35 * height:
        return False
    spines = [(a, b) for a, b in shape.runs if _upright(a, b, SPINE_TALL * height)]
    if not spines:
        return False
    points, top = shape.points, shape.low[1]
    at_top = points[:, 1] <= top + 0.2 * height
    at_middle = np.abs(points[:, 1] - (top + 0.5 * height)) <= 0.15 * height
    at_bottom = points[:, 1] >= top + 0.8 * height
    for start, end in spines:
        across, down = end - start
        # How far right of the spine each point lies, at the point's own height.
        right = points[:, 0] - (start[0] + (points[:, 1] - start[1]) * across / down)
        if np.mean(right < -0.1 * width) > SPINE_LEFTOVER:
            continue
        reach = SPINE_REACH * width
        top_arm, middle_arm = right[at_top].max(initial=0), right[at_middle].max(initial=0)
        if top_arm >= reach and middle_arm >= reach:
            return True
        # An L: its one arm along the bottom.
        if max(top_arm, middle_arm) <= LONE_ARM * width and right[at_bottom].max() >= reach:
            return True
    return False


def _bar_with_stem(shape):
    width, height = shape.width, shape.height
    if height <= 0 or width < 0.5 * height:
        return False
    top = shape.low[1]
    for a, b in shape.runs:
        if not _level(a, b, BAR_WIDE * width) or max(a[1], b[1]) > top + 0.2 * height:
            continue
        bar_left, span = min(a[0], b[0]), abs(b[0] - a[0])
        for c, d in shape.runs:
            if not _upright(c, d, STEM_TALL * height):
                continue
            x, y = c if c[1] < d[1] else d
            if y <= top + 0.25 * height and 0.3 <= (x - bar_left) / span <= 0.7:
                return True
    return False


def _open_cup(shape):
    width, height = shape.width, shape.height
    (left, top) = shape.low
    if height <= 0 or width < 0.4 * height:
        return False
    # A U is one stroke from the top down and back up, its ends far apart: no other group
    # needs a closer look.
    if not any(
        max(stroke[0, 1], stroke[-1, 1]) <= top + 0.25 * height
        and abs(stroke[-1, 0] - stroke[0, 0]) >= 0.6 * width
        for stroke in shape.strokes
    ):
        return False
    points = shape.points

    def band(low, high):
        inside = (points[:, 1] >= top + low * height) & (points[:, 1] <= top + high * height)
        return np.sort(points[inside, 0])

    def gap(xs):
        return float(np.diff(xs).max()) / width if len(xs) > 1 else 1.0

    upper, middle, bottom = band(0.0, 0.25), band(0.4, 0.6), band(0.85, 1.0)
    if not len(upper) or not len(middle) or not len(bottom):
        return False
    return (
        gap(upper) >= CUP_GAP
        and gap(middle) >= CUP_GAP
        and upper[0] <= left + 0.2 * width
        and upper[-1] >= left + 0.8 * width
        and np.ptp(bottom) >= 0.3 * width
        and gap(bottom) < 0.2
    )


def _bar_into_upright(shape):
    """A bar from the left into an upright at the right, nothing else: the half of an H that
    read as a 4 beside its other upright read as 1 (a 4's arm rises from its bar)."""
    width, height = shape.width, shape.height
    if height <= 0 or width < 0.35 * height:
        return False
    left, top = shape.low
    uprights = [
        (a, b)
        for a, b in shape.runs
        if _upright(a, b, SPINE_TALL * height) and min(a[0], b[0]) >= left + 0.6 * width
    ]
    bars = [
        (a, b)
        for a, b in shape.runs
        if _level(a, b, 0.6 * width)
        and abs((a[1] + b[1]) / 2 - (top + 0.5 * height)) <= 0.25 * height
    ]
    if not uprights or not bars:
        return False
    points = shape.points
    bar_y = (bars[0][0][1] + bars[0][1][1]) / 2
    beside = (points[:, 0] < left + 0.5 * width) & (np.abs(points[:, 1] - bar_y) > 0.15 * height)
    return float(beside.mean()) <= SPINE_LEFTOVER


def _upright(start, end, tall):
    """Whether a straight run rises at least `tall` and leans at most SPINE_LEAN."""
    down = abs(end[1] - start[1])
    return down >= tall and abs(end[0] - start[0]) <= SPINE_LEAN * down


def _level(start, end, wide):
    """Whether a straight run spans at least `wide` and is nearly level."""
    across = abs(end[0] - start[0])
    return across >= wide and abs(end[1] - start[1]) <= 0.15 * across


def _along(stroke):
    """A stroke's points and the length of the path to each of them."""
    points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
    return points, np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])


def _resampled(points, along, step):
    if len(points) < 2 or along[-1] <= 0:
        return points
    at = np.linspace(0.0, along[-1], max(2, int(along[-1] / step) + 1))
    return np.stack([np.interp(at, along, points[:, 0]), np.interp(at, along, points[:, 1])], 1)


def _straight_runs(strokes, tolerance):
    """The (start, end) points of each stroke's straight runs, within `tolerance` pixels."""
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float32).reshape(-1, 2)
        if len(points) < 2:
            continue
        points = at_most(points, 4 * POINTS)  # Douglas-Peucker's time grows with the square
        corners = cv2.approxPolyDP(points[:, None], max(tolerance, 0.5), False)
        corners = corners.reshape(-1, 2).astype(np.float64)
        yield from zip(corners[:-1], corners[1:], strict=True)
