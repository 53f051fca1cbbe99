"""How the predictor reads the held-out pendigits writers: single digits drawn as a canvas draws
them, and whole numbers composed from one writer's digits (spaced, touching, overlapping), read
as pictures (`read`) and as strokes (`read_strokes`).

Only `model.data.pendigits.TEST_WRITERS` are read here: their digits never trained, chose an
epoch or fitted a threshold. Everything is drawn from a fixed seed, so two models (the bundled one
and the previous one) are measured on the same pictures in one run.
"""

import time

import numpy as np

from model.data.pen_sets import (
    GAPS,
    NUMBER_COUNT,
    composed_numbers,
    digit_pictures,
    test_digits,
    written_digits,
)
from model.inference.naive import naive_mnist, white_ink_gray
from model.inference.strokes import run_image
from model.study.realworld import _digit_set

MISREAD_CAP = 40


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


def grouped_as_written(predictor, numbers):
    """How many numbers would read exactly if their strokes were grouped into digits as they
    were written: what the reader's grouping costs, beside what its digit network costs."""
    right = 0
    for number in numbers:
        images = np.stack([run_image(digit, number["pen"]) for digit in written_digits(number)])
        text = "".join(str(int(row.argmax())) for row in predictor.predict_batch(images))
        right += text == number["text"]
    return right


def pen_writer_sets(predictor, pendigits_dir=None, number_count=NUMBER_COUNT, seed=0, limit=None):
    """The held-out writers' sets: {"pen_digits", "pen_numbers_picture", "pen_numbers_strokes"}."""
    digits = test_digits(pendigits_dir)[:limit]
    numbers = composed_numbers(digits, number_count, seed)
    return {
        "pen_digits": digit_figures(predictor, digits, digit_pictures(digits, seed)),
        "pen_numbers_picture": number_figures(
            lambda number: predictor.read(number["picture"]), numbers
        ),
        "pen_numbers_strokes": {
            **number_figures(
                lambda number: predictor.read_strokes(number["strokes"], number["pen"]), numbers
            ),
            "right_if_grouped_as_written": grouped_as_written(predictor, numbers),
        },
    }
