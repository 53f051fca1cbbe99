"""How the predictor does on realistic input re-drawn from MNIST test digits, and on non-digits.

Test sets are made from MNIST test digits (`model.data.synthetic`); the calibration
(`model.training.calibration`) uses the validation split, so the test digits never tune anything.
"""

import json
import time

import numpy as np

from model import config, paths
from model.data.hard import hard_sets
from model.data.mnist import load_mnist
from model.data.negatives import KINDS, negative
from model.data.phone import PHONE_SET_NAMES, phone_sets
from model.data.synthetic import SET_NAMES, realistic_sets

SEED = 2026
COUNT = config.ROBUSTNESS_COUNT
NEGATIVE_COUNT = 100  # pictures of each non-digit kind


def _digit_set_figures(predictor, items):
    started = time.perf_counter()
    predictions = [predictor.predict(picture) for picture, _ in items]
    seconds = time.perf_counter() - started
    correct = [p.digit == int(text) for p, (_, text) in zip(predictions, items, strict=True)]
    flagged = [p.uncertain or p.digit is None for p in predictions]
    return {
        "count": len(items),
        "accuracy": float(np.mean(correct)),
        "flagged_rate": float(np.mean(flagged)),
        "accuracy_when_not_flagged": float(
            np.mean([c for c, f in zip(correct, flagged, strict=True) if not f] or [0.0])
        ),
        "no_digit_found": int(sum(p.digit is None for p in predictions)),
        "milliseconds_per_picture": 1000 * seconds / len(items),
    }


def _number_set_figures(predictor, items):
    started = time.perf_counter()
    readings = [predictor.read(picture) for picture, _ in items]
    seconds = time.perf_counter() - started
    texts = [reading.text for reading in readings]
    labels = [label for _, label in items]
    return {
        "count": len(items),
        "exact": float(np.mean([text == label for text, label in zip(texts, labels, strict=True)])),
        "right_length": float(
            np.mean([len(text) == len(label) for text, label in zip(texts, labels, strict=True)])
        ),
        "flagged_rate": float(np.mean([r.uncertain or not r.digits for r in readings])),
        "no_digit_found": int(sum(not reading.digits for reading in readings)),
        "milliseconds_per_picture": 1000 * seconds / len(items),
    }


def _negative_figures(predictor, digits, seed):
    rng = np.random.default_rng(seed)
    figures = {}
    for kind in KINDS:
        predictions = [
            predictor.predict(negative(kind, rng, digits)) for _ in range(NEGATIVE_COUNT)
        ]
        confident = [p.digit is not None and p.confidence >= 0.5 for p in predictions]
        figures[kind] = {"count": NEGATIVE_COUNT, "confident_rate": float(np.mean(confident))}
    return figures


def robustness(predictor, mnist_dir=None, out_dir=paths.BUNDLED_DIR, count=COUNT, seed=SEED):
    """Accuracy on every realistic test set and confidence on non-digits; writes it.

    Returns:
        The figures written to `robustness.json`.
    """
    data = load_mnist(mnist_dir, validation_size=0)
    sets = realistic_sets(data.x_test, data.y_test, count, seed, names=SET_NAMES)
    # The harder kinds: how real pictures broke the pipeline (tight crops, blur, markers...).
    sets.update(hard_sets(data.x_test, data.y_test, count, seed))
    # Phone photos lit unevenly and tilted, of digits and numbers, read as an upload is.
    sets.update(phone_sets(data.x_test, data.y_test, count, seed))
    figures = {"seed": seed, "threshold": predictor.threshold, "sets": {}}
    for name, items in sets.items():
        if name in ("numbers", *PHONE_SET_NAMES):
            figures["sets"][name] = _number_set_figures(predictor, items)
        else:
            figures["sets"][name] = _digit_set_figures(predictor, items)
    figures["not_digits"] = _negative_figures(predictor, data.x_test, seed)
    if out_dir is not None:
        (out_dir / paths.ROBUSTNESS_FILE).write_text(json.dumps(figures, indent=1))
    return figures
