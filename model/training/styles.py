"""Writing styles MNIST lacks, for training: wide and narrow digits, thin pens and markers,
elastic wobble, and digits made of a few straight strokes (square, seven-segment-like).

Pure NumPy/OpenCV on MNIST-format uint8 (28, 28) images, white on black; every result goes back
through the predictor's own `crop_to_mnist`, so it is framed the way a user's picture would be.
Nothing here looks at USPS or the real pictures: the styles come from how people write.
"""

import cv2
import numpy as np

from model.inference.preprocess import crop_to_mnist, tight_crop

WORK_SIZE = 84  # styles are applied at 3x MNIST's size, so thin strokes survive the resampling
ASPECTS = (0.55, 1.7)  # the narrowest and widest a restyled digit is made, width / height
PEN_RADII = (-2, 3)  # erosion (thinner pen) to dilation (marker), in pixels at WORK_SIZE
ELASTIC_ALPHA = 34 * 3  # Simard et al.'s elastic distortion, scaled to WORK_SIZE
ELASTIC_SIGMA = 4 * 3

# Seven-segment layout on a unit box (x right, y down): each segment is a line between 2 corners.
CORNERS = {"tl": (0, 0), "tr": (1, 0), "ml": (0, 0.5), "mr": (1, 0.5), "bl": (0, 1), "br": (1, 1)}
SEGMENTS = {
    "a": ("tl", "tr"),
    "b": ("tr", "mr"),
    "c": ("mr", "br"),
    "d": ("bl", "br"),
    "e": ("ml", "bl"),
    "f": ("tl", "ml"),
    "g": ("ml", "mr"),
}
# Each digit's usual segment sets; several where people write it several ways.
DIGIT_SEGMENTS = {
    0: ("abcdef",),
    1: ("bc",),
    2: ("abged",),
    3: ("abgcd",),
    4: ("fgbc",),
    5: ("afgcd",),
    6: ("afgedc", "fgedc"),
    7: ("abc", "fabc"),
    8: ("abcdefg",),
    9: ("abcdfg", "abcfg"),
}


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


def restyle(image, rng):
    """One MNIST digit in a random other style: stretched, re-penned and/or wobbled.

    Args:
        image: uint8 (28, 28), white on black.
        rng: a numpy Generator.

    Returns:
        uint8 (28, 28) in MNIST format; the input itself if the style erased the digit.
    """
    ink = _ink(image)
    if rng.random() < 0.6:
        ink = elastic(ink, rng)
    if rng.random() < 0.6:
        height, width = tight_crop(ink, level=0.1).shape
        aspect = width / max(height, 1)
        # A log-uniform aspect between the narrowest and the widest, at most 2.5x away from
        # the digit's own; a slim 1 stays slim (a wide bar is not a 1 anyone writes).
        target = float(np.exp(rng.uniform(*np.log(ASPECTS))))
        target = min(max(target, aspect / 2.5), aspect * 2.5, max(aspect, 0.35))
        ink = stretched(ink, target)
    if rng.random() < 0.6:
        ink = repenned(ink, int(rng.integers(PEN_RADII[0], PEN_RADII[1] + 1)))
    result = _reframed(ink)
    return image if result is None else result


def segment_digit(digit, rng):
    """A digit drawn with a few straight strokes, like a seven-segment display or a square hand.

    Args:
        digit: 0-9.
        rng: a numpy Generator.

    Returns:
        uint8 (28, 28) in MNIST format.
    """
    pattern = DIGIT_SEGMENTS[digit][int(rng.integers(len(DIGIT_SEGMENTS[digit])))]
    height = 160
    aspect = rng.uniform(0.45, 1.0) if digit != 1 else rng.uniform(0.05, 0.4)
    width = height * aspect
    slant = rng.uniform(-0.25, 0.25)  # x shift per unit of height going up
    jitter = height * 0.04
    corners = {}
    for name, (x, y) in CORNERS.items():
        px = 40 + x * width + (1 - y) * slant * height + rng.normal(0, jitter)
        py = 20 + y * height + rng.normal(0, jitter)
        corners[name] = (px, py)
    thickness = int(rng.integers(4, 26))
    canvas = np.zeros((height + 40, int(width + 80 + abs(slant) * height)), np.float32)
    gap = rng.random() < 0.3  # segment displays and quick hands leave gaps at the corners
    for letter in pattern.replace(" ", ""):
        start, end = (np.array(corners[name]) for name in SEGMENTS[letter])
        if gap:
            shrink = rng.uniform(0.05, 0.15)
            start, end = start + (end - start) * shrink, end - (end - start) * shrink
        cv2.line(canvas, _point(start), _point(end), 1.0, thickness, cv2.LINE_AA)
    if digit == 1 and rng.random() < 0.4:  # the flag at the top of a 1
        top = np.array(corners["tr"])
        flag = top + (-height * 0.2, height * 0.15)
        cv2.line(canvas, _point(top), _point(flag), 1.0, thickness, cv2.LINE_AA)
    return _reframed(canvas)


def _point(xy):
    return int(round(xy[0])), int(round(xy[1]))


def segment_digits(count, rng):
    """`count` straight-stroke digits, equally many of each, with their labels."""
    labels = np.arange(count) % 10
    images = np.stack([segment_digit(int(label), rng) for label in labels])
    return images, labels.astype(np.uint8)


def styled_copies(images, rng):
    """One restyled copy of every image (the same order), for mixing into training."""
    return np.stack([restyle(image, rng) for image in images])
