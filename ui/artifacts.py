"""Reading what training wrote beside the model (no Streamlit: the pages cache this)."""

import json
import numbers
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model import paths, results
from model.data.realworld import IMAGES, REAL_SETS, resolve_realworld_dir
from model.data.uci import read_uci
from model.data.usps import FILE as USPS_FILE
from model.data.usps import read_usps, resolve_usps_dir
from model.errors import InvalidImageError
from model.inference.image_io import enlarged_sharp, fit_within, load_image


@dataclass
class Artifacts:
    history: dict
    metrics: dict
    misclassified: list
    misclassified_images: dict
    card: dict
    robustness: dict | None = None
    pairs: dict | None = None  # the pair reader's card


def load_artifacts(folder=paths.BUNDLED_DIR):
    """Loads the history, test metrics, misclassified digits (with their images) and model card.

    Raises:
        FileNotFoundError: an artifact is missing (run `python -m model train`).
    """
    folder = Path(folder)

    def read_json(name):
        return json.loads((folder / name).read_text())

    with np.load(folder / paths.MISCLASSIFIED_IMAGES_FILE) as saved:
        images = dict(zip(saved["indices"].tolist(), saved["images"], strict=True))
    return Artifacts(
        history=read_json(paths.HISTORY_FILE),
        metrics=read_json(paths.METRICS_FILE),
        misclassified=read_json(paths.MISCLASSIFIED_FILE),
        misclassified_images=images,
        card=read_json(paths.CARD_FILE),
        robustness=read_json(paths.ROBUSTNESS_FILE)
        if (folder / paths.ROBUSTNESS_FILE).is_file()
        else None,
        pairs=read_json(paths.PAIRS_CARD_FILE)
        if (folder / paths.PAIRS_CARD_FILE).is_file()
        else None,
    )


@dataclass
class Study:
    """The model comparison and the hyperparameter search; None for one not run yet."""

    comparison: dict | None
    tuning: dict | None


def load_study(folder=paths.BUNDLED_DIR):
    """Loads `comparison.json` (python -m model compare) and `tuning.json` (python -m model tune).

    Returns:
        A `Study`; a file that is not there is None.
    """
    folder = Path(folder)
    comparison, tuning = (folder / name for name in (paths.COMPARISON_FILE, paths.TUNING_FILE))
    return Study(
        comparison=json.loads(comparison.read_text()) if comparison.is_file() else None,
        tuning=json.loads(tuning.read_text()) if tuning.is_file() else None,
    )


def per_class_rows(metrics):
    """The per-class table: one row per digit, figures as percentages."""
    return [
        {
            "digit": row["digit"],
            "precision %": round(100 * row["precision"], 2),
            "recall %": round(100 * row["recall"], 2),
            "F1 %": round(100 * row["f1"], 2),
            "test images": row["test_images"],
            "missed": row["missed"],
        }
        for row in results.per_digit(metrics)
    ]


def misclassified_caption(row):
    """A misclassified test digit's caption: its label, what was read, how sure."""
    return f"{row['label']} → {row['predicted']} ({row['confidence']:.0%})"


def not_digits_caption(not_digits):
    """How often each kind of non-digit (robustness.json's `not_digits`) was read as a
    confident digit."""
    rates = ", ".join(f"{kind} {row['confident_rate']:.0%}" for kind, row in not_digits.items())
    return f"Not digits read as a confident digit: {rates}"


def model_card_markdown(card):
    """The model card's input, training settings and data sizes, as Markdown lines."""
    data = card["data"]
    return (
        f"**Input** {card['input']['shape']} — {card['input']['format']}, "
        f"{card['input']['polarity']}  \n"
        f"**Optimizer** {card['optimizer']}, batch {card['batch_size']}, {card['epochs']} epochs, "
        f"seed {card['seed']}  \n**Augmentation** {card['augmentation']}  \n"
        f"**Preprocessing version** {card['preprocessing_version']}  \n"
        f"**Data** {data['train']:,} train / {data['validation']:,} validation / "
        f"{data['test']:,} test images"
    )


def pair_card_markdown(pairs):
    """The pair reader's card (pairs.json): what it reads, its data and its accuracy."""
    accuracy = pairs["accuracy"]
    return (
        f"**Pair reader** (`{pairs['file']}`) reads two touching or overlapping digits as one "
        f"{pairs['input_shape'][0]}×{pairs['input_shape'][1]} picture: {pairs['classes']}.  \n"
        f"**Trained on** {pairs['trained_on']}; epoch {pairs['best_epoch']} of "
        f"{pairs['epochs']} kept on the {pairs['validation']}, seed {pairs['seed']}.  \n"
        f"**Read right** validation {_percent(accuracy['validation']['all'])}%, held-out "
        f"writers {', '.join(map(str, pairs['test_writers']))}: "
        f"{_percent(accuracy['test_writers']['pairs'])}% of their pairs, "
        f"{_percent(accuracy['test_writers']['all'])}% with the not-two-digits pictures."
    )


def mistakes_of(rows, true_digit=None):
    """Misclassified rows, all or only those whose true label is `true_digit`."""
    return [row for row in rows if true_digit is None or row["label"] == true_digit]


def robustness_rows(robustness):
    """One row per realistic test set: what it is and how the predictor does on it."""
    return [
        {
            "test set": row["name"],
            "what it is": row["note"] or "",
            "pictures": row["count"],
            "read right %": _percent(row["exact"] if row["accuracy"] is None else row["accuracy"]),
            "flagged unsure %": _percent(row["flagged_rate"]),
            "ms each": round(row["milliseconds"], 1),
        }
        for row in results.redrawn_sets(robustness)
    ]


def load_realworld(path=None):
    """The real-handwriting report (`python -m model realworld`), or None when not there."""
    path = Path(path) if path else paths.BUNDLED_DIR / paths.REALWORLD_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def _percent(value):
    return None if value is None else round(100 * value, 1)


def realworld_rows(report):
    """One row per real set: how many it reads right, beside the naive resize; unsure, no digit."""
    return [
        {
            "set": row["label"],
            "what it is": row["what"],
            "read right": f"{row['right']:,}/{row['count']:,}",
            "ours %": _percent(row["accuracy"]),
            "naive resize %": _percent(row["naive_accuracy"]),
            "unsure %": _percent(row["unsure_rate"]),
            "no digit": row["no_digit"],
            "ms each": None if row["median_ms"] is None else round(row["median_ms"], 1),
        }
        for row in results.real_sets(report)
    ]


def realworld_digit_rows(figures):
    """One row per digit of a single-digit set: ours beside the naive resize."""
    naive = figures["naive"]["per_digit"]
    return [
        {
            "digit": int(digit),
            "pictures": row["count"],
            "ours right": row["right"],
            "ours %": _percent(row["accuracy"]),
            "naive right": naive[digit]["right"],
            "naive %": _percent(naive[digit]["accuracy"]),
        }
        for digit, row in figures["per_digit"].items()
    ]


def _shown(value):
    return "no digit" if value is None or value == "" else str(value)


def realworld_misread_rows(figures):
    """What a set still misreads: the picture (file or USPS index), its label, what was read."""
    return [
        {
            "picture": row["file"] if "file" in row else f"#{row['index']}",
            "label": str(row["label"]),
            "read": _shown(row["read"]),
            **({"naive": _shown(row["naive"])} if "naive" in row else {}),
            "unsure": row["unsure"],
            "note": row.get("error") or row.get("note") or _pen_note(row),
        }
        for row in figures["misread"]
    ]


def _pen_note(row):
    """A held-out pen writer's row: the writer, and how a number's digits were spaced."""
    if "writer" not in row:
        return ""
    gaps = row.get("gaps")
    return f"writer {row['writer']}" + (f"; gaps {', '.join(gaps)}" if gaps else "")


def misread_caption(row):
    """A gallery caption for a misread row, Markdown-escaped (file names and notes are data)."""
    text = f"{row['picture']}: {row['label']} read as {row['read']}"
    if row["unsure"]:
        text += " (unsure)"
    if row["note"]:
        text += f" — {row['note']}"
    return escape_markdown(text)


MISSING = "—"


def readable_table(rows):
    """Rows as a table for people: each figure as it was rounded (whole numbers with thousands
    separators), a missing one as "—" instead of "None"; figures stay numbers, right-aligned.

    Args:
        rows: a list of dicts, one per row, all with the same keys.

    Returns:
        A pandas Styler, for `st.table` or `st.dataframe`.
    """
    import pandas as pd

    return pd.DataFrame(rows).style.format(_cell, na_rep=MISSING)


def _cell(value):
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return f"{value:,}"
    return value


def escape_markdown(text):
    """Text shown literally where Streamlit renders Markdown: every ASCII punctuation escaped."""
    return re.sub(r"([!-/:-@\\[-`{-~])", r"\\\1", str(text))


def realworld_images_dir(realworld_dir=None):
    """The real pictures' folder when it is here ($REALWORLD_DIR, else ../shared/realworld)."""
    try:
        folder = resolve_realworld_dir(realworld_dir) / IMAGES
    except FileNotFoundError:
        return None
    return folder if folder.is_dir() else None


def thumbnail(path, side=160):
    """A picture shrunk so its longer side is at most `side` pixels, for a gallery; None when
    it cannot be read."""
    try:
        return fit_within(load_image(path), side)
    except InvalidImageError:
        return None


def usps_dir_here(usps_dir=None):
    """The USPS folder when its file is here ($USPS_DIR, else ../shared/usps), else None."""
    try:
        folder = resolve_usps_dir(usps_dir)
    except FileNotFoundError:
        return None
    return folder if (folder / USPS_FILE).is_file() else None


def usps_pictures(indices, usps_dir):
    """{index: uint8 (16, 16)} of the USPS digits at `indices`, white on black."""
    images, _ = read_usps(usps_dir)
    return {index: images[index] for index in indices if 0 <= index < len(images)}


def sharp_enlarged(image, side=96):
    """A tiny picture (a 16x16 USPS or 8x8 UCI digit) enlarged by a whole factor to about
    `side` px, each pixel a block: a browser would blur it."""
    return enlarged_sharp(image, side, side)


def uci_pictures(indices):
    """{index: uint8 (8, 8)} of the UCI digits at `indices`, white on black."""
    images, _ = read_uci()
    return {index: images[index] for index in indices if 0 <= index < len(images)}


def member_rows(card, metrics):
    """One row per network of an ensemble (none for a single network), for the page's table."""
    return [
        {
            "network": member["name"],
            "epochs": member["epochs"],
            "best epoch": member["best_epoch"],
            "validation %": round(100 * member["val_accuracy"], 2),
            "test % alone": None
            if member["test_accuracy"] is None
            else round(100 * member["test_accuracy"], 2),
            "training images": member["train"],
            "augmentation": member["augmentation"],
        }
        for member in results.ensemble_members(card, metrics)
    ]


RISK_SETS = ("pen_digits", "usps", "photo", "scan", "drawn")


def risk_curves(report):
    """{label: risk-coverage curve} of the MNIST test digits and the real single-digit sets."""
    curves = {}
    if report.get("mnist_test"):
        curves["MNIST test"] = report["mnist_test"]["risk_coverage"]
    for name in RISK_SETS:
        figures = report["sets"].get(name)
        if figures and figures.get("risk_coverage"):
            curves[REAL_SETS.get(name, (name,))[0]] = figures["risk_coverage"]
    return curves
