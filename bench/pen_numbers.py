"""Whole numbers of pendigits writers read from their pictures with `Predictor.read`: how many
are exact, by gap (spaced, touching, overlapping), and how long a read takes.

The reader's cut-path search (`model.inference.cuts`) was tuned on the VALIDATION writers
(21-24, 300 numbers from seed 77, the default here); the test writers (25-30, seed 0, as
`python -m model realworld` composes them) only report.

    python -m bench.pen_numbers [--writers validation|test] [--count N] [--seed S]
        [--pendigits-dir DIR]
"""

import numpy as np

from bench.common import emit, machine, parser

SEEDS = {"validation": 77, "test": 0}


def run(writers="validation", count=300, seed=None, pendigits_dir=None):
    """The figures of `count` numbers composed from one set of writers' digits."""
    from model.data import pendigits
    from model.data.pen_sets import composed_numbers
    from model.inference.predictor import Predictor
    from model.study.pen_writers import number_figures

    chosen = pendigits.VALIDATION_WRITERS if writers == "validation" else pendigits.TEST_WRITERS
    digits = pendigits.load_pendigits(pendigits_dir, chosen)
    numbers = composed_numbers(digits, count, SEEDS[writers] if seed is None else seed)
    predictor = Predictor.load()
    predictor.read(numbers[0]["picture"])  # warm up
    figures = number_figures(lambda number: predictor.read(number["picture"]), numbers)
    five = [number for number in numbers if len(number["text"]) == 5]
    five_ms = number_figures(lambda number: predictor.read(number["picture"]), five)["median_ms"]
    return {
        "writers": list(chosen),
        "seed": SEEDS[writers] if seed is None else seed,
        "right": figures["right"],
        "count": figures["count"],
        "accuracy": round(figures["accuracy"], 4),
        "right_length": figures["right_length"],
        "with_gap": figures["with_gap"],
        "median_ms": round(figures["median_ms"], 2),
        "median_ms_5_digits": round(float(np.median(five_ms)), 2) if five else None,
        "machine": machine(),
    }


def main():
    arguments = parser(__doc__)
    arguments.add_argument("--writers", choices=sorted(SEEDS), default="validation")
    arguments.add_argument("--count", type=int, default=300)
    arguments.add_argument("--seed", type=int)
    arguments.add_argument("--pendigits-dir", help="pendigits folder (default: $PENDIGITS_DIR)")
    arguments = arguments.parse_args()
    if arguments.count < 1:
        arguments.error("--count must be at least 1")
    emit(run(arguments.writers, arguments.count, arguments.seed, arguments.pendigits_dir))


if __name__ == "__main__":
    main()
