"""The writing styles MNIST's writers rarely used, by name, for training and robustness sets.

Continental 1 (a long flag, no bar), crossed 7, 9 with a tail, 0 slashed or dotted, 0 whose ends
overlap or curl inside its loop (a spiral), open 4. Each is made two ways: on a pen-written
digit's strokes (`styled_strokes`, for `model.data.pendigits`), and on an MNIST picture's ink
(`styled_ink`, white on black float at any size), so the styles reach MNIST's many writers too.
"""

import cv2
import numpy as np

from model.inference.preprocess import ink_box
from model.inference.segment import stroke_width

PIXEL_STYLES = {1: "continental_1", 7: "crossed_7", 9: "tailed_9", 0: "marked_0"}
STROKE_STYLES = {
    1: "continental_1",
    7: "crossed_7",
    9: "tailed_9",
    0: "marked_or_overlapping_0",
    4: "open_4",
}
OVERLAPPING_0 = 0.4  # of the 0s, those whose ends overlap (or, some, curl inside: spirals)


def _line(ink, points, width):
    points = np.round(np.asarray(points) * 4).astype(np.int32)
    cv2.polylines(ink, [points], False, 1.0, max(int(round(width)), 1), cv2.LINE_AA, shift=2)


def styled_ink(ink, label, rng):
    """The ink of a digit `label` with that digit's named style added, or None if it has none.

    Args:
        ink: float (H, W), 1 = ink, white on black (e.g. MNIST at 3x).
        label: the digit.
        rng: a numpy Generator.
    """
    if label not in PIXEL_STYLES:
        return None
    box = ink_box(ink, 0.3)
    if box is None:
        return None
    x, y, width, height = box
    pen = max(stroke_width(ink > 0.3), 1.0)
    out = ink.copy()
    rows = np.flatnonzero(ink[y, x : x + width] > 0.3)
    top_x = x + (rows.mean() if len(rows) else width / 2)
    if label == 1:
        # A long up-stroke flag from the top, down to the left.
        reach = rng.uniform(0.35, 0.6) * height
        _line(out, [(top_x, y + pen / 2), (top_x - reach * rng.uniform(0.6, 1.0), y + reach)], pen)
    elif label == 7:
        # A bar across the stem, a little below the middle.
        level = y + rng.uniform(0.45, 0.62) * height
        columns = np.flatnonzero(ink[int(level), x : x + width] > 0.3)
        if not len(columns):
            return None
        centre = x + columns.mean()
        half = rng.uniform(0.22, 0.4) * max(width, 0.6 * height)
        tilt = rng.normal(0, 0.05) * half
        _line(out, [(centre - half, level + tilt), (centre + half, level - tilt)], pen)
    elif label == 9:
        # A tail under the stem, curling back to the left.
        bottom = y + height - 1
        columns = np.flatnonzero(ink[bottom, x : x + width] > 0.3)
        start = x + (columns.mean() if len(columns) else width / 2)
        reach = rng.uniform(0.2, 0.4) * max(width, 0.5 * height)
        lift = rng.uniform(0.0, 0.15) * height
        tail = [
            (start, bottom),
            (start - reach * 0.6, bottom + pen / 2),
            (start - reach, bottom - lift),
        ]
        _line(out, tail, pen)
    elif width < 0.45 * height:
        return None  # a slash would fill a narrow 0
    elif rng.random() < 0.6:
        # A slashed 0: corner to corner, a little inside the box.
        inset = 0.1
        a = (x + inset * width, y + (1 - inset) * height)
        b = (x + (1 - inset) * width, y + inset * height)
        _line(out, [a, b] if rng.random() < 0.8 else [(a[0], b[1]), (b[0], a[1])], 0.8 * pen)
    else:
        # A dotted 0: a dot in the middle.
        centre = (int(round(x + width / 2)), int(round(y + height / 2)))
        radius = max(int(round(pen * rng.uniform(0.6, 1.0))), 1)
        cv2.circle(out, centre, radius, 1.0, -1, cv2.LINE_AA)
    return np.clip(out, 0.0, 1.0)


def styled_strokes(strokes, label, rng, spiral_share=0.0):
    """A pen-written digit's strokes with that digit's named style added (or the strokes as
    they are when it has none): lists of (N, 2) float arrays, y down. `spiral_share` of the 0s
    curl inside their loop, taken from the 0s whose ends overlap.
    """
    if label not in STROKE_STYLES:
        return list(strokes)
    points = np.concatenate(strokes)
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    width, height = max(right - left, 1.0), max(bottom - top, 1.0)
    strokes = [stroke.copy() for stroke in strokes]
    if label == 1:
        head = points[np.argmin(points[:, 1])]
        reach = rng.uniform(0.35, 0.6) * height
        flag = np.array([head + (-reach * rng.uniform(0.6, 1.0), reach), head], np.float32)
        strokes.insert(0, flag)
    elif label == 7:
        level = top + rng.uniform(0.45, 0.62) * height
        near = points[np.argmin(np.abs(points[:, 1] - level))]
        half = rng.uniform(0.22, 0.4) * max(width, 0.6 * height)
        strokes.append(np.array([near + (-half, 0), near + (half, 0)], np.float32))
    elif label == 9:
        last = strokes[-1]
        end = last[-1]
        reach = rng.uniform(0.2, 0.4) * max(width, 0.5 * height)
        lift = rng.uniform(0.0, 0.15) * height
        tail = np.array([end + (-reach * 0.6, height * 0.04), end + (-reach, -lift)], np.float32)
        strokes[-1] = np.concatenate([last, tail])
    elif (
        label == 4
        and len(strokes) >= 2
        and np.ptp(strokes[-1][:, 1]) > 2 * np.ptp(strokes[-1][:, 0])
    ):
        # Open 4: the stem moved right and up so the bar's corner is left open at the top.
        shift = np.array([rng.uniform(0.05, 0.2) * width, -rng.uniform(0.0, 0.1) * height])
        strokes[-1] = strokes[-1] + shift.astype(np.float32)
    elif label == 0:
        choice = rng.random()
        if choice < OVERLAPPING_0 - spiral_share:
            # The pen runs on past its start, overlapping the loop's first part.
            first = strokes[0]
            run = first[: max(2, int(len(first) * rng.uniform(0.1, 0.3)))]
            offset = rng.normal(0, 0.04, size=2) * (width, height)
            strokes[-1] = np.concatenate([strokes[-1], run + offset.astype(np.float32)])
        elif choice < OVERLAPPING_0:
            # A spiral: the pen runs on, or leads in, inside the loop (no "10").
            first = strokes[0]
            run = first[: max(2, int(len(first) * rng.uniform(0.2, 0.5)))]
            centre = np.array([(left + right) / 2, (top + bottom) / 2], np.float32)
            pull = np.linspace(0.0, rng.uniform(0.3, 0.6), len(run))[:, None]
            inner = (run + (centre - run) * pull).astype(np.float32)
            if rng.random() < 0.5:
                strokes[-1] = np.concatenate([strokes[-1], inner])
            else:
                strokes[0] = np.concatenate([inner[::-1], first])
        elif choice < 0.75:
            inset = 0.1
            strokes.append(
                np.array(
                    [
                        (left + inset * width, bottom - inset * height),
                        (right - inset * width, top + inset * height),
                    ],
                    np.float32,
                )
            )
        else:
            centre = np.array([(left + right) / 2, (top + bottom) / 2], np.float32)
            strokes.append(np.array([centre, centre + (0.5, 0.5)], np.float32))
    return strokes
