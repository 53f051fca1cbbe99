"""Cutting ink into digits: connected strokes, specks dropped, detached parts joined.

Works on an ink map (see `model.inference.ink`). Pure numpy/OpenCV.
"""

from dataclasses import dataclass

import cv2
import numpy as np

BINARY_LEVEL = 0.3  # ink above this is part of a stroke
SPECK_AREA = 0.04  # components smaller than this fraction of the largest area...
SPECK_HEIGHT = 0.3  # ...and shorter than this fraction of the tallest one are specks
CONTAINED = 0.8  # a part lying this much inside another digit's columns belongs to it
OVERLAP = 0.5  # a smaller part overlapping this much joins when it is not side by side
SHORT = 0.45  # a part shorter than this fraction of the tallest digit is not a digit alone...
NEAR = 0.3  # ...and joins the digit beside it when the gap is below this fraction of that height
DOT_EXTENT = 3.0  # a blob no longer than 3 stroke widths is a dot
DASH_ASPECT = 2.5  # a stroke this much wider than tall, and thin, is a dash
LOOP = 0.2  # ...unless it encloses a hole this much of its height and width (a fat 8)


@dataclass
class Region:
    """One digit's ink: a bounding box (x, y, w, h) at working resolution and its labels."""

    box: tuple
    labels: tuple

    def crop(self, ink, label_image):
        """The region's ink, with other regions' strokes inside its box blanked."""
        x, y, w, h = self.box
        window = label_image[y : y + h, x : x + w]
        return np.where(is_one_of(window, self.labels), ink[y : y + h, x : x + w], 0.0)


def is_one_of(label_image, labels):
    """Boolean mask of the pixels whose label is one of `labels` (np.isin, 5x faster)."""
    if len(labels) == 1:
        return label_image == labels[0]
    return np.isin(label_image, labels, kind="table")


def stroke_width(mask):
    """Average stroke width of a binary mask in pixels: 2 x area / perimeter."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, True) for contour in contours)
    return 2.0 * np.count_nonzero(mask) / perimeter if perimeter else 0.0


def _component_stats(mask, label_image):
    """Rows (label, x, y, w, h, area) of every component of a binary mask.

    cv2's connectedComponentsWithStats costs ~0.5 ms even on an empty 280x280 image; each
    component's outer border (findContours) gives its box for ~20 us instead.
    """
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    rows = []
    for contour, links in zip(contours, hierarchy[0], strict=True):
        if links[3] != -1:
            continue  # the border of a hole
        x, y, w, h = cv2.boundingRect(contour)
        label = int(label_image[contour[0, 0, 1], contour[0, 0, 0]])
        area = int(np.count_nonzero(label_image[y : y + h, x : x + w] == label))
        rows.append((label, x, y, w, h, area))
    return sorted(rows)


def components(ink, reach=0):
    """Connected strokes (8-connected) without specks.

    Args:
        ink: float ink map, 1 = full ink.
        reach: pixels by which each stroke takes in the fainter ink around it (below
            BINARY_LEVEL): a tiny picture's enlargement factor, one source pixel. A small
            scan's 1-2 px strokes are mostly grey edge; cut at the strokes' level, they
            came out thinner than the picture shows them.

    Returns:
        (label_image, stats): int32 labels of the whole `ink` array, and rows of
        (label, x, y, w, h, area) for the components kept (the area of the strokes
        themselves, the box of their faint edges too).
    """
    mask = (ink > BINARY_LEVEL).astype(np.uint8)
    count, label_image = cv2.connectedComponentsWithAlgorithm(
        mask, 8, cv2.CV_32S, cv2.CCL_SPAGHETTI
    )
    if count == 2:  # one stroke (label 0 is the background): its box is the mask's
        area = cv2.countNonZero(mask)
        if reach:
            label_image = _with_edges(label_image, ink, reach)
            mask = (label_image > 0).view(np.uint8)
        return label_image, [(1, *cv2.boundingRect(mask), area)]
    rows = _component_stats(mask, label_image)
    if not rows:
        return label_image, []
    largest_area = max(row[5] for row in rows)
    tallest = max(row[4] for row in rows)
    kept = [
        row
        for row in rows
        if row[5] >= SPECK_AREA * largest_area or row[4] >= SPECK_HEIGHT * tallest
    ]
    if reach:
        label_image = _with_edges(label_image, ink, reach, [row[0] for row in kept])
        kept = [
            (label, *_grown_box(label_image, label, box, reach), area) for label, *box, area in kept
        ]
    return label_image, kept


def _with_edges(label_image, ink, reach, labels=None):
    """The labels (those of `labels`; None: all) spread `reach` pixels into the unlabelled ink
    around them (a stroke's faint edges); where two strokes' edges meet, one takes the pixel."""
    size = 2 * reach + 1
    spreading = label_image if labels is None else label_image * is_one_of(label_image, labels)
    spread = cv2.dilate(spreading.astype(np.float32), np.ones((size, size), np.uint8))
    edges = (label_image == 0) & (ink > 0)
    return np.where(edges, spread.astype(np.int32), label_image)


def _grown_box(label_image, label, box, reach):
    """The box (x, y, w, h) of one label, found within `box` grown by `reach` pixels."""
    x, y, width, height = box
    left, top = max(x - reach, 0), max(y - reach, 0)
    window = label_image[top : y + height + reach, left : x + width + reach] == label
    x, y, width, height = cv2.boundingRect(window.view(np.uint8))
    return left + x, top + y, width, height


def box_union(*boxes):
    """The smallest (x, y, w, h) box holding every box (x, y, w, h) given."""
    x, y = min(box[0] for box in boxes), min(box[1] for box in boxes)
    right = max(box[0] + box[2] for box in boxes)
    bottom = max(box[1] + box[3] for box in boxes)
    return (x, y, right - x, bottom - y)


def overlap(start_a, size_a, start_b, size_b):
    """How far two spans (start, size) overlap; 0 when they do not."""
    return max(0, min(start_a + size_a, start_b + size_b) - max(start_a, start_b))


def _belong_together(a, b, areas):
    """Whether two groups are parts of one digit (a 5's flag, a 4 in two strokes)."""
    (ax, ay, aw, ah), (bx, by, bw, bh) = a.box, b.box
    columns = overlap(ax, aw, bx, bw) / min(aw, bw)
    if columns >= CONTAINED:
        return True
    rows = overlap(ay, ah, by, bh) / min(ah, bh)
    small = min(areas) < 0.4 * max(areas)
    return columns >= OVERLAP and (small or rows < 0.5)


def group_digits(label_image, kept):
    """Groups kept components into digits, left to right.

    Returns:
        A list of `Region`s sorted by their left edge.
    """
    regions = [Region(tuple(int(v) for v in row[1:5]), (row[0],)) for row in kept]
    areas = {row[0]: int(row[5]) for row in kept}
    merged = True
    while merged:
        merged = False
        for i in range(len(regions)):
            for j in range(i + 1, len(regions)):
                a, b = regions[i], regions[j]
                pair_areas = (sum(areas[k] for k in a.labels), sum(areas[k] for k in b.labels))
                if _belong_together(a, b, pair_areas):
                    regions[i] = Region(box_union(a.box, b.box), a.labels + b.labels)
                    del regions[j]
                    merged = True
                    break
            if merged:
                break
    return _attach_short_parts(sorted(regions, key=lambda region: region.box[0]))


def _gap(a, b):
    """Horizontal distance between two boxes (0 when they overlap)."""
    return max(0, max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2]))


def _is_minus(part, beside):
    """A flat part level with the middle of the digit beside it: a minus or a hyphen."""
    x, y, w, h = part.box
    middle = y + h / 2
    top, height = beside.box[1], beside.box[3]
    return w >= 2 * h and top + 0.3 * height <= middle <= top + 0.7 * height


def _attach_short_parts(regions):
    """Joins short parts (a 5's detached flag, a broken stroke) to the digit right beside them."""
    if len(regions) < 2:
        return regions
    tallest = max(region.box[3] for region in regions)
    for part in sorted(regions, key=lambda region: region.box[3]):
        if part.box[3] >= SHORT * tallest:
            break
        others = [region for region in regions if region is not part]
        nearest = min(others, key=lambda region: _gap(part.box, region.box))
        if _gap(part.box, nearest.box) > NEAR * tallest or _is_minus(part, nearest):
            continue
        joined = Region(box_union(part.box, nearest.box), nearest.labels + part.labels)
        regions = [joined if region is nearest else region for region in others]
    return sorted(regions, key=lambda region: region.box[0])


def hole_boxes(mask):
    """(x, y, w, h) of each hole in a 0/1 mask's ink: the background it encloses."""
    return [cv2.boundingRect(contour) for contour in holes(mask)]


def holes(mask):
    """The contour of each hole in a 0/1 mask's ink."""
    contours, hierarchy = cv2.findContours(
        mask.astype(np.uint8, copy=False), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    if hierarchy is None:
        return []
    return [
        contour for contour, links in zip(contours, hierarchy[0], strict=True) if links[3] != -1
    ]


def _has_loop(mask):
    """Whether the ink encloses a hole a fifth of its height and width: a marker's 0, 6, 8
    or 9 in a tight crop (a solid dot has none; a dot drawn as a small ring is told by its
    size beside the digits, in `read`)."""
    height, width = mask.shape
    return any(w >= LOOP * width and h >= LOOP * height for _, _, w, h in hole_boxes(mask))


def shape_problem(crop, loops=True):
    """Why a region's ink is not a digit at all (a dot, a dash), or None.

    Args:
        crop: float ink of one region, tightly cropped.
        loops: whether a loop makes a blob a digit (False for a part much shorter than
            the digits beside it: a decimal point drawn as a ring).
    """
    mask = crop > BINARY_LEVEL
    height, width = mask.shape
    width_of_stroke = max(stroke_width(mask), 1.0)
    if (
        max(height, width) <= DOT_EXTENT * width_of_stroke
        and 0.5 <= height / width <= 2.0
        and not (loops and _has_loop(mask))
    ):
        return "a dot, not a digit"
    if width >= DASH_ASPECT * height and height <= DOT_EXTENT * width_of_stroke:
        return "a dash, not a digit"
    return None
