"""Pen-written digits from `../shared/pendigits` (30 writers on a tablet), as strokes and pictures.

The collection is the UNIPEN-style `pendigits-orig.tra` (Alimoglu and Alpaydin, UCI, CC BY 4.0):
each digit a list of strokes, each stroke the points a stylus passed through. Writers are held out
whole, never digits: `TRAINING_WRITERS` train the bundled model, `VALIDATION_WRITERS` choose its
epoch and fit the unsure rule, `TEST_WRITERS` give every reported figure.

Strokes come back in picture coordinates (y down), so they can be drawn the way a web canvas
draws them: a round pen along each stroke.
"""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from model import paths
from model.errors import DatasetError

FILE_NAME = "pendigits-orig.tra"
PENDIGITS_DIR_ENV = "PENDIGITS_DIR"
TRAINING_WRITERS = tuple(range(1, 21))
VALIDATION_WRITERS = (21, 22, 23, 24)
TEST_WRITERS = (25, 26, 27, 28, 29, 30)


class PendigitsFormatError(DatasetError):
    """The pendigits file is missing or not in the UNIPEN-style format."""


@dataclass(frozen=True)
class PenDigit:
    """One digit: its label, its writer (1-30) and its strokes, each (N, 2) float x, y, y down."""

    label: int
    writer: int
    strokes: tuple


def resolve_pendigits_dir(pendigits_dir=None):
    """The pendigits folder: the one given, else $PENDIGITS_DIR, else ../shared/pendigits."""
    return paths.data_folder(
        pendigits_dir,
        PENDIGITS_DIR_ENV,
        paths.SHARED_DIR / "pendigits",
        "pendigits",
        "--pendigits-dir",
    )


def parse(text):
    """The digits of a pendigits file's text, in file order.

    Raises:
        PendigitsFormatError: a digit without a label, a writer or strokes.
    """
    digits, label, writer, strokes, stroke = [], None, None, [], None

    def finish():
        if label is None:
            return
        if writer is None or not strokes:
            raise PendigitsFormatError(f"digit {len(digits) + 1} has no writer or no strokes")
        digits.append(PenDigit(label, writer, tuple(strokes)))

    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if fields[0] == ".SEGMENT":
            finish()
            label, writer, strokes = _label(line, number), None, []
        elif fields[0] == ".COMMENT" and label is not None:
            try:
                writer = int(fields[2])
            except (IndexError, ValueError):
                raise PendigitsFormatError(f"line {number}: bad comment {line!r}") from None
        elif fields[0] == ".PEN_DOWN":
            stroke = []
        elif fields[0] == ".PEN_UP":
            if stroke:
                points = np.asarray(stroke, dtype=np.float32)
                points[:, 1] = -points[:, 1]  # the tablet's y grows upwards
                strokes.append(points)
            stroke = None
        elif stroke is not None and not fields[0].startswith("."):
            try:
                stroke.append((float(fields[0]), float(fields[1])))
            except (IndexError, ValueError):
                raise PendigitsFormatError(f"line {number}: bad point {line!r}") from None
    finish()
    return digits


def _label(line, number):
    try:
        return int(line.split('"')[1])
    except (IndexError, ValueError) as error:
        raise PendigitsFormatError(f"line {number}: no digit label in {line!r}") from error


def load_pendigits(pendigits_dir=None, writers=None):
    """The pen-written digits, optionally only those of `writers`.

    Raises:
        FileNotFoundError: no folder was given and the default does not exist, or no file.
        PendigitsFormatError: a malformed line.
    """
    path = Path(resolve_pendigits_dir(pendigits_dir)) / FILE_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    digits = parse(path.read_text(encoding="ascii", errors="replace"))
    if writers is not None:
        wanted = set(writers)
        digits = [digit for digit in digits if digit.writer in wanted]
    return digits


def placed(strokes, height, slant=0.0, rotation=0.0, aspect=1.0, origin=(0.0, 0.0)):
    """The strokes scaled to `height` pixels tall, slanted, rotated and moved to `origin`.

    Args:
        strokes: the digit's strokes, (N, 2) arrays, y down.
        height: the ink's height in pixels, before slant and rotation.
        slant: shear, x shifted by -slant * y (positive leans right).
        rotation: degrees, counter-clockwise.
        aspect: the width scaled by this much more than the height.
        origin: the top-left of the placed strokes' box.

    Returns:
        A list of (N, 2) float arrays.
    """
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = height / max(high[1] - low[1], 1.0)
    centre = (low + high) / 2
    angle = np.deg2rad(rotation)
    rotate = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    shear = np.array([[1.0, -slant], [0.0, 1.0]])
    transform = rotate @ shear @ np.diag([scale * aspect, scale])
    moved = [(stroke - centre) @ transform.T for stroke in strokes]
    corner = np.concatenate(moved).min(axis=0)
    return [stroke - corner + np.asarray(origin, dtype=np.float32) for stroke in moved]


def draw(strokes, shape, pen, canvas=None):
    """Strokes drawn with a round pen of width `pen`, as a web canvas draws them.

    Args:
        strokes: (N, 2) arrays in pixels.
        shape: (height, width) of the picture.
        pen: the pen's width in pixels.
        canvas: optional float32 coverage to draw on (changed in place).

    Returns:
        float32 coverage, 0 (paper) to 1 (ink), anti-aliased.
    """
    path = np.zeros(shape, dtype=np.uint8)
    for stroke in strokes:
        points = np.round(stroke * 4).astype(np.int32)  # 2 bits of sub-pixel precision
        if len(points) == 1:
            points = np.repeat(points, 2, axis=0)
        cv2.polylines(path, [points], False, 255, lineType=cv2.LINE_8, shift=2)
    distance = cv2.distanceTransform(255 - path, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    coverage = np.clip(pen / 2 + 0.5 - distance, 0.0, 1.0).astype(np.float32)
    if canvas is None:
        return coverage
    np.maximum(canvas, coverage, out=canvas)
    return canvas


def random_pen(rng, height):
    """A canvas-like pen width for ink `height` pixels tall: 3-16% of it, at least 1.5 px."""
    return max(1.5, float(np.exp(rng.uniform(np.log(0.03), np.log(0.16)))) * height)


def render(digit_strokes, rng, height=None, pen=None, margin=None):
    """One pen-written digit as float coverage, drawn as a canvas would: a random size, pen,
    slant, rotation and width, with a margin around it.

    Returns:
        float32 (H, W) coverage, 0-1.
    """
    height = float(rng.uniform(28, 160)) if height is None else float(height)
    pen = random_pen(rng, height) if pen is None else pen
    margin = int(np.ceil(pen)) + 2 if margin is None else margin
    strokes = placed(
        digit_strokes,
        height,
        slant=float(rng.normal(0, 0.15)),
        rotation=float(rng.normal(0, 4)),
        aspect=float(np.exp(rng.normal(0, 0.12))),
        origin=(margin, margin),
    )
    extent = np.concatenate(strokes).max(axis=0)
    shape = (int(np.ceil(extent[1])) + margin + 1, int(np.ceil(extent[0])) + margin + 1)
    return draw(strokes, shape, pen)


def canvas_picture(digit_strokes, rng, size=280):
    """A digit as the Draw page sends it: black ink on an opaque white `size` px canvas,
    RGBA uint8, at a random height, place and pen.
    """
    height = rng.uniform(0.35, 0.85) * size
    pen = float(np.clip(rng.normal(0.075, 0.02) * height, 4, 30))
    coverage = render(digit_strokes, rng, height=height, pen=pen, margin=0)
    if max(coverage.shape) > size - 4:
        fit = (size - 4) / max(coverage.shape)
        coverage = cv2.resize(coverage, None, fx=fit, fy=fit, interpolation=cv2.INTER_AREA)
    page = np.zeros((size, size), dtype=np.float32)
    top = int(rng.integers(2, size - coverage.shape[0] - 1))
    left = int(rng.integers(2, size - coverage.shape[1] - 1))
    page[top : top + coverage.shape[0], left : left + coverage.shape[1]] = coverage
    return as_canvas_rgba(page)


def as_canvas_rgba(coverage):
    """Coverage as the canvas's RGBA: black ink on opaque white."""
    grey = np.round(255 * (1 - coverage)).astype(np.uint8)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def writers_in(digits):
    """The writers of `digits`, sorted."""
    return sorted({digit.writer for digit in digits})


def pendigits_available(pendigits_dir=None):
    """Whether the pendigits file can be found (for tests and optional reports)."""
    try:
        return (Path(resolve_pendigits_dir(pendigits_dir)) / FILE_NAME).is_file()
    except (DatasetError, FileNotFoundError):
        return False
