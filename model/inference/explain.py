"""Why the model chose a digit: an occlusion map over the 28x28 picture it saw.

Each square patch of the picture is blanked in turn (set to the background, 0) and the
picture read again; a patch matters as much as blanking it lowers the margin of the chosen
digit over the runner-up. All the occluded pictures go through the engine as one batch, so
no TensorFlow is needed and a map costs a few milliseconds.
"""

from dataclasses import dataclass

import numpy as np

PATCH = 6  # side of the blanked square, in pixels of the 28x28 picture
STRIDE = 2


@dataclass
class Explanation:
    """The chosen digit, the runner-up with its probability, and the map.

    `evidence` is float (28, 28): how much each pixel's neighbourhood raised the chosen digit
    over the runner-up (positive) or the runner-up over it (negative), in probability units.
    """

    digit: int
    runner_up: int
    runner_up_probability: float
    margin: float
    evidence: np.ndarray


def _occluded(image28, patch, stride):
    """The picture with each patch blanked, and the patches' (top, left) corners."""
    corners = [
        (top, left)
        for top in range(0, 28 - patch + 1, stride)
        for left in range(0, 28 - patch + 1, stride)
    ]
    batch = np.repeat(image28[None], len(corners), axis=0)
    for index, (top, left) in enumerate(corners):
        batch[index, top : top + patch, left : left + patch] = 0
    return batch, corners


def explain(probabilities_of, image28, patch=PATCH, stride=STRIDE):
    """The occlusion map of one MNIST-format picture.

    Args:
        probabilities_of: function from uint8 (N, 28, 28) pictures to (N, 10) probabilities
            (e.g. `Predictor.predict_batch`).
        image28: uint8 (28, 28), white on black.
        patch, stride: the blanked square's side and step.

    Returns:
        An `Explanation`.
    """
    image28 = np.asarray(image28, dtype=np.uint8)
    base = probabilities_of(image28[None])[0]
    ranked = np.argsort(base)[::-1]
    digit, runner_up = int(ranked[0]), int(ranked[1])
    margin = float(base[digit] - base[runner_up])
    batch, corners = _occluded(image28, patch, stride)
    # Patches with no ink change nothing: only those over ink are read.
    inked = [
        index
        for index, (top, left) in enumerate(corners)
        if image28[top : top + patch, left : left + patch].any()
    ]
    total = np.zeros((28, 28), np.float32)
    cover = np.zeros((28, 28), np.float32)
    for top, left in corners:
        cover[top : top + patch, left : left + patch] += 1
    if inked:
        probabilities = probabilities_of(batch[inked])
        drops = margin - (probabilities[:, digit] - probabilities[:, runner_up])
        for drop, index in zip(drops, inked, strict=True):
            top, left = corners[index]
            total[top : top + patch, left : left + patch] += drop
    evidence = np.divide(total, cover, out=np.zeros_like(total), where=cover > 0)
    return Explanation(digit, runner_up, float(base[runner_up]), margin, evidence)
