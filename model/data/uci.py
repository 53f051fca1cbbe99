"""Reading the UCI optical digits as shipped inside scikit-learn (`load_digits`): 1,797 real
handwritten digits, 8x8. An evaluation set of tiny pictures, never training data.

Each was a 32x32 bitmap from a NIST form, cut into 4x4 blocks whose inked pixels were counted
(0-16). scikit-learn installs the file with its package, so nothing is downloaded.
"""

import numpy as np

SIDE = 8
LEVELS = 16  # a block's count of inked pixels, 0-16
SOURCE = "scikit-learn load_digits (UCI Optical Recognition of Handwritten Digits, test half)"


def read_uci(limit=None):
    """The digits as grey pictures, white ink on black.

    Args:
        limit: only the first this many (None: all 1,797).

    Returns:
        (images, labels): uint8 (N, 8, 8), counts scaled to 0-255 (v * 255 / 16 rounded), and
        uint8 (N,) digits.
    """
    from sklearn.datasets import load_digits  # scikit-learn is only needed for this set

    digits = load_digits()
    images = np.rint(digits.images * (255 / LEVELS)).astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return images, labels
