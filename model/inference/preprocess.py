"""Turning a drawing into an MNIST-format digit, the way MNIST itself was made.

MNIST digits are white on black, fitted into a 20x20 box with the aspect ratio kept
(anti-aliased), then placed in a 28x28 image so that their centre of mass is at the centre.
Pure numpy/OpenCV: no model, no Streamlit.
"""

import math

import cv2
import numpy as np

from model.inference.image_io import fit_within
from model.inference.ink import find_ink
from model.inference.segment import BINARY_LEVEL, components, is_one_of, shape_problem, stroke_width

PREPROCESSING_VERSION = "2"
MNIST_SIZE = 28
BOX_SIZE = 20
PAIR_SHAPE = (28, 56)  # two digits side by side, as the pair reader sees them
PAIR_BOX = (20, 48)  # ...fitted into this box, aspect kept
# Median stroke width of MNIST test digits, as a fraction of the 20-px box (2.25 px / 20).
MNIST_STROKE_FRACTION = 0.11
THIN_STROKE_FRACTION = 0.07
THICKEN_SIZE = 200  # thin strokes are thickened at this size at most
BLANK = "blank: no ink found"


def thicken_thin_strokes(crop):
    """Dilates a crop whose strokes would vanish or look hair-thin once shrunk to 20 px.

    A crop larger than THICKEN_SIZE is shrunk to it first: the digit ends up 20 px high
    anyway, and a dilation of a 1000-px crop with an 80-px disc took 100 ms.
    """
    size = max(crop.shape)
    width = stroke_width(crop > 0.5)
    if width == 0 or width >= THIN_STROKE_FRACTION * size:
        return crop
    if size > THICKEN_SIZE:
        width *= THICKEN_SIZE / size
        crop = fit_within(crop, THICKEN_SIZE)
        size = max(crop.shape)
    radius = int(round((MNIST_STROKE_FRACTION * size - width) / 2))
    if radius < 1:
        return crop
    padded = cv2.copyMakeBorder(crop, radius, radius, radius, radius, cv2.BORDER_CONSTANT, value=0)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(padded, kernel)


def fit_box(crop, box=BOX_SIZE):
    """Scales the crop so its longer side is `box` pixels (or so it just fits a (rows,
    columns) box), keeping the aspect ratio."""
    height, width = crop.shape
    rows, columns = (box, box) if np.isscalar(box) else box
    scale = min(rows / height, columns / width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return np.clip(cv2.resize(crop, size, interpolation=interpolation), 0.0, 1.0)


def place_by_center_of_mass(patch, size=MNIST_SIZE):
    """Puts the patch in a size x size image (or a (rows, columns) one) with its centre of
    mass at the centre.

    The shift is capped so the whole patch stays inside: a long stroke is never cut off.
    """
    rows, columns = (size, size) if np.isscalar(size) else size
    height, width = patch.shape
    total = float(patch.sum())
    if total > 0:
        # Not cv2.moments: it reads an (N, 2) float array as N points, not as an image.
        center_y = float(patch.sum(axis=1) @ np.arange(height)) / total
        center_x = float(patch.sum(axis=0) @ np.arange(width)) / total
    else:
        center_y, center_x = (height - 1) / 2, (width - 1) / 2
    top = min(max(round((rows - 1) / 2 - center_y), 0), rows - height)
    left = min(max(round((columns - 1) / 2 - center_x), 0), columns - width)
    canvas = np.zeros((rows, columns), dtype=np.float32)
    canvas[top : top + height, left : left + width] = patch
    return canvas


def ink_box(ink, level=0.25):
    """(x, y, w, h) of the smallest window holding all ink above `level`, or None if none."""
    if ink.size == 0:
        return None
    box = cv2.boundingRect(np.greater(ink, level).view(np.uint8))
    return box if box[2] else None


def tight_crop(ink, level=0.25):
    """The smallest window holding all ink above `level` (the whole array if there is none)."""
    box = ink_box(ink, level)
    if box is None:
        return ink
    x, y, width, height = box
    return ink[y : y + height, x : x + width]


def crop_to_mnist(crop, box=BOX_SIZE, shape=MNIST_SIZE):
    """MNIST-format uint8 (28, 28) image of one digit's ink (float, 1 = ink), tightly cropped;
    or framed the same way in another `box` and `shape`."""
    patch = fit_box(thicken_thin_strokes(crop), box)
    canvas = place_by_center_of_mass(patch, shape)
    peak = canvas.max()
    return np.round(canvas * (255.0 / peak)).astype(np.uint8)


def crop_to_pair(crop):
    """The pair reader's uint8 (28, 56) image of two digits' ink (float, 1 = ink), tightly
    cropped: as `crop_to_mnist`, in a box twice as wide."""
    return crop_to_mnist(crop, PAIR_BOX, PAIR_SHAPE)


def source_box(box, scale, size):
    """A box (x, y, w, h) at working resolution, in the source image's pixels: the source
    pixels it touches, at least one, within the source's `size` (height, width)."""
    height, width = size[:2]
    x, y, w, h = (value / scale for value in box)
    left = min(max(math.floor(x + 1e-6), 0), width - 1)
    top = min(max(math.floor(y + 1e-6), 0), height - 1)
    right = max(min(math.ceil(x + w - 1e-6), width), left + 1)
    bottom = max(min(math.ceil(y + h - 1e-6), height), top + 1)
    return left, top, right - left, bottom - top


def locate_digit(image):
    """Finds the one digit in a picture and converts it to MNIST format.

    All the ink except specks is taken as one digit, found as `model.inference.reader`
    finds the digits of a number: a number of one digit is the same digit, in the same box.

    Args:
        image: uint8 (H, W), (H, W, 3) or (H, W, 4); any size, either polarity.

    Returns:
        (image28, box, reason): uint8 (28, 28) white on black, the ink's (x, y, w, h) in
        the image's pixels and None; or None, None and a short reason when there is no
        digit to read (a blank image, a dot, a dash).
    """
    image28, box, scale, reason = locate(image)
    return image28, box and source_box(box, scale, image.shape), reason


def locate(image):
    """`locate_digit` with the box at working resolution, and the working pixels per image
    pixel: a box is rounded to a picture's pixels once (see `source_box`).

    Returns:
        (image28, box, scale, reason); or None, None, None and the reason.
    """
    ink = find_ink(image)
    if ink.blank:
        return None, None, None, BLANK
    values, (left, top) = ink.inked
    # A tiny picture's strokes keep their faint edges, one source pixel (see `components`).
    label_image, kept = components(values, ink.edge_reach)
    if not kept:
        return None, None, None, BLANK
    labels = [row[0] for row in kept]
    if len(labels) == label_image.max():  # every stroke: the ink above the strokes' level
        if ink.edge_reach:
            inked = np.where(label_image > 0, values, 0.0).astype(np.float32)
        else:
            _, inked = cv2.threshold(values, BINARY_LEVEL, 0.0, cv2.THRESH_TOZERO)
    else:
        inked = np.where(is_one_of(label_image, labels), values, 0.0)
    x, y, width, height = ink_box(inked)
    crop = inked[y : y + height, x : x + width]
    problem = shape_problem(crop)
    if problem:
        return None, None, None, problem
    return crop_to_mnist(crop), (left + x, top + y, width, height), ink.scale, None


def to_mnist(image):
    """Converts one digit image to MNIST format.

    Returns:
        (image28, reason): uint8 (28, 28) white on black and None, or None and a short
        reason when there is no digit to read (a blank image, a dot, a dash).
    """
    image28, _, reason = locate_digit(image)
    return image28, reason
