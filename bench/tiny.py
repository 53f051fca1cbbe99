"""Tiny scans: `predict` against the naive resize on small stretched digits the project makes.

A development set for the preprocessing of tiny grey pictures (USPS-like 16x16 scans, UCI-like
8x8): MNIST validation digits (the split the model is not trained on) and the pen-written
digits of pendigits' validation writers (21-24), each cropped to its ink and stretched to fill
a square box (8, 16 and 20 px) with area interpolation, as a small scanner does, or made as
UCI's 8x8 digits were (4x4 blocks of a 32x32 bitmap counted), in both polarities. Both readers
are measured in the same run, on the same pictures. USPS and the real sets are never used
here: they only evaluate (`python -m model realworld`).

    python -m bench.tiny [--quick] [--mnist-dir DIR] [--pendigits-dir DIR] [--out FILE]
"""

import json
from pathlib import Path

import cv2
import numpy as np

from bench.common import canvases, emit, machine, parser, summary, time_calls

SIDES = (8, 16, 20)


def stretched(ink, side):
    """White-on-black uint8 (side, side): `ink` (float 0-1 or uint8, 1/255 = ink) cropped to
    its ink and stretched to fill the box with area interpolation, like a small scan."""
    ink = np.asarray(ink, np.float32)
    if ink.max() > 1.0:
        ink = ink / 255.0
    x, y, width, height = cv2.boundingRect((ink > 0).astype(np.uint8))
    crop = ink[y : y + height, x : x + width]
    small = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
    return np.clip(np.rint(small / max(float(small.max()), 1e-6) * 255), 0, 255).astype(np.uint8)


def counted_blocks(ink):
    """White-on-black uint8 (8, 8) made as UCI's 8x8 digits were: the ink, cropped, as a 32x32
    bitmap, each 4x4 block's count of inked pixels (0-16) scaled to 0-255."""
    ink = np.asarray(ink, np.float32)
    if ink.max() > 1.0:
        ink = ink / 255.0
    x, y, width, height = cv2.boundingRect((ink > 0.5).astype(np.uint8))
    crop = ink[y : y + height, x : x + width]
    bitmap = cv2.resize(crop, (32, 32), interpolation=cv2.INTER_AREA) > 0.5
    counts = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3))
    return np.rint(counts * (255 / 16)).astype(np.uint8)


def mnist_inks(mnist_dir, count):
    """The first `count` MNIST validation digits (uint8 28x28) and their labels."""
    from model.data.mnist import load_mnist

    mnist = load_mnist(mnist_dir)
    return list(mnist.x_val[:count]), mnist.y_val[:count].tolist()


def pen_inks(pendigits_dir, count, seed=0):
    """The first `count` digits of the validation writers, drawn as a canvas draws them."""
    from model.data import pendigits

    digits = pendigits.load_pendigits(pendigits_dir, pendigits.VALIDATION_WRITERS)[:count]
    rng = np.random.default_rng(seed)
    return [pendigits.render(digit.strokes, rng) for digit in digits], [d.label for d in digits]


def _reads(predictor, pictures, labels):
    """(predict right, naive right, indices predict misreads) of white-on-black pictures and
    their inversions: predict on each polarity, the naive resize once (it sees white ink)."""
    from model.inference.naive import naive_mnist

    labels = np.asarray(labels)
    naive = predictor.predict_batch(np.stack([naive_mnist(p) for p in pictures])).argmax(axis=1)
    figures = {"count": len(labels), "naive": int((naive == labels).sum())}
    for polarity, shown in (("white_ink", pictures), ("dark_ink", [255 - p for p in pictures])):
        digits = np.array([_digit(predictor.predict(picture)) for picture in shown])
        figures[polarity] = int((digits == labels).sum())
        figures[f"{polarity}_loses_to_naive"] = int(((digits != labels) & (naive == labels)).sum())
    return figures


def _digit(prediction):
    return -1 if prediction.digit is None else prediction.digit


def run(mnist_dir=None, pendigits_dir=None, quick=False):
    """The figures of every source and box size, and the canvas predict's latency."""
    from model.inference.predictor import Predictor

    predictor = Predictor.load()
    count = 300 if quick else 2000
    sources = {
        "mnist_validation": mnist_inks(mnist_dir, count),
        "pen_validation": pen_inks(pendigits_dir, count // 2 if quick else 1000),
    }
    results = {}
    totals = {"count": 0, "naive": 0, "white_ink": 0, "dark_ink": 0}
    for name, (inks, labels) in sources.items():
        shapes = {str(side): lambda ink, side=side: stretched(ink, side) for side in SIDES}
        shapes["8_counted"] = counted_blocks
        for shape, make in shapes.items():
            figures = _reads(predictor, [make(ink) for ink in inks], labels)
            results[f"{name}_{shape}"] = figures
            for key in totals:
                totals[key] += figures[key]
    drawings = canvases(mnist_dir, 50 if quick else 300)
    milliseconds = time_calls(predictor.predict, drawings)
    return {
        "sets": results,
        "total": totals,
        "canvas_predict": summary(milliseconds),
        "machine": machine(),
    }


def main():
    arguments = parser(__doc__)
    arguments.add_argument("--pendigits-dir", help="pendigits folder (default: $PENDIGITS_DIR)")
    arguments.add_argument("--out", help="also write the results to this JSON file")
    arguments = arguments.parse_args()
    results = run(arguments.mnist_dir, arguments.pendigits_dir, arguments.quick)
    if arguments.out:
        Path(arguments.out).write_text(json.dumps(results, indent=2) + "\n")
    emit(results)


if __name__ == "__main__":
    main()
