"""How the predictor does on realistic input, and the confidence calibration fitted on it.

Test sets are made from MNIST test digits (`model.data.synthetic`), calibration uses the
validation split re-drawn the same way, so the test digits never tune anything.
"""

import json
import time

import numpy as np

from model import config, paths
from model.data.mnist import load_mnist
from model.data.negatives import KINDS, negative
from model.data.synthetic import SET_NAMES, realistic_sets
from model.inference.calibration import DEFAULT_THRESHOLD, fit_temperature, report
from model.inference.image_io import load_image
from model.inference.preprocess import locate_digit

SEED = 2026
COUNT = config.ROBUSTNESS_COUNT
CALIBRATION_COUNT = 600  # validation digits re-drawn per style for calibration
NEGATIVE_COUNT = 100  # pictures of each non-digit kind


def _mnist_images(items):
    """MNIST-format images and labels of single-digit items; pictures with no digit dropped."""
    images, labels = [], []
    for picture, text in items:
        image28, _, _ = locate_digit(load_image(picture))
        if image28 is not None:
            images.append(image28)
            labels.append(int(text))
    return np.stack(images), np.array(labels)


def calibrate(predictor, mnist_dir=None, out_dir=paths.BUNDLED_DIR, seed=SEED):
    """Fits the temperature on validation digits, as scanned and re-drawn; writes it.

    Returns:
        The calibration written to `calibration.json`.
    """
    # The validation split the model was trained without: the same seed as its training.
    data = load_mnist(mnist_dir, seed=predictor.card.get("seed", config.SPLIT_SEED))
    sets = realistic_sets(
        data.x_val, data.y_val, CALIBRATION_COUNT, seed, names=("canvas", "pixel_art", "photo")
    )
    parts = {"mnist": (data.x_val, data.y_val)}
    parts.update({name: _mnist_images(items) for name, items in sets.items()})
    outputs = {name: predictor.raw_outputs(images)[0] for name, (images, _) in parts.items()}
    everything = np.concatenate(list(outputs.values()))
    labels = np.concatenate([labels for _, labels in parts.values()])
    temperature = fit_temperature(everything, labels)
    calibration = {
        "temperature": temperature,
        "threshold": DEFAULT_THRESHOLD,
        "fitted_on": "MNIST validation split, plain and re-drawn (canvas, pixel art, photo)",
        "all": report(everything, labels, temperature),
        **{name: report(outputs[name], labels, temperature) for name, (_, labels) in parts.items()},
    }
    (out_dir / paths.CALIBRATION_FILE).write_text(json.dumps(calibration, indent=1))
    return calibration


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
    texts = [predictor.read(picture).text for picture, _ in items]
    seconds = time.perf_counter() - started
    labels = [label for _, label in items]
    return {
        "count": len(items),
        "exact": float(np.mean([text == label for text, label in zip(texts, labels, strict=True)])),
        "right_length": float(
            np.mean([len(text) == len(label) for text, label in zip(texts, labels, strict=True)])
        ),
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
    figures = {"seed": seed, "threshold": predictor.threshold, "sets": {}}
    for name, items in sets.items():
        if name == "numbers":
            figures["sets"][name] = _number_set_figures(predictor, items)
        else:
            figures["sets"][name] = _digit_set_figures(predictor, items)
    figures["not_digits"] = _negative_figures(predictor, data.x_test, seed)
    if out_dir is not None:
        (out_dir / paths.ROBUSTNESS_FILE).write_text(json.dumps(figures, indent=1))
    return figures
