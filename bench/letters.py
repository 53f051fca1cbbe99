"""Letters on the canvas against digits: how often each is "Can't read that".

Capital letters are drawn as pen strokes made by hand here (not from a font: the digit gate
learns from Hershey-font letters, `model.data.negatives`, so these stay apart) with a round
pen of several widths, slants and sizes, and read as the Draw page reads them; then each
written again with a hand's wobble (`wobbly_letter_strokes`). Beside them,
how many real digits get flagged too: the MNIST test digits (as the network sees them) and
pen-written digits of writers 21-30 (`../shared/pendigits`) drawn on a canvas and read from
their strokes.

    python -m bench.letters [--quick] [--mnist-dir DIR] [--pendigits-dir DIR]
"""

import itertools
import os
from pathlib import Path

import cv2
import numpy as np

from bench.common import ROOT, emit, machine, parser

# Letters no one writes as a digit: the list, then the rest of the alphabet but the
# letters people write as digits (B, which the issue names, is in).
LETTERS = {
    "A": [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.22, 0.6), (0.78, 0.6)]],
    "B": [
        [(0.1, 1.0), (0.1, 0.0), (0.65, 0.0), (0.85, 0.1), (0.85, 0.38), (0.65, 0.48), (0.1, 0.48)],
        [(0.65, 0.48), (0.92, 0.6), (0.92, 0.88), (0.7, 1.0), (0.1, 1.0)],
    ],
    "E": [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0), (0.9, 1.0)], [(0.1, 0.5), (0.7, 0.5)]],
    "F": [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0)], [(0.1, 0.5), (0.7, 0.5)]],
    "H": [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.9, 1.0)], [(0.1, 0.5), (0.9, 0.5)]],
    "K": [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.1, 0.6)], [(0.35, 0.4), (0.9, 1.0)]],
    "M": [[(0.0, 1.0), (0.1, 0.0), (0.5, 0.7), (0.9, 0.0), (1.0, 1.0)]],
    "N": [[(0.1, 1.0), (0.1, 0.0), (0.9, 1.0), (0.9, 0.0)]],
    "R": [
        [(0.1, 1.0), (0.1, 0.0), (0.7, 0.0), (0.9, 0.12), (0.9, 0.38), (0.7, 0.5), (0.1, 0.5)],
        [(0.45, 0.5), (0.9, 1.0)],
    ],
    "W": [[(0.0, 0.0), (0.22, 1.0), (0.5, 0.35), (0.78, 1.0), (1.0, 0.0)]],
    "X": [[(0.05, 0.0), (0.95, 1.0)], [(0.95, 0.0), (0.05, 1.0)]],
    "Y": [[(0.0, 0.0), (0.5, 0.5), (1.0, 0.0)], [(0.5, 0.5), (0.5, 1.0)]],
    # The rest of the alphabet that is no digit (G, I, O, S, Z are written as 6, 1, 0, 5, 2).
    "C": [
        [
            (0.95, 0.15),
            (0.7, 0.0),
            (0.3, 0.0),
            (0.05, 0.3),
            (0.05, 0.7),
            (0.3, 1.0),
            (0.7, 1.0),
            (0.95, 0.85),
        ]
    ],
    "D": [
        [(0.1, 0.0), (0.1, 1.0)],
        [(0.1, 0.0), (0.55, 0.0), (0.9, 0.25), (0.9, 0.75), (0.55, 1.0), (0.1, 1.0)],
    ],
    "J": [[(0.2, 0.0), (1.0, 0.0)], [(0.7, 0.0), (0.7, 0.8), (0.5, 1.0), (0.2, 1.0), (0.05, 0.8)]],
    "L": [[(0.1, 0.0), (0.1, 1.0), (0.9, 1.0)]],
    "P": [[(0.1, 1.0), (0.1, 0.0), (0.7, 0.0), (0.9, 0.12), (0.9, 0.38), (0.7, 0.5), (0.1, 0.5)]],
    "Q": [
        [
            (0.5, 0.0),
            (0.1, 0.2),
            (0.0, 0.5),
            (0.1, 0.8),
            (0.5, 1.0),
            (0.9, 0.8),
            (1.0, 0.5),
            (0.9, 0.2),
            (0.5, 0.0),
        ],
        [(0.6, 0.7), (1.0, 1.0)],
    ],
    "T": [[(0.0, 0.0), (1.0, 0.0)], [(0.5, 0.0), (0.5, 1.0)]],
    "U": [[(0.05, 0.0), (0.05, 0.7), (0.3, 1.0), (0.7, 1.0), (0.95, 0.7), (0.95, 0.0)]],
    "V": [[(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)]],
}


def letter_strokes(letter, canvas_size=280, height=0.6, slant=0.0, aspect=0.8):
    """A letter's strokes in canvas pixels, as the Draw page records them.

    Args:
        letter: a key of LETTERS.
        canvas_size: the square canvas's side in pixels.
        height: the letter's height over the canvas's.
        slant: x shift per unit of height going up (0.2: leaning right).
        aspect: the letter's width over its height.
    """
    size = height * canvas_size
    left, top = (canvas_size - aspect * size) / 2, (canvas_size - size) / 2
    return [
        [(left + (x * aspect + slant * (1 - y)) * size, top + y * size) for x, y in stroke]
        for stroke in LETTERS[letter]
    ]


def wobbly_letter_strokes(letter, rng, canvas_size=280):
    """A letter's strokes as a hand writes them: many points a stroke, a slow wobble along
    each (up to 4% of the height), a random size, width, slant and tilt, and strokes drawn
    either way and in either order.

    Returns:
        (strokes, pen width in pixels)
    """
    size = rng.uniform(0.35, 0.7) * canvas_size
    aspect, slant, tilt = rng.uniform(0.6, 1.0), rng.normal(0, 0.12), np.deg2rad(rng.normal(0, 5))
    turn = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]])
    strokes = []
    for corners in LETTERS[letter]:
        corners = np.asarray(corners, dtype=np.float64)
        points = np.concatenate(
            [np.linspace(a, b, 25, endpoint=False) for a, b in itertools.pairwise(corners)]
            + [corners[-1:]]
        )
        along = np.linspace(0.0, 1.0, len(points))[:, None]
        for waves in (1, 2, 3):
            amplitude = rng.normal(0, rng.uniform(0.01, 0.04), 2)[None]
            points = points + amplitude * np.sin(waves * np.pi * along + rng.uniform(0, 6))
        points[:, 0] = points[:, 0] * aspect + slant * (1 - points[:, 1])
        points = (points - 0.5) @ turn.T * size + canvas_size / 2
        strokes.append(points[::-1] if rng.random() < 0.3 else points)
    if rng.random() < 0.3:
        strokes = strokes[::-1]
    return [stroke.tolist() for stroke in strokes], float(rng.uniform(8, 24))


def draw_letter(letter, canvas_size=280, height=0.6, width=18, slant=0.0, aspect=0.8):
    """A letter drawn with a round pen (`width` pixels), dark on an opaque white RGBA canvas;
    the other arguments as for `letter_strokes`."""
    canvas = np.full((canvas_size, canvas_size, 4), 255, np.uint8)
    for points in letter_strokes(letter, canvas_size, height, slant, aspect):
        cv2.polylines(
            canvas,
            [np.round(np.asarray(points) * 16).astype(np.int32)],
            False,
            (0, 0, 0, 255),
            thickness=width,
            lineType=cv2.LINE_AA,
            shift=4,
        )
    return canvas


WIDTHS = (10, 18, 28)  # pen widths on the 280 px canvas
SLANTS = (-0.15, 0.0, 0.2)
HEIGHTS = (0.5, 0.75)
WOBBLY = 40  # hand-wobbled versions of each letter
QUICK_WOBBLY = 5
HELD_OUT_WRITERS = range(21, 31)  # pendigits writers never used to train anything
QUICK_DIGITS = 300


def _flagged(reading):
    return reading.uncertain or not reading.digits


def _letters(predictor, strokes=False):
    """Each letter in every pen width, slant and height, read from its picture (`read`) or,
    as the Draw page reads it, from its strokes (`read_strokes`)."""

    def reading(letter, width, slant, height):
        if strokes:
            return predictor.read_strokes(letter_strokes(letter, slant=slant, height=height), width)
        return predictor.read(draw_letter(letter, width=width, slant=slant, height=height))

    rows = {}
    for letter in LETTERS:
        readings = [
            reading(letter, width, slant, height)
            for width, slant, height in itertools.product(WIDTHS, SLANTS, HEIGHTS)
        ]
        rows[letter] = {
            "flagged": sum(_flagged(reading) for reading in readings),
            "count": len(readings),
            "read_as": sorted({r.text for r in readings if not _flagged(r)}),
        }
    flagged = sum(row["flagged"] for row in rows.values())
    count = sum(row["count"] for row in rows.values())
    return {"flagged_rate": round(flagged / count, 4), "count": count, "letters": rows}


def _wobbly_letters(predictor, count):
    """Each letter written `count` times by a wobbly hand (`wobbly_letter_strokes`), read
    from its strokes."""
    rng = np.random.default_rng(2026)
    rows = {}
    for letter in LETTERS:
        readings = [
            predictor.read_strokes(*wobbly_letter_strokes(letter, rng)) for _ in range(count)
        ]
        rows[letter] = {
            "flagged": sum(_flagged(reading) for reading in readings),
            "count": count,
            "read_as": sorted({r.text for r in readings if not _flagged(r)}),
        }
    flagged = sum(row["flagged"] for row in rows.values())
    total = sum(row["count"] for row in rows.values())
    return {"flagged_rate": round(flagged / total, 4), "count": total, "letters": rows}


def _mnist(predictor, mnist_dir, quick):
    from model.data.mnist import load_mnist
    from model.inference.calibration import confidence_of

    data = load_mnist(mnist_dir, validation_size=0)
    images, labels = data.x_test, data.y_test
    if quick:
        images, labels = images[:QUICK_DIGITS], labels[:QUICK_DIGITS]
    probabilities, is_digit = predictor._calibrated(images)
    confidence = confidence_of(probabilities.max(axis=1), is_digit, predictor.gate_doubt)
    return {
        "count": int(len(images)),
        "flagged_rate": round(float((confidence < predictor.threshold).mean()), 4),
        "accuracy": round(float((probabilities.argmax(axis=1) == labels).mean()), 4),
    }


def _pendigits(predictor, folder, quick):
    from model.data.pendigits import canvas_picture, load_pendigits, placed

    digits = load_pendigits(folder, HELD_OUT_WRITERS)
    digits = digits[:QUICK_DIGITS] if quick else digits
    rng = np.random.default_rng(0)
    pictures = [predictor.read(canvas_picture(digit.strokes, rng)) for digit in digits]
    strokes = [
        predictor.read_strokes(placed(digit.strokes, 168, origin=(56.0, 56.0)), 14)
        for digit in digits
    ]

    def rates(readings):
        right = [r.text == str(d.label) for r, d in zip(readings, digits, strict=True)]
        return {
            "flagged_rate": round(float(np.mean([_flagged(r) for r in readings])), 4),
            "accuracy": round(float(np.mean(right)), 4),
        }

    return {
        "count": len(digits),
        "writers": f"{HELD_OUT_WRITERS.start}-{HELD_OUT_WRITERS.stop - 1}",
        **rates(pictures),
        "as_strokes": rates(strokes),
    }


def run(mnist_dir=None, pendigits_dir=None, quick=False):
    """Letters and digits read by the active model; the JSON-ready result."""
    from model.inference.predictor import Predictor

    predictor = Predictor.load()
    folder = Path(
        pendigits_dir or os.environ.get("PENDIGITS_DIR", ROOT.parent / "shared" / "pendigits")
    )
    return {
        "benchmark": "letters",
        "letters": _letters(predictor),
        "letters_as_strokes": _letters(predictor, strokes=True),
        "wobbly_letters_as_strokes": _wobbly_letters(predictor, QUICK_WOBBLY if quick else WOBBLY),
        "mnist_test": _mnist(predictor, mnist_dir, quick),
        "pendigits": _pendigits(predictor, folder, quick),
        "machine": machine(),
    }


if __name__ == "__main__":
    arguments = parser(__doc__)
    arguments.add_argument("--pendigits-dir", help="pen digits (default: $PENDIGITS_DIR)")
    arguments = arguments.parse_args()
    emit(run(arguments.mnist_dir, arguments.pendigits_dir, arguments.quick))
