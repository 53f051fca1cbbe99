"""Writing styles MNIST lacks, for training: wide and narrow digits, thin pens and markers,
elastic wobble, and digits made of a few straight strokes (square, seven-segment-like).

Pure NumPy/OpenCV on MNIST-format uint8 (28, 28) images, white on black; every result goes back
through the predictor's own `crop_to_mnist`, so it is framed the way a user's picture would be.
Nothing here looks at USPS or the real pictures: the styles come from how people write.
"""

import cv2
import numpy as np

from model.data.named_styles import styled_ink
from model.data.segments import segment_picture
from model.inference.preprocess import crop_to_mnist, tight_crop

WORK_SIZE = 84  # styles are applied at 3x MNIST's size, so thin strokes survive the resampling
ASPECTS = (0.55, 1.7)  # the narrowest and widest a restyled digit is made, width / height
PEN_RADII = (-2, 3)  # erosion (thinner pen) to dilation (marker), in pixels at WORK_SIZE
ELASTIC_ALPHA = 34 * 3  # Simard et al.'s elastic distortion, scaled to WORK_SIZE
ELASTIC_SIGMA = 4 * 3


def _ink(image):
    """The image as float ink (1 = ink) at WORK_SIZE."""
    big = cv2.resize(image, (WORK_SIZE, WORK_SIZE), interpolation=cv2.INTER_CUBIC)
    return np.clip(big.astype(np.float32) / 255.0, 0.0, 1.0)


def _reframed(ink):
    """Float ink of any size back to MNIST format, as the predictor frames a user's digit."""
    if ink.max() <= 0.05:
        return None
    return crop_to_mnist(tight_crop(ink))


def stretched(ink, aspect):
    """The ink's box scaled to width / height = `aspect` (a wide or a narrow digit)."""
    crop = tight_crop(ink, level=0.1)
    height, width = crop.shape
    new_width = max(int(round(height * aspect)), 2)
    return cv2.resize(crop, (new_width, height), interpolation=cv2.INTER_LINEAR)


def repenned(ink, radius):
    """Strokes made thicker (radius > 0, a marker) or thinner (radius < 0, a fine pen)."""
    if radius == 0:
        return ink
    size = 2 * abs(radius) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    if radius > 0:
        return cv2.dilate(ink, kernel)
    thinner = cv2.erode(ink, kernel)
    # Never erase a stroke: keep at least a 1-px skeleton-like core where the pen was.
    return thinner if thinner.max() > 0.5 else ink


def elastic(ink, rng, alpha=ELASTIC_ALPHA, sigma=ELASTIC_SIGMA):
    """Simard-style elastic distortion: a smooth random displacement field."""
    height, width = ink.shape
    field = rng.uniform(-1, 1, size=(2, height, width)).astype(np.float32)
    dx, dy = (cv2.GaussianBlur(part, (0, 0), sigma) * alpha for part in field)
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height))
    return cv2.remap(
        ink,
        grid_x + dx,
        (grid_y + dy).astype(np.float32),
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def restyle(image, rng, label=None, named_share=0.0):
    """One MNIST digit in a random other style: stretched, re-penned and/or wobbled.

    Args:
        image: uint8 (28, 28), white on black.
        rng: a numpy Generator.
        label: the digit, for its named style (`named_styles.styled_ink`): continental 1,
            crossed 7, tailed 9, slashed or dotted 0.
        named_share: how often that style is added, where the digit has one.

    Returns:
        uint8 (28, 28) in MNIST format; the input itself if the style erased the digit.
    """
    ink = _ink(image)
    if label is not None and rng.random() < named_share:
        named = styled_ink(ink, int(label), rng)
        ink = ink if named is None else named
    if rng.random() < 0.6:
        ink = elastic(ink, rng)
    if rng.random() < 0.6:
        height, width = tight_crop(ink, level=0.1).shape
        aspect = width / max(height, 1)
        # A log-uniform aspect between the narrowest and the widest, at most 2.5x away from
        # the digit's own; a slim 1 stays slim (a wide bar is not a 1 anyone writes).
        target = float(np.exp(rng.uniform(*np.log(ASPECTS))))
        widest = aspect * 2.5 if aspect >= 0.35 else 0.35
        target = min(max(target, aspect / 2.5), widest)
        ink = stretched(ink, target)
    if rng.random() < 0.6:
        ink = repenned(ink, int(rng.integers(PEN_RADII[0], PEN_RADII[1] + 1)))
    result = _reframed(ink)
    return image if result is None else result


def segment_digit(digit, rng):
    """A digit drawn with a few straight strokes (see `model.data.segments`), in MNIST format."""
    return _reframed(segment_picture(digit, rng))


def segment_digits(count, rng):
    """`count` straight-stroke digits, equally many of each, with their labels."""
    labels = np.arange(count) % 10
    images = np.stack([segment_digit(int(label), rng) for label in labels])
    return images, labels.astype(np.uint8)


def styled_copies(images, rng, labels=None, named_share=0.0):
    """One restyled copy of every image (the same order), for mixing into training; with
    `labels`, a `named_share` of the digits that have a named style get it."""
    if labels is None:
        return np.stack([restyle(image, rng) for image in images])
    return np.stack(
        [
            restyle(image, rng, label, named_share)
            for image, label in zip(images, labels, strict=True)
        ]
    )
