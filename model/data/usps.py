"""Reading the USPS digits (`zip.train.gz`, as distributed with *The Elements of Statistical
Learning*): an evaluation set of real handwriting, never training data."""

import gzip

import numpy as np

from model import paths
from model.errors import DatasetError

USPS_DIR_ENV = paths.USPS_DIR_ENV
FILE = "zip.train.gz"
DEFAULT_DIR = paths.SHARED_DIR / "usps"
SIDE = 16


class UspsFormatError(DatasetError):
    """The USPS file is missing, corrupt or not one label and 256 grey values a line."""


def resolve_usps_dir(usps_dir=None):
    """The folder given, else $USPS_DIR, else `../shared/usps` beside the repository.

    Raises:
        FileNotFoundError: none was given and the default folder does not exist.
    """
    return paths.data_folder(usps_dir, USPS_DIR_ENV, DEFAULT_DIR, "USPS", "--usps-dir")


def read_usps(usps_dir=None):
    """Reads every USPS digit as an MNIST-like picture: white ink on black.

    Args:
        usps_dir: the folder holding `zip.train.gz` (see `resolve_usps_dir`).

    Returns:
        (images, labels): uint8 (N, 16, 16), grey values (v + 1) / 2 * 255 rounded, and
        uint8 (N,) digits.

    Raises:
        FileNotFoundError: no folder was given and the default one does not exist.
        UspsFormatError: the file is missing or a line is not a label and 256 values.
    """
    path = resolve_usps_dir(usps_dir) / FILE
    if not path.is_file():
        raise UspsFormatError(f"{path}: file not found")
    try:
        with gzip.open(path, "rt") as handle:
            lines = [line.split() for line in handle if line.strip()]
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise UspsFormatError(f"{path}: cannot be read as gzip text ({error})") from error
    for number, values in enumerate(lines, start=1):
        if len(values) != 1 + SIDE * SIDE:
            raise UspsFormatError(
                f"{path}: line {number} holds {len(values)} values, expected {1 + SIDE * SIDE}"
            )
    try:
        table = np.array(lines, dtype=np.float64).reshape(-1, 1 + SIDE * SIDE)
    except ValueError as error:
        raise UspsFormatError(f"{path}: a value is not a number ({error})") from error
    labels, values = table[:, 0], table[:, 1:]
    if len(table) == 0:
        raise UspsFormatError(f"{path}: no digits")
    if np.any(labels != np.round(labels)) or labels.min() < 0 or labels.max() > 9:
        raise UspsFormatError(f"{path}: a label is not a digit 0-9")
    if values.min() < -1 or values.max() > 1:
        raise UspsFormatError(f"{path}: grey values lie outside -1..1")
    images = np.round((values + 1) / 2 * 255).astype(np.uint8).reshape(-1, SIDE, SIDE)
    return images, labels.astype(np.uint8)
