"""The naive baseline every real-data figure is set beside: the whole picture resized into
20x20 and centred in 28x28, with no ink finding (what plain digit demos do).
"""

import cv2
import numpy as np

from model.inference.image_io import load_image
from model.inference.ink import to_gray
from model.inference.preprocess import BOX_SIZE, MNIST_SIZE


def naive_mnist(gray):
    """The naive baseline's input: the whole picture resized into 20x20 and centred in 28x28.

    Args:
        gray: uint8 (H, W), white ink on black.

    Returns:
        uint8 (28, 28).
    """
    height, width = gray.shape
    scale = BOX_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)
    top, left = (MNIST_SIZE - size[1]) // 2, (MNIST_SIZE - size[0]) // 2
    canvas[top : top + size[1], left : left + size[0]] = small
    return canvas


def white_ink_gray(picture):
    """A picture as uint8 grey, inverted when its border is light, so the ink is white.

    The grey is the project's (`model.inference.ink.to_gray`): a transparent background is
    composited to contrast with the drawing, which a plain RGBA-to-grey conversion would lose.
    """
    gray = np.clip(np.round(to_gray(load_image(picture))), 0, 255).astype(np.uint8)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return 255 - gray if np.median(border) > 127 else gray
