"""Applying the confidence calibration: temperature scaling and the unsure threshold.

The temperature is fitted at training time (`model.training.calibration`).
"""

import numpy as np

from model import config

DEFAULT_THRESHOLD = config.UNSURE_THRESHOLD
# Under this, the gate takes a picture for no digit at all: the default of a calibration
# without its own fitted `gate_doubt` (`model.training.calibration.fit_gate_doubt`).
GATE_DOUBT = 0.5


def confidence_of(top_probability, is_digit, gate_doubt=GATE_DOUBT):
    """A reading's confidence: its calibrated top probability, times the gate's probability
    only where the gate doubts there is a digit at all (under `gate_doubt`). The gate's milder
    doubts about real digits (pen-written ones above all) caught no errors on the validation
    writers and flagged right readings, so `python -m model calibrate` fits how strong a doubt
    must be to count (`gate_doubt` in calibration.json)."""
    top, gate = np.asarray(top_probability, np.float64), np.asarray(is_digit, np.float64)
    return np.where(gate >= gate_doubt, top, top * gate)


def apply_temperature(probabilities, temperature):
    """Softmax probabilities rescaled by a temperature (T > 1 softens, T < 1 sharpens)."""
    log_probabilities = np.log(np.clip(np.asarray(probabilities, np.float64), 1e-12, 1.0))
    scaled = log_probabilities / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    exponentials = np.exp(scaled)
    return (exponentials / exponentials.sum(axis=-1, keepdims=True)).astype(np.float32)


def risk_coverage(confidence, correct, points=41):
    """The risk-coverage curve: for thresholds from every quantile, the share flagged and the
    share wrong among the readings not flagged.

    Returns:
        {"flagged": [...], "error_when_sure": [...], "threshold": [...]}, flagged increasing.
    """
    confidence, correct = np.asarray(confidence, np.float64), np.asarray(correct)
    curve = {"flagged": [], "error_when_sure": [], "threshold": []}
    if not len(confidence):
        return curve
    thresholds = np.unique(np.quantile(confidence, np.linspace(0, 0.5, points)))
    for threshold in thresholds:
        sure = confidence >= threshold
        curve["flagged"].append(round(float(1 - sure.mean()), 5))
        curve["error_when_sure"].append(
            round(float((~correct[sure]).mean()), 5) if sure.any() else 0.0
        )
        curve["threshold"].append(round(float(threshold), 6))
    return curve
