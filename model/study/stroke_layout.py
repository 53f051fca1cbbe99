"""How the groups of strokes lie between two digits of a number and inside one digit: the
measure behind `model.inference.strokes.cut_cost` and `merge_cost`.

Numbers are composed (`model.data.pen_sets`) from the TRAINING writers' digits only. For every
cut between two digits, and every cut inside a digit written in several strokes, it gives the
share of the narrower group's width the two overlap across, the shorter's height over the
taller's and the share of the shorter's height they share, as percentiles; and how many of the
cuts overlapping across more than `CROSS_OVERLAP` have strokes that cross.

    python -m model.study.stroke_layout [--numbers N] [--pendigits-dir DIR]
"""

import argparse
import json

import numpy as np

from model.data import pendigits
from model.data.pen_sets import composed_numbers, written_digits
from model.inference.strokes import CROSS_OVERLAP, crossings, extent, layout

PERCENTILES = (1, 5, 25, 50, 75, 95, 99)
SEED = 11


def layouts(numbers):
    """(between, inside): arrays (N, 4) of (across, height ratio, shared, crossing) for the
    cuts between a number's digits and the cuts inside its multi-stroke digits; crossing is 1
    where a stroke on one side crosses one on the other."""
    between, inside = [], []
    for number in numbers:
        pen, digits = number["pen"], written_digits(number)
        for left, right in zip(digits[:-1], digits[1:], strict=True):
            between.append(_cut(left, right, pen))
        for digit in digits:
            for middle in range(1, len(digit)):
                inside.append(_cut(digit[:middle], digit[middle:], pen))
    return np.array(between).reshape(-1, 4), np.array(inside).reshape(-1, 4)


def _cut(left, right, pen):
    crossing = crossings([*left, *right], pen)
    crossed = any(crossing(i, len(left) + j) for i in range(len(left)) for j in range(len(right)))
    return (*layout(extent(left, pen), extent(right, pen)), float(crossed))


def run(count=1000, pendigits_dir=None, seed=SEED):
    """The percentiles of each measure, between digits and inside them."""
    digits = pendigits.load_pendigits(pendigits_dir, pendigits.TRAINING_WRITERS)
    between, inside = layouts(composed_numbers(digits, count, seed))

    def table(rows):
        return {
            name: {
                str(percentile): float(value)
                for percentile, value in zip(
                    PERCENTILES, np.percentile(rows[:, column], PERCENTILES), strict=True
                )
            }
            for column, name in enumerate(("across", "height_ratio", "shared"))
        }

    def crossed(rows):
        overlapping = rows[:, 0] > CROSS_OVERLAP
        return {
            "overlapping": float(overlapping.mean()),
            "overlapping_and_crossing": float((overlapping & (rows[:, 3] > 0)).mean()),
        }

    return {
        "writers": list(pendigits.TRAINING_WRITERS),
        "numbers": count,
        "seed": seed,
        "between_digits": {"cuts": len(between), **table(between), **crossed(between)},
        "inside_a_digit": {"cuts": len(inside), **table(inside), **crossed(inside)},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=1000)
    parser.add_argument("--pendigits-dir")
    arguments = parser.parse_args()
    print(json.dumps(run(arguments.numbers, arguments.pendigits_dir), indent=1))
