"""The pen-based digits of ../shared/pendigits: each digit as the stylus strokes its writer drew.

`pendigits-orig.tra` (UNIPEN-style text; see its README) holds 30 writers' digits. A digit is
returned as its label, its writer and its strokes, each an (N, 2) float array of (x, y) with y
growing downwards, as in a picture.
"""

from dataclasses import dataclass

import numpy as np

from model import paths
from model.errors import DatasetError

PENDIGITS_DIR_ENV = "PENDIGITS_DIR"
FILE = "pendigits-orig.tra"
DEFAULT_DIR = paths.SHARED_DIR / "pendigits"


class PenDigitsFormatError(DatasetError):
    """A line of the pen-digits file is not what the format says."""


@dataclass(frozen=True)
class PenDigit:
    """One digit: its label, its writer (1-30) and its strokes ((N, 2) float arrays, y down)."""

    label: int
    writer: int
    strokes: tuple


def resolve_pendigits_dir(pendigits_dir=None):
    """The folder given, else $PENDIGITS_DIR, else `../shared/pendigits` beside the repository.

    Raises:
        FileNotFoundError: none was given and the default folder does not exist.
    """
    return paths.data_folder(
        pendigits_dir,
        PENDIGITS_DIR_ENV,
        DEFAULT_DIR,
        "pen-digits",
        "--pendigits-dir",
    )


def _finish(digit, label, writer, strokes, number):
    if digit is not None:
        if not strokes:
            raise PenDigitsFormatError(f"{FILE}:{number}: a digit without strokes")
        digit.append(PenDigit(label, writer, tuple(strokes)))


def read_pendigits(pendigits_dir=None, writers=None):
    """Reads the digits, in the file's order.

    Args:
        pendigits_dir: the folder of `pendigits-orig.tra` (see `resolve_pendigits_dir`).
        writers: keep only these writers (a collection of ints); None keeps all.

    Returns:
        A list of `PenDigit`.

    Raises:
        FileNotFoundError: no folder was given and the default does not exist, or no file.
        PenDigitsFormatError: a malformed line.
    """
    path = resolve_pendigits_dir(pendigits_dir) / FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    wanted = None if writers is None else {int(writer) for writer in writers}
    found, label, writer, strokes, points = [], None, None, [], None
    digit = None  # the list to append the current digit to, or None when it is skipped
    with path.open() as lines:
        for number, line in enumerate(lines, start=1):
            word = line.split()
            if not word:
                continue
            if word[0] == ".SEGMENT":
                _finish(digit, label, writer, strokes, number)
                digit, strokes = None, []
            elif word[0] == ".COMMENT":
                try:
                    label, writer = int(word[1]), int(word[2])
                except (IndexError, ValueError):
                    raise PenDigitsFormatError(f"{FILE}:{number}: bad comment {line!r}") from None
                digit = found if wanted is None or writer in wanted else None
            elif word[0] == ".PEN_DOWN":
                points = []
            elif word[0] == ".PEN_UP":
                if points:
                    strokes.append(np.array(points, np.float32) * (1, -1))
                points = None
            elif points is not None and not word[0].startswith("."):
                try:
                    points.append((float(word[0]), float(word[1])))
                except (IndexError, ValueError):
                    raise PenDigitsFormatError(f"{FILE}:{number}: bad point {line!r}") from None
    _finish(digit, label, writer, strokes, number)
    return found
