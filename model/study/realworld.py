"""How the predictor reads real handwriting, beside a naive baseline: the report behind
`python -m model realworld`.

Three collections nobody here generated: the 7,291 USPS digits (scanned from envelopes, 16x16),
the pictures people made for their own digit recognizers (photos, scans, drawings, whole
numbers), and the 1,797 UCI optical digits that ship with scikit-learn (8x8 counts of inked
pixels). USPS and UCI are read as given, white on black, and inverted. Each picture goes through
`Predictor.predict` (or `read` for a number), exactly as a user's picture would.

The naive baseline is the same network on the whole picture simply resized into a 20x20 box
(aspect kept, `cv2.INTER_AREA`), centred in 28x28, white ink on black: no ink finding, no crop,
no centring by mass, no stroke thickening. A preprocessing step that loses to it is a bug.

Beside them, sheets of several numbers composed from the pen digits of held-out writers go
through `Predictor.read_page` (`model.study.pages`): the share of numbers read exactly and of
sheets with every number exact.

Nothing here fits, tunes or calibrates anything, and the report holds no pixels of any set:
only file names or indices, labels and readings.
"""

import datetime
import json
import time
from pathlib import Path

import numpy as np

from model import paths
from model.checksums import sha256_file
from model.data.pendigits import TEST_WRITERS
from model.data.realworld import (
    IMAGES,
    MANIFEST,
    SINGLE_KINDS,
    read_manifest,
    resolve_realworld_dir,
)
from model.data.uci import SOURCE as UCI_SOURCE
from model.data.uci import read_uci
from model.data.usps import FILE as USPS_FILE
from model.data.usps import read_usps, resolve_usps_dir
from model.errors import InvalidImageError
from model.inference.calibration import confidence_of, risk_coverage
from model.inference.naive import naive_mnist, white_ink_gray
from model.inference.preprocess import MNIST_SIZE, PREPROCESSING_VERSION
from model.study.pages import SHEETS, page_figures

SCHEMA_VERSION = 1
COMMAND = "python -m model realworld --usps-dir ../shared/usps --realworld-dir ../shared/realworld"
MISREAD_CAP = 50  # misread USPS or UCI digits listed (all are counted)
NAIVE_BASELINE = (
    "the same network on the whole picture resized into 20x20 (aspect kept, cv2.INTER_AREA) and "
    "centred in 28x28, white ink on black: real pictures are turned grey and inverted when their "
    "border is light; USPS and UCI digits are given to it white on black in both polarities (it is "
    "told the polarity, so its figure is the same for both)"
)
TINY_SETS = ("usps", "usps_inverted", "uci", "uci_inverted")  # misread lists capped


def _timed(function, argument):
    started = time.perf_counter()
    result = function(argument)
    return result, 1000 * (time.perf_counter() - started)


def _ratio(part, whole):
    return part / whole if whole else 0.0


def _per_digit(labels, right):
    """{digit: {count, right, accuracy}} for the digits that occur."""
    table = {}
    for digit in sorted(set(labels)):
        hits = [ok for label, ok in zip(labels, right, strict=True) if label == digit]
        table[str(digit)] = {
            "count": len(hits),
            "right": int(sum(hits)),
            "accuracy": _ratio(sum(hits), len(hits)),
        }
    return table


def _naive_figures(predictor, images, labels):
    """The naive baseline on MNIST-format images: right count, accuracy, per digit, readings."""
    if len(images):
        digits = predictor.predict_batch(np.stack(images)).argmax(axis=1).tolist()
    else:
        digits = []
    right = [digit == label for digit, label in zip(digits, labels, strict=True)]
    return {
        "right": int(sum(right)),
        "accuracy": _ratio(sum(right), len(labels)),
        "per_digit": _per_digit(labels, right),
    }, digits


def _digit_set(predictor, pictures, labels, naive_images, describe):
    """Figures of one set of single digits read with `predict`, beside the naive baseline.

    Args:
        pictures: what `predict` is given (arrays or paths).
        labels: int digits.
        naive_images: the naive baseline's uint8 (28, 28) images, one a picture.
        describe: index -> the misread entry's identity and note ({"index": 3} or {"file": ...}).
    """
    readings, milliseconds, errors = [], [], {}
    for position, picture in enumerate(pictures):
        try:
            prediction, spent = _timed(predictor.predict, picture)
        except InvalidImageError as error:
            prediction, spent = None, None
            errors[position] = str(error)
        readings.append(prediction)
        if spent is not None:
            milliseconds.append(spent)
    digits = [None if reading is None else reading.digit for reading in readings]
    confidences = [0.0 if reading is None else reading.confidence for reading in readings]
    unsure = [reading is not None and reading.uncertain for reading in readings]
    right = [digit == label for digit, label in zip(digits, labels, strict=True)]
    naive, naive_digits = _naive_figures(predictor, naive_images, labels)
    misread = [
        {
            **describe(position),
            "label": labels[position],
            "read": digits[position],
            "unsure": unsure[position],
            "naive": naive_digits[position],
            **({"error": errors[position]} if position in errors else {}),
        }
        for position in range(len(labels))
        if not right[position]
    ]
    return {
        "count": len(labels),
        "right": int(sum(right)),
        "accuracy": _ratio(sum(right), len(labels)),
        "per_digit": _per_digit(labels, right),
        "unsure": int(sum(unsure)),
        "unsure_rate": _ratio(sum(unsure), len(labels)),
        "no_digit": int(sum(digit is None for digit in digits)),
        "sure_and_wrong": sum(
            1
            for digit, doubt, ok in zip(digits, unsure, right, strict=True)
            if digit is not None and not doubt and not ok
        ),
        "median_ms": float(np.median(milliseconds)) if milliseconds else None,
        "risk_coverage": risk_coverage(confidences, right),
        "naive": naive,
        "misread_count": len(misread),
        "misread": misread,
    }


def _both_polarities(predictor, name, images, labels):
    """Figures of a collection of small white-on-black digits, as given and inverted."""
    labels = labels.tolist()
    naive_images = [naive_mnist(image) for image in images]
    sets = {}
    for polarity, pictures in ((name, images), (f"{name}_inverted", 255 - images)):
        figures = _digit_set(predictor, pictures, labels, naive_images, lambda i: {"index": i})
        figures["misread"] = figures["misread"][:MISREAD_CAP]
        sets[polarity] = figures
    return sets


def _number_set(predictor, folder, pictures):
    """Figures of the whole numbers, read with `read`; the text must match exactly."""
    texts, unsure, milliseconds, errors = [], [], [], {}
    for position, picture in enumerate(pictures):
        try:
            reading, spent = _timed(predictor.read, folder / IMAGES / picture.file)
        except InvalidImageError as error:
            texts.append("")
            unsure.append(False)
            errors[position] = str(error)
            continue
        texts.append(reading.text)
        unsure.append(reading.uncertain)
        milliseconds.append(spent)
    labels = [picture.label for picture in pictures]
    right = [text == label for text, label in zip(texts, labels, strict=True)]
    misread = [
        {
            "file": picture.file,
            "label": picture.label,
            "read": texts[position],
            "unsure": unsure[position],
            "note": picture.note,
            **({"error": errors[position]} if position in errors else {}),
        }
        for position, picture in enumerate(pictures)
        if not right[position]
    ]
    return {
        "count": len(labels),
        "right": int(sum(right)),
        "accuracy": _ratio(sum(right), len(labels)),
        "right_length": sum(
            len(text) == len(label) for text, label in zip(texts, labels, strict=True)
        ),
        "unsure": int(sum(unsure)),
        "unsure_rate": _ratio(sum(unsure), len(labels)),
        "no_digit": int(sum(text == "" for text in texts)),
        "median_ms": float(np.median(milliseconds)) if milliseconds else None,
        "misread_count": len(misread),
        "misread": misread,
    }


def _naive_picture(path):
    # A picture that cannot be read is a blank for the baseline; `predict` records the error.
    try:
        return naive_mnist(white_ink_gray(path))
    except InvalidImageError:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)


def _realworld_sets(predictor, folder):
    pictures = read_manifest(folder)
    sets = {}
    for kind in SINGLE_KINDS:
        chosen = [picture for picture in pictures if picture.kind == kind]
        files = [folder / IMAGES / picture.file for picture in chosen]

        def describe(position, chosen=chosen):
            return {"file": chosen[position].file, "note": chosen[position].note}

        sets[kind] = _digit_set(
            predictor,
            files,
            [int(picture.label) for picture in chosen],
            [_naive_picture(path) for path in files],
            describe,
        )
    numbers = [picture for picture in pictures if picture.kind == "multi"]
    sets["multi"] = _number_set(predictor, folder, numbers)
    return sets, pictures


def _mnist_test_risk(predictor, mnist_dir):
    """The MNIST test digits' accuracy and risk-coverage curve, as `predict` would flag them;
    None when MNIST is not there."""
    from model.data.mnist import load_mnist

    try:
        data = load_mnist(mnist_dir)
    except (FileNotFoundError, ValueError):
        return None
    probabilities, is_digit = predictor._calibrated(data.x_test)
    confidence = confidence_of(probabilities.max(axis=1), is_digit, predictor.gate_doubt)
    right = probabilities.argmax(axis=1) == data.y_test
    sure = confidence >= predictor.threshold
    return {
        "count": int(len(right)),
        "right": int(right.sum()),
        "accuracy": float(right.mean()),
        "unsure_rate": float(1 - sure.mean()),
        "sure_and_wrong": int((sure & ~right).sum()),
        "risk_coverage": risk_coverage(confidence, right),
    }


def _model_info(predictor, model_file):
    card = predictor.card
    return {
        "name": card.get("name"),
        "trained_at": card.get("trained_at"),
        "test_accuracy": card.get("test_accuracy"),
        "model_sha256": sha256_file(model_file) if Path(model_file).is_file() else None,
        "engine": getattr(predictor.engine, "name", type(predictor.engine).__name__),
        "preprocessing_version": PREPROCESSING_VERSION,
        "temperature": predictor.temperature,
        "threshold": predictor.threshold,
        "gate_doubt": predictor.gate_doubt,
        "pair_reader_sha256": _pair_reader_sha256(predictor, model_file),
    }


def _pair_reader_sha256(predictor, model_file):
    """The sha256 of the pair reader the predictor loaded from beside `model_file`, or None."""
    path = Path(model_file).parent / paths.PAIRS_FILE
    return sha256_file(path) if predictor.pairs is not None and path.is_file() else None


def realworld(
    predictor,
    usps_dir=None,
    realworld_dir=None,
    out_dir=paths.BUNDLED_DIR,
    usps_limit=None,
    uci_limit=None,
    model_file=None,
    command=COMMAND,
    pendigits_dir=None,
    pen_numbers=None,
    previous=None,
    previous_file=None,
    mnist_dir=None,
    sheets=SHEETS,
):
    """Reads every USPS digit (both polarities), every real picture and the held-out pendigits
    writers (digits, numbers, and sheets through the page reader); writes the report.

    Args:
        predictor: the `Predictor` to measure.
        usps_dir: the folder of `zip.train.gz` (None: $USPS_DIR, else ../shared/usps).
        realworld_dir: the folder of `manifest.tsv` and `images/` (None: $REALWORLD_DIR,
            else ../shared/realworld).
        out_dir: where `realworld.json` is written; None writes nothing.
        usps_limit: read only the first this many USPS digits (quick checks).
        uci_limit: the same for the UCI digits.
        model_file: the predictor's `.keras` file, for its checksum (default: the bundled one).
        command: the command line recorded in the report.
        pendigits_dir: the pendigits folder (None: $PENDIGITS_DIR, else ../shared/pendigits),
            for the held-out writers' digits and numbers (`model.study.pen_writers`).
        pen_numbers: how many numbers to compose from them (None: the default 300).
        previous: another `Predictor` (the previous bundled model) measured on the same sets
            in the same run; its figures go under "previous".
        previous_file: its `.keras` file, for its checksum.
        mnist_dir: MNIST, for the test digits' risk-coverage curve (skipped when missing).
        sheets: how many sheets to compose and read (`model.study.pages`); 0 reads none.

    Returns:
        The report written to `realworld.json`.

    Raises:
        FileNotFoundError: a folder was not given and its default does not exist.
        ValueError: a limit is not positive; `UspsFormatError` or `ManifestError` (both
            ValueError) for a malformed set.
    """
    for name, limit in (("usps_limit", usps_limit), ("uci_limit", uci_limit)):
        if limit is not None and limit < 1:
            raise ValueError(f"{name} must be at least 1, not {limit}")
    if sheets < 0:
        raise ValueError(f"sheets must be at least 0, not {sheets}")
    usps_dir = resolve_usps_dir(usps_dir)
    realworld_dir = resolve_realworld_dir(realworld_dir)
    usps_images, usps_labels = read_usps(usps_dir)
    sets = _both_polarities(predictor, "usps", usps_images[:usps_limit], usps_labels[:usps_limit])
    real_sets, pictures = _realworld_sets(predictor, realworld_dir)
    sets.update(real_sets)
    sets.update(_both_polarities(predictor, "uci", *read_uci(uci_limit)))
    from model.study import pen_writers

    pen_options = {"number_count": pen_numbers} if pen_numbers else {}
    sets.update(pen_writers.pen_writer_sets(predictor, pendigits_dir, **pen_options))
    report = {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "model": _model_info(predictor, model_file or paths.BUNDLED_DIR / paths.MODEL_FILE),
        "data": {
            "usps": {
                "file": USPS_FILE,
                "sha256": sha256_file(usps_dir / USPS_FILE),
                "digits": sets["usps"]["count"],
                "limit": usps_limit,
            },
            "realworld": {
                "file": MANIFEST,
                "sha256": sha256_file(realworld_dir / MANIFEST),
                "pictures": len(pictures),
            },
            "uci": {"source": UCI_SOURCE, "digits": sets["uci"]["count"], "limit": uci_limit},
            "pen_writers": {
                "source": "../shared/pendigits, the held-out test writers",
                "writers": list(TEST_WRITERS),
                "digits": sets["pen_digits"]["count"],
                "numbers": sets["pen_numbers_strokes"]["count"],
            },
        },
        "naive_baseline": NAIVE_BASELINE,
        "misread_cap": {name: MISREAD_CAP for name in TINY_SETS},
        "sets": sets,
    }
    report["mnist_test"] = _mnist_test_risk(predictor, mnist_dir)
    if sheets:
        report["pages"] = page_figures(predictor, pendigits_dir, sheets)
    if previous is not None:
        earlier = realworld(
            previous,
            usps_dir,
            realworld_dir,
            None,
            usps_limit,
            uci_limit,
            previous_file,
            command,
            pendigits_dir,
            pen_numbers,
            sheets=sheets,
        )
        report["previous"] = {
            "model": earlier["model"],
            "sets": {
                name: {
                    key: figures.get(key)
                    for key in ("count", "right", "accuracy", "unsure_rate", "sure_and_wrong")
                }
                for name, figures in earlier["sets"].items()
            },
            "pages": {
                key: value
                for key, value in (earlier.get("pages") or {}).items()
                if not isinstance(value, list | dict)
            },
        }
    if out_dir is not None:
        (Path(out_dir) / paths.REALWORLD_FILE).write_text(json.dumps(report, indent=1) + "\n")
    return report
