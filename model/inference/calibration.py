"""Confidence calibration: temperature scaling, fitted on held-out data, and its report."""

import numpy as np

from model import config

DEFAULT_THRESHOLD = config.UNSURE_THRESHOLD
BINS = 15


def apply_temperature(probabilities, temperature):
    """Softmax probabilities rescaled by a temperature (T > 1 softens, T < 1 sharpens)."""
    log_probabilities = np.log(np.clip(np.asarray(probabilities, np.float64), 1e-12, 1.0))
    scaled = log_probabilities / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    exponentials = np.exp(scaled)
    return (exponentials / exponentials.sum(axis=-1, keepdims=True)).astype(np.float32)


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
