"""Reading a whole number: find the digits in a picture, split touching ones, read each.

The model is passed in as a function (MNIST images -> probabilities), so this module stays
free of TensorFlow.
"""

from dataclasses import dataclass

import numpy as np

from model.inference.preprocess import crop_to_mnist, ink_box, tight_crop
from model.inference.segment import (
    BINARY_LEVEL,
    OVERLAP,
    SHORT,
    Region,
    components,
    group_digits,
    hole_boxes,
    shape_problem,
    split_columns,
)

SPLIT_ASPECT = 0.8  # wider than this (width / height) may be several touching digits
PIECE_ASPECT = 0.4  # the narrowest a digit is assumed to be when counting pieces
MAX_PIECES = 5
TYPICAL_ASPECT = 0.7  # a digit's usual width / height, when there are no other digits to compare
PRIOR_WEIGHT = 0.3  # how much a piece count far from width / usual width costs
RING_SPAN = 0.6  # a hole this much of the region's width makes it one digit (a wide 0)


@dataclass
class DigitPlan:
    """What the model must read in one picture, and how to choose from its answers.

    images: the uint8 (28, 28) MNIST images of every candidate piece, region by region.
    layout: per region, its box (at working resolution, in the picture) and its candidate
        readings, each a list of piece boxes relative to the region.
    digit_width: the usual width of one digit in this picture.
    """

    images: list
    layout: list
    digit_width: float


def _piece_crops(crop, cuts):
    """The pieces between cuts with their boxes, or None when one is not a whole digit."""
    edges = [0, *cuts, crop.shape[1]]
    pieces = []
    for left, right in zip(edges[:-1], edges[1:], strict=True):
        piece = crop[:, left:right]
        box = ink_box(piece)
        if box is None or box[3] < SHORT * crop.shape[0]:
            return None
        x, y, width, height = box
        piece = piece[y : y + height, x : x + width]
        if shape_problem(piece):
            return None
        pieces.append((piece, (left + x, y, width, height)))
    return pieces


def _one_ring(crop):
    """True when a hole in the ink spans most of its width: one wide loop, a flat 0, never
    several digits side by side (their holes are each at most about half the width)."""
    holes = hole_boxes(crop > BINARY_LEVEL)
    return any(width >= RING_SPAN * crop.shape[1] for _, _, width, _ in holes)


def _candidates(crop):
    """Ways to read one region: whole, or cut into 2..n touching digits."""
    height, width = crop.shape
    whole = [(crop, (0, 0, width, height))]
    candidates = [whole]
    if width > SPLIT_ASPECT * height and not _one_ring(crop):
        most = min(MAX_PIECES, int(width / (PIECE_ASPECT * height)))
        for pieces in range(2, most + 1):
            cut = _piece_crops(crop, split_columns(crop, pieces))
            if cut:
                candidates.append(cut)
    return candidates


def _overlapping(a, b):
    """Whether two neighbours share most of the narrower one's columns: the two arcs of a
    faint 0, or two digits written into each other."""
    (ax, _, aw, _), (bx, _, bw, _) = a.box, b.box
    shared = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    return shared >= OVERLAP * min(aw, bw)


def _as_piece(crop, offset):
    """A crop as one candidate piece: its tight box, shifted by `offset` (x, y)."""
    x, y, width, height = ink_box(crop) or (0, 0, *crop.shape[::-1])
    piece = crop[y : y + height, x : x + width]
    return piece, (offset[0] + x, offset[1] + y, width, height)


def _pair_candidates(a, b, values, label_image):
    """(region, candidates) for two overlapping neighbours: read as two digits, or as one."""
    both = Region(
        (
            min(a.box[0], b.box[0]),
            min(a.box[1], b.box[1]),
            max(a.box[0] + a.box[2], b.box[0] + b.box[2]) - min(a.box[0], b.box[0]),
            max(a.box[1] + a.box[3], b.box[1] + b.box[3]) - min(a.box[1], b.box[1]),
        ),
        a.labels + b.labels,
    )
    apart = [
        _as_piece(part.crop(values, label_image), np.subtract(part.box[:2], both.box[:2]))
        for part in (a, b)
    ]
    return both, [apart, [_as_piece(both.crop(values, label_image), (0, 0))]]


def _readable_regions(values, label_image, kept, left, top):
    """(region, candidates) for each group of strokes, and (box, reason) for dots and dashes."""
    regions, skipped = [], []
    groups = group_digits(label_image, kept)
    tallest = max((group.box[3] for group in groups), default=0)
    for region in groups:
        crop = region.crop(values, label_image)
        problem = shape_problem(tight_crop(crop), loops=region.box[3] >= SHORT * tallest)
        if problem:
            skipped.append((_shifted(region.box, left, top), problem))
        else:
            regions.append((region, _candidates(crop)))
    paired, index = [], 0
    while index < len(regions):
        region = regions[index][0]
        following = regions[index + 1][0] if index + 1 < len(regions) else None
        if following is not None and _overlapping(region, following):
            paired.append(_pair_candidates(region, following, values, label_image))
            index += 2
        else:
            paired.append(regions[index])
            index += 1
    return paired, skipped


def _score(probabilities, is_digit):
    return float(np.log(np.clip(probabilities.max(axis=1) * is_digit, 1e-9, 1.0)).mean())


def _digit_width(regions):
    """The usual width of one digit in this picture: the median width, or from the height."""
    widths = sorted(region.box[2] for region in regions)
    heights = sorted(region.box[3] for region in regions)
    height = heights[len(heights) // 2]
    if len(regions) < 3:
        return TYPICAL_ASPECT * height
    return max(widths[len(widths) // 2], TYPICAL_ASPECT * height)


def _shifted(box, left, top):
    return (box[0] + left, box[1] + top, *box[2:])


def plan_digits(ink):
    """The first half of `find_digits`: every way to read the ink, as MNIST images to infer.

    Only the 28x28 images and the boxes are kept, so that many pictures can be planned, read
    by the model in one call, and finished with `choose_digits`.

    Args:
        ink: an `model.inference.ink.Ink` that is not blank.

    Returns:
        (plan, skipped): the plan (its `images` are uint8 (28, 28) arrays, possibly none),
        and (box, reason) for dots and dashes.
    """
    values, (left, top) = ink.inked
    label_image, kept = components(values)
    regions, skipped = _readable_regions(values, label_image, kept, left, top)
    if not regions:
        return DigitPlan([], [], 0.0), skipped
    digit_width = _digit_width([region for region, _ in regions])
    images = [
        crop_to_mnist(piece)
        for _, candidates in regions
        for candidate in candidates
        for piece, _ in candidate
    ]
    layout = [
        (
            _shifted(region.box, left, top),
            [[box for _, box in candidate] for candidate in candidates],
            len(region.labels) == 1,  # one stroke: a reading of it in pieces is a cut
        )
        for region, candidates in regions
    ]
    return DigitPlan(images, layout, digit_width), skipped


def choose_digits(plan, probabilities, is_digit):
    """The second half of `find_digits`: the best reading of each region, from the model's
    outputs for `plan.images` (in their order).

    Returns:
        The digits as (image28, probabilities, is_digit, box, cut), box at working
        resolution, cut True for a piece of one stroke cut into several digits.
    """
    digits, start = [], 0
    for (x, y, width, _), candidates, one_stroke in plan.layout:
        expected = width / plan.digit_width
        best, best_score = None, -np.inf
        for candidate in candidates:
            chunk = slice(start, start + len(candidate))
            score = _score(probabilities[chunk], is_digit[chunk])
            score -= PRIOR_WEIGHT * (len(candidate) - expected) ** 2 / max(expected, 1.0)
            if score > best_score:
                best, best_score = (candidate, start), score
            start += len(candidate)
        candidate, first = best
        cut = one_stroke and len(candidate) > 1
        for index, (px, py, pw, ph) in enumerate(candidate, start=first):
            box = (x + px, y + py, pw, ph)
            digits.append((plan.images[index], probabilities[index], is_digit[index], box, cut))
    return digits


def find_digits(ink, infer):
    """The digits in an ink map, left to right.

    Each region is read whole and, when wide, cut into 2..n pieces; two neighbours sharing
    most of their columns are read apart and as one digit. The reading with the best mean
    log-confidence wins, after a prior on how many digits that width usually holds.

    Args:
        ink: an `model.inference.ink.Ink` that is not blank.
        infer: function from uint8 (N, 28, 28) images to (N, 10) probabilities and the
            (N,) probabilities that each is a digit at all.

    Returns:
        (digits, skipped): digits as (image28, probabilities, is_digit, box, cut) with the
        box at working resolution, and cut True for a piece of one stroke cut into several
        digits; skipped as (box, reason) for dots and dashes.
    """
    plan, skipped = plan_digits(ink)
    if not plan.images:
        return [], skipped
    return choose_digits(plan, *infer(np.stack(plan.images))), skipped
