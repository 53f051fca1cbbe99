"""The results the artifacts hold, as rows: the one place their JSON becomes tables.

One row per digit (`metrics.json`), network of the ensemble (`model_card.json`), re-drawn test
set (`robustness.json`), real set (`realworld.json`), compared model (`comparison.json`) and
tuning trial (`tuning.json`), in the order they are shown. Figures stay as measured (fractions,
counts, milliseconds): the pages (`ui.artifacts`, `ui.comparison`) round them for people and the
docs renderer (`model.study.report`) writes them as Markdown.

Import rule: only `model.data` (the sets' names and notes); no TensorFlow, no Streamlit.
"""

from model.data.hard import HARD_SET_NOTES
from model.data.phone import PHONE_SET_NOTES
from model.data.realworld import REAL_SETS
from model.data.synthetic import SYNTHETIC_SET_NOTES

SET_NOTES = {**SYNTHETIC_SET_NOTES, **HARD_SET_NOTES, **PHONE_SET_NOTES}


def per_digit(metrics):
    """One row per digit: precision, recall, F1, its test images and how many were missed."""
    matrix = metrics["confusion_matrix"]
    return [
        {
            "digit": row["digit"],
            "precision": row["precision"],
            "recall": row["recall"],
            "f1": row["f1"],
            "test_images": row["support"],
            "missed": row["support"] - matrix[row["digit"]][row["digit"]],
        }
        for row in metrics["per_class"]
    ]


def ensemble_members(card, metrics):
    """One row per network of an ensemble (none for a single network): its training and its
    test accuracy alone (None when not measured)."""
    tested = {row["name"]: row["test_accuracy"] for row in metrics.get("members", [])}
    return [
        {
            "name": member["name"],
            "epochs": member["epochs"],
            "best_epoch": member["best_epoch"],
            "val_accuracy": member["val_accuracy"],
            "test_accuracy": tested.get(member["name"]),
            "train": member["train"],
            "augmentation": member["augmentation"],
        }
        for member in card.get("members", [])
    ]


def redrawn_sets(robustness):
    """One row per re-drawn test set: what it is and how it was read. Sets of whole numbers
    have `exact` (and `right_length`) instead of `accuracy` and `flagged_rate`."""
    return [
        {
            "name": name,
            "note": SET_NOTES.get(name),
            "count": figures["count"],
            "accuracy": figures.get("accuracy"),
            "exact": figures.get("exact"),
            "right_length": figures.get("right_length"),
            "flagged_rate": figures.get("flagged_rate"),
            "milliseconds": figures["milliseconds_per_picture"],
        }
        for name, figures in robustness["sets"].items()
    ]


def real_sets(report):
    """One row per real set: how many it read right, beside the naive resize (None where
    there is none); unsure, no digit, the median time."""
    rows = []
    for name, figures in report["sets"].items():
        label, what = REAL_SETS.get(name, (name, ""))
        naive = figures.get("naive") or {}
        rows.append(
            {
                "name": name,
                "label": label,
                "what": what,
                "count": figures["count"],
                "right": figures["right"],
                "accuracy": figures["accuracy"],
                "naive_right": naive.get("right"),
                "naive_accuracy": naive.get("accuracy"),
                "unsure_rate": figures["unsure_rate"],
                "no_digit": figures["no_digit"],
                "median_ms": figures["median_ms"],
            }
        )
    return rows


def by_accuracy(models):
    """The compared models (`comparison.json`'s rows), most accurate first (ties: the higher
    macro F1 first)."""
    return sorted(models, key=lambda row: (-row["accuracy"], -row["macro_f1"]))


def trials_best_first(tuning):
    """The tuning search's trials, best validation accuracy first (ties: the earlier trial)."""
    return sorted(tuning["trials"], key=lambda trial: (-trial["val_accuracy"], trial["trial"]))
