"""Reading what training wrote beside the model (no Streamlit: the pages cache this)."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model import paths


@dataclass
class Artifacts:
    history: dict
    metrics: dict
    misclassified: list
    misclassified_images: dict
    card: dict
    robustness: dict | None = None


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
            "test images": row["support"],
            "missed": round(row["support"] * (1 - row["recall"])),
        }
        for row in metrics["per_class"]
    ]


def mistakes_of(rows, true_digit=None):
    """Misclassified rows, all or only those whose true label is `true_digit`."""
    return [row for row in rows if true_digit is None or row["label"] == true_digit]


SET_NOTES = {
    "canvas": "re-drawn with a mouse pen, 2-40 px, on canvases of 200-1000 px, any colours",
    "pixel_art": "16-40 px paint-program pictures, hard edges, either polarity",
    "photo": "JPEG photos of pen on paper: shadows, ruled lines, rotation, EXIF",
    "numbers": "3-5 digits side by side, read whole by `read` (exact matches)",
}


def robustness_rows(robustness):
    """One row per realistic test set: what it is and how the predictor does on it."""
    rows = []
    for name, figures in robustness["sets"].items():
        accuracy = figures.get("accuracy", figures.get("exact"))
        rows.append(
            {
                "test set": name,
                "what it is": SET_NOTES.get(name, ""),
                "pictures": figures["count"],
                "read right %": round(100 * accuracy, 1),
                "flagged unsure %": round(100 * figures["flagged_rate"], 1)
                if "flagged_rate" in figures
                else None,
                "ms each": round(figures["milliseconds_per_picture"], 1),
            }
        )
    return rows
