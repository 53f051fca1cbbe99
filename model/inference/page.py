"""Reading a whole sheet: every handwritten number on it, in reading order.

The ink of the sheet (see `model.inference.ink`) is cleared of long straight lines (ruling,
table rules, boxes), cut into connected strokes, and the strokes are joined into fields: strokes
side by side on one line, closer than a digit's height, are one number; a small part right
above or below a stroke (a 5's flag, a 4 in two strokes) joins it. Each field is read by the
reader of whole numbers (`model.inference.reader`); a field that is mostly not digits (a
printed label, a stamp, a scribble) is not a number. Fields are put in lines by their rows, the
lines top to bottom, each left to right.

The model is passed in as a function, as for the reader: no TensorFlow here.
"""

from dataclasses import dataclass, field

import cv2
import numpy as np

from model.inference.ink import WORKING_SIZE, Ink, find_ink
from model.inference.reader import plan_digits, read_plan
from model.inference.segment import BINARY_LEVEL, box_union, overlap

SMALL_WRITING = 64  # writing shorter than this (working pixels) on a shrunk sheet...
LARGEST_SHEET = 2000  # ...is found again at a larger working size, up to this
NUMBER_GAP = 0.8  # a gap over this times the digits' height may part two numbers...
SPREAD = 2.0  # ...when it is this many times the line's usual gap between digits
CHAIN_GAP = 1.5  # characters further apart than this times their height are never one number
SAME_ROW = 0.5  # strokes side by side share this much of the shorter one's rows
UNLIKE = 0.5  # a stroke shorter than this times its neighbour is a part, not a digit...
PART_GAP = 0.25  # ...and joins it only this close (times the neighbour's height)
ONE_CHARACTER = 1.25  # parts one above the other this much taller than the writing are not one
STACKED = 0.5  # a part above or below a stroke shares this much of the narrower one's columns
LINE_LENGTH = 1.5  # a level straight run this many times the writing's height is a rule...
UPRIGHT_LENGTH = 2.0  # ...and an upright one this many (a 1 may be taller than the rest)
FAINT = 0.1  # lines are looked for in ink this faint
LINE_WIDTH = 8  # lines are at most this thick, in working pixels
SPARSE = 0.03  # ink filling less of its box than this is lines, not writing
THIN_LINE = 0.25  # writing is no flatter (height / width) than this when finding its height
NOT_DIGITS = 0.5  # a field with at least this share of pieces that are no digit is no number,
NOT_DIGITS_MEAN = 0.7  # ...nor one where the gate's mean is below this
X_HEIGHT = 0.85  # a piece this much shorter than the tallest of its field is a small letter...
SMALL_LETTERS = 0.3  # ...and a field with this share of them may be printed text...
WORDLIKE = 0.8  # ...when the gate's mean is below this,
WORDLIKE_EVEN = 0.9  # ...or this when the small ones are one height (within EVEN)
EVEN = 0.1
TINY = 0.25  # a number under this times the tallest one's height is a speck of the paper
SPECK = 0.1  # strokes whose box is under this fraction of the median box side are specks


@dataclass
class Field:
    """One number found on a sheet, at working resolution.

    box: (x, y, w, h) of its ink.
    digits: (image28, probabilities, is_digit, box) per digit, left to right.
    skipped: (box, reason) for dots and dashes in it.
    """

    box: tuple
    digits: list
    skipped: list = field(default_factory=list)


@dataclass
class PageNumber:
    """One number read on a sheet.

    digits: one `model.inference.predictor.Prediction` per digit, left to right, each with its
        box in the picture's pixels.
    box: (x, y, width, height) of the whole number in the picture's pixels.
    skipped: (box, reason) for dots and dashes inside it.
    """

    digits: list
    box: tuple
    skipped: list = field(default_factory=list)

    @property
    def text(self):
        return "".join(str(digit.digit) for digit in self.digits)

    @property
    def uncertain(self):
        return any(digit.uncertain for digit in self.digits)

    def to_json(self):
        return {
            "text": self.text,
            "box": list(self.box),
            "uncertain": self.uncertain,
            "digits": [digit.to_json() for digit in self.digits],
        }


@dataclass
class Page:
    """Every number read on a sheet, in reading order (top to bottom, then left to right).

    numbers: `PageNumber`s.
    reason: why no number was found, else None.
    ignored: (box, reason) for ink that was not a number (printed labels, marks).
    """

    numbers: list
    reason: str | None = None
    ignored: list = field(default_factory=list)

    @property
    def texts(self):
        return [number.text for number in self.numbers]

    @property
    def uncertain(self):
        return any(number.uncertain for number in self.numbers)

    def to_json(self):
        return {
            "numbers": [number.to_json() for number in self.numbers],
            "uncertain": self.uncertain,
            **({"reason": self.reason} if self.reason else {}),
        }


NO_NUMBER = "no handwritten number found"


def _gap(start_a, size_a, start_b, size_b):
    return max(0, max(start_a, start_b) - min(start_a + size_a, start_b + size_b))


def writing_height(stats):
    """The height of most of the writing: the median height of the strokes that are neither
    flat nor upright bars (rules, dashes, 1s) nor sparse (lines crossing: a table's grid),
    weighted by their ink (so a printed label's many small letters count for their little
    ink)."""
    rows = [
        (h, area)
        for _, _, w, h, area in stats
        if THIN_LINE * w <= h <= w / THIN_LINE and area >= SPARSE * w * h
    ]
    if not rows:
        return 0
    rows.sort()
    heights, areas = zip(*rows, strict=True)
    middle = np.searchsorted(np.cumsum(areas), sum(areas) / 2)
    return heights[min(middle, len(heights) - 1)]


def _straight(mask, length, vertical, thickest):
    """The ink of straight lines at least `length` long, level (or upright when `vertical`)
    within a few degrees: runs of ink that long once each pixel is widened across by a pixel
    either way (a turned page's line steps from row to row), through the writing they cross
    or run along; and of them, the ink no thicker across than the lines are (their median ink
    per unit of length, at most `thickest`): the writing on a line keeps its strokes.

    Returns:
        (runs, lines): 0/1 masks of the whole runs and of their thin ink.
    """
    widened = cv2.dilate(mask, np.ones((3, 1) if not vertical else (1, 3), np.uint8))
    along = (1, length) if not vertical else (length, 1)
    runs = cv2.morphologyEx(widened, cv2.MORPH_OPEN, np.ones(along, np.uint8)) & mask
    count, _, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    if count < 2:
        return runs, runs
    long = stats[1:, cv2.CC_STAT_HEIGHT if vertical else cv2.CC_STAT_WIDTH]
    width = float(np.median(stats[1:, cv2.CC_STAT_AREA] / np.maximum(long, 1)))
    thick = min(thickest, int(np.ceil(width)) + 1)
    across = (thick + 1, 1) if not vertical else (1, thick + 1)
    thin = mask & (1 - cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones(across, np.uint8)))
    return runs, runs & thin


def _ends_on(segment, near):
    """Whether a vertical segment's top and bottom both touch `near` (the horizontal lines,
    grown): a box's side or a table's rule between two of its lines."""
    rows = np.flatnonzero(segment.any(axis=1))
    top, bottom = rows[0], rows[-1]
    return bool((segment[top] & near[top]).any() and (segment[bottom] & near[bottom]).any())


def erase_lines(values, page=None):
    """Erases straight lines: horizontal and vertical runs much longer than the writing is
    tall (ruling, table rules, underlines), and upright runs between two such lines (the sides
    of a box). A stroke crossing a line keeps its pixels on it.

    Args:
        values: float ink (H, W) in [0, 1].
        page: (rows, columns) of the whole page `values` is cut from (default: its own).

    Returns:
        The ink without those lines (the same array when there are none).
    """
    mask = (values > BINARY_LEVEL).astype(np.uint8)
    # The writing's height is measured without the lines across a third of the page:
    # writing touching them would otherwise be one stroke with them. (A third of the ink's
    # own height would take a lone number's 1s for lines.)
    rows, columns = page or mask.shape
    ruling = _straight(mask, columns // 3, False, LINE_WIDTH)[1]
    ruling |= _straight(mask, rows // 3, True, LINE_WIDTH)[1]
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask & (1 - ruling), connectivity=8)
    height = writing_height([tuple(row) for row in stats[1:]])
    if height == 0:
        return values
    length = int(LINE_LENGTH * height) + 1
    # Faint ink too: a thin line's anti-aliased steps fall under the stroke level in turn.
    mask = (values > FAINT).astype(np.uint8)
    level_runs, horizontal = _straight(mask, length, False, LINE_WIDTH)
    upright_runs, vertical = _straight(mask, int(UPRIGHT_LENGTH * height) + 1, True, LINE_WIDTH)
    if horizontal.any():
        short = max(3, height // 2)
        upright = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((short, 1), np.uint8))
        near = cv2.dilate(horizontal, np.ones((5, 5), np.uint8))
        count, labels, boxes, _ = cv2.connectedComponentsWithStats(
            upright & (1 - horizontal), connectivity=8
        )
        for label in range(1, count):
            x, y, w, h = boxes[label][:4]
            segment = (labels[y : y + h, x : x + w] == label).astype(np.uint8)
            if _ends_on(segment, near[y : y + h, x : x + w]):
                vertical[y : y + h, x : x + w] |= segment
    grown = np.ones((3, 3), np.uint8)
    horizontal = cv2.dilate(horizontal, grown) & mask
    vertical = cv2.dilate(vertical, grown) & mask
    lines = horizontal | vertical
    if not lines.any():
        return values
    # A stroke crossing a line has ink on both sides of it: bridge across, not along.
    kept = mask & (1 - lines)
    reach = 2 * int(np.ceil(_thickness(lines))) + 3
    across_rows = cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones((reach, 1), np.uint8))
    across_columns = cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones((1, reach), np.uint8))
    erased = (horizontal & (1 - across_rows)) | (vertical & (1 - across_columns))
    cleaned = values.copy()
    cleaned[erased.astype(bool)] = 0.0
    return _without_remnants(cleaned, cv2.dilate(level_runs | upright_runs, grown))


def _without_remnants(values, band):
    """Erases the strokes lying wholly in a line's band: what a line thicker in places (a
    photo's ruling) leaves; writing crossing or touching a line reaches out of it."""
    mask = (values > FAINT).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    outside = np.bincount(labels[(mask & (1 - band)).astype(bool)], minlength=count)
    remnants = np.flatnonzero(outside == 0)
    remnants = remnants[remnants > 0]
    if not len(remnants):
        return values
    values = values.copy()
    values[np.isin(labels, remnants)] = 0.0
    return values


def _thickness(lines):
    """About how thick the lines of a 0/1 mask are: area / skeleton-ish length."""
    area = float(np.count_nonzero(lines))
    _, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    length = float(sum(max(w, h) for _, _, w, h, _ in stats[1:]))
    return area / length if length else 1.0


def _strokes(values):
    """(label_image, rows of (label, x, y, w, h, area)) of the strokes, specks left out."""
    mask = (values > BINARY_LEVEL).astype(np.uint8)
    count, label_image, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    rows = [(label, *(int(v) for v in stats[label])) for label in range(1, count)]
    if not rows:
        return label_image, []
    sides = np.median([max(w, h) for _, _, _, w, h, _ in rows])
    return label_image, [row for row in rows if max(row[3], row[4]) >= SPECK * sides]


def _joined(items, linked):
    """Groups of `items` (lists of rows) that `linked(box_a, box_b)` chains together; each
    item's box is the union of its rows' boxes."""
    boxes = [box_union(*(row[1:5] for row in item)) for item in items]
    parent = list(range(len(items)))

    def root(index):
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    order = sorted(range(len(items)), key=lambda index: boxes[index][0])
    for position, i in enumerate(order):
        reach = boxes[i][0] + boxes[i][2] + CHAIN_GAP * max(box[3] for box in boxes)
        for j in order[position + 1 :]:
            if boxes[j][0] > reach:
                break  # sorted by left edge: nothing further can be close enough
            if linked(boxes[i], boxes[j]):
                parent[root(i)] = root(j)
    groups = {}
    for index in range(len(items)):
        groups.setdefault(root(index), []).extend(items[index])
    return list(groups.values())


def _parts_of_one(a, b, height):
    """Whether two strokes (x, y, w, h) are parts of one character: one above the other
    sharing columns (a 4 in two strokes), two thin upright pieces one above the other, no
    taller together than the writing's `height` allows (a faint 1 broken in two), or a small
    part right beside a stroke (a 5's flag)."""
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    short, tall = sorted((ah, bh))
    rows = overlap(ay, ah, by, bh)
    together = box_union(a, b)[3]
    if (
        rows < SAME_ROW * short
        and together <= ONE_CHARACTER * height
        and max(aw, bw) <= PART_GAP * together
        and _gap(ax, aw, bx, bw) <= PART_GAP * together
    ):
        return True
    reach = PART_GAP * tall
    if overlap(ax, aw, bx, bw) >= STACKED * min(aw, bw) and _gap(ay, ah, by, bh) <= reach:
        return True
    return short < UNLIKE * tall and rows >= SAME_ROW * short and _gap(ax, aw, bx, bw) <= reach


def _on_one_line(a, b):
    """Whether two characters (x, y, w, h) may be of one number: side by side on a row, and
    no further apart than CHAIN_GAP times the taller one (NUMBER_GAP times the shorter one
    when they differ much in size: a small label beside a large number)."""
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    short, tall = sorted((ah, bh))
    if overlap(ay, ah, by, bh) < SAME_ROW * short:
        return False
    reach = NUMBER_GAP * short if short < UNLIKE * tall else CHAIN_GAP * tall
    return _gap(ax, aw, bx, bw) <= reach


def _split_chain(chain):
    """Cuts a chain of characters (lists of rows) into numbers where the gap is wide: over
    NUMBER_GAP times the shorter neighbour and SPREAD times the chain's usual gap (its lower
    quartile: digits
    spaced evenly, however widely, stay one number)."""
    boxes = [box_union(*(row[1:5] for row in item)) for item in chain]
    order = sorted(range(len(chain)), key=lambda index: boxes[index][0])
    gaps, right = [], boxes[order[0]][0] + boxes[order[0]][2]
    for index in order[1:]:
        gaps.append(boxes[index][0] - right)
        right = max(right, boxes[index][0] + boxes[index][2])
    usual = float(np.percentile(gaps, 25)) if gaps else 0.0
    numbers, current = [], list(chain[order[0]])
    for gap, before, index in zip(gaps, order[:-1], order[1:], strict=True):
        short = min(boxes[before][3], boxes[index][3])
        if gap > NUMBER_GAP * short and gap > SPREAD * max(usual, 1.0):
            numbers.append(current)
            current = []
        current.extend(chain[index])
    numbers.append(current)
    return numbers


def group_fields(rows, height=0):
    """Joins strokes into fields: lists of rows (label, x, y, w, h, area), left to right.

    Strokes are joined into characters, characters side by side into chains, and chains
    cut at their wide gaps. `height`: the writing's usual height (see `writing_height`).
    """

    def parts(a, b):
        return _parts_of_one(a, b, height)

    characters = _joined([[row] for row in rows], parts)
    chains = _joined(characters, _on_one_line)
    fields = []
    for chain in chains:
        members = _joined([[row] for row in chain], parts)
        fields.extend(_split_chain(members))
    return [sorted(found, key=lambda row: row[1]) for found in fields]


def in_reading_order(boxes):
    """Indices of boxes (x, y, w, h) in reading order: lines top to bottom, each left to right.

    A box joins the line of a box it shares at least half the shorter one's rows with.
    """
    lines = []
    for index in sorted(range(len(boxes)), key=lambda i: boxes[i][1] + boxes[i][3] / 2):
        x, y, w, h = boxes[index]
        for line in lines:
            if any(
                overlap(y, h, boxes[other][1], boxes[other][3])
                >= SAME_ROW * min(h, boxes[other][3])
                for other in line
            ):
                line.append(index)
                break
        else:
            lines.append([index])
    lines.sort(key=lambda line: np.mean([boxes[i][1] + boxes[i][3] / 2 for i in line]))
    return [index for line in lines for index in sorted(line, key=lambda i: boxes[i][0])]


def _field_ink(values, label_image, group, contrast, scale):
    """An `Ink` holding only a field's strokes, and the field's box."""
    box = box_union(*(row[1:5] for row in group))
    x, y, w, h = box
    labels = [row[0] for row in group]
    window = label_image[y : y + h, x : x + w]
    crop = np.where(np.isin(window, labels), values[y : y + h, x : x + w], 0.0)
    return Ink(crop.astype(np.float32), contrast, scale), box


def _is_number(digits):
    """Whether a field's pieces are digits: most of them look like one to the gate, and they
    are not a word. Printed words have small letters beside capitals and tall ones (a, e, m,
    n, o beside A, D, T, t, d, h): a third of the pieces at most x-height, some of them
    doubtful to the gate (more so when the small ones are all one height), is a word
    (handwritten digits vary in height too, but look like digits)."""
    if not digits:
        return False
    gate = [digit[2] for digit in digits]
    doubtful = sum(1 for is_digit in gate if is_digit < 0.5)
    if doubtful >= NOT_DIGITS * len(digits) or np.mean(gate) < NOT_DIGITS_MEAN:
        return False
    heights = [digit[3][3] for digit in digits]
    small = [height for height in heights if height < X_HEIGHT * max(heights)]
    # Printed small letters are all one height; handwritten digits vary.
    even = len(small) >= 2 and max(small) - min(small) <= max(1, EVEN * max(small))
    wordlike = np.mean(gate) < (WORDLIKE_EVEN if even else WORDLIKE)
    return len(digits) < 2 or len(small) < SMALL_LETTERS * len(digits) or not wordlike


def sheet_ink(image):
    """The ink of a sheet (see `model.inference.ink.find_ink`), ruled lines left in (they are
    erased by `erase_lines`, which keeps the writing crossing them): a large picture whose
    writing is small once shrunk to the working size is worked on larger, so that its digits
    keep SMALL_WRITING pixels (up to LARGEST_SHEET pixels a side).

    Args:
        image: uint8 (H, W), (H, W, 3) or (H, W, 4).
    """
    ink = find_ink(image, ruling=False)
    if ink.blank or ink.scale >= 1.0:
        return ink
    _, rows = _strokes(ink.inked[0])
    height = writing_height([row[1:] for row in rows])
    if height == 0 or height >= SMALL_WRITING:
        return ink
    size = min(LARGEST_SHEET, int(WORKING_SIZE * SMALL_WRITING / height))
    return find_ink(image, working_size=size, ruling=False) if size > WORKING_SIZE else ink


def find_numbers(ink, infer, pairs=None):
    """The numbers on a sheet, in reading order.

    Args:
        ink: an `model.inference.ink.Ink` that is not blank.
        infer, pairs: as for `model.inference.reader.read_plan`.

    Returns:
        (fields, ignored): `Field`s in reading order with boxes at working resolution, and
        (box, reason) for the marks that were not numbers.
    """
    values, (left, top) = ink.inked
    values = erase_lines(values, ink.values.shape)
    label_image, rows = _strokes(values)
    height = writing_height([row[1:] for row in rows])
    fields, ignored = [], []
    for group in group_fields(rows, height):
        field_ink, (x, y, w, h) = _field_ink(values, label_image, group, ink.contrast, ink.scale)
        if field_ink.blank:
            continue
        plan, skipped = plan_digits(field_ink, pairs is not None)
        # Whether a field is a number is judged on its pieces as single digits: the pair
        # reader has seen no printed words (a printed "ty" read as a sure "44").
        alone, digits = read_plan(plan, infer, pairs)
        x, y = x + left, y + top

        def shifted(box, x=x, y=y):
            return (box[0] + x, box[1] + y, *box[2:])

        skipped = [(shifted(box), reason) for box, reason in skipped]
        if not _is_number(alone):
            ignored.append(((x, y, w, h), "not a number (printed text, a mark?)"))
            continue
        digits = [
            (image, probabilities, gate, shifted(box), cut, paired)
            for image, probabilities, gate, box, cut, paired in digits
        ]
        fields.append(Field(box_union(*(digit[3] for digit in digits)), digits, skipped))
    tallest = max((found.box[3] for found in fields), default=0)
    specks = [found for found in fields if found.box[3] < TINY * tallest]
    ignored += [(found.box, "a speck, much smaller than the writing") for found in specks]
    fields = [found for found in fields if found.box[3] >= TINY * tallest]
    order = in_reading_order([found.box for found in fields])
    return [fields[index] for index in order], ignored
