"""Turning a drawing into an MNIST-format digit, the way MNIST itself was made.

MNIST digits are white on black, fitted into a 20x20 box with the aspect ratio kept
(anti-aliased), then placed in a 28x28 image so that their centre of mass is at the centre.
Pure numpy/OpenCV: no model, no Streamlit.
"""

import cv2
import numpy as np

from model.image_io import fit_within

PREPROCESSING_VERSION = "1"
MNIST_SIZE = 28
BOX_SIZE = 20
# Median stroke width of MNIST test digits, as a fraction of the 20-px box (2.25 px / 20).
MNIST_STROKE_FRACTION = 0.11
THIN_STROKE_FRACTION = 0.07
WORKING_SIZE = 1000  # larger images are shrunk to this before any other work
MIN_CONTRAST = 40  # ink must differ from the background by this much (of 255)
INK_FLOOR = 0.1  # ink weaker than this fraction of the strongest ink is background


def to_gray(image):
    """Grayscale float image from (H, W), (H, W, 3) or (H, W, 4) uint8.

    Transparent pixels are composited onto a background that contrasts with the opaque
    content, so ink drawn only in alpha (a canvas, a transparent PNG) stays visible.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image.astype(np.float32)
    rgb = image[:, :, :3].astype(np.float32)
    gray = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if image.shape[2] == 3:
        return gray
    alpha = image[:, :, 3].astype(np.float32) / 255.0
    if alpha.min() >= 0.99:
        return gray
    weight = alpha.sum()
    content_is_dark = weight > 0 and (gray * alpha).sum() / weight < 128
    background = 255.0 if content_is_dark else 0.0
    return gray * alpha + background * (1.0 - alpha)


def ink_map(image):
    """Ink intensity in [0, 1] (1 = full ink), polarity decided from the image itself.

    The background level is the median of the border; pixels are ink by how far they are
    from it, so black-on-white and white-on-black read the same.

    Returns:
        (ink, contrast): float32 (H, W) ink, and the strongest ink's distance from the
        background in 0-255.
    """
    gray = fit_within(to_gray(image), WORKING_SIZE)
    edge = max(1, min(gray.shape) // 50)
    border = np.concatenate(
        [gray[:edge].ravel(), gray[-edge:].ravel(), gray[:, :edge].ravel(), gray[:, -edge:].ravel()]
    )
    background = float(np.median(border))
    ink = (background - gray) if background >= 128 else (gray - background)
    contrast = float(ink.max(initial=0))
    if contrast <= 0:
        return np.zeros_like(gray), 0.0
    ink = np.clip(ink / contrast, 0.0, 1.0)
    ink[ink < INK_FLOOR] = 0.0
    return ink, contrast


def stroke_width(mask):
    """Average stroke width of a binary mask in pixels: 2 x area / perimeter."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, True) for contour in contours)
    return 2.0 * float(mask.sum()) / perimeter if perimeter else 0.0


def thicken_thin_strokes(crop):
    """Dilates a crop whose strokes would vanish or look hair-thin once shrunk to 20 px."""
    size = max(crop.shape)
    width = stroke_width(crop > 0.5)
    if width == 0 or width >= THIN_STROKE_FRACTION * size:
        return crop
    radius = int(round((MNIST_STROKE_FRACTION * size - width) / 2))
    if radius < 1:
        return crop
    padded = cv2.copyMakeBorder(crop, radius, radius, radius, radius, cv2.BORDER_CONSTANT, value=0)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(padded, kernel)


def fit_box(crop, box=BOX_SIZE):
    """Scales the crop so its longer side is `box` pixels, keeping the aspect ratio."""
    height, width = crop.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return np.clip(cv2.resize(crop, size, interpolation=interpolation), 0.0, 1.0)


def place_by_center_of_mass(patch, size=MNIST_SIZE):
    """Puts the patch in a size x size image with its centre of mass at the centre.

    The shift is capped so the whole patch stays inside: a long stroke is never cut off.
    """
    height, width = patch.shape
    total = patch.sum()
    if total > 0:
        rows, cols = np.indices(patch.shape)
        center_y, center_x = (rows * patch).sum() / total, (cols * patch).sum() / total
    else:
        center_y, center_x = (height - 1) / 2, (width - 1) / 2
    top = int(np.clip(round((size - 1) / 2 - center_y), 0, size - height))
    left = int(np.clip(round((size - 1) / 2 - center_x), 0, size - width))
    canvas = np.zeros((size, size), dtype=np.float32)
    canvas[top : top + height, left : left + width] = patch
    return canvas


def to_mnist(image):
    """Converts one digit image to MNIST format.

    Args:
        image: uint8 (H, W), (H, W, 3) or (H, W, 4); any size, either polarity.

    Returns:
        (image28, reason): uint8 (28, 28) white on black and None, or None and a short
        reason when there is no digit to read (a blank image).
    """
    ink, contrast = ink_map(image)
    if contrast < MIN_CONTRAST or not (ink > 0.5).any():
        return None, "blank: no ink found"
    rows = np.flatnonzero((ink > 0.25).any(axis=1))
    cols = np.flatnonzero((ink > 0.25).any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    crop = thicken_thin_strokes(crop)
    patch = fit_box(crop)
    canvas = place_by_center_of_mass(patch)
    peak = canvas.max()
    return np.round(canvas * (255.0 / peak)).astype(np.uint8), None
