"""Applying the confidence calibration: temperature scaling and the unsure threshold.

The temperature is fitted at training time (`model.training.calibration`).
"""

import numpy as np

from model import config

DEFAULT_THRESHOLD = config.UNSURE_THRESHOLD


def apply_temperature(probabilities, temperature):
    """Softmax probabilities rescaled by a temperature (T > 1 softens, T < 1 sharpens)."""
    log_probabilities = np.log(np.clip(np.asarray(probabilities, np.float64), 1e-12, 1.0))
    scaled = log_probabilities / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    exponentials = np.exp(scaled)
    return (exponentials / exponentials.sum(axis=-1, keepdims=True)).astype(np.float32)
