"""Reading a whole number: find the digits in a picture, cut touching ones where the pieces
read best, read each.

The model is passed in as a function (MNIST images -> probabilities), so this module stays
free of TensorFlow.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from model.inference.cuts import between, cut_paths, start_columns
from model.inference.preprocess import crop_to_mnist, ink_box, tight_crop
from model.inference.segment import (
    BINARY_LEVEL,
    OVERLAP,
    SHORT,
    Region,
    box_union,
    components,
    group_digits,
    hole_boxes,
    holes,
    shape_problem,
    stroke_width,
)

SPLIT_ASPECT = 0.8  # wider than this (width / height) may be several touching digits
PIECE_ASPECT = 0.4  # the narrowest a digit is assumed to be when counting pieces
MAX_PIECES = 5
PIECE_HEIGHT = 0.75  # a piece shorter than this fraction of its region is not a digit
MAX_SPAN = 7  # a piece spans at most this many segments between cut paths
MAX_SPAN_WIDTH = 1.8  # ...and is at most this many digit widths wide
TYPICAL_ASPECT = 0.7  # a digit's usual width / height
PRIOR_WEIGHT = 0.3  # how much a piece count far from width / usual width costs
RING_SPAN = 0.6  # a hole this much of the region's width makes it one digit (a wide 0)...
RING_RIMS = 4  # ...when the rest of the width is at most this many stroke widths
RING_GAP = 2.0  # ...a ring open by a gap up to about this many stroke widths counts too,
RING_TALL = 0.65  # ...when its hole is this much of the height
RING_ROUND = 0.7  # ...and fills this much of its box


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


def _piece(crop, left, right):
    """The piece of a region between two cut paths (None: the region's edge), with its box
    in the region, or None when it is not a whole digit (no ink, too short, a dot or dash)."""
    part, offset = between(crop, left, right)
    box = ink_box(part)
    if box is None or box[3] < PIECE_HEIGHT * crop.shape[0]:
        return None
    x, y, width, height = box
    piece = part[y : y + height, x : x + width]
    if shape_problem(piece):
        return None
    return piece, (offset + x, y, width, height)


def _one_ring(crop):
    """True when a hole in the ink spans most of its width: one wide loop, a flat 0, never
    several digits side by side (their holes are each at most about half the width), nor a
    digit written into a 0 (ink beyond the hole, on either side, wider than the 0's rims).
    A 0 left open by a gap of up to RING_GAP stroke widths counts when its hole, closed, is
    tall and round (the space between two touching digits, closed, is not)."""
    mask = crop > BINARY_LEVEL
    pen = stroke_width(mask)
    rims = RING_RIMS * pen

    def wide(width):
        return width >= RING_SPAN * crop.shape[1] and width >= crop.shape[1] - rims

    if any(wide(width) for _, _, width, _ in hole_boxes(mask)):
        return True
    side = max(3, int(round(RING_GAP * pen)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    closed = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, kernel)

    def round_and_tall(hole):
        _, _, width, height = cv2.boundingRect(hole)
        return (
            wide(width)
            and height >= RING_TALL * crop.shape[0]
            and cv2.contourArea(hole) >= RING_ROUND * width * height
        )

    return any(round_and_tall(hole) for hole in holes(closed))


def _lattice(crop, digit_width):
    """Ways to read one region: the region whole, or pieces between candidate cut paths.

    Returns:
        (nodes, pieces): the number of cut positions (its left edge, each cut path, its
        right edge: node 0 to node nodes - 1), and (first, last, piece, box) for the
        piece between two of them that may be one digit.
    """
    height, width = crop.shape
    last = 1
    pieces = [(0, 1, crop, (0, 0, width, height))]
    if width > SPLIT_ASPECT * height and not _one_ring(crop):
        most = min(MAX_PIECES, int(width / (PIECE_ASPECT * height)))
        evenly = [
            width * index / count for count in range(2, most + 1) for index in range(1, count)
        ]
        paths = cut_paths(crop, start_columns(crop > BINARY_LEVEL, evenly))
        last = len(paths) + 1
        bounds = [None, *paths, None]
        widest = MAX_SPAN_WIDTH * max(digit_width, PIECE_ASPECT * height)
        pieces = []
        for first in range(last):
            for end in range(first + 1, min(last, first + MAX_SPAN) + 1):
                if (first, end) == (0, last):
                    continue
                left, right = bounds[first], bounds[end]
                if left is not None and right is not None and (right - left).min() > widest:
                    break
                found = _piece(crop, left, right)
                if found is not None:
                    pieces.append((first, end, *found))
        pieces.append((0, last, crop, (0, 0, width, height)))
    return last + 1, pieces


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


def _joined(a, b):
    """The region of two overlapping neighbours together."""
    return Region(box_union(a.box, b.box), a.labels + b.labels)


def _pair_lattice(a, b, values, label_image):
    """(nodes, pieces) for two overlapping neighbours: read as two digits, or as one."""
    both = _joined(a, b)
    apart = [
        _as_piece(part.crop(values, label_image), np.subtract(part.box[:2], both.box[:2]))
        for part in (a, b)
    ]
    whole = _as_piece(both.crop(values, label_image), (0, 0))
    return 3, [(0, 1, *apart[0]), (1, 2, *apart[1]), (0, 2, *whole)]


def _readable_regions(values, label_image, kept, left, top):
    """Each group of strokes, or pair of overlapping neighbours, as (region, pair or None),
    and (box, reason) for dots and dashes."""
    regions, skipped = [], []
    groups = group_digits(label_image, kept)
    tallest = max((group.box[3] for group in groups), default=0)
    for region in groups:
        crop = region.crop(values, label_image)
        problem = shape_problem(tight_crop(crop), loops=region.box[3] >= SHORT * tallest)
        if problem:
            skipped.append((_shifted(region.box, left, top), problem))
        else:
            regions.append(region)
    paired, index = [], 0
    while index < len(regions):
        region = regions[index]
        following = regions[index + 1] if index + 1 < len(regions) else None
        if following is not None and _overlapping(region, following):
            paired.append((_joined(region, following), (region, following)))
            index += 2
        else:
            paired.append((region, None))
            index += 1
    return paired, skipped


def _digit_width(regions):
    """The usual width of one digit in this picture, from the median height: heights vary
    little from digit to digit, widths a lot (a 1, a run of touching digits)."""
    heights = sorted(region.box[3] for region in regions)
    return TYPICAL_ASPECT * heights[len(heights) // 2]


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
    label_image, kept = components(values, ink.edge_reach)
    regions, skipped = _readable_regions(values, label_image, kept, left, top)
    if not regions:
        return DigitPlan([], [], 0.0), skipped
    digit_width = _digit_width([region for region, _ in regions])
    lattices = [
        _pair_lattice(*pair, values, label_image)
        if pair
        else _lattice(region.crop(values, label_image), digit_width)
        for region, pair in regions
    ]
    images = [crop_to_mnist(piece) for _, pieces in lattices for _, _, piece, _ in pieces]
    layout = [
        (
            _shifted(region.box, left, top),
            nodes,
            [(first, last, box) for first, last, _, box in pieces],
            len(region.labels) == 1,  # one stroke: a reading of it in pieces is a cut
        )
        for (region, _), (nodes, pieces) in zip(regions, lattices, strict=True)
    ]
    return DigitPlan(images, layout, digit_width), skipped


def _best_chain(nodes, pieces, scores, expected):
    """The chain of pieces from the region's left edge to its right edge with the best mean
    score, after the prior on how many digits the region's width holds.

    Args:
        nodes: cut positions, 0 to nodes - 1.
        pieces: (first, last, box) of each candidate piece.
        scores: each piece's log-confidence.
        expected: how many digits the region's width usually holds.

    Returns:
        The indices of the chosen pieces, left to right.
    """
    end = nodes - 1
    total = np.full((nodes, nodes), -np.inf)  # total[count, node]: best sum of `count` pieces
    came = np.full((nodes, nodes), -1, np.int64)
    total[0, 0] = 0.0
    for count in range(1, nodes):
        for index, (first, last, _) in enumerate(pieces):
            value = total[count - 1, first] + scores[index]
            if value > total[count, last]:
                total[count, last], came[count, last] = value, index
    counts = np.arange(1, nodes)
    chosen = total[1:, end] / counts
    chosen -= PRIOR_WEIGHT * (counts - expected) ** 2 / max(expected, 1.0)
    count = int(counts[np.argmax(chosen)])
    chain, node = [], end
    for step in range(count, 0, -1):
        index = came[step, node]
        chain.append(index)
        node = pieces[index][0]
    return chain[::-1]


def choose_digits(plan, probabilities, is_digit):
    """The second half of `find_digits`: the best reading of each region, from the model's
    outputs for `plan.images` (in their order).

    Returns:
        The digits as (image28, probabilities, is_digit, box, cut), box at working
        resolution, cut True for a piece of one stroke cut into several digits.
    """
    digits, start = [], 0
    scores = np.log(np.clip(probabilities.max(axis=1) * is_digit, 1e-9, 1.0))
    for (x, y, width, _), nodes, pieces, one_stroke in plan.layout:
        expected = width / plan.digit_width
        chunk = slice(start, start + len(pieces))
        chain = _best_chain(nodes, pieces, scores[chunk], expected)
        cut = one_stroke and len(chain) > 1
        for index in chain:
            px, py, pw, ph = pieces[index][2]
            box = (x + px, y + py, pw, ph)
            at = start + index
            digits.append((plan.images[at], probabilities[at], is_digit[at], box, cut))
        start = chunk.stop
    return digits


def find_digits(ink, infer):
    """The digits in an ink map, left to right.

    Each region is read whole and, when wide, over-segmented by cut paths that follow the
    background between strokes (`model.inference.cuts`): every piece between two paths that
    may be one digit is read, and the chain of pieces across the region with the best mean
    log-confidence wins, after a prior on how many digits that width usually holds. Two
    neighbours sharing most of their columns are read apart and as one digit.

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
