"""Finding the ink in any picture: canvas drawings, paint-program images and photos of paper.

Polarity comes from the image (the border is background), uneven lighting is flattened with a
morphological opening, and ruled lines are removed (not the writing on them). Pure
numpy/OpenCV.
"""

import math
from dataclasses import dataclass

import cv2
import numpy as np

from model.inference.image_io import fit_within

WORKING_SIZE = 1000  # larger images are shrunk to this before any other work
# An image with a side under this is enlarged (by a whole factor, keeping its grey levels) until
# that side reaches it, the longer one staying within WORKING_SIZE (not at all where that allows
# less than 2x): a 16-px digit's 1-2 px strokes would otherwise be worn away by 3x3 steps.
MIN_WORKING_SIZE = 64
MIN_CONTRAST = 40  # ink must differ from the background by this much (of 255)
# Ink weaker than this fraction of the strongest ink is background; not in a picture under
# MIN_WORKING_SIZE px, whose strokes are 1-2 source pixels of grey levels (a small scan's):
# there only the noise floor holds, and the faint edges keep the strokes' weight.
INK_FLOOR = 0.1
# The noise floor is never above this fraction of the strongest ink: a tight crop filled by a
# thick stroke's graded edges has no paper to measure noise on (a USPS 5 came back blank).
NOISE_CAP = 0.5
PHOTO_SIZE = 128  # in a picture this big both ways, the ink's polarity is found locally
DARK_FLOOR = 8.0  # added to 0-255 tones before their ratios: dark noise is not ink
DARK_PRIOR = 0.3  # photos are of dark ink on paper, unless light ink strays this much further
DESK_LEVEL = 0.3  # an unevenly lit picture's ink above this (of the strongest) forms regions
DESK_DEPTH = 2.5  # a region at the edge this many times thicker than any stroke is a desk,
DESK_CONTACT = 3  # ...and so is one touching the edge along this many stroke widths
DESK_WRITING = 0.05  # strokes are measured on regions this tall (of the picture's side) at least
UNEVEN_BORDER = 24  # border spread (of 255) above which lighting is flattened locally
BACKGROUND_SIZE = 200  # the lighting is estimated at this resolution
THICK_INK = 0.5  # a wider opening taking away ink this strong (of the strongest) found strokes
LINE_LENGTH = 0.75  # near-horizontal lines this much of the width long are ruling...
SHEET_AREA = 0.25  # light 'ink' covering this much of a picture, solid, may be a sheet...
SHEET_FILL = 0.8  # ...when the writing on it (its holes) leaves this much of it blank
SHEET_SOLIDITY = 0.9  # a sheet's outline fills this much of its convex hull (a quadrilateral)
FRAME_BAND = 0.03  # a stroke wholly this close to the picture's edge (of its size) is a frame
FLAT_LINE = 0.05  # a stroke that long, no higher than this fraction of its length, is a line
RULING_PAST = 0.1  # ...when they run past the writing at both ends by this much of its height
LINE_TONE_GAP = 0.25  # lines lighter than the writing by this (of the strongest ink) differ
RESTING_GAP = 0.6  # a piece's two contacts with a line this close (of its height) join
WRITING_HEIGHT = 0.3  # the writing is the ink at least this fraction of the tallest ink's height


@dataclass
class Ink:
    """Ink of one picture, at working resolution.

    values: float32 (H, W) in [0, 1], 1 = full ink, 0 = background.
    contrast: the strongest ink's distance from the background, 0-255.
    scale: working pixels per source pixel (1.0, or less when the picture was shrunk).
    window: (x, y, w, h) holding every nonzero value; None means the whole image.
    enlarged: the whole factor a tiny picture was enlarged by (working pixels per source
        pixel, see `_enlarged_by`), else 1.
    """

    values: np.ndarray
    contrast: float
    scale: float
    window: tuple | None = None
    enlarged: int = 1

    @property
    def inked(self):
        """The values inside `window` and the window's top-left corner (x, y)."""
        if self.window is None:
            return self.values, (0, 0)
        x, y, width, height = self.window
        return self.values[y : y + height, x : x + width], (x, y)

    @property
    def edge_reach(self):
        """Pixels by which strokes take in their faint edges (`segment.components`): one
        source pixel of an enlarged tiny picture, else none."""
        return self.enlarged if self.enlarged > 1 else 0

    @property
    def blank(self):
        return self.contrast < MIN_CONTRAST or not self.inked[0].max(initial=0) > 0.5


def _pasted(part, shape, x, y):
    """A float32 array of zeros of `shape` with `part` at (x, y)."""
    whole = np.zeros(shape, np.float32)
    whole[y : y + part.shape[0], x : x + part.shape[1]] = part
    return whole


def _opaque(rgba):
    """Whether every pixel of a uint8 RGBA image is (nearly) opaque: alpha >= 253."""
    if rgba.flags.c_contiguous:
        # Alpha is the top byte of each pixel read as a little-endian uint32: 4x faster.
        return bool(rgba.view("<u4").min() >= 253 << 24)
    return bool(rgba[:, :, 3].min() >= 253)


def _gray(image):
    """Grayscale of (H, W), (H, W, 3) or (H, W, 4): uint8 when no compositing is needed,
    else float32 (see `to_gray`)."""
    image = np.asarray(image)
    if image.ndim == 2:
        return image if image.dtype == np.uint8 else image.astype(np.float32)
    if image.dtype != np.uint8:
        image = image.astype(np.uint8)
    image = np.ascontiguousarray(image)
    if image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if _opaque(image):
        return cv2.cvtColor(image, cv2.COLOR_RGBA2GRAY)
    # Fully transparent pixels become the background: only the box of the others is blended.
    x, y, width, height = cv2.boundingRect(cv2.extractChannel(image, 3))
    if width == 0:
        return np.zeros(image.shape[:2], np.float32)  # nothing visible: all background
    visible = np.ascontiguousarray(image[y : y + height, x : x + width])
    gray = cv2.cvtColor(visible, cv2.COLOR_RGBA2GRAY).astype(np.float32)
    alpha = visible[:, :, 3].astype(np.float32) / 255.0
    weight = alpha.sum()
    mean = (gray * alpha).sum() / weight if weight > 0 else 255.0
    if abs(mean - 128) < 0.01:
        # float32 sums depend on the summation order: near the tie, sum over the whole
        # image (zeros outside the box) as the plain formula does, for the same decision.
        whole_alpha = _pasted(alpha, image.shape[:2], x, y)
        whole_gray = _pasted(gray, image.shape[:2], x, y)
        weight = whole_alpha.sum()
        mean = (whole_gray * whole_alpha).sum() / weight
    content_is_dark = weight > 0 and mean < 128
    background = 255.0 if content_is_dark else 0.0
    blended = np.full(image.shape[:2], background, np.float32)
    blended[y : y + height, x : x + width] = gray * alpha + background * (1.0 - alpha)
    return blended


def to_gray(image):
    """Grayscale float image from (H, W), (H, W, 3) or (H, W, 4) uint8.

    Transparent pixels are composited onto a background that contrasts with the opaque
    content, so ink drawn only in alpha (a canvas, a transparent PNG) stays visible.
    """
    return _gray(image).astype(np.float32, copy=False)


def _working_gray(gray, working_size=WORKING_SIZE):
    """The gray image at working resolution: huge ones shrunk; tiny ones, and strips (a
    small number's digits are as tall as its short side), enlarged by a whole factor."""
    longest = max(gray.shape)
    if longest > working_size:
        return fit_within(gray.astype(np.float32), working_size)
    shortest = min(gray.shape)
    if shortest < MIN_WORKING_SIZE:
        factor = min(-(-MIN_WORKING_SIZE // shortest), working_size // longest)
        if factor < 2:
            return gray
        return cv2.resize(
            gray.astype(np.float32), None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR
        )
    return gray


def _border(gray):
    edge = max(1, min(gray.shape) // 50)
    return np.concatenate(
        [gray[:edge].ravel(), gray[-edge:].ravel(), gray[:, :edge].ravel(), gray[:, -edge:].ravel()]
    )


def _percentiles(values, quantiles):
    """np.percentile's (linear) quantiles, from one sort: 20x faster on a border's pixels."""
    ordered = np.sort(values)
    found = []
    for quantile in quantiles:
        position = quantile * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        found.append(ordered[low] + (position - low) * (ordered[high] - ordered[low]))
    return found


def _paper(gray, factor=1):
    """(level, light, even): the paper's level, whether it is lighter than the ink, and
    whether it is even (one level for the whole picture) or lit unevenly. `factor`: how many
    times a tiny picture was enlarged to the working size (see `_even_under_ink`)."""
    border = _border(gray).astype(np.float32)
    low, level, high = _percentiles(border, (0.1, 0.5, 0.9))
    light = _lighter_than_ink(gray, level, border, high - low > UNEVEN_BORDER)
    even = high - low <= UNEVEN_BORDER or _even_under_ink(gray, level, light, factor)
    return level, light, even


def _even_under_ink(gray, level, light, factor=1):
    """Whether a border is even paper that strokes cross (a tight crop): every run of pixels
    off the paper's level holds clear ink and is shorter than half the side. A shadow or a
    vignette strays without ink; a desk along a side makes a long run.

    In a picture enlarged `factor` times to the working size (under MIN_WORKING_SIZE px), a
    stroke may run along more than half a side (the top of an 8x8 digit's loop), so only a
    run along the whole side is a desk; and a run holds ink when clear ink lies within one
    source pixel of it (a stroke's faint, anti-aliased end). The opening that follows uneven
    paper is an eighth of the picture there, narrower than such strokes: it took them for
    paper.
    """
    edge = max(1, min(gray.shape) // 50)
    sides = (gray[:edge].T, gray[-edge:].T, gray[:, :edge], gray[:, -edge:])
    if factor > 1:  # a tiny picture: the whole of it, to look one source pixel inwards
        clear = _beyond(gray, level, light, MIN_CONTRAST)
        clear = cv2.dilate(clear, np.ones((2 * factor + 1, 2 * factor + 1), np.uint8))
        nears = (clear[:edge].T, clear[-edge:].T, clear[:, :edge], clear[:, -edge:])
    else:  # only the border strips of a photo
        nears = [_beyond(np.ascontiguousarray(s), level, light, MIN_CONTRAST) for s in sides]
    for side, near in zip(sides, nears, strict=True):
        off = (np.abs(side.astype(np.float32) - level) > UNEVEN_BORDER / 2).any(axis=1)
        ink = near.any(axis=1)
        edges = np.diff(np.concatenate([[0], off.view(np.int8), [0]]))
        for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            whole = start == 0 and end == len(off)
            too_long = whole if factor > 1 else 2 * (end - start) > len(off)
            if too_long or not ink[start:end].any():
                return False
    return True


def _lighter_than_ink(gray, level, border, uneven=False):
    """Whether paper of this level (the border's median) holds dark ink.

    Ink is where the picture strays from the paper by MIN_CONTRAST at least (3x3 means, so
    that a hot pixel does not count): when it does so on one side only, the ink is there.
    When it strays both ways, the paper is the extreme that the border's commonest tone
    lies at, as closely as an even border's tones lie together (a tight crop, whose border
    is half ink); else (dark writing and glare, a bright
    lamp and a shadow) the ink is on the side of the strokes, which stand out from a median
    wider than a stroke: light and shadow are broader, and the median follows them.
    """
    darkest, lightest, _, _ = cv2.minMaxLoc(gray)
    if lightest <= level or darkest >= level:
        return lightest <= level  # the picture strays one way only (a canvas: not at all)
    darkest, lightest, _, _ = cv2.minMaxLoc(cv2.blur(gray, (3, 3)) if gray.size > 9 else gray)
    dark, light = level - darkest, lightest - level
    photo = uneven and min(gray.shape) >= PHOTO_SIZE
    if photo:
        return _darker_than_its_surroundings(gray)
    if min(dark, light) < MIN_CONTRAST:
        return dark >= light
    commonest = _commonest(border)
    at_dark, at_light = commonest - darkest, lightest - commonest
    if min(at_dark, at_light) <= UNEVEN_BORDER / 2:  # within an even border's spread
        return at_light < at_dark
    small = fit_within(gray.astype(np.float32, copy=False), BACKGROUND_SIZE)
    small = np.clip(np.rint(small), 0, 255).astype(np.uint8)
    paper = cv2.medianBlur(small, _opening_size(small))
    dark_strokes = cv2.blur(cv2.subtract(paper, small), (3, 3)).max()
    return dark_strokes >= cv2.blur(cv2.subtract(small, paper), (3, 3)).max()


def _darker_than_its_surroundings(gray):
    """Whether the ink of a photo is dark: it strays further from the paper around it,
    in ratio, darkwards than anything strays lightwards.

    Light falls on paper and ink alike, so both are measured against the paper where they
    lie: a median over a window half the picture's shorter side (writing covers less of
    it), upscaled; the ratio of each pixel to it, as a log, averaged over 3x3. A lit side,
    a shadow or dark corners move the paper by a ratio far smaller than ink does; the
    border's median used elsewhere took a darkened border for the paper's level.
    """
    paper = _paper_surface(gray) + DARK_FLOOR
    ratio = cv2.log((gray.astype(np.float32) + DARK_FLOOR) / paper)
    darkest, lightest, _, _ = cv2.minMaxLoc(cv2.blur(ratio, (3, 3)))
    return -darkest + DARK_PRIOR >= lightest


def _paper_surface(gray):
    """float32 (H, W): the paper's tone under each pixel, lit as it is: a median over a
    window half the picture's shorter side (writing covers less of it), at low resolution,
    upscaled."""
    small = fit_within(gray.astype(np.float32, copy=False), BACKGROUND_SIZE)
    small = np.clip(np.rint(small), 0, 255).astype(np.uint8)
    paper = cv2.medianBlur(small, max(3, min(small.shape) // 2) | 1)
    paper = cv2.resize(paper, gray.shape[::-1], interpolation=cv2.INTER_LINEAR)
    return paper.astype(np.float32)


def _commonest(values):
    """The most common tone of 0-255 values: the median of those in or beside the fullest
    of 32 bins."""
    bins = np.minimum(values.astype(np.int32) // 8, 31)
    fullest = int(np.argmax(np.bincount(bins, minlength=32)))
    return float(np.median(values[np.abs(bins - fullest) <= 1]))


def _opening_size(small):
    """The opening's size at low resolution: an eighth of the picture, odd."""
    return max(3, max(small.shape) // 8) | 1


def _opened(image, size):
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.morphologyEx(image, cv2.MORPH_OPEN, kernel)


def _local_background(bright_ink):
    """The paper under the ink: an opening wider than any stroke, at low resolution.

    The opening starts at an eighth of the picture, which follows shadows and gradients;
    strokes thicker than that (a marker in a tight crop) would stay in it as paper, so it is
    widened while the wider opening takes away ink about as strong as the strongest ink (a
    shadow's edge, rounded off a little more, is far weaker than that). The strongest ink is
    measured at full size as well: thin strokes fade when the picture is shrunk.
    """
    height, width = bright_ink.shape
    small = fit_within(bright_ink, BACKGROUND_SIZE)
    size = _opening_size(small)
    background = _opened(small, size)
    strongest = 0.0
    if small.shape != bright_ink.shape:
        first = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
        strongest = float(cv2.blur(bright_ink - first, (3, 3)).max())
    while size < 2 * max(small.shape):  # up to a disc covering the whole picture
        wider = _opened(small, 2 * size + 1)
        taken = cv2.blur(background - wider, (3, 3)).max()
        if taken < THICK_INK * max(strongest, cv2.blur(small - wider, (3, 3)).max()):
            break
        background, size = wider, 2 * size + 1
    return cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)


def _line_thickness(mask, x1, y1, x2, y2):
    """Median vertical run of ink across a line, sampled along it."""
    runs = []
    for x in np.linspace(x1, x2, 15).astype(int):
        y = int(round(y1 + (y2 - y1) * (x - x1) / max(x2 - x1, 1)))
        column = mask[:, x]
        if not column[y]:
            continue
        top, bottom = y, y
        while top > 0 and column[top - 1]:
            top -= 1
        while bottom < len(column) - 1 and column[bottom + 1]:
            bottom += 1
        runs.append(bottom - top + 1)
    return int(np.median(runs)) if runs else 1


def _may_hold_ruling(ink, width, scale=1.0):
    """Whether ink spans enough of the width's columns to hold a ruled line, in a picture
    wide enough to show ruled paper (40 px of the source: not an enlarged icon)."""
    needed = int(width * LINE_LENGTH)
    return (
        width >= 40 * max(scale, 1.0)
        and ink.shape[1] >= needed
        and np.count_nonzero(ink.max(axis=0) > 0.3) >= needed
    )


def remove_ruled_lines(ink):
    """Erases near-horizontal lines spanning most of the width (ruled paper, an underline).

    Strokes crossing a line keep their pixels on it, and so does writing resting on a line or
    running along it (see `_resting_on_lines`, and `_darker_than_lines` for lighter lines).
    """
    return _erase_ruled_lines(ink) if _may_hold_ruling(ink, ink.shape[1]) else ink


def _erase_ruled_lines(ink):
    width = ink.shape[1]
    length = int(width * LINE_LENGTH)
    mask = (ink > 0.3).astype(np.uint8)
    found = cv2.HoughLinesP(
        mask, 1, np.pi / 360, threshold=length // 2, minLineLength=length, maxLineGap=width // 50
    )
    bands = np.zeros_like(mask)
    thickest = 0
    for x1, y1, x2, y2 in np.reshape(found, (-1, 4)) if found is not None else []:
        if abs(y2 - y1) > 0.18 * abs(x2 - x1):  # steeper than 10 degrees: not ruling
            continue
        thickness = _line_thickness(mask, x1, y1, x2, y2) + 2
        cv2.line(bands, (x1, y1), (x2, y2), 1, thickness=thickness)
        thickest = max(thickest, thickness)
    # A ruled line on a page that curves (paper bending under the camera) is no straight
    # segment, but a long flat stroke of its own.
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for contour in contours:
        _, _, long, high = cv2.boundingRect(contour)
        if long >= length and high <= FLAT_LINE * long:
            cv2.drawContours(bands, [contour], -1, 1, thickness=cv2.FILLED)
            thickest = max(thickest, int(np.ceil(cv2.contourArea(contour) / long)) + 2)
    if not (bands & mask).any():
        return ink
    lines = _ruling(bands, mask, thickest) & mask
    if not lines.any():
        return ink
    # A stroke crossing a line has ink right above and below it: bridge those gaps.
    kept = mask & (1 - lines)
    reach = int(lines.sum(axis=0).max()) + 2
    bridge = cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones((reach, 1), np.uint8))
    erased = lines & (1 - bridge)
    # Writing on lines lighter than it shows through them; on lines as dark, where it rests.
    writing = _darker_than_lines(ink, lines, kept)
    if writing is None:
        writing = _resting_on_lines(lines, kept | (lines & bridge), thickest)
    erased &= 1 - writing
    cleaned = ink.copy()
    cleaned[erased.astype(bool)] = 0.0
    return cleaned


def _darker_than_lines(ink, lines, kept):
    """0/1 mask of the line pixels clearly darker than the lines are, joined to the writing:
    on grey or coloured ruling, the writing lying on a line shows through it. None when the
    lines are about as dark as the writing."""
    if not lines.any():
        return None
    line_level = float(np.median(ink[lines > 0]))
    writing_level = float(np.median(ink[kept > 0])) if kept.any() else 0.0
    if writing_level - line_level < LINE_TONE_GAP:
        return None
    darker = lines & (ink > (line_level + writing_level) / 2).view(np.uint8)
    count, labels = cv2.connectedComponents(kept | darker, connectivity=8)
    joined = np.bincount(labels[kept > 0], minlength=count) > 0
    joined[0] = False
    return darker & joined[labels].view(np.uint8)


def _resting_on_lines(lines, writing, reach):
    """The pixels of near-horizontal lines that writing rests on or runs along.

    Writing touches a line from one side: the bottom of a 0, 3 or 6 sitting on it, the foot of
    a 2 or the bar of a 7 lying along it. Where a piece of writing touches a line, the line
    under it stays; so does a stretch where the line is 2 px thicker than along most of its
    length (a stroke lying in its band) beside such a place; and so does the line between
    two such places of one piece on the same side, close together, where it is thickened (a
    loop's bottom, whose sides meet the line apart) with no other piece touching between
    them. Pieces closer than `reach` are one (a pen's small gaps). A stroke crossing the
    line touches it from both sides and is left to the caller's bridging, so a line through
    a loop is not kept inside it. Only pieces at least twice `reach` tall count: specks (a
    photo's texture under a line) keep nothing.

    Args:
        lines: 0/1 uint8 (H, W), the line pixels to be erased.
        writing: 0/1 uint8 (H, W), the ink that stays (crossing strokes already bridged).
        reach: about how thick the lines are, in pixels.

    Returns:
        0/1 uint8 (H, W): the line pixels to keep.
    """
    # A pen's small gaps (a 0 not quite closed at the top) leave one piece of writing.
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach | 1, reach | 1))
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(
        cv2.dilate(writing, near), connectivity=8
    )
    pieces[writing == 0] = 0
    tall = stats[:, cv2.CC_STAT_HEIGHT] >= 2 * reach
    tall[0] = False
    keep = np.zeros_like(lines)
    if not tall.any():
        return keep
    ink = writing | lines
    found, line_labels, line_stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    for label in range(1, found):
        x, y, width, height = (int(value) for value in line_stats[label, :4])
        part = line_labels[y : y + height, x : x + width] == label
        columns = np.flatnonzero(part.any(axis=0))
        xs = x + columns
        top, bottom, thickness = _line_rows(part[:, columns], y)
        above, up = _ink_from(ink, pieces, xs, top, -1, reach)
        below, down = _ink_from(ink, pieces, xs, bottom, 1, reach)
        above[~tall[above]] = 0
        below[~tall[below]] = 0
        contacts = _contacts(xs, above, below, reach)
        runs = thickness + up + down
        spans = _resting_spans(contacts, stats, xs, runs) + _thick_stretches(
            xs, runs, contacts, stats, reach
        )
        for start, end in spans:
            keep[y : y + height, start : end + 1] |= part[:, start - x : end - x + 1]
    return keep


def _line_rows(part, y):
    """(top, bottom, thickness) of a line in each of its columns (`part`: its pixels, whose
    top row is `y`): its usual thickness about a centre followed from the columns where it
    lies alone (writing on it thickens it, or its band holds some writing beside it)."""
    height = part.shape[0]
    first = part.argmax(axis=0)
    last = height - 1 - part[::-1].argmax(axis=0)
    count = part.sum(axis=0)
    thickness = max(1, int(np.median(count)))
    alone = np.flatnonzero((count == last - first + 1) & (np.abs(count - thickness) <= 1))
    if not len(alone):
        return y + first, y + last, thickness
    centre = np.interp(np.arange(len(count)), alone, (first[alone] + last[alone]) / 2)
    top = y + np.rint(centre - (thickness - 1) / 2).astype(np.int64)
    return top, top + thickness - 1, thickness


def _ink_from(ink, pieces, xs, edge, step, reach):
    """(piece, length) in each column `xs` of the ink going on from a line's `edge` row, up
    (`step` -1) or down (1), up to `reach`: the first piece of writing it meets (0: none) and
    how far it goes."""
    length = np.zeros(len(xs), np.int64)
    piece = np.zeros(len(xs), pieces.dtype)
    going = np.ones(len(xs), bool)
    for distance in range(1, reach + 1):
        rows = edge + step * distance
        inside = (rows >= 0) & (rows < ink.shape[0])
        going &= inside
        going[inside] &= ink[rows[inside], xs[inside]] > 0
        length += going
        meets = going & (piece == 0)
        piece[meets] = pieces[rows[meets], xs[meets]]
    return piece, length


def _thick_stretches(xs, runs, contacts, stats, reach):
    """(first, last) columns where a line is clearly thicker than it is along most of its
    length (`runs`: its thickness in each column `xs`), beside a contact: a stroke lying on
    it, inside its band. Each stays within the columns of a piece it touches (`stats`: the
    pieces'), so a thick stretch joins no neighbours."""
    usual = float(np.median(runs))
    thick = xs[runs >= usual + 2]
    if not len(thick) or not contacts:
        return []
    breaks = np.flatnonzero(np.diff(thick) >= reach)
    starts = thick[np.concatenate([[0], breaks + 1])]
    ends = thick[np.concatenate([breaks, [len(thick) - 1]])]
    stretches = []
    for start, end in zip(starts, ends, strict=True):
        touching = {
            piece
            for piece, first, last, _ in contacts
            if first - reach <= end and start <= last + reach
        }
        for piece in touching:
            left = stats[piece, cv2.CC_STAT_LEFT]
            right = left + stats[piece, cv2.CC_STAT_WIDTH] - 1
            if max(start, left) <= min(end, right):
                stretches.append((int(max(start, left)), int(min(end, right))))
    return stretches


def _contacts(xs, above, below, reach):
    """[(piece, first column, last column, sides)] where pieces touch a line, left to
    right: a piece's touching columns less than `reach` apart are one contact, and so are its
    contacts above and below within twice that (a slanting stroke crossing); sides is a set of
    'above' and 'below'."""
    contacts = []
    for side, touching in (("above", above), ("below", below)):
        for piece in np.unique(touching[touching > 0]):
            columns = xs[touching == piece]
            breaks = np.flatnonzero(np.diff(columns) >= reach)
            starts = np.concatenate([[0], breaks + 1])
            ends = np.concatenate([breaks, [len(columns) - 1]])
            for start, end in zip(starts, ends, strict=True):
                contacts.append([int(piece), int(columns[start]), int(columns[end]), {side}])
    contacts.sort(key=lambda contact: contact[1])
    merged = []
    for contact in contacts:  # a crossing: one piece's contacts above and below overlapping
        last = merged[-1] if merged else None
        if last and last[0] == contact[0] and contact[1] <= last[2] + 2 * reach:
            last[2] = max(last[2], contact[2])
            last[3] |= contact[3]
        else:
            merged.append(contact)
    return merged


def _resting_spans(contacts, stats, xs, runs):
    """(first, last) columns of the line to keep: each one-sided contact, and the stretch
    between two neighbouring one-sided contacts of one piece, on the same side, closer than
    RESTING_GAP of the piece's height, where the line is thicker than along most of its length
    (`runs`: its thickness in each column `xs`) in half the columns at least: a loop's bottom
    lying on it. Between two touching digits, each resting on it, the line is bare."""
    usual = float(np.median(runs))
    spans = []
    for index, (piece, start, end, sides) in enumerate(contacts):
        if len(sides) > 1:
            continue  # a crossing
        spans.append((start, end))
        if index + 1 < len(contacts):
            following, next_start, _, next_sides = contacts[index + 1]
            gap = next_start - end
            between = runs[(xs > end) & (xs < next_start)]
            if (
                following == piece
                and next_sides == sides
                and gap <= RESTING_GAP * stats[piece, cv2.CC_STAT_HEIGHT]
                and 2 * np.count_nonzero(between >= usual + 1) >= len(between)
            ):
                spans.append((end, next_start))
    return spans


def _ruling(bands, mask, thickness):
    """The bands (one per line found, however many segments it came in) that are ruling.

    Ruling runs on past the writing at both ends; a digit's own bar (the foot of a 2 or the
    top of a 7 in a tight crop) ends with the digit, and stays. Writing that fills the
    picture from top to bottom is a crop of the writing, not a page: no line in it is ruling
    (a 4's crossbar runs from edge to edge).
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bands, connectivity=8)
    writing = _writing_box(mask & (1 - bands), thickness)
    if writing is None:
        return bands
    left, right, top, bottom = writing
    band = _frame_band(mask.shape)
    if top < band and bottom > mask.shape[0] - band:
        return np.zeros_like(bands)
    past = RULING_PAST * (bottom - top)
    ruling = [
        label
        for label in range(1, count)
        if stats[label, cv2.CC_STAT_LEFT] <= left - past
        and stats[label, cv2.CC_STAT_LEFT] + stats[label, cv2.CC_STAT_WIDTH] - 1 >= right + past
    ]
    if len(ruling) == count - 1:
        return bands
    return np.isin(labels, ruling).astype(np.uint8)


def _writing_box(kept, thickness):
    """(left, right, top, bottom) of the writing beside the lines: the ink that is no piece of
    a line (taller than one, or upright) and not much shorter than the tallest (small print
    on a toolbar is not), or None."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(kept, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    if len(heights) == 0:
        return None
    upright = (heights > 2 * thickness) | (heights >= stats[1:, cv2.CC_STAT_WIDTH])
    tall = stats[1:][upright & (heights >= WRITING_HEIGHT * heights.max())]
    if len(tall) == 0:
        return None
    left = int(tall[:, cv2.CC_STAT_LEFT].min())
    right = int((tall[:, cv2.CC_STAT_LEFT] + tall[:, cv2.CC_STAT_WIDTH]).max()) - 1
    top = int(tall[:, cv2.CC_STAT_TOP].min())
    bottom = int((tall[:, cv2.CC_STAT_TOP] + tall[:, cv2.CC_STAT_HEIGHT]).max())
    return left, right, top, bottom


def _frame_band(shape):
    return max(2, int(round(FRAME_BAND * max(shape))))


def _near_the_edge(window, shape):
    """Whether ink in this window (None: anywhere) may lie in the picture's outer band."""
    if window is None:
        return True
    x, y, width, height = window
    band = _frame_band(shape)
    return min(x, y, shape[1] - x - width, shape[0] - y - height) < band


def _erase_frames(ink):
    """Erases frames around the writing: a screenshot's or a canvas's border, the edge of a
    sheet of paper or of a webcam's dark surround.

    A frame is thin: a line lying in the picture's outer band, along at least a third of a
    side or away from the writing (a tight crop's detached stroke lies against it), or a
    hollow box around most of the picture; and it frames writing, other ink at least a third
    as tall. Components are found from their outlines (cv2's component statistics cost
    0.6 ms on a canvas).
    """
    mask = cv2.threshold(ink, 0.3, 1, cv2.THRESH_BINARY)[1].astype(np.uint8)
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return ink
    height, width = ink.shape
    band = _frame_band(ink.shape)
    outer = [index for index, links in enumerate(hierarchy[0]) if links[3] == -1]
    boxes = {index: cv2.boundingRect(contours[index]) for index in outer}
    lines, framing, writing = [], [], []
    for index in outer:
        points = contours[index][:, 0, :]
        in_ring = (
            (points[:, 0] < band)
            | (points[:, 1] < band)
            | (points[:, 0] >= width - band)
            | (points[:, 1] >= height - band)
        )
        x, y, w, h = boxes[index]
        if in_ring.all() and cv2.contourArea(contours[index]) < 0.5 * ink.size:
            lines.append(index)  # lines along the edges, one or several (an open frame)
        elif w >= 0.75 * width and h >= 0.75 * height and _hollow(contours, hierarchy, index, band):
            framing.append(index)
        else:
            writing.append(index)
    if not writing or not (lines or framing):
        return ink
    tallest = max(boxes[index][3] for index in writing)
    writing = [index for index in writing if boxes[index][3] >= WRITING_HEIGHT * tallest]
    near = _union_box([boxes[index] for index in writing], band)
    frames = framing + [
        index
        for index in lines
        if max(boxes[index][2] / width, boxes[index][3] / height) >= 1 / 3
        or not _overlaps(boxes[index], near)
    ]
    if not frames:
        return ink
    erased = np.zeros_like(mask)
    for index in frames:
        cv2.drawContours(erased, contours, index, 1, thickness=cv2.FILLED)
        child = hierarchy[0][index][2]
        while child != -1:  # its holes, and whatever lies in them, stay
            cv2.drawContours(erased, contours, child, 0, thickness=cv2.FILLED)
            cv2.drawContours(erased, contours, child, 1, thickness=1)  # the frame's own pixels
            child = hierarchy[0][child][0]
    cleaned = ink.copy()
    cleaned[(erased & mask).astype(bool)] = 0.0
    return cleaned


def _union_box(boxes, margin):
    """(x0, y0, x1, y1) holding every box (x, y, w, h), grown by `margin`."""
    return (
        min(x for x, _, _, _ in boxes) - margin,
        min(y for _, y, _, _ in boxes) - margin,
        max(x + w for x, _, w, _ in boxes) + margin,
        max(y + h for _, y, _, h in boxes) + margin,
    )


def _overlaps(box, area):
    x, y, width, height = box
    return x < area[2] and x + width > area[0] and y < area[3] and y + height > area[1]


def _hollow(contours, hierarchy, index, band):
    """Whether a component is a thin box: it has a hole reaching within `band` of its own
    outline on every side."""
    x, y, width, height = cv2.boundingRect(contours[index])
    child = hierarchy[0][index][2]
    while child != -1:
        hx, hy, hw, hh = cv2.boundingRect(contours[child])
        gaps = (hx - x, hy - y, x + width - hx - hw, y + height - hy - hh)
        if max(gaps) <= band:
            return True
        child = hierarchy[0][child][0]
    return False


def _raw_ink(gray, level, light):
    """How far each pixel is from the background level, towards ink (0 = background)."""
    raw = (
        np.subtract(level, gray, dtype=np.float32)
        if light
        else np.subtract(gray, level, dtype=np.float32)
    )
    return np.maximum(raw, 0.0, out=raw)


def _ink_window(gray, level, light):
    """(x, y, w, h): every pixel differing from an even background, plus 2 px (so a 3x3 blur
    inside it equals the whole image's); None when there is none."""
    x, y, width, height = cv2.boundingRect(_beyond(gray, level, light))
    if width == 0:
        return None
    # An even top row: connected components are labelled in 2-row blocks, so the window's
    # labels (and the order of the components they give) equal the whole image's.
    left, top = max(x - 2, 0), max(y - 2, 0) & ~1
    right, bottom = min(x + width + 2, gray.shape[1]), min(y + height + 2, gray.shape[0])
    return left, top, right - left, bottom - top


def _noise_level(raw, sample_shape, offset=(0, 0)):
    """Median + 6 MADs of every 4th pixel of the image; `raw` may be a window at `offset`
    (x, y) of an image of shape `sample_shape` that is zero outside it."""
    x, y = offset
    sample = raw[-y % 4 :: 4, -x % 4 :: 4]
    size = -(-sample_shape[0] // 4) * -(-sample_shape[1] // 4)
    if 2 * np.count_nonzero(sample) < size:
        return 0.0  # most of the sample is 0: so are its median and its MAD
    if sample.size != size:
        sample = _pasted(raw, sample_shape, x, y)[::4, ::4]
    # Ink may cover most of a tight crop: the noise is the paper's, below Otsu's split.
    values = np.clip(np.rint(sample), 0, 255).astype(np.uint8).reshape(1, -1)
    threshold, _ = cv2.threshold(values, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    sample = sample[sample <= threshold]
    if not sample.size:
        return 0.0
    median = float(np.median(sample))
    return median + 6.0 * float(np.median(np.abs(sample - median)))


def find_ink(image, working_size=WORKING_SIZE, ruling=True):
    """Ink intensity of a picture, whatever its polarity, lighting or background.

    The background level is the median of the border; pixels are ink by how far they are
    from it, on the side where the picture strays from it, so black-on-white and
    white-on-black read the same. When the border is uneven (a photo with a shadow or a
    lighting gradient), the background is estimated locally; a tight crop's border, even
    paper that strokes cross, counts as even. With an even background, only the window
    around the ink is worked on. A light sheet of paper lying on a dark desk is taken as the
    paper, and the writing on it as the ink (not in a picture under MIN_WORKING_SIZE px, where
    a fat digit's own blob passed for a sheet).

    Args:
        image: uint8 (H, W), (H, W, 3) or (H, W, 4).
        working_size: larger pictures are shrunk to this (a sheet of many small numbers
            is worked on larger than one number).
        ruling: whether ruled lines are erased here (the page reader erases them itself,
            keeping the writing that crosses them).

    Returns:
        An `Ink`.
    """
    source_size = max(np.shape(image)[:2])
    gray = _working_gray(_gray(image), working_size)
    scale = max(gray.shape) / source_size
    factor = _enlarged_by(scale, source_size)
    ink, light = _ink_of(gray, scale, factor, ruling)
    if not light and factor == 1:
        sheet = _sheet(ink.values)
        if sheet is not None:
            return _ink_on_sheet(gray, scale, *sheet, ruling) or ink
    ink.enlarged = factor
    return ink


def _enlarged_by(scale, source_size):
    """The whole factor a tiny picture (under MIN_WORKING_SIZE px both ways; `source_size`
    its longer side) was enlarged by in `_working_gray`, else 1 (an enlarged strip is worked
    on as a picture of that size)."""
    if scale <= 1 or source_size >= MIN_WORKING_SIZE:
        return 1
    return round(scale)


def _beyond(gray, level, light, margin=0):
    """0/1 mask of the pixels more than `margin` from the paper's `level`, towards the ink."""
    if gray.dtype == np.uint8:  # a threshold on whole tones: 3x faster than a comparison
        if light:
            limit = math.ceil(level - margin) - 1
            return cv2.threshold(gray, limit, 1, cv2.THRESH_BINARY_INV)[1]
        return cv2.threshold(gray, math.floor(level + margin), 1, cv2.THRESH_BINARY)[1]
    beyond = (gray < level - margin) if light else (gray > level + margin)
    return beyond.view(np.uint8)


def _sheet(values):
    """(box, filled) of a sheet of paper found as light 'ink' on a darker surround, or None.

    A sheet is one solid, nearly convex region covering a quarter of the picture at least,
    touching at most one side of it (the desk is around it), whose holes (the writing on it)
    leave most of it blank. A light digit's loops take more of it, or, in a tight crop, it
    touches two sides.
    """
    mask = (values > 0.5).astype(np.uint8)
    if cv2.countNonZero(mask) < SHEET_AREA * mask.size:
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, width, height = (int(value) for value in stats[largest][:4])
    sides = (x == 0) + (y == 0) + (x + width == mask.shape[1]) + (y + height == mask.shape[0])
    if sides > 1:
        return None
    region = (labels[y : y + height, x : x + width] == largest).astype(np.uint8)
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = max(contours, key=cv2.contourArea)
    filled = np.zeros_like(region)
    cv2.drawContours(filled, [outline], -1, 1, thickness=cv2.FILLED)
    covered = cv2.countNonZero(filled)
    hull = cv2.contourArea(cv2.convexHull(outline))
    if covered < SHEET_AREA * mask.size or covered < SHEET_SOLIDITY * hull:
        return None
    area = cv2.countNonZero(mask[y : y + height, x : x + width] & filled)
    if area < SHEET_FILL * covered or area == covered:
        return None
    return (x, y, width, height), filled


def _ink_on_sheet(gray, scale, box, filled, ruling=True):
    """The dark writing on a sheet (see `_sheet`), or None when it holds none: the sheet's
    box, with the desk around the sheet's edge painted over in the sheet's own level."""
    x, y, width, height = box
    size = max(3, int(round(0.02 * max(width, height)))) | 1
    inner = cv2.erode(filled, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    crop = gray[y : y + height, x : x + width].astype(np.float32)
    crop[inner == 0] = float(np.median(crop[inner > 0])) if inner.any() else 0.0
    ink, light = _ink_of(crop, scale, ruling=ruling)
    if not light or ink.blank:
        return None
    return Ink(_pasted(ink.values, gray.shape, x, y), ink.contrast, scale)


def _erase_desk(raw):
    """Ink of an unevenly lit picture without the desk around the page: a region touching
    the picture's edge much thicker than any stroke away from the edge, or along a stretch
    of the edge many strokes wide (the corner or the side of a desk in a tilted photo,
    narrower than the local background's window); a stroke cut by the edge touches it
    along its own width.

    Thickness is the distance from a region's inside to its outline (the picture's edge
    is no outline): strokes are as thick as half the pen, a desk's corner as half its
    width.
    """
    strongest = float(cv2.blur(raw, (3, 3)).max(initial=0))
    if strongest <= 0:
        return raw
    mask = (raw > DESK_LEVEL * strongest).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count < 3:
        return raw
    depth = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    height, width = mask.shape
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    right = left + stats[:, cv2.CC_STAT_WIDTH]
    bottom = top + stats[:, cv2.CC_STAT_HEIGHT]
    edge = (left == 0) | (top == 0) | (right == width) | (bottom == height)
    edge[0] = False
    # Writing away from the edge: parts of digits, not specks.
    inside = ~edge & (stats[:, cv2.CC_STAT_HEIGHT] >= DESK_WRITING * min(height, width))
    inside[0] = False
    if not edge.any() or not inside.any():
        return raw
    thickest = max(_depth(depth, labels, stats, label) for label in np.flatnonzero(inside))
    rim = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    contact = np.bincount(rim, minlength=count)
    desk = [
        label
        for label in np.flatnonzero(edge)
        if _depth(depth, labels, stats, label) > DESK_DEPTH * thickest
        or contact[label] > DESK_CONTACT * 2 * thickest
    ]
    if not desk:
        return raw
    grown = cv2.dilate(np.isin(labels, desk).astype(np.uint8), np.ones((5, 5), np.uint8))
    cleaned = raw.copy()
    cleaned[grown > 0] = 0.0
    return cleaned


def _depth(depth, labels, stats, label):
    """The largest distance to the outline inside one component."""
    x, y, width, height = stats[label, :4]
    box = depth[y : y + height, x : x + width]
    return float(box[labels[y : y + height, x : x + width] == label].max())


def _ink_of(gray, scale, factor=1, ruling=True):
    """(Ink, light) of a gray picture at working resolution; light: the paper is lighter.
    `factor`: how many times a tiny picture was enlarged (`_enlarged_by`)."""
    level, light, even = _paper(gray, factor)
    window = None
    if not even:
        gray = gray.astype(np.float32, copy=False)
        if min(gray.shape) >= PHOTO_SIZE:
            # What lies beyond the paper, away from the ink (a white table, glare), is paper:
            # the local background would take its edge for the paper's level.
            surface = _paper_surface(gray)
            if light:
                gray = np.minimum(gray, np.percentile(surface[::4, ::4], 90))
            else:
                gray = np.maximum(gray, np.percentile(surface[::4, ::4], 10))
        bright_ink = (255.0 - gray) if light else gray
        raw = np.maximum(bright_ink - _local_background(bright_ink), 0.0, dtype=np.float32)
        raw = _erase_desk(raw)
    else:
        window = _ink_window(gray, level, light)
        if window is None:
            return Ink(np.zeros(gray.shape, np.float32), 0.0, scale), light
        x, y, width, height = window
        raw = _raw_ink(gray[y : y + height, x : x + width], level, light)
    # The strongest ink, robust to single hot pixels of noise.
    contrast = float(cv2.blur(raw, (3, 3)).max(initial=0)) if gray.size > 9 else float(raw.max())
    if contrast <= 0:
        return Ink(np.zeros(gray.shape, np.float32), 0.0, scale), light
    noise = _noise_level(raw, gray.shape, window[:2] if window else (0, 0))
    floor = max(INK_FLOOR * contrast if factor == 1 else 0.0, min(noise, NOISE_CAP * contrast))
    _, ink = cv2.threshold(raw, floor, 0.0, cv2.THRESH_TOZERO)
    ink = np.minimum(np.multiply(ink, 1.0 / contrast, out=ink), 1.0, out=ink)
    values = ink if window is None else _pasted(ink, gray.shape, x, y)
    if _near_the_edge(window, gray.shape):
        values = _erase_frames(values)
    if ruling and _may_hold_ruling(ink, gray.shape[1], scale):  # the window: every inked column
        values = _erase_ruled_lines(values)
    return Ink(values, contrast, scale, window), light
