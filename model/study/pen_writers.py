"""How the predictor reads the held-out pendigits writers: single digits drawn as a canvas draws
them, and whole numbers composed from one writer's digits (spaced, touching, overlapping), read
as pictures (`read`) and as strokes (`read_strokes`).

Only `model.data.pendigits.TEST_WRITERS` are read here: their digits never trained, chose an
epoch or fitted a threshold. Everything is drawn from a fixed seed, so two models (the bundled one
and the previous one) are measured on the same pictures in one run.
"""

import time

import numpy as np

from model.data import pendigits
from model.inference.naive import naive_mnist, white_ink_gray
from model.study.realworld import _digit_set

NUMBER_COUNT = 300  # composed numbers
LENGTHS = (2, 10)  # digits in a composed number, both included
GAPS = {"spaced": 0.5, "touching": 0.3, "overlapping": 0.2}  # how often each kind of gap occurs
MISREAD_CAP = 40


def test_digits(pendigits_dir=None):
    """The held-out test writers' digits."""
    return pendigits.load_pendigits(pendigits_dir, pendigits.TEST_WRITERS)


def digit_pictures(digits, seed=0):
    """Each digit as the Draw page sends it (RGBA, black on white, 280 px), from a fixed seed."""
    rng = np.random.default_rng([seed, 2500])
    return [pendigits.canvas_picture(digit.strokes, rng) for digit in digits]


def _gap_kind(rng):
    return str(rng.choice(list(GAPS), p=list(GAPS.values())))


def composed_number(writer_digits, rng):
    """One number of 2-10 of a writer's digits, side by side as people write them.

    Returns:
        {"text", "strokes" (lists of [x, y] in canvas pixels, in writing order), "pen",
        "gaps" (the kind of each gap), "picture" (uint8 RGBA, black ink on white)}
    """
    length = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
    chosen = [writer_digits[i] for i in rng.integers(0, len(writer_digits), size=length)]
    height = float(rng.uniform(50, 110))
    pen = float(rng.uniform(0.05, 0.12) * height)
    slant = float(rng.normal(0, 0.1))
    margin = 20.0 + pen
    strokes, gaps, right = [], [], margin
    for position, digit in enumerate(chosen):
        size = height * float(rng.uniform(0.9, 1.1))
        top = margin + (height - size) / 2 + float(rng.normal(0, 0.05)) * height
        placed = pendigits.placed(digit.strokes, size, slant=slant, origin=(0.0, top))
        width = float(np.concatenate(placed)[:, 0].max())
        if position == 0:
            left = margin
        else:
            kind = _gap_kind(rng)
            gaps.append(kind)
            if kind == "spaced":
                left = right + float(rng.uniform(0.15, 0.5)) * height
            elif kind == "touching":
                left = right + pen - float(rng.uniform(0.0, 1.0)) * pen
            else:
                left = right + pen - float(rng.uniform(0.1, 0.3)) * max(width, 0.3 * height)
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
        "picture": pendigits.as_canvas_rgba(coverage),
    }


def composed_numbers(digits, count=NUMBER_COUNT, seed=0):
    """`count` numbers, each from one writer's digits, writers in turn."""
    rng = np.random.default_rng([seed, 2501])
    writers = pendigits.writers_in(digits)
    by_writer = {w: [d for d in digits if d.writer == w] for w in writers}
    return [composed_number(by_writer[writers[i % len(writers)]], rng) for i in range(count)]


def _ratio(part, whole):
    return part / whole if whole else 0.0


def digit_figures(predictor, digits, pictures):
    """Single digits through `predict`, beside the naive resize (the real sets' figures)."""
    labels = [digit.label for digit in digits]
    naive_images = [naive_mnist(white_ink_gray(picture)) for picture in pictures]

    def describe(position):
        return {"index": position, "writer": digits[position].writer}

    figures = _digit_set(predictor, pictures, labels, naive_images, describe)
    figures["misread"] = figures["misread"][:MISREAD_CAP]
    return figures


def number_figures(read, numbers):
    """Composed numbers read by `read(number) -> Reading`; exact matches, by length and by gap."""
    texts, unsure, milliseconds = [], [], []
    for number in numbers:
        started = time.perf_counter()
        reading = read(number)
        milliseconds.append(1000 * (time.perf_counter() - started))
        texts.append(reading.text)
        unsure.append(reading.uncertain)
    right = [text == number["text"] for text, number in zip(texts, numbers, strict=True)]
    by_length = {}
    for ok, number in zip(right, numbers, strict=True):
        entry = by_length.setdefault(str(len(number["text"])), {"count": 0, "right": 0})
        entry["count"] += 1
        entry["right"] += int(ok)
    with_gap = {}
    for kind in GAPS:
        chosen = [ok for ok, number in zip(right, numbers, strict=True) if kind in number["gaps"]]
        with_gap[kind] = {"count": len(chosen), "right": int(sum(chosen))}
    misread = [
        {
            "index": position,
            "writer": numbers[position]["writer"],
            "label": numbers[position]["text"],
            "read": texts[position],
            "unsure": unsure[position],
            "gaps": numbers[position]["gaps"],
        }
        for position in range(len(numbers))
        if not right[position]
    ]
    return {
        "count": len(numbers),
        "right": int(sum(right)),
        "accuracy": _ratio(sum(right), len(numbers)),
        "right_length": sum(
            len(text) == len(number["text"]) for text, number in zip(texts, numbers, strict=True)
        ),
        "unsure": int(sum(unsure)),
        "unsure_rate": _ratio(sum(unsure), len(numbers)),
        "no_digit": sum(text == "" for text in texts),
        "sure_and_wrong": sum(
            1 for ok, doubt in zip(right, unsure, strict=True) if not ok and not doubt
        ),
        "median_ms": float(np.median(milliseconds)),
        "by_length": by_length,
        "with_gap": with_gap,
        "misread_count": len(misread),
        "misread": misread[:MISREAD_CAP],
    }


def pen_writer_sets(predictor, pendigits_dir=None, number_count=NUMBER_COUNT, seed=0, limit=None):
    """The held-out writers' sets: {"pen_digits", "pen_numbers_picture", "pen_numbers_strokes"}."""
    digits = test_digits(pendigits_dir)[:limit]
    numbers = composed_numbers(digits, number_count, seed)
    return {
        "pen_digits": digit_figures(predictor, digits, digit_pictures(digits, seed)),
        "pen_numbers_picture": number_figures(
            lambda number: predictor.read(number["picture"]), numbers
        ),
        "pen_numbers_strokes": number_figures(
            lambda number: predictor.read_strokes(number["strokes"], number["pen"]), numbers
        ),
    }
