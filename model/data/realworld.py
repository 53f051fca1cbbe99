"""Reading the real-handwriting set (`manifest.tsv` and `images/`): pictures people made, labelled
by eye. A development set for measuring, never for training or fitting thresholds."""

import csv
from dataclasses import dataclass
from pathlib import Path

from model import paths
from model.errors import DatasetError

REALWORLD_DIR_ENV = paths.REALWORLD_DIR_ENV
MANIFEST = "manifest.tsv"
IMAGES = "images"
DEFAULT_DIR = paths.SHARED_DIR / "realworld"
SINGLE_KINDS = ("photo", "scan", "drawn")  # one digit a picture, read with `predict`
KINDS = (*SINGLE_KINDS, "multi")  # multi: a whole number, read with `read`
COLUMNS = ("file", "label", "kind", "repo", "path", "note")


# The report's sets: a short label and what each holds.
REAL_SETS = {
    "usps": ("USPS as given", "digits scanned from US mail, 16x16, white ink on black"),
    "usps_inverted": ("USPS inverted", "the same digits, black ink on white"),
    "photo": ("Photos", "photos of digits on paper"),
    "scan": ("Scans", "scanned digits, small crops of forms"),
    "drawn": ("Drawings", "paint programs and web canvases"),
    "multi": ("Numbers", "3-10 digits read whole, exact matches only"),
    "uci": (
        "UCI 8x8 as given",
        "digits from NIST forms, 8x8 counts of inked pixels, white on black",
    ),
    "uci_inverted": ("UCI 8x8 inverted", "the same digits, black ink on white"),
    "pen_digits": (
        "Held-out pen writers",
        "pendigits writers 25-30 (never trained on), each digit drawn as the canvas draws it",
    ),
    "pen_numbers_picture": (
        "Their numbers, as pictures",
        "2-10 digits of one writer, spaced, touching or overlapping, read whole by `read`",
    ),
    "pen_numbers_strokes": (
        "Their numbers, as strokes",
        "the same numbers from their pen strokes, by `read_strokes`",
    ),
}


class ManifestError(DatasetError):
    """The manifest is missing, or a line of it is not a picture with a valid label and kind."""


@dataclass(frozen=True)
class Picture:
    """One line of the manifest: `file` lies in `images/`; `label` is a digit or a number."""

    file: str
    label: str
    kind: str
    repo: str
    path: str
    note: str


def resolve_realworld_dir(realworld_dir=None):
    """The folder given, else $REALWORLD_DIR, else `../shared/realworld` beside the repository.

    Raises:
        FileNotFoundError: none was given and the default folder does not exist.
    """
    return paths.data_folder(
        realworld_dir, REALWORLD_DIR_ENV, DEFAULT_DIR, "real-handwriting", "--realworld-dir"
    )


def read_manifest(realworld_dir=None):
    """Reads `manifest.tsv`.

    Args:
        realworld_dir: the folder holding `manifest.tsv` and `images/`.

    Returns:
        A list of `Picture`, in the manifest's order.

    Raises:
        FileNotFoundError: no folder was given and the default one does not exist.
        ManifestError: the manifest is missing, lacks a column, or a line has an unknown kind,
            a label that is not digits (one digit for a single picture), or a missing picture.
    """
    folder = resolve_realworld_dir(realworld_dir)
    path = folder / MANIFEST
    if not path.is_file():
        raise ManifestError(f"{path}: file not found")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    if rows and set(COLUMNS) - set(rows[0]):
        raise ManifestError(f"{path}: missing columns {sorted(set(COLUMNS) - set(rows[0]))}")
    pictures = []
    for number, row in enumerate(rows, start=2):
        picture = Picture(**{column: (row[column] or "").strip() for column in COLUMNS})
        where = f"{path}, line {number} ({picture.file})"
        if picture.kind not in KINDS:
            raise ManifestError(f"{where}: kind {picture.kind!r} is not one of {KINDS}")
        if Path(picture.file).name != picture.file:
            raise ManifestError(f"{where}: a file name, not a path, is expected")
        digits = picture.label.isascii() and picture.label.isdigit()
        if not digits or (picture.kind != "multi" and len(picture.label) != 1):
            raise ManifestError(f"{where}: label {picture.label!r} is not a digit")
        if not (folder / IMAGES / picture.file).is_file():
            raise ManifestError(f"{where}: no such picture in {folder / IMAGES}")
        pictures.append(picture)
    return pictures
