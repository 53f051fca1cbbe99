"""Reading a whole number: find the digits in a picture, cut touching ones where the pieces
read best, read each.

The model is passed in as a function (MNIST images -> probabilities), so this module stays
free of TensorFlow.
"""

from dataclasses import dataclass, field

import cv2
import numpy as np

from model.inference.cuts import between, cut_paths, start_columns
from model.inference.pairs import NOT_A_PAIR
from model.inference.preprocess import crop_to_mnist, crop_to_pair, ink_box, tight_crop
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
PAIR_ASPECT = (SPLIT_ASPECT, 2.4)  # a piece this wide for its height may be two digits in one
NOT_TWO = 0.5  # ...a piece it gives this much is never read as a pair
SURELY_TWO = 0.05  # ...under this, reading it as one digit costs log(p / SURELY_TWO)
SURELY_ONE = 0.05  # ...two digits under this: a cut inside it costs log(p / SURELY_ONE)
ONE_DIGIT = 0.97  # ...when it reads as one digit this surely (a digit and a half is no pair)
LOG_ONE_DIGIT = np.log(ONE_DIGIT)
ONE_ONE = 11  # the pair class "11"
# One stroke whose ink spans V_SPREAD of its width in two arms along its top V_BAND and at
# most V_POINT at its bottom is a V: cut into 1s, it is no number.
V_BAND = 0.15
V_SPREAD = 0.6
V_POINT = 0.35


@dataclass
class DigitPlan:
    """What the model must read in one picture, and how to choose from its answers.

    images: the uint8 (28, 28) MNIST images of every candidate piece, region by region.
    layout: per region, its box (at working resolution, in the picture) and its candidate
        readings, each a list of piece boxes relative to the region; whether it is one
        stroke; the pieces that may be two digits in one, for the pair reader; and whether
        it is one stroke shaped as a V (`_meets_below`).
    digit_width: the usual width of one digit in this picture.
    pair_images: the uint8 (28, 56) pictures of those pieces, region by region.
    """

    images: list
    layout: list
    digit_width: float
    pair_images: list = field(default_factory=list)


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


def _meets_below(crop):
    """Whether two arms apart at the top meet in a point at the bottom, as a V's do (two
    touching 1s stand apart at the bottom too)."""
    mask = crop > BINARY_LEVEL
    rows = max(1, round(V_BAND * mask.shape[0]))

    def columns(band):
        return np.flatnonzero(band.any(axis=0))

    top, bottom = columns(mask[:rows]), columns(mask[-rows:])
    if not len(top) or not len(bottom):
        return False
    arms = int(np.count_nonzero(np.diff(top) > 1)) + 1
    width = mask.shape[1]
    return (
        arms >= 2
        and top[-1] - top[0] + 1 >= V_SPREAD * width
        and bottom[-1] - bottom[0] + 1 <= V_POINT * width
    )


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


def _may_be_two(box):
    return PAIR_ASPECT[0] * box[3] <= box[2] <= PAIR_ASPECT[1] * box[3]


def plan_digits(ink, pairs=False):
    """The first half of `read_plan`: every way to read the ink, as MNIST images to infer.

    Only the 28x28 images and the boxes are kept, so that many pictures can be planned, read
    by the model in one call, and finished with `choose_digits`.

    Args:
        ink: an `model.inference.ink.Ink` that is not blank.
        pairs: whether to plan pictures for the pair reader too.

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
    doubles = [
        [piece for piece in pieces if pairs and _may_be_two(piece[3])] for _, pieces in lattices
    ]
    layout = [
        (
            _shifted(region.box, left, top),
            nodes,
            [(first, last, box) for first, last, _, box in pieces],
            len(region.labels) == 1,  # one stroke: a reading of it in pieces is a cut
            [(first, last, box) for first, last, _, box in two],
            # a V only matters where there are cuts; the last piece is the region whole
            len(region.labels) == 1 and nodes > 2 and _meets_below(pieces[-1][2]),
        )
        for (region, _), (nodes, pieces), two in zip(regions, lattices, doubles, strict=True)
    ]
    pair_images = [crop_to_pair(piece) for two in doubles for _, _, piece, _ in two]
    return DigitPlan(images, layout, digit_width, pair_images), skipped


def _best_chain(nodes, pieces, scores, expected, node_costs=None):
    """The chain of pieces from the region's left edge to its right edge with the best mean
    score per digit, after the prior on how many digits the region's width holds.

    Args:
        nodes: cut positions, 0 to nodes - 1.
        pieces: (first, last, digits) of each candidate piece: the piece between two cut
            positions read as `digits` digits (1, or 2 by the pair reader).
        scores: each piece's log-confidence (of both digits, for a pair).
        expected: how many digits the region's width usually holds.
        node_costs: (nodes,) log-costs of a chain cutting at each position (0 at the edges).

    Returns:
        The indices of the chosen pieces, left to right.
    """
    costs = np.zeros(nodes) if node_costs is None else node_costs
    end = nodes - 1
    most = min(2 * end, end + sum(digits - 1 for _, _, digits in pieces))  # digits at most
    total = np.full((most + 1, nodes), -np.inf)  # total[count, node]: best sum of `count` digits
    came = np.full((most + 1, nodes), -1, np.int64)
    total[0, 0] = 0.0
    for count in range(1, most + 1):
        for index, (first, last, digits) in enumerate(pieces):
            if digits > count:
                continue
            value = total[count - digits, first] + costs[first] + scores[index]
            if value > total[count, last]:
                total[count, last], came[count, last] = value, index
    counts = np.arange(1, most + 1)
    chosen = total[1:, end] / counts
    chosen -= PRIOR_WEIGHT * (counts - expected) ** 2 / max(expected, 1.0)
    count = int(counts[np.argmax(chosen)])
    chain, node = [], end
    while count > 0:
        index = came[count, node]
        chain.append(index)
        node = pieces[index][0]
        count -= pieces[index][2]
    return chain[::-1]


def _halves(pair_image):
    """The two 28x28 images of a pair picture's left and right halves (what the Why? panel
    shows for digits the pair reader read)."""
    middle = pair_image.shape[1] // 2
    halves = []
    for half in (pair_image[:, :middle], pair_image[:, middle:]):
        ink = tight_crop(half.astype(np.float32) / 255)
        halves.append(crop_to_mnist(ink) if ink.max() > 0 else np.zeros((28, 28), np.uint8))
    return halves


def _pair_digits(pair_image, probabilities, box):
    """The two digits a pair reading holds: (image28, probabilities, is_digit, box) each, the
    probabilities of each being the pair reader's, summed over the other digit."""
    grid = probabilities[:NOT_A_PAIR].reshape(10, 10)
    is_pair = float(grid.sum())
    grid = grid / max(is_pair, 1e-9)
    x, y, width, height = box
    half = width // 2
    boxes = ((x, y, half, height), (x + half, y, width - half, height))
    return [
        (image, marginal.astype(np.float32), np.float32(is_pair), part)
        for image, marginal, part in zip(
            _halves(pair_image), (grid.sum(axis=1), grid.sum(axis=0)), boxes, strict=True
        )
    ]


def choose_digits(plan, probabilities, is_digit, pair_probabilities=None):
    """The second half of `read_plan`: the best reading of each region, from the model's
    outputs for `plan.images` (in their order), and the pair reader's for
    `plan.pair_images` when given.

    Returns:
        The digits as (image28, probabilities, is_digit, box, cut, paired), box at working
        resolution, cut True for a piece of one stroke cut into several digits, paired True
        for a digit the pair reader read with its neighbour.
    """
    digits, start, pair_start = [], 0, 0
    scores = np.log(np.clip(probabilities.max(axis=1) * is_digit, 1e-9, 1.0))
    pair_scores = np.zeros(0)
    if pair_probabilities is not None and len(pair_probabilities):
        pair_scores = np.log(np.clip(pair_probabilities[:, :NOT_A_PAIR].max(axis=1), 1e-9, 1.0))
        # What the pair reader itself takes for no two digits is not read as two.
        pair_scores[pair_probabilities[:, NOT_A_PAIR] >= NOT_TWO] = -np.inf
        one = np.clip(pair_probabilities[:, NOT_A_PAIR], 1e-9, 1.0)
        one_scores = np.minimum(0.0, np.log(one / SURELY_TWO))
        two_digits = np.clip(1.0 - pair_probabilities[:, NOT_A_PAIR], 1e-6, 1.0)
        cut_costs = np.minimum(0.0, np.log(two_digits / SURELY_ONE))
    for (x, y, width, _), nodes, pieces, one_stroke, two, a_v in plan.layout:
        expected = width / plan.digit_width
        chunk = slice(start, start + len(pieces))
        candidates = [(first, last, 1) for first, last, _ in pieces]
        region_scores = list(scores[chunk])
        node_costs = np.zeros(nodes)
        if pair_probabilities is not None:
            candidates += [(first, last, 2) for first, last, _ in two]
            chunk_scores = pair_scores[pair_start : pair_start + len(two)].copy()
            single = {(first, last): at for at, (first, last, _) in enumerate(pieces)}
            for offset, (first, last, _) in enumerate(two):
                at = single[(first, last)]  # every piece in `two` is read alone too
                # A piece the pair reader is sure holds two digits costs as one digit...
                region_scores[at] += one_scores[pair_start + offset]
                # ...and one it is sure is not two (a 5 with a long flag, a 0 whose pen runs
                # on) makes every cut inside it cost, when it reads as one sure digit.
                if scores[start + at] >= LOG_ONE_DIGIT:
                    node_costs[first + 1 : last] += cut_costs[pair_start + offset]
            if one_stroke:  # two 1s joined in one stroke are a V, W, X or H: not a pair
                read = pair_probabilities[pair_start : pair_start + len(two)].argmax(axis=1)
                chunk_scores[read == ONE_ONE] = -np.inf
            region_scores += list(chunk_scores)
        chain = _best_chain(nodes, candidates, region_scores, expected, node_costs)
        cut = one_stroke and sum(candidates[index][2] for index in chain) > 1
        found_here = []
        for index in chain:
            paired = bool(index >= len(pieces))
            if paired:
                at = pair_start + index - len(pieces)
                found = _pair_digits(
                    plan.pair_images[at], pair_probabilities[at], two[index - len(pieces)][2]
                )
            else:
                at = start + index
                found = [(plan.images[at], probabilities[at], is_digit[at], pieces[index][2])]
            for image, digit_probabilities, belief, (px, py, pw, ph) in found:
                box = (x + px, y + py, pw, ph)
                found_here.append((image, digit_probabilities, belief, box, cut, paired))
        if cut and a_v and all(item[1].argmax() == 1 for item in found_here):
            # A V cut into "11": no digits (the gate's belief in them is nil).
            found_here = [(*item[:2], np.float32(0.0), *item[3:]) for item in found_here]
        digits += found_here
        start = chunk.stop
        pair_start += len(two)
    return digits


def read_plan(plan, infer, pairs=None):
    """The digits of a plan (`plan_digits`), left to right, chosen without the pair reader
    and with it: one call of each model.

    Each region is read whole and, when wide, over-segmented by cut paths that follow the
    background between strokes (`model.inference.cuts`): every piece between two paths that
    may be one digit is read (and, with the pair reader, every piece that may be two), and
    the chain of pieces across the region with the best mean log-confidence per digit wins,
    after a prior on how many digits that width usually holds. Two neighbours sharing most
    of their columns are read apart and as one digit.

    Args:
        plan: a `DigitPlan`.
        infer: function from uint8 (N, 28, 28) images to (N, 10) probabilities and the
            (N,) probabilities that each is a digit at all.
        pairs: the pair reader (uint8 (N, 28, 56) to (N, 101) probabilities), or None.

    Returns:
        (alone, paired): the digits as `choose_digits` returns them, without the pair
        reader and with it (the same list when there is none or no pair picture).
    """
    if not plan.images:
        return [], []
    outputs = infer(np.stack(plan.images))
    alone = choose_digits(plan, *outputs)
    if pairs is None or not plan.pair_images:
        return alone, alone
    return alone, choose_digits(plan, *outputs, pairs(np.stack(plan.pair_images)))
