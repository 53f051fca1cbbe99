"""Reading a number from its pen strokes: what a drawing canvas knows and a picture loses.

A digit's strokes are written one after another and overlap horizontally; the next digit starts
to the right. So the strokes, in the order written, are cut into consecutive runs of 1-4
horizontally overlapping strokes, each run drawn alone and read by the network, and the cut
whose runs read best wins (dynamic programming over the runs' log-scores and over how the runs
lie: parts of one digit lie over one another, digits stand side by side). A short stroke written
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
# Cutting between two groups that overlap across more than CUT_OVERLAP of the narrower's width
# costs CUT_PENALTY per unit the shorter falls under CUT_HEIGHT_RATIO of the taller's height,
# and per unit their heights share under CUT_SHARED of the shorter's (see `cut_cost`).
CUT_OVERLAP = 0.4
CUT_HEIGHT_RATIO = 0.75
CUT_SHARED = 0.85
CUT_PENALTY = 8.0
# Apart, the shorter under APART_HEIGHT_RATIO of the taller's height costs APART_PENALTY per unit.
APART_HEIGHT_RATIO = 0.55
APART_PENALTY = 16.0
# Merging two such groups side by side costs MERGE_PENALTY per unit their overlap falls under
# MERGE_OVERLAP of the narrower's width (see `merge_cost`).
MERGE_OVERLAP = 0.5
MERGE_PENALTY = 10.0
HOPELESS = -1.0  # a run whose merge costs sum under this is not read as one digit
# Cutting between two groups whose strokes cross and which overlap across more than
# CROSS_OVERLAP of the narrower's width costs CROSS_PENALTY (an X's two strokes read "11"),
# more than a run that is no digit at all loses (log 1e-4).
CROSS_OVERLAP = 0.8
CROSS_PENALTY = 12.0
CROSS_SEGMENTS = 64  # a stroke is thinned to at most this many segments to find crossings
# Neighbouring groups whose cut costs under STACKED lie over one another as no two digits of a
# number do (a K's two arms read "11"): every cut between digits measured costs 0 (see
# `cut_cost`).
STACKED = -2.0
TIE = 1e-3  # where two groupings read as surely, a cut between groups wins (a 7 touching a 1)


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


def best_cut(scores, count, cut_cost=None):
    """The runs covering strokes 0..count-1 whose log-scores sum highest.

    Args:
        scores: {(start, end): log-score}; the single strokes must all be there.
        count: the number of strokes.
        cut_cost: None, or a function of two consecutive runs giving the log-score of
            cutting between them (0 for a likely cut, negative for an unlikely one).

    Returns:
        The chosen (start, end) runs, in order.
    """
    # best[run]: the highest total of runs covering strokes 0..run's end that end with run.
    best, back, ending = {}, {}, {}
    for run, score in sorted(scores.items(), key=lambda item: item[0][1]):
        start = run[0]
        if start == 0:
            best[run], back[run] = score, None
            ending.setdefault(run[1], []).append(run)
            continue
        before = ending.get(start)
        if not before:
            continue
        totals = {
            previous: best[previous] + (cut_cost(previous, run) if cut_cost else 0.0)
            for previous in before
        }
        chosen = max(totals, key=totals.get)
        best[run], back[run] = totals[chosen] + score, chosen
        ending.setdefault(run[1], []).append(run)
    run = max(ending[count], key=best.get)
    runs = []
    while run is not None:
        runs.append(run)
        run = back[run]
    return runs[::-1]


def extent(strokes, pen):
    """(left, top, right, bottom) of strokes' ink."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0) - pen / 2, points.max(axis=0) + pen / 2
    return float(low[0]), float(low[1]), float(high[0]), float(high[1])


def joined(extents):
    """The extent of several extents together."""
    lefts, tops, rights, bottoms = zip(*extents, strict=True)
    return min(lefts), min(tops), max(rights), max(bottoms)


def cut_cost(left, right, crossed=None):
    """The log-score of cutting between two groups of strokes written one after the other,
    from their extents (see `extent`).

    Two digits of a number stand side by side, about as tall as each other. Parts of one
    digit (an 8's two loops, a 4's corner and its upright, a 5's flag) lie over one another:
    one far shorter than the other, or stacked. Measured on numbers composed from the
    training writers' digits (`python -m model.study.stroke_layout`), in 99 cuts of 100
    between digits: the narrower group overlaps
    the other by at most 40% of its width, the shorter is at least 0.85 as tall as the taller
    and their heights overlap by at least 85% of the shorter (the costs start at 0.4, 0.75
    and 0.85). Inside one digit, the shorter part is a median 0.28 as tall. Groups that
    overlap across more than CROSS_OVERLAP and whose strokes cross (`crossed()`, asked only
    then) are one character (see `crossings`).
    """
    across, ratio, shared = layout(left, right)
    if across <= CUT_OVERLAP:
        return -APART_PENALTY * max(0.0, APART_HEIGHT_RATIO - ratio)
    cost = -CUT_PENALTY * (max(0.0, CUT_HEIGHT_RATIO - ratio) + max(0.0, CUT_SHARED - shared))
    if across > CROSS_OVERLAP and crossed is not None and crossed():
        cost -= CROSS_PENALTY
    return cost


def stacked(groups, strokes, pen):
    """The indices of groups (left to right) laid over a neighbour as no two digits are."""
    extents = [extent([strokes[i] for i in group], pen) for group in groups]
    found = set()
    for index in range(1, len(groups)):
        if cut_cost(extents[index - 1], extents[index]) < STACKED:
            found |= {index - 1, index}
    return found


def merge_cost(left, right):
    """The log-score of one digit's strokes being `left` then `right` (their extents): two
    groups as tall as each other, side by side and apart, are two digits, not one (a 66 read
    as one 6)."""
    across, ratio, shared = layout(left, right)
    if across >= MERGE_OVERLAP or ratio < CUT_HEIGHT_RATIO or shared < CUT_SHARED:
        return 0.0
    return -MERGE_PENALTY * (MERGE_OVERLAP - across)


def crossings(strokes, pen):
    """A function (i, j) -> whether strokes i and j cross each other (cached). In numbers of
    the training writers' digits (`python -m model.study.stroke_layout`), 2 of 4,965 cuts
    between digits overlap across more than `CROSS_OVERLAP` with strokes crossing; 58% of the
    cuts inside a digit do (an X's strokes, a 4's bar and upright).
    """
    simple, known = {}, {}

    def segments(index):
        if index not in simple:
            simple[index] = _simplified(strokes[index], pen)
        return simple[index]

    def crossing(i, j):
        key = (min(i, j), max(i, j))
        if key not in known:
            known[key] = _cross(segments(i), segments(j))
        return known[key]

    return crossing


def _simplified(stroke, pen):
    """The stroke's segments (N, 2, 2), its points thinned to within a quarter pen width and
    to at most CROSS_SEGMENTS segments (a zigzag of thousands of points costs no more)."""
    points = np.asarray(stroke, dtype=np.float32).reshape(-1, 2)
    points = at_most(points, 4 * CROSS_SEGMENTS)  # Douglas-Peucker's time grows with the square
    points = cv2.approxPolyDP(points[:, None], max(pen / 4, 0.5), False)
    points = at_most(points.reshape(-1, 2).astype(np.float64), CROSS_SEGMENTS + 1)
    return np.stack([points[:-1], points[1:]], axis=1)


def at_most(points, count):
    """`points`, or `count` of them evenly picked, first and last kept, when there are more."""
    if len(points) <= count:
        return points
    return points[np.linspace(0, len(points) - 1, count).round().astype(int)]


def _cross(a, b):
    """Whether a segment of `a` crosses one of `b` away from both ends (touching is not
    crossing); `a` and `b` are (N, 2, 2) segments."""
    if not len(a) or not len(b):
        return False
    p, r = a[:, None, 0], a[:, None, 1] - a[:, None, 0]
    q, s = b[None, :, 0], b[None, :, 1] - b[None, :, 0]
    across = r[..., 0] * s[..., 1] - r[..., 1] * s[..., 0]
    gap = q - p
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (gap[..., 0] * s[..., 1] - gap[..., 1] * s[..., 0]) / across
        u = (gap[..., 0] * r[..., 1] - gap[..., 1] * r[..., 0]) / across
    inside = (np.abs(across) > 1e-9) & (t > 0.02) & (t < 0.98) & (u > 0.02) & (u < 0.98)
    return bool(inside.any())


def layout(a, b):
    """How two extents lie: the share of the narrower's width they overlap across (negative
    when apart), the shorter's height over the taller's, the share of the shorter's height
    they share."""
    widths, heights = (a[2] - a[0], b[2] - b[0]), (a[3] - a[1], b[3] - b[1])
    across = (min(a[2], b[2]) - max(a[0], b[0])) / max(min(widths), 1e-6)
    ratio = min(heights) / max(max(heights), 1e-6)
    shared = (min(a[3], b[3]) - max(a[1], b[1])) / max(min(heights), 1e-6)
    return across, ratio, shared


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
    extents = [extent([strokes[i]], pen) for i in kept]

    def of(start, end):
        return joined(extents[start:end])

    merging = {
        (start, end): sum(
            merge_cost(of(start, middle), of(middle, end)) for middle in range(start + 1, end)
        )
        for start, end in candidate_runs([strokes[i] for i in kept], pen)
    }
    # Runs plainly of several digits side by side are not read at all.
    runs = [run for run, cost in merging.items() if cost > HOPELESS]
    scores, _ = score_runs([tuple(kept[start:end]) for start, end in runs])
    scores = [score + merging[run] for score, run in zip(scores, runs, strict=True)]

    crossing = crossings([strokes[i] for i in kept], pen)

    def cost(left, right):
        def crossed():
            return any(crossing(i, j) for i in range(*left) for j in range(*right))

        return cut_cost(of(*left), of(*right), crossed) + TIE

    cut = best_cut(dict(zip(runs, scores, strict=True)), len(kept), cost)
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
