"""Whole numbers of pendigits writers read from their pictures with `Predictor.read`: how many
are exact, by gap (spaced, touching, overlapping), and how long a read takes; and the same
numbers read from their strokes (`strokes`: `Predictor.read_strokes`).

The reader's cut-path search (`model.inference.cuts`) was tuned on the VALIDATION writers
(21-24, 300 numbers from seed 77, the default here); the test writers (25-30, seed 0, as
`python -m model realworld` composes them) only report.

    python -m bench.pen_numbers [--writers validation|test] [--count N] [--seed S]
        [--pendigits-dir DIR]
"""

import time

import numpy as np

from bench.common import emit, machine, parser

SEEDS = {"validation": 77, "test": 0}


def composed(writers, count, seed, pendigits_dir, seeds):
    """(writers, seed, numbers): `count` numbers composed from the validation or test writers'
    digits, from `seed` or else `seeds[writers]`."""
    from model.data import pendigits
    from model.data.pen_sets import composed_numbers

    chosen = pendigits.VALIDATION_WRITERS if writers == "validation" else pendigits.TEST_WRITERS
    seed = seeds[writers] if seed is None else seed
    digits = pendigits.load_pendigits(pendigits_dir, chosen)
    return chosen, seed, composed_numbers(digits, count, seed)


def timed_reads(pictures, read=None):
    """(texts, milliseconds) of `read` (default: `Predictor.read`) on each input, after one
    read to warm up."""
    from model.inference.predictor import Predictor

    read = read or Predictor.load().read
    read(pictures[0])  # warm up
    texts, milliseconds = [], []
    for picture in pictures:
        started = time.perf_counter()
        texts.append(read(picture).text)
        milliseconds.append(1000 * (time.perf_counter() - started))
    return texts, milliseconds


def _median_5_digits(milliseconds, numbers):
    """The median time of the 5-digit numbers' reads (None when there is none)."""
    five = [ms for ms, n in zip(milliseconds, numbers, strict=True) if len(n["text"]) == 5]
    return round(float(np.median(five)), 2) if five else None


def _strokes(predictor, numbers):
    """The same numbers read from their strokes (`read_strokes`, as the Draw page reads)."""
    texts, milliseconds = timed_reads(
        numbers, lambda number: predictor.read_strokes(number["strokes"], number["pen"])
    )
    return {
        "right": sum(text == n["text"] for text, n in zip(texts, numbers, strict=True)),
        "count": len(numbers),
        "median_ms_5_digits": _median_5_digits(milliseconds, numbers),
    }


def run(writers="validation", count=300, seed=None, pendigits_dir=None):
    """The figures of `count` numbers composed from one set of writers' digits."""
    from model.data.pen_sets import GAPS
    from model.inference.predictor import Predictor

    chosen, seed, numbers = composed(writers, count, seed, pendigits_dir, SEEDS)
    predictor = Predictor.load()
    texts, milliseconds = timed_reads([number["picture"] for number in numbers], predictor.read)
    right = [text == number["text"] for text, number in zip(texts, numbers, strict=True)]
    return {
        "writers": list(chosen),
        "seed": seed,
        "right": int(sum(right)),
        "count": len(numbers),
        "accuracy": round(sum(right) / len(numbers), 4),
        "right_length": sum(
            len(text) == len(number["text"]) for text, number in zip(texts, numbers, strict=True)
        ),
        "with_gap": {
            kind: {
                "count": sum(kind in number["gaps"] for number in numbers),
                "right": sum(
                    ok for ok, number in zip(right, numbers, strict=True) if kind in number["gaps"]
                ),
            }
            for kind in GAPS
        },
        "median_ms": round(float(np.median(milliseconds)), 2),
        "median_ms_5_digits": _median_5_digits(milliseconds, numbers),
        "strokes": _strokes(predictor, numbers),
        "machine": machine(),
    }


def main(run=run, seeds=SEEDS, description=__doc__):
    """The command line of a benchmark on composed numbers of the validation or test writers."""
    arguments = parser(description)
    arguments.add_argument("--writers", choices=sorted(seeds), default="validation")
    arguments.add_argument("--count", type=int, default=300)
    arguments.add_argument("--seed", type=int)
    arguments.add_argument("--pendigits-dir", help="pendigits folder (default: $PENDIGITS_DIR)")
    arguments = arguments.parse_args()
    if arguments.count < 1:
        arguments.error("--count must be at least 1")
    emit(run(arguments.writers, arguments.count, arguments.seed, arguments.pendigits_dir))


if __name__ == "__main__":
    main()
