"""The held-out pendigits writers' test sets, drawn from a fixed seed: each digit as the Draw
page sends it, and whole numbers of one writer's digits (spaced, touching, overlapping) as
strokes and as a picture. Only `pendigits.TEST_WRITERS` are used.
"""

import numpy as np

from model.data import pendigits

NUMBER_COUNT = 300  # composed numbers
LENGTHS = (2, 10)  # digits in a composed number, both included
GAPS = {"spaced": 0.5, "touching": 0.3, "overlapping": 0.2}  # how often each kind of gap occurs


def test_digits(pendigits_dir=None):
    """The held-out test writers' digits."""
    return pendigits.load_pendigits(pendigits_dir, pendigits.TEST_WRITERS)


def digit_pictures(digits, seed=0):
    """Each digit as the Draw page sends it (RGBA, black on white, 280 px), from a fixed seed."""
    rng = np.random.default_rng([seed, 2500])
    return [pendigits.canvas_picture(digit.strokes, rng) for digit in digits]


def _gap_kind(rng):
    return str(rng.choice(list(GAPS), p=list(GAPS.values())))


def place_in_line(digit, height, slant, margin, rng):
    """A digit's strokes about `height` px tall (within 10%), slanted, its top `margin` down
    (jittered by 5% of the height); and its width."""
    size = height * float(rng.uniform(0.9, 1.1))
    top = margin + (height - size) / 2 + float(rng.normal(0, 0.05)) * height
    placed = pendigits.placed(digit.strokes, size, slant=slant, origin=(0.0, top))
    return placed, float(np.concatenate(placed)[:, 0].max())


def gap_left(kind, right, width, height, pen, rng, overlap=(0.1, 0.3)):
    """Where the next digit (`width` wide) starts after ink ending at `right`: "spaced",
    "touching" (within a pen width) or "overlapping" (by `overlap` of its width)."""
    if kind == "spaced":
        return right + float(rng.uniform(0.15, 0.5)) * height
    if kind == "touching":
        return right + pen - float(rng.uniform(0.0, 1.0)) * pen
    return right + pen - float(rng.uniform(*overlap)) * max(width, 0.3 * height)


def composed_number(writer_digits, rng):
    """One number of 2-10 of a writer's digits, side by side as people write them.

    Returns:
        {"text", "strokes" (lists of [x, y] in canvas pixels, in writing order), "pen",
        "gaps" (the kind of each gap), "digit_strokes" (each digit's number of strokes),
        "picture" (uint8 RGBA, black ink on white)}
    """
    length = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
    chosen = [writer_digits[i] for i in rng.integers(0, len(writer_digits), size=length)]
    height = float(rng.uniform(50, 110))
    pen = float(rng.uniform(0.05, 0.12) * height)
    slant = float(rng.normal(0, 0.1))
    margin = 20.0 + pen
    strokes, gaps, right, sizes = [], [], margin, []
    for position, digit in enumerate(chosen):
        placed, width = place_in_line(digit, height, slant, margin, rng)
        if position == 0:
            left = margin
        else:
            kind = _gap_kind(rng)
            gaps.append(kind)
            left = gap_left(kind, right, width, height, pen, rng)
        sizes.append(len(placed))
        for stroke in placed:
            strokes.append(stroke + np.array([left, 0.0], np.float32))
        right = max(right, left + width)
    extent = np.concatenate(strokes).max(axis=0)
    shape = (int(extent[1] + margin) + 1, int(extent[0] + margin) + 1)
    coverage = pendigits.draw(strokes, shape, pen)
    return {
        "text": "".join(str(digit.label) for digit in chosen),
        "writer": chosen[0].writer,
        "strokes": [stroke.tolist() for stroke in strokes],
        "pen": pen,
        "gaps": gaps,
        "digit_strokes": sizes,
        "picture": pendigits.as_canvas_rgba(coverage),
    }


def written_digits(number):
    """A composed number's strokes, as float32 (N, 2) arrays, grouped into its digits as they
    were written."""
    strokes = [np.asarray(stroke, np.float32) for stroke in number["strokes"]]
    bounds = np.cumsum([0, *number["digit_strokes"]])
    return [strokes[start:end] for start, end in zip(bounds[:-1], bounds[1:], strict=True)]


def composed_numbers(digits, count=NUMBER_COUNT, seed=0):
    """`count` numbers, each from one writer's digits, writers in turn."""
    rng = np.random.default_rng([seed, 2501])
    writers = pendigits.writers_in(digits)
    by_writer = {w: [d for d in digits if d.writer == w] for w in writers}
    return [composed_number(by_writer[writers[i % len(writers)]], rng) for i in range(count)]
