"""Fitting the confidence calibration: the temperature that makes confidence match accuracy,
fitted on the validation split (plain and re-drawn), and its report.

Never fitted on the test set, USPS or the real pictures: those stay honest measures.
"""

import json

import numpy as np

from model import config, paths
from model.data import pendigits
from model.data.mnist import load_mnist
from model.data.synthetic import realistic_sets
from model.inference.calibration import (
    DEFAULT_THRESHOLD,
    apply_temperature,
    confidence_of,
    risk_coverage,
)
from model.inference.image_io import load_image
from model.inference.preprocess import locate_digit

BINS = 15
SEED = 2026
CALIBRATION_COUNT = 600  # validation digits re-drawn per style for calibration


def negative_log_likelihood(probabilities, labels):
    picked = np.asarray(probabilities, np.float64)[np.arange(len(labels)), labels]
    return float(-np.log(np.clip(picked, 1e-12, 1.0)).mean())


def expected_calibration_error(probabilities, labels, bins=BINS):
    """Mean gap between confidence and accuracy over equal-width confidence bins."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(error)


def fit_temperature(probabilities, labels):
    """The temperature minimising the negative log-likelihood of `labels`.

    Args:
        probabilities: float (N, 10) softmax outputs of the model.
        labels: int (N,) true digits.

    Returns:
        The temperature, a float in [0.05, 20].
    """
    labels = np.asarray(labels)
    from scipy.optimize import minimize_scalar

    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(
            apply_temperature(probabilities, np.exp(log_t)), labels
        ),
        bounds=(np.log(0.05), np.log(20.0)),
        method="bounded",
    )
    return float(np.exp(result.x))


def report(probabilities, labels, temperature, threshold=DEFAULT_THRESHOLD):
    """Calibration figures before and after scaling, and what the threshold rejects."""
    labels = np.asarray(labels)
    calibrated = apply_temperature(probabilities, temperature)
    confidence = calibrated.max(axis=1)
    correct = calibrated.argmax(axis=1) == labels
    flagged = confidence < threshold
    return {
        "count": int(len(labels)),
        "nll_before": negative_log_likelihood(probabilities, labels),
        "nll_after": negative_log_likelihood(calibrated, labels),
        "ece_before": expected_calibration_error(np.asarray(probabilities), labels),
        "ece_after": expected_calibration_error(calibrated, labels),
        "accuracy": float(correct.mean()),
        "flagged_rate": float(flagged.mean()),
        "flagged_correct_rate": float((flagged & correct).mean()),
        "accuracy_when_confident": float(correct[~flagged].mean()) if (~flagged).any() else 0.0,
    }


def fit_threshold(confidence, correct, max_error=config.UNSURE_MAX_ERROR):
    """The lowest confidence threshold at which the readings kept (confidence at or above it)
    are wrong at most `max_error` of the time: the most readings trusted for that risk.

    Args:
        confidence: float (N,) calibrated confidences.
        correct: bool (N,) whether each reading was right.
        max_error: the largest share of errors allowed among the readings kept.

    Returns:
        The threshold, in [0, 1].
    """
    order = np.argsort(-np.asarray(confidence, np.float64), kind="stable")
    ranked, wrong = np.asarray(confidence)[order], ~np.asarray(correct)[order]
    errors = np.cumsum(wrong) / np.arange(1, len(wrong) + 1)
    # Only cut between different confidences: readings of equal confidence go together.
    cuts = np.flatnonzero(np.append(ranked[1:] < ranked[:-1], True))
    good = cuts[errors[cuts] <= max_error]
    if not len(good):
        return 1.0
    return float(ranked[good[-1]])


def _pen_validation_items(seed):
    """The validation writers' digits as the Draw page sends them (never the test writers)."""
    digits = pendigits.load_pendigits(None, pendigits.VALIDATION_WRITERS)
    rng = np.random.default_rng([seed, 31])
    return [(pendigits.canvas_picture(digit.strokes, rng), str(digit.label)) for digit in digits]


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
    parts["pen_validation"] = _mnist_images(_pen_validation_items(seed))
    raw = {name: predictor.raw_outputs(images) for name, (images, _) in parts.items()}
    outputs = {name: probabilities for name, (probabilities, _) in raw.items()}
    everything = np.concatenate(list(outputs.values()))
    labels = np.concatenate([labels for _, labels in parts.values()])
    temperature = fit_temperature(everything, labels)
    # The unsure rule: the confidence (calibrated probability times the gate's is_digit) under
    # which a reading is flagged, the lowest that keeps errors among sure readings under
    # UNSURE_MAX_ERROR on the MNIST validation digits and on the validation writers alike.
    confident = {}
    for name in ("mnist", "pen_validation"):
        probabilities, is_digit = raw[name]
        calibrated = apply_temperature(probabilities, temperature)
        confident[name] = (
            confidence_of(calibrated.max(axis=1), is_digit),
            calibrated.argmax(axis=1) == parts[name][1],
        )
    # ... but never flagging more than UNSURE_MAX_FLAGGED of either: an unsure flag on most
    # readings sends everything to a person.
    wanted = max(DEFAULT_THRESHOLD, *(fit_threshold(*confident[name]) for name in confident))
    budget = min(
        float(np.quantile(confident[name][0], config.UNSURE_MAX_FLAGGED)) for name in confident
    )
    threshold = max(DEFAULT_THRESHOLD, min(wanted, budget))
    calibration = {
        "temperature": temperature,
        "threshold": threshold,
        "fitted_on": "MNIST validation split, plain and re-drawn (canvas, pixel art, photo), "
        f"and the pendigits validation writers {list(pendigits.VALIDATION_WRITERS)}",
        "threshold_rule": f"the lowest confidence (at least {DEFAULT_THRESHOLD}) keeping errors "
        f"among sure readings at most {config.UNSURE_MAX_ERROR:.1%} on the MNIST validation "
        "digits and on the validation writers, but flagging at most "
        f"{config.UNSURE_MAX_FLAGGED:.0%} of either",
        "threshold_for_the_error_target": wanted,
        "risk_coverage": {
            name: {
                **risk_coverage(*confident[name]),
                "flagged_at_threshold": float((confident[name][0] < threshold).mean()),
                "error_when_sure_at_threshold": float(
                    (~confident[name][1][confident[name][0] >= threshold]).mean()
                ),
            }
            for name in confident
        },
        "all": report(everything, labels, temperature, threshold),
        **{
            name: report(outputs[name], labels, temperature, threshold)
            for name, (_, labels) in parts.items()
        },
    }
    (out_dir / paths.CALIBRATION_FILE).write_text(json.dumps(calibration, indent=1))
    return calibration
