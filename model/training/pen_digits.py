"""Pen-written digits (`model.data.pendigits`) as MNIST-format training pictures.

Each digit's strokes are drawn as a canvas draws them (a round pen of a random width, a random
size, slant, rotation and width), sometimes with its named style added
(`named_styles.styled_strokes`), then framed by the predictor's own `crop_to_mnist`.
"""

import numpy as np

from model.data import pendigits
from model.data.named_styles import styled_strokes
from model.inference.preprocess import crop_to_mnist, tight_crop


def pen_picture(digit, rng, named_share=0.0):
    """One MNIST-format uint8 (28, 28) picture of a `PenDigit`, drawn anew."""
    strokes = digit.strokes
    if rng.random() < named_share:
        strokes = styled_strokes(strokes, digit.label, rng)
    return crop_to_mnist(tight_crop(pendigits.render(strokes, rng)))


def pen_pictures(digits, rng, named_share=0.0):
    """Pictures of `digits` (one each, in order) and their labels, as uint8 arrays."""
    images = np.stack([pen_picture(digit, rng, named_share) for digit in digits])
    labels = np.array([digit.label for digit in digits], dtype=np.uint8)
    return images, labels


def pen_training_set(digits, rng, copies, variants, named_share):
    """`copies` drawings of every digit, each with `variants` other drawings of the same
    strokes to swap in from epoch to epoch.

    Returns:
        images uint8 (N, 28, 28), styled uint8 (N, variants, 28, 28), labels uint8 (N,).
    """
    images, styled, labels = [], [], []
    for _ in range(copies):
        drawn, drawn_labels = pen_pictures(digits, rng, named_share)
        images.append(drawn)
        labels.append(drawn_labels)
        styled.append(
            np.stack([pen_pictures(digits, rng, named_share)[0] for _ in range(variants)], axis=1)
        )
    return np.concatenate(images), np.concatenate(styled), np.concatenate(labels)
