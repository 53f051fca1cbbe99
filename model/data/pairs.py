"""Two digits written into each other, for the pair reader: composed from MNIST digits (as
ink) and from pendigits strokes (drawn with a round pen), touching or overlapping as people
write numbers, framed as the reader frames a piece (`crop_to_pair`).

Besides the 100 pairs ("00" to "99"), one class says "not two digits": one digit alone
(sometimes stretched wide; twice as often as each other kind), three digits run together, and a
digit with part of its neighbour cut off, which are what the reader's other candidate pieces look
like; and scribbles, zigzags, shapes, printed letters and capitals written by hand
(`model.data.negatives`), alone or two side by side. Pen digits are sometimes written in their
named style (`model.data.named_styles`: a 0 whose ends overlap or curl inside is no "10").
"""

from dataclasses import replace

import cv2
import numpy as np

from model.data import pendigits
from model.data.named_styles import styled_strokes
from model.data.negatives import mark
from model.data.pen_sets import gap_left, place_in_line
from model.inference.pairs import NOT_A_PAIR
from model.inference.preprocess import crop_to_pair, tight_crop

NOT_A_PAIR_SHARE = 0.3
NAMED_SHARE = 0.3  # pen digits given their named style (a 0 whose ends overlap, a crossed 7...)
SPIRAL_SHARE = 0.2  # ...and of the 0s among them, this share curl inside their loop (a spiral)
MARKS = ("scribble", "zigzag", "letter", "hand_letter", "shape")
OVERLAP = (0.1, 0.4)  # overlapping digits share this fraction of the narrower one's width
HEIGHT = 40.0  # MNIST digits are scaled to about this many pixels before they are joined


def _side_by_side(inks, rng, kinds):
    """Float ink crops joined left to right, each gap of the kind in `kinds`: "touching"
    (the boxes meet or barely overlap) or "overlapping"."""
    heights = [HEIGHT * float(rng.uniform(0.9, 1.1)) for _ in inks]
    scaled = [
        cv2.resize(ink, (max(1, round(ink.shape[1] * h / ink.shape[0])), round(h)))
        for ink, h in zip(inks, heights, strict=True)
    ]
    tops = [max(0, round(float(rng.normal(0, 0.05)) * HEIGHT) + 3) for _ in scaled]
    lefts, right = [0], scaled[0].shape[1]
    for ink, kind in zip(scaled[1:], kinds, strict=True):
        narrower = min(ink.shape[1], right - lefts[-1], HEIGHT)
        if kind == "touching":
            shared = float(rng.uniform(0.0, 0.12)) * HEIGHT
        else:
            shared = float(rng.uniform(*OVERLAP)) * max(narrower, 0.3 * HEIGHT)
        left = max(0, round(right - shared))
        lefts.append(left)
        right = max(right, left + ink.shape[1])
    height = max(top + ink.shape[0] for top, ink in zip(tops, scaled, strict=True))
    page = np.zeros((height + 1, right + 1), np.float32)
    for top, left, ink in zip(tops, lefts, scaled, strict=True):
        window = page[top : top + ink.shape[0], left : left + ink.shape[1]]
        np.maximum(window, np.clip(ink, 0, 1), out=window)
    return page, lefts, [ink.shape[1] for ink in scaled]


def _pen_side_by_side(digits, rng, kinds):
    """Pendigits strokes joined as `model.data.pen_sets.composed_number` joins them."""
    height = float(rng.uniform(40, 90))
    pen = float(rng.uniform(0.05, 0.14) * height)
    slant = float(rng.normal(0, 0.12))
    margin = 4.0 + pen
    strokes, right, lefts, widths = [], margin, [], []
    for position, digit in enumerate(digits):
        placed, width = place_in_line(digit, height, slant, margin, rng)
        if position == 0:
            left = margin
        else:
            left = gap_left(kinds[position - 1], right, width, height, pen, rng, OVERLAP)
        strokes += [stroke + np.array([left, 0.0], np.float32) for stroke in placed]
        lefts.append(round(left))
        widths.append(round(width))
        right = max(right, left + width)
    extent = np.concatenate(strokes).max(axis=0)
    shape = (int(extent[1] + margin) + 1, int(extent[0] + margin) + 1)
    return pendigits.draw(strokes, shape, pen), lefts, widths


def _stretched(ink, rng, most):
    """`ink` made 1 to `most` times as wide."""
    stretch = float(rng.uniform(1.0, most))
    return cv2.resize(ink, (round(ink.shape[1] * stretch), ink.shape[0]))


def _kinds(rng, count):
    return [str(rng.choice(["touching", "overlapping"])) for _ in range(count)]


class PairMaker:
    """Composes framed (28, 56) pictures from a pool of MNIST digits and pendigits digits.

    Args:
        mnist_images, mnist_labels: uint8 (N, 28, 28) white-on-black digits and labels.
        pen_digits: `PenDigit`s.
        pen_share: how often a picture is made of pen digits rather than MNIST's.
    """

    def __init__(self, mnist_images, mnist_labels, pen_digits, pen_share=0.5):
        self.mnist = [np.flatnonzero(mnist_labels == digit) for digit in range(10)]
        self.images = mnist_images
        self.pen = [[d for d in pen_digits if d.label == digit] for digit in range(10)]
        self.pen_share = pen_share if all(self.pen) else 0.0

    def _joined(self, labels, rng):
        kinds = _kinds(rng, len(labels) - 1)
        if rng.random() < self.pen_share:
            digits = [self.pen[label][rng.integers(len(self.pen[label]))] for label in labels]
            digits = [
                replace(
                    digit, strokes=styled_strokes(digit.strokes, digit.label, rng, SPIRAL_SHARE)
                )
                if rng.random() < NAMED_SHARE
                else digit
                for digit in digits
            ]
            return _pen_side_by_side(digits, rng, kinds)
        inks = [
            tight_crop(self.images[rng.choice(self.mnist[label])].astype(np.float32) / 255)
            for label in labels
        ]
        return _side_by_side(inks, rng, kinds)

    def _not_a_pair(self, rng):
        labels = [int(x) for x in rng.integers(0, 10, size=3)]
        kind = rng.integers(6)
        if kind == 3:  # a scribble, zigzag, shape or letter, sometimes stretched wide
            return _stretched(mark(str(rng.choice(MARKS)), rng), rng, 2.5)
        if kind == 4:  # two of them side by side
            inks = [mark(str(rng.choice(MARKS)), rng) for _ in range(2)]
            return _side_by_side(inks, rng, _kinds(rng, 1))[0]
        if kind in (0, 5):  # one digit (the likeliest), sometimes stretched wide
            return _stretched(tight_crop(self._joined(labels[:1], rng)[0]), rng, 2.2)
        if kind == 1:  # three digits
            return self._joined(labels, rng)[0]
        ink, lefts, widths = self._joined(labels[:2], rng)  # a digit and part of the next
        keep = float(rng.uniform(0.15, 0.45))
        if rng.random() < 0.5:
            return ink[:, : lefts[1] + max(1, round(keep * widths[1]))]
        return ink[:, max(0, lefts[0] + widths[0] - round(keep * widths[0])) :]

    def picture(self, rng):
        """One framed picture and its class (10 x left + right, or NOT_A_PAIR)."""
        if rng.random() < NOT_A_PAIR_SHARE:
            ink, label = self._not_a_pair(rng), NOT_A_PAIR
        else:
            labels = [int(x) for x in rng.integers(0, 10, size=2)]
            ink, label = self._joined(labels, rng)[0], 10 * labels[0] + labels[1]
        return crop_to_pair(tight_crop(ink)), label

    def pictures(self, count, rng):
        """uint8 (count, 28, 56) pictures and their classes."""
        made = [self.picture(rng) for _ in range(count)]
        return np.stack([image for image, _ in made]), np.array([c for _, c in made], np.int32)
