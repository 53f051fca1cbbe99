"""Reading a number from its pen strokes: what a drawing canvas knows and a picture loses.

A digit's strokes are written one after another and overlap horizontally; the next digit starts
to the right. So the strokes, in the order written, are cut into consecutive runs of 1-4
horizontally overlapping strokes, each run drawn alone and read by the network, and the cut
whose runs read best wins (dynamic programming over the runs' log-scores). A short stroke written
later inside an earlier digit's span (a 4's bar, a 5's flag) joins that digit. Each run is drawn
alone, so digits that touch or overlap on the picture stay apart.
"""

import math

import cv2
import numpy as np

from model.errors import InvalidImageError
from model.inference.preprocess import crop_to_mnist, tight_crop

MAX_STROKES = 400
MAX_POINTS = 50_000
MAX_RUN = 4  # strokes in one digit at most
RENDER_SIDE = 64  # a run is drawn this many pixels on its longer side before framing
LATE_STROKE_HEIGHT = 0.6  # a later stroke under this share of the digits' height may join one
DOT_SIZE = 0.15  # a stroke under this share of the digits' height, alone, is a dot


def validated(strokes, pen_width=None):
    """The strokes as float (N, 2) arrays and the pen width, or a clear error.

    Args:
        strokes: a list of strokes, each a list of (x, y) points in pixels (y down).
        pen_width: the pen's width in pixels, or None (estimated from the drawing's size).

    Raises:
        InvalidImageError: not a list of strokes of finite (x, y) points, too many strokes or
            points, or a pen width that is not a positive finite number.
    """
    if not isinstance(strokes, list | tuple):
        raise InvalidImageError("strokes must be a list of strokes, each a list of (x, y) points")
    if len(strokes) > MAX_STROKES:
        raise InvalidImageError(f"too many strokes: {len(strokes)} (at most {MAX_STROKES})")
    arrays, total = [], 0
    for number, stroke in enumerate(strokes, start=1):
        try:
            points = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise InvalidImageError(f"stroke {number} is not a list of (x, y) points") from error
        if points.size == 0:
            continue
        if points.ndim != 2 or points.shape[1] != 2:
            raise InvalidImageError(f"stroke {number} is not a list of (x, y) points")
        if not np.isfinite(points).all() or np.abs(points).max() > 1e6:
            raise InvalidImageError(f"stroke {number} has a point that is not a finite number")
        total += len(points)
        if total > MAX_POINTS:
            raise InvalidImageError(f"too many points (at most {MAX_POINTS:,})")
        arrays.append(points.astype(np.float32))
    if pen_width is not None and (
        not isinstance(pen_width, int | float)
        or not math.isfinite(pen_width)
        or not 0 < pen_width <= 1000
    ):
        raise InvalidImageError("pen_width must be a number of pixels between 0 and 1000")
    return arrays, pen_width


def estimated_pen(strokes):
    """A pen width for strokes given without one: 8% of the drawing's height, at least 2 px."""
    points = np.concatenate(strokes)
    return max(2.0, 0.08 * float(np.ptp(points[:, 1])))


def box_of(strokes, pen):
    """(x, y, width, height) of the strokes' ink with a pen of width `pen`, in whole pixels."""
    points = np.concatenate(strokes)
    low = np.floor(points.min(axis=0) - pen / 2)
    high = np.ceil(points.max(axis=0) + pen / 2)
    return (int(low[0]), int(low[1]), int(high[0] - low[0]), int(high[1] - low[1]))


def drawn(strokes, pen, origin=(0.0, 0.0), shape=None, scale=1.0):
    """Float coverage (1 = ink) of strokes drawn with a round pen, anti-aliased.

    Args:
        strokes: (N, 2) arrays in pixels.
        pen: the pen's width in pixels (before `scale`).
        origin: the point drawn at (0, 0).
        shape: (height, width); default just big enough.
        scale: drawn this much larger or smaller.
    """
    width = max(1, int(round(pen * scale)))
    margin = width / 2 + 2
    placed = [(stroke - np.asarray(origin, np.float32)) * scale + margin for stroke in strokes]
    if shape is None:
        extent = np.concatenate(placed).max(axis=0)
        shape = (int(math.ceil(extent[1] + margin)) + 1, int(math.ceil(extent[0] + margin)) + 1)
    canvas = np.zeros(shape, dtype=np.uint8)
    for stroke in placed:
        points = np.round(stroke * 16).astype(np.int32)
        if len(points) == 1:
            cv2.circle(canvas, tuple(points[0]), int(width * 8), 255, -1, cv2.LINE_AA, shift=4)
        else:
            cv2.polylines(canvas, [points], False, 255, width, cv2.LINE_AA, shift=4)
    return canvas.astype(np.float32) / 255.0


def run_image(strokes, pen):
    """The MNIST-format uint8 (28, 28) picture of some strokes drawn alone."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    side = max(float((high - low).max()) + pen, 1.0)
    scale = RENDER_SIDE / side
    return crop_to_mnist(tight_crop(drawn(strokes, pen, origin=low, scale=scale)))


def _span(stroke, pen):
    return float(stroke[:, 0].min()) - pen / 2, float(stroke[:, 0].max()) + pen / 2


def _overlap(a, b):
    return min(a[1], b[1]) - max(a[0], b[0])


def _chained(spans, pen):
    """Whether every stroke of a run overlaps (within a pen's width) the span of the others."""
    for position, span in enumerate(spans):
        others = spans[:position] + spans[position + 1 :]
        if others and max(_overlap(span, other) for other in others) < -pen:
            return False
    return True


def candidate_runs(strokes, pen):
    """(start, end) of every run of consecutive strokes that may be one digit."""
    spans = [_span(stroke, pen) for stroke in strokes]
    runs = []
    for start in range(len(strokes)):
        for end in range(start + 1, min(len(strokes), start + MAX_RUN) + 1):
            if _chained(spans[start:end], pen):
                runs.append((start, end))
    return runs


def best_cut(scores, count):
    """The runs covering strokes 0..count-1 whose log-scores sum highest.

    Args:
        scores: {(start, end): log-score}; the single strokes must all be there.
        count: the number of strokes.

    Returns:
        The chosen (start, end) runs, in order.
    """
    best = [0.0] + [-math.inf] * count
    back = [None] * (count + 1)
    for (start, end), score in sorted(scores.items(), key=lambda item: item[0][1]):
        if best[start] + score > best[end]:
            best[end], back[end] = best[start] + score, start
    runs, end = [], count
    while end > 0:
        start = back[end]
        runs.append((start, end))
        end = start
    return runs[::-1]


def grouped(strokes, pen, score_runs):
    """The strokes grouped into digits.

    Args:
        strokes: (N, 2) arrays, in the order written.
        pen: the pen's width.
        score_runs: a function from a list of stroke-index tuples to (log-scores, images):
            how well each group reads as one digit, and its MNIST-format picture.

    Returns:
        (groups, dots): lists of stroke-index lists; groups left to right.
    """
    height = float(np.ptp(np.concatenate(strokes)[:, 1])) + pen
    sizes = [float(np.ptp(stroke, axis=0).max()) + pen for stroke in strokes]
    dots = [i for i, size in enumerate(sizes) if size < DOT_SIZE * height]
    kept = [i for i in range(len(strokes)) if i not in dots]
    if not kept:
        return [], dots
    runs = candidate_runs([strokes[i] for i in kept], pen)
    scores, _ = score_runs([tuple(kept[start:end]) for start, end in runs])
    cut = best_cut(dict(zip(runs, scores, strict=True)), len(kept))
    groups = [[kept[i] for i in range(start, end)] for start, end in cut]
    groups = _late_strokes_joined(groups, strokes, pen, height, score_runs)
    # A dot inside a digit's span (a dotted 0) belongs to it; others are dots or specks.
    spans = [_group_span(group, strokes, pen) for group in groups]
    outside = []
    for dot in dots:
        centre = float(strokes[dot][:, 0].mean())
        inside = [g for g, span in enumerate(spans) if span[0] < centre < span[1]]
        if inside:
            groups[inside[0]].append(dot)
        else:
            outside.append(dot)
    groups.sort(key=lambda group: float(np.concatenate([strokes[i] for i in group])[:, 0].mean()))
    return groups, outside


def _group_span(group, strokes, pen):
    points = np.concatenate([strokes[i] for i in group])
    return float(points[:, 0].min()) - pen / 2, float(points[:, 0].max()) + pen / 2


def _late_strokes_joined(groups, strokes, pen, height, score_runs):
    """A short stroke written after other digits (a 4's bar, a 5's flag) joins the earlier
    digits it lies across, if they then read better: it may join one of them, or merge the
    neighbours it spans into one digit (a 4 whose first strokes read "1" and "6" alone)."""
    position = 1
    while position < len(groups):
        group = groups[position]
        stroke = strokes[group[0]]
        if len(group) != 1 or float(np.ptp(stroke[:, 1])) + pen >= LATE_STROKE_HEIGHT * height:
            position += 1
            continue
        span = _span(stroke, pen)
        hosts = [
            index
            for index in range(position)
            if _overlap(span, _group_span(groups[index], strokes, pen)) > 0
        ]
        options = {(): None}  # the stroke left alone
        for first in range(len(hosts)):
            for last in range(first, len(hosts)):
                chosen = hosts[first : last + 1]
                if chosen == list(range(chosen[0], chosen[-1] + 1)):
                    options[tuple(chosen)] = None
        if len(options) == 1:
            position += 1
            continue
        runs = {
            chosen: [tuple(sorted(sum((groups[i] for i in chosen), []) + group))]
            for chosen in options
            if chosen
        }
        runs[()] = [tuple(group)]
        every = sorted(
            {run for listed in runs.values() for run in listed}
            | {tuple(groups[index]) for index in hosts}
        )
        scores = dict(zip(every, score_runs(every)[0], strict=True))

        totals = {
            chosen: sum(
                scores[run]
                for run in runs[chosen]
                + [tuple(groups[index]) for index in hosts if index not in chosen]
            )
            for chosen in options
        }
        best = max(options, key=totals.get)
        if best:
            merged = list(runs[best][0])
            groups = [g for index, g in enumerate(groups) if index not in best and g is not group]
            groups.insert(best[0], merged)
            position = best[0] + 1
        else:
            position += 1
    return groups
