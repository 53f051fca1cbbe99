"""Digits made of a few straight strokes: square hands and seven-segment-like shapes.

MNIST has almost none of them; people draw them on canvases and some write them on paper.
Used to train (`model.training.styles`) and to test (`model.data.hard`).
"""

import cv2
import numpy as np

# Seven-segment layout on a unit box (x right, y down): each segment is a line between 2 corners.
CORNERS = {"tl": (0, 0), "tr": (1, 0), "ml": (0, 0.5), "mr": (1, 0.5), "bl": (0, 1), "br": (1, 1)}
SEGMENTS = {
    "a": ("tl", "tr"),
    "b": ("tr", "mr"),
    "c": ("mr", "br"),
    "d": ("bl", "br"),
    "e": ("ml", "bl"),
    "f": ("tl", "ml"),
    "g": ("ml", "mr"),
}
# Each digit's usual segment sets; several where people write it several ways.
DIGIT_SEGMENTS = {
    0: ("abcdef",),
    1: ("bc",),
    2: ("abged",),
    3: ("abgcd",),
    4: ("fgbc",),
    5: ("afgcd",),
    6: ("afgedc", "fgedc"),
    7: ("abc", "fabc"),
    8: ("abcdefg",),
    9: ("abcdfg", "abcfg"),
}


def segment_picture(digit, rng, height=160):
    """A digit drawn with a few straight strokes, like a seven-segment display or a square hand.

    Args:
        digit: 0-9.
        rng: a numpy Generator.
        height: the digit's height in pixels, before the pen.

    Returns:
        float32 ink coverage (0-1), the digit with a 20-40 px margin.
    """
    pattern = DIGIT_SEGMENTS[digit][int(rng.integers(len(DIGIT_SEGMENTS[digit])))]
    aspect = rng.uniform(0.45, 1.0) if digit != 1 else rng.uniform(0.05, 0.4)
    width = height * aspect
    slant = rng.uniform(-0.25, 0.25)  # x shift per unit of height going up
    jitter = height * 0.04
    corners = {}
    for name, (x, y) in CORNERS.items():
        px = 40 + x * width + (1 - y) * slant * height + rng.normal(0, jitter)
        py = 20 + y * height + rng.normal(0, jitter)
        corners[name] = (px, py)
    thickness = max(1, int(round(int(rng.integers(4, 26)) * height / 160)))  # 2.5-16% of height
    canvas = np.zeros((height + 40, int(width + 80 + abs(slant) * height)), np.float32)
    gap = rng.random() < 0.3  # segment displays and quick hands leave gaps at the corners
    for letter in pattern:
        start, end = (np.array(corners[name]) for name in SEGMENTS[letter])
        if gap:
            shrink = rng.uniform(0.05, 0.15)
            start, end = start + (end - start) * shrink, end - (end - start) * shrink
        cv2.line(canvas, _point(start), _point(end), 1.0, thickness, cv2.LINE_AA)
    if digit == 1 and rng.random() < 0.4:  # the flag at the top of a 1
        top = np.array(corners["tr"])
        flag = top + (-height * 0.2, height * 0.15)
        cv2.line(canvas, _point(top), _point(flag), 1.0, thickness, cv2.LINE_AA)
    return canvas


def _point(xy):
    return int(round(xy[0])), int(round(xy[1]))
