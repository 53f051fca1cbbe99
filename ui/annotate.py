"""Boxes and digits drawn over a picture, to show what was read where. Pure OpenCV."""

import cv2
import numpy as np

from model.inference.image_io import enlarged_sharp, fit_within

SURE = (46, 160, 67)  # green
UNSURE = (228, 87, 46)  # orange
SHOWN_AT_LEAST = 280  # smaller pictures (a 28x28 MNIST file, an 8x8 digit) are enlarged to this


def _rgb(image):
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        white = np.full_like(image[:, :, :3], 255, dtype=np.float32)
        return (image[:, :, :3] * alpha + white * (1 - alpha)).astype(np.uint8)
    return image.copy()


def _shown_size(picture, longest_side):
    """The picture at most `longest_side` px; a small one enlarged by a whole factor until its
    short side reaches SHOWN_AT_LEAST px, pixels kept sharp (a box and its label would cover
    it, and a browser blurs what it enlarges)."""
    enlarged = enlarged_sharp(picture, SHOWN_AT_LEAST, longest_side)
    return fit_within(picture, longest_side) if enlarged is picture else enlarged


def annotate(image, reading, longest_side=1000):
    """An RGB copy of `image`, at most `longest_side` px (at least SHOWN_AT_LEAST), with a
    labelled box per digit.

    Args:
        image: uint8 (H, W), (H, W, 3) or (H, W, 4), the picture `reading` was made from.
        reading: a `model.Reading` whose boxes are in `image`'s pixels.
        longest_side: the size of the copy.

    Returns:
        uint8 (h, w, 3). Uncertain digits are boxed in orange with a "?".
    """
    picture = _shown_size(_rgb(np.asarray(image)), longest_side)
    scale = picture.shape[1] / image.shape[1]
    for digit in reading.digits:
        label = f"{digit.digit}?" if digit.uncertain else str(digit.digit)
        _labelled_box(picture, digit.box, scale, label, UNSURE if digit.uncertain else SURE)
    return picture


def annotate_page(image, page, longest_side=1000):
    """An RGB copy of `image` (as for `annotate`) with a box per number of a sheet, labelled
    with its place in reading order and its text.

    Args:
        image: uint8 (H, W), (H, W, 3) or (H, W, 4), the picture `page` was read from.
        page: a `model.inference.page.Page` whose boxes are in `image`'s pixels.
        longest_side: the size of the copy.

    Returns:
        uint8 (h, w, 3). Uncertain numbers are boxed in orange with a "?".
    """
    picture = _shown_size(_rgb(np.asarray(image)), longest_side)
    scale = picture.shape[1] / image.shape[1]
    for place, number in enumerate(page.numbers, start=1):
        label = f"{place}: {number.text}" + ("?" if number.uncertain else "")
        _labelled_box(picture, number.box, scale, label, UNSURE if number.uncertain else SURE)
    return picture


def _labelled_box(picture, box, scale, label, color):
    """Draws a box (x, y, w, h in source pixels, times `scale`) with its label above it."""
    line = max(2, round(max(picture.shape[:2]) / 250))
    x, y, width, height = (round(value * scale) for value in box)
    cv2.rectangle(picture, (x, y), (x + width, y + height), color, line)
    font_scale = max(0.6, height / 160)
    (text_width, text_height), _ = cv2.getTextSize(
        label, cv2.FONT_HERSHEY_SIMPLEX, font_scale, line
    )
    top = max(0, y - text_height - 2 * line)
    cv2.rectangle(
        picture, (x, top), (x + text_width + 2 * line, top + text_height + 2 * line), color, -1
    )
    cv2.putText(
        picture,
        label,
        (x + line, top + text_height + line),
        cv2.FONT_HERSHEY_SIMPLEX,
        font_scale,
        (255, 255, 255),
        line,
        cv2.LINE_AA,
    )
