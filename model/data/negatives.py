"""Pictures that are not one digit: scribbles, zigzags, letters (printed and hand-written),
shapes and squeezed pairs.

They teach the digit gate (see `model.training.gate`) what to doubt. The printed letters leave out
those people also write as digits (O, I, l, S, Z, B, b, g, q, ...); the hand-written ones
(`model.data.hand_letters`) have a B, whose straight stem no 8 has.
"""

import cv2
import numpy as np

from model.data.hand_letters import hand_letter
from model.inference.preprocess import crop_to_mnist, tight_crop

LETTERS = "ACEFHKMNPRTVWXYacdefhkmnprtuvwx"
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)
SIZE = 200  # negatives are drawn on a canvas this big, then converted like any drawing
KINDS = ("scribble", "zigzag", "letter", "hand_letter", "shape", "pair")


def _warp(canvas, rng):
    """A small random rotation, shear and stretch, like a hand would give."""
    angle = rng.uniform(-15, 15)
    matrix = cv2.getRotationMatrix2D((SIZE / 2, SIZE / 2), angle, rng.uniform(0.8, 1.1))
    matrix[0, 1] += rng.uniform(-0.3, 0.3)
    matrix[1, 1] *= rng.uniform(0.8, 1.25)
    return cv2.warpAffine(canvas, matrix, (SIZE, SIZE))


def _scribble(canvas, rng):
    points = np.cumsum(rng.normal(0, SIZE / 8, (int(rng.integers(6, 30)), 2)), axis=0)
    points = np.clip(points - points.mean(axis=0) + SIZE / 2, 10, SIZE - 10)
    cv2.polylines(canvas, [points.astype(np.int32)], False, 255, int(rng.integers(3, 14)))


def _zigzag(canvas, rng):
    turns = int(rng.integers(4, 12))
    xs = np.linspace(20, SIZE - 20, turns) + rng.normal(0, 5, turns)
    ys = np.where(np.arange(turns) % 2, 40, SIZE - 40) + rng.normal(0, 12, turns)
    points = np.stack([xs, ys], axis=1)
    if rng.random() < 0.5:
        points = points[:, ::-1]
    cv2.polylines(canvas, [points.astype(np.int32)], False, 255, int(rng.integers(3, 14)))


def _letter(canvas, rng):
    letter = LETTERS[int(rng.integers(len(LETTERS)))]
    font = FONTS[int(rng.integers(len(FONTS)))]
    thickness = int(rng.integers(2, 12))
    cv2.putText(canvas, letter, (40, 160), font, 4.0, 255, thickness, cv2.LINE_AA)


def _hand_letter(canvas, rng):
    np.maximum(canvas, np.round(255 * hand_letter(rng, SIZE)).astype(np.uint8), out=canvas)


def _shape(canvas, rng):
    """Shapes no one writes as a digit; round or square outlines are left out (they read as 0)."""
    kind = int(rng.integers(4))
    thickness = int(rng.integers(3, 14))
    if kind == 0:  # a cross
        cv2.line(canvas, (40, 40), (160, 160), 255, thickness)
        cv2.line(canvas, (160, 40), (40, 160), 255, thickness)
    elif kind == 1:  # a filled rectangle
        cv2.rectangle(canvas, (40, 50), (160, 150), 255, -1)
    elif kind == 2:  # a five-pointed star, drawn in one line
        angles = np.linspace(0, 4 * np.pi, 6) + rng.uniform(0, 1)
        points = np.stack([100 + 70 * np.cos(angles), 100 + 70 * np.sin(angles)], axis=1)
        cv2.polylines(canvas, [points.astype(np.int32)], False, 255, thickness)
    else:  # a filled blob
        cv2.ellipse(canvas, (100, 100), (int(rng.integers(20, 80)), 60), 0, 0, 360, 255, -1)


def _pair(digits, rng):
    """Two MNIST digits side by side, read as if they were one."""
    first, second = (digits[int(rng.integers(len(digits)))] for _ in range(2))
    overlap = int(rng.integers(0, 8))
    pair = np.zeros((28, 56 - overlap), dtype=np.float32)
    pair[:, :28] = first / 255.0
    pair[:, 28 - overlap :] = np.maximum(pair[:, 28 - overlap :], second / 255.0)
    return tight_crop(pair)


def negative(kind, rng, digits=None):
    """One MNIST-format (28, 28) uint8 picture that is not a single digit.

    Args:
        kind: one of KINDS.
        rng: a numpy Generator.
        digits: uint8 (N, 28, 28) MNIST digits, needed for "pair".
    """
    if kind == "pair":
        return crop_to_mnist(_pair(digits, rng))
    return crop_to_mnist(mark(kind, rng))


def mark(kind, rng):
    """The tightly cropped float ink (1 = ink) of one drawn non-digit of `kind` (any of
    KINDS but "pair")."""
    canvas = np.zeros((SIZE, SIZE), dtype=np.uint8)
    drawers = {
        "scribble": _scribble,
        "zigzag": _zigzag,
        "letter": _letter,
        "hand_letter": _hand_letter,
        "shape": _shape,
    }
    drawers[kind](canvas, rng)
    crop = tight_crop(_warp(canvas, rng).astype(np.float32) / 255.0)
    return crop if crop.max() > 0 else mark("scribble", rng)


def negatives(count, seed, digits):
    """`count` negatives of every kind in equal shares, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    kinds = [KINDS[index % len(KINDS)] for index in range(count)]
    return np.stack([negative(kind, rng, digits) for kind in kinds])
