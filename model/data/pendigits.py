"""Pen-written digits (`../shared/pendigits`): strokes from a tablet, drawn as on a canvas.

30 writers wrote about 250 digits each (UNIPEN text, `pendigits-orig.tra`; y grows upwards).
Each digit is drawn with a round pen on a white canvas, as the Draw page receives a drawing.
Hold out whole writers to measure (the folder's README says why).
"""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

FILE = "pendigits-orig.tra"


@dataclass
class PenDigit:
    """One written digit: its label, its writer (1-30) and its strokes, each an (N, 2) array
    of x, y points in tablet units, y down."""

    label: int
    writer: int
    strokes: list


def read_pendigits(folder, limit=None):
    """The digits of `folder`/pendigits-orig.tra, in file order (at most `limit`).

    Raises:
        FileNotFoundError: the file is not there.
        ValueError: a line that is not UNIPEN as that file writes it.
    """
    path = Path(folder) / FILE
    if not path.is_file():
        raise FileNotFoundError(f"no {FILE} in {folder}")
    digits, current, stroke = [], None, None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        words = line.split()
        if not words:
            continue
        if words[0] == ".SEGMENT":
            if limit is not None and len(digits) >= limit:
                break
            current = PenDigit(int(words[-1].strip('"')), 0, [])
            digits.append(current)
        elif words[0] == ".COMMENT" and current is not None:
            current.writer = int(words[2])
        elif words[0] == ".PEN_DOWN":
            stroke = []
        elif words[0] == ".PEN_UP" and current is not None and stroke is not None:
            if stroke:
                points = np.array(stroke, np.float32)
                points[:, 1] = -points[:, 1]  # y grows upwards on the tablet
                current.strokes.append(points)
            stroke = None
        elif stroke is not None:
            if len(words) != 2:
                raise ValueError(f"{path}:{number}: expected 'x y', got {line!r}")
            stroke.append((float(words[0]), float(words[1])))
    return digits


def draw_pen_digit(digit, rng, canvas_size=280, height_fraction=None, pen=None, slant=None):
    """The digit's strokes with a round pen, dark on an opaque white RGBA canvas.

    Args:
        digit: a `PenDigit`.
        rng: a `numpy.random.Generator` for what is not given.
        canvas_size: the square canvas's side.
        height_fraction: the digit's height over the canvas's; default 0.4-0.8.
        pen: the pen's width in pixels; default 6-14% of the digit's height.
        slant: x shift per unit of height going up; default -0.15 to 0.15.
    """
    height_fraction = rng.uniform(0.4, 0.8) if height_fraction is None else height_fraction
    slant = rng.uniform(-0.15, 0.15) if slant is None else slant
    points = np.concatenate(digit.strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    size = height_fraction * canvas_size
    scale = size / max(high[1] - low[1], 1.0)
    if (high[0] - low[0]) * scale > 0.9 * canvas_size:
        scale = 0.9 * canvas_size / (high[0] - low[0])
    pen = max(2, int(round(rng.uniform(0.06, 0.14) * size))) if pen is None else pen
    canvas = np.full((canvas_size, canvas_size, 4), 255, np.uint8)
    centre = (low + high) / 2
    for stroke in digit.strokes:
        placed = (stroke - centre) * scale
        placed[:, 0] -= slant * placed[:, 1]  # leaning right as y goes up (y is down here)
        placed += canvas_size / 2
        cv2.polylines(
            canvas,
            [np.round(placed * 16).astype(np.int32)],
            False,
            (0, 0, 0, 255),
            thickness=pen,
            lineType=cv2.LINE_AA,
            shift=4,
        )
    return canvas
