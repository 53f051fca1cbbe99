"""Test-set metrics from predicted probabilities, computed with sklearn.metrics."""

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

DIGITS = list(range(10))


def compute_metrics(y_true, probabilities):
    """Accuracy, per-class precision/recall/F1, macro averages and the confusion matrix.

    Args:
        y_true: (N,) true labels.
        probabilities: (N, 10) predicted probabilities.

    Returns:
        A JSON-ready dict.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(probabilities).argmax(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=DIGITS, zero_division=0
    )
    macro = precision_recall_fscore_support(
        y_true, y_pred, labels=DIGITS, average="macro", zero_division=0
    )
    return {
        "count": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "errors": int((y_true != y_pred).sum()),
        "macro_precision": float(macro[0]),
        "macro_recall": float(macro[1]),
        "macro_f1": float(macro[2]),
        "per_class": [
            {
                "digit": digit,
                "precision": float(p),
                "recall": float(r),
                "f1": float(f),
                "support": int(s),
            }
            for digit, p, r, f, s in zip(DIGITS, precision, recall, f1, support, strict=True)
        ],
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=DIGITS).tolist(),
    }


def misclassified(y_true, probabilities):
    """The test images the model got wrong, most confident mistakes first.

    Returns:
        A list of dicts: index (into the test set), label, predicted, confidence.
    """
    probabilities = np.asarray(probabilities)
    y_pred = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(y_pred != np.asarray(y_true))
    rows = [
        {
            "index": int(i),
            "label": int(y_true[i]),
            "predicted": int(y_pred[i]),
            "confidence": float(probabilities[i, y_pred[i]]),
        }
        for i in wrong
    ]
    return sorted(rows, key=lambda row: -row["confidence"])


def save_misclassified_images(path, rows, images):
    """Saves the images of `rows` (from `misclassified`) so the app shows them without MNIST.

    Args:
        path: the .npz file to write: `indices` (K,) and `images` uint8 (K, 28, 28).
        rows: the list `misclassified` returns.
        images: the whole test set, uint8 (N, 28, 28).
    """
    indices = np.array([row["index"] for row in rows], dtype=np.int64)
    np.savez_compressed(path, indices=indices, images=np.asarray(images)[indices])
