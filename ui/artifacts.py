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
