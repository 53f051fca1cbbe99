"""Digits drawn as pen strokes, the way a person draws them with a mouse.

Each digit is a list of strokes; each stroke a list of (x, y) points in a unit box (y down).
Used to render canvas-like test images and, in browser tests, to drive mouse drags.
"""

import cv2
import numpy as np

STROKES = {
    0: [
        [
            (0.5, 0.0),
            (0.2, 0.15),
            (0.08, 0.5),
            (0.2, 0.85),
            (0.5, 1.0),
            (0.8, 0.85),
            (0.92, 0.5),
            (0.8, 0.15),
            (0.5, 0.0),
        ]
    ],
    1: [[(0.35, 0.15), (0.55, 0.0), (0.55, 1.0)]],
    2: [[(0.1, 0.25), (0.3, 0.03), (0.6, 0.0), (0.85, 0.2), (0.8, 0.45), (0.1, 1.0), (0.95, 1.0)]],
    3: [
        [
            (0.1, 0.1),
            (0.45, 0.0),
            (0.8, 0.1),
            (0.8, 0.35),
            (0.45, 0.48),
            (0.85, 0.62),
            (0.85, 0.9),
            (0.45, 1.0),
            (0.1, 0.9),
        ]
    ],
    4: [[(0.6, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
    5: [
        [
            (0.85, 0.0),
            (0.2, 0.0),
            (0.15, 0.45),
            (0.55, 0.38),
            (0.85, 0.6),
            (0.8, 0.9),
            (0.45, 1.0),
            (0.1, 0.9),
        ]
    ],
    7: [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)]],
}


def _pen(canvas, points, ink, width):
    cv2.polylines(
        canvas,
        [np.round(np.asarray(points) * 16).astype(np.int32)],
        False,
        ink,
        thickness=width,
        lineType=cv2.LINE_AA,
        shift=4,
    )


def draw_digit(
    digit,
    canvas_size=280,
    box=(0.2, 0.15, 0.6, 0.7),
    width=18,
    ink=(0, 0, 0, 255),
    background=(255, 255, 255, 255),
):
    """Renders a digit as anti-aliased strokes on an RGBA canvas.

    Args:
        digit: a key of STROKES.
        canvas_size: side of the square canvas in pixels.
        box: (left, top, width, height) of the digit as fractions of the canvas.
        width: pen width in pixels.
        ink, background: RGBA colours.

    Returns:
        uint8 (canvas_size, canvas_size, 4).
    """
    canvas = np.empty((canvas_size, canvas_size, 4), dtype=np.uint8)
    canvas[:] = background
    left, top, box_w, box_h = (value * canvas_size for value in box)
    for stroke in STROKES[digit]:
        _pen(canvas, [(left + x * box_w, top + y * box_h) for x, y in stroke], ink, width)
    return canvas


def draw_number(digits, size=200, width=14, gap=0.15, ink=(0, 0, 0, 255)):
    """Renders several digits side by side on one white RGBA canvas, like a written number.

    Args:
        digits: keys of STROKES, left to right.
        size: height of a digit in pixels; each digit is 0.6 x size wide.
        width: pen width in pixels.
        gap: space between digits as a fraction of `size` (negative: they touch).

    Returns:
        uint8 (H, W, 4).
    """
    digit_width = 0.6
    height = int(size * 1.4)
    total = int(size * (len(digits) * digit_width + (len(digits) - 1) * gap + 0.6))
    canvas = np.full((height, total, 4), 255, dtype=np.uint8)
    for index, digit in enumerate(digits):
        left = size * (0.3 + index * (digit_width + gap))
        for stroke in STROKES[digit]:
            points = [(left + x * digit_width * size, 0.2 * size + y * size) for x, y in stroke]
            _pen(canvas, points, ink, width)
    return canvas
