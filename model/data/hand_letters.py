"""Capital letters as a hand writes them with a pen: negatives for the digit gate.

The Hershey-font letters of `model.data.negatives` are printed shapes; a hand writes a B as a
stem and two bowls, an E as a stem and three bars, an H as two uprights and a bar, and these
read as 8, 5 and 4 when the gate never saw them. Each letter here has a few ways of writing
it (stroke counts; a B's, P's or R's bowls round or boxy, wide or narrow, drawn anew each
time); every stroke is moved and jittered, the strokes are placed with a slant, tilt and
width, and drawn with a round pen as the canvas draws.
Letters people write as digits (G, I, O, S, Z, and the round D, U, C, Q) are left out.
"""

import numpy as np

from model.data.pendigits import draw, placed, random_pen


def _bowl(top, bottom, reach, square, count=13):
    """A bowl off a stem at x = 0, from `top` round to `bottom`: half a superellipse, round
    (`square` 0) to boxy (1), reaching `reach` to the right."""
    angles = np.linspace(-np.pi / 2, np.pi / 2, count)
    power = 1.0 / (1.0 + 2.0 * square)  # 1: an ellipse; 1/3: nearly a rectangle
    middle, half = (top + bottom) / 2, (bottom - top) / 2
    xs = reach * np.abs(np.cos(angles)) ** power
    ys = middle + half * np.sign(np.sin(angles)) * np.abs(np.sin(angles)) ** power
    return list(zip(xs, ys, strict=True))


def _bowled_ways(letter, rng):
    """The ways of writing a letter with bowls (B, P, R), its bowls drawn anew: round or boxy,
    joining the stem higher or lower, the lower bowl of a B as wide or wider."""
    square, middle = rng.uniform(0.0, 1.0) ** 2, rng.uniform(0.4, 0.58)
    upper = rng.uniform(0.6, 1.0)
    lower = min(1.1, upper * rng.uniform(1.0, 1.35))
    top_bowl, low_bowl = _bowl(0, middle, upper, square), _bowl(middle, 1, lower, square)
    stem = [(0, 0), (0, 1)]
    if letter == "B":
        return [
            [stem, [(0, 0), *top_bowl, *low_bowl]],
            [[(0, 1), (0, 0), *top_bowl, *low_bowl]],
            [stem, [(0, 0), *top_bowl], [(0, middle), *low_bowl]],
        ]
    if letter == "P":
        return [[[(0, 1), (0, 0), *top_bowl]], [stem, [(0, 0), *top_bowl]]]
    leg = [(rng.uniform(0.2, 0.5) * upper, middle), (rng.uniform(0.8, 1.05), 1)]
    return [[[(0, 1), (0, 0), *top_bowl, leg[1]]], [stem, [(0, 0), *top_bowl], leg]]


# Each letter: ways of writing it, each a list of strokes in a unit box (x right, y down).
WAYS = {
    "A": [
        [[(0, 1), (0.5, 0), (1, 1)], [(0.2, 0.62), (0.8, 0.62)]],
        [[(0.5, 0), (0, 1)], [(0.5, 0), (1, 1)], [(0.25, 0.55), (0.75, 0.55)]],
    ],
    "E": [
        [[(1, 0), (0, 0), (0, 1), (1, 1)], [(0, 0.5), (0.75, 0.5)]],
        [[(0, 0), (0, 1)], [(0, 0), (1, 0)], [(0, 0.5), (0.8, 0.5)], [(0, 1), (1, 1)]],
    ],
    "F": [
        [[(1, 0), (0, 0), (0, 1)], [(0, 0.5), (0.75, 0.5)]],
        [[(0, 0), (0, 1)], [(0, 0), (1, 0)], [(0, 0.48), (0.8, 0.48)]],
    ],
    "H": [
        [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
        [[(0, 0), (0, 1)], [(0, 0.5), (1, 0.5)], [(1, 0), (1, 1)]],
        [[(0, 0), (0, 1), (0, 0.5), (1, 0.5)], [(1, 0), (1, 1)]],
    ],
    "K": [
        [[(0, 0), (0, 1)], [(1, 0), (0, 0.55), (1, 1)]],
        [[(0, 0), (0, 1)], [(1, 0), (0, 0.6)], [(0.3, 0.42), (1, 1)]],
    ],
    "M": [
        [[(0, 1), (0, 0), (0.5, 0.65), (1, 0), (1, 1)]],
        [[(0, 1), (0.12, 0), (0.5, 1), (0.88, 0), (1, 1)]],
    ],
    "N": [
        [[(0, 1), (0, 0), (1, 1), (1, 0)]],
        [[(0, 0), (0, 1)], [(0, 0), (1, 1), (1, 0)]],
    ],
    "T": [
        [[(0, 0), (1, 0)], [(0.5, 0), (0.5, 1)]],
        [[(0.5, 0), (0.5, 1)], [(0, 0.02), (1, 0)]],
    ],
    "W": [
        [[(0, 0), (0.25, 1), (0.5, 0.3), (0.75, 1), (1, 0)]],
        [[(0, 0), (0.2, 1), (0.5, 0), (0.8, 1), (1, 0)]],
    ],
    "X": [
        [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
        [[(1, 0), (0, 1)], [(0, 0), (1, 1)]],
    ],
    "Y": [
        [[(0, 0), (0.5, 0.5), (1, 0)], [(0.5, 0.5), (0.5, 1)]],
        [[(0, 0), (0.5, 0.5)], [(1, 0), (0, 1)]],
    ],
}
BOWLED = ("B", "P", "R")
LETTERS = (*WAYS, *BOWLED)


def ways_of(letter, rng):
    """The ways of writing `letter`: each a list of strokes in a unit box (x right, y down)."""
    return _bowled_ways(letter, rng) if letter in BOWLED else WAYS[letter]


def hand_letter_strokes(rng, letter=None):
    """One capital letter's strokes in a unit box, each stroke moved and its points jittered
    by a hand.

    Args:
        rng: a numpy Generator.
        letter: one of LETTERS, or None for a random one.

    Returns:
        (letter, list of (N, 2) float arrays)
    """
    letter = LETTERS[int(rng.integers(len(LETTERS)))] if letter is None else letter
    ways = ways_of(letter, rng)
    strokes = []
    for stroke in ways[int(rng.integers(len(ways)))]:
        points = np.asarray(stroke, dtype=np.float64)
        points = points + rng.normal(0, 0.03, 2) + rng.normal(0, 0.02, points.shape)
        strokes.append(points[::-1] if rng.random() < 0.3 else points)
    return letter, strokes


def hand_letter(rng, size):
    """A hand-written capital letter as float coverage (0-1), centred on a `size`-square
    picture."""
    _, strokes = hand_letter_strokes(rng)
    height = rng.uniform(0.45, 0.65) * size
    placed_strokes = placed(
        [stroke * 100 for stroke in strokes],
        height,
        slant=float(rng.normal(0, 0.15)),
        rotation=float(rng.normal(0, 5)),
        aspect=float(rng.uniform(0.55, 0.95)),
    )
    extent = np.concatenate(placed_strokes).max(axis=0)
    shift = (size - extent) / 2
    return draw(
        [stroke + shift for stroke in placed_strokes], (size, size), random_pen(rng, height)
    )
