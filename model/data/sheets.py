"""Sheets of handwritten numbers composed from pen strokes: the test pages of the page reader.

A sheet holds 1-8 numbers of 1-10 digits each, in rows (several fields on a row, a list, a
table column), of different sizes, with varied spacing and baselines, on plain or ruled paper,
some with a printed label (cv2.putText) beside or above them, scanned (white paper, dark ink) or
photographed (grey, unevenly lit, noisy paper), turned by up to 2 degrees. Each digit is one
writer's strokes (see `model.data.pendigits`) drawn with a round pen.
"""

from dataclasses import dataclass

import cv2
import numpy as np

LABELS = ("Amount", "Total", "Date", "No.", "Account", "Qty", "Phone", "Ref", "Price", "Code")
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)
MARGIN = 40
SHIFT = 4  # cv2 drawing with sub-pixel precision: coordinates in 1/16 px


@dataclass
class Sheet:
    """A composed sheet: the picture, and its numbers in reading order as (text, box)."""

    image: np.ndarray
    numbers: list


def _digit_strokes(digit, height, rng):
    """A pen digit's strokes scaled to `height` (aspect kept, a little slant), and its width."""
    points = np.concatenate(digit.strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.maximum(high - low, 1.0)
    scale = height / span[1]
    slant = rng.uniform(-0.15, 0.15)
    strokes = []
    for stroke in digit.strokes:
        scaled = (stroke - low) * scale
        scaled[:, 0] += slant * (height - scaled[:, 1])
        strokes.append(scaled)
    lows = min(float(stroke[:, 0].min()) for stroke in strokes)
    strokes = [stroke - (lows, 0) for stroke in strokes]
    width = max(float(stroke[:, 0].max()) for stroke in strokes)
    return strokes, width


def _pen(canvas, strokes, origin, pen, ink):
    for stroke in strokes:
        points = np.round((stroke + origin) * (1 << SHIFT)).astype(np.int32)
        cv2.polylines(canvas, [points], False, ink, pen, cv2.LINE_AA, SHIFT)
        for point in points[[0, -1]]:  # round ends
            cv2.circle(canvas, tuple(int(v) for v in point), pen * 8, ink, -1, cv2.LINE_AA, SHIFT)


def _number(rng):
    """A random number's text (1-10 digits) and its height."""
    length = int(rng.integers(1, 11))
    text = "".join(str(int(rng.integers(0, 10))) for _ in range(length))
    return text, float(rng.uniform(28, 72))


def _layout(rng, count):
    """How many numbers each row holds: 1-3."""
    rows, left = [], count
    while left:
        fields = min(left, int(rng.integers(1, 4)))
        rows.append(fields)
        left -= fields
    return rows


def compose_sheet(by_label, rng, count=None):
    """Composes one sheet.

    Args:
        by_label: {digit: [PenDigit, ...]} the strokes to draw from (one writer or several).
        rng: a numpy Generator.
        count: how many numbers (default 1-8 at random).

    Returns:
        A `Sheet` (uint8 RGB picture, numbers top to bottom, then left to right).
    """
    count = count or int(rng.integers(1, 9))
    ruled = rng.random() < 0.5
    labelled = rng.random() < 0.5
    photo = rng.random() < 0.35
    rows = _layout(rng, count)
    tallest = 72.0
    pitch = tallest * rng.uniform(1.7, 2.2)
    placed = []  # (text, box, strokes per digit with origins, pen)
    labels = []  # (text, org, font, scale, thickness)
    width_needed = 0.0
    y_line = MARGIN + pitch
    for fields in rows:
        x = MARGIN + rng.uniform(0, 60)
        room = labelled and rng.random() < 0.3
        if room:
            y_line += pitch * 0.4  # room for labels above
        previous = None
        for _ in range(fields):
            text, height = _number(rng)
            if previous is not None:  # numbers apart by 1.6-3 times the taller one's height
                x += max(previous, height) * rng.uniform(1.6, 3.0)
            previous = height
            label = labelled and rng.random() < 0.6
            above = label and room
            if label and not above:
                label_text = str(rng.choice(LABELS)) + (":" if rng.random() < 0.5 else "")
                font = int(rng.choice(FONTS))
                scale = height * rng.uniform(0.3, 0.5) / 22 * (1.6 if font == FONTS[3] else 1)
                thickness = int(rng.integers(1, 3))
                (label_width, _), _ = cv2.getTextSize(label_text, font, scale, thickness)
                labels.append((label_text, (x, y_line), font, scale, thickness))
                x += label_width + height * rng.uniform(1.2, 2.0)
            pen = max(2, int(round(height * rng.uniform(0.06, 0.11))))
            digits, cursor = [], x
            for character in text:
                digit = by_label[int(character)][int(rng.integers(len(by_label[int(character)])))]
                size = height * rng.uniform(0.9, 1.08)
                strokes, digit_width = _digit_strokes(digit, size, rng)
                baseline = y_line - rng.uniform(-0.06, 0.06) * height
                digits.append((strokes, np.array([cursor, baseline - size])))
                gap = pen + height * rng.uniform(0.03, 0.4)
                cursor += digit_width + gap
            right = cursor - gap
            top = min(origin[1] for _, origin in digits)
            bottom = max(
                origin[1] + max(s[:, 1].max() for s in strokes) for strokes, origin in digits
            )
            box = (x - pen, top - pen, right - x + 2 * pen, bottom - top + 2 * pen)
            if above:
                label_text = str(rng.choice(LABELS))
                font = int(rng.choice(FONTS))
                scale = height * rng.uniform(0.3, 0.45) / 22
                labels.append((label_text, (x, top - height * 0.5), font, scale, 1))
            placed.append((text, box, digits, pen))
            x = right
        width_needed = max(width_needed, x)
        y_line += pitch
    width = int(max(600, width_needed + MARGIN))
    height = int(max(400, y_line - pitch + tallest * 0.5 + MARGIN))
    return _draw(placed, labels, ruled, photo, pitch, (height, width), rng)


def _draw(placed, labels, ruled, photo, pitch, shape, rng):
    paper = float(rng.uniform(170, 225)) if photo else 255.0
    ink = float(rng.uniform(20, 90)) if photo else float(rng.uniform(0, 40))
    canvas = np.full(shape, 255, np.uint8)  # drawn as darkness, then mapped onto the paper
    darkness = np.zeros(shape, np.uint8)
    if ruled:
        tone = int(rng.uniform(60, 140))
        y = pitch * 0.25 + MARGIN
        while y < shape[0]:
            cv2.line(
                darkness, (0, int(y + pitch * 0.75)), (shape[1], int(y + pitch * 0.75)), tone, 1
            )
            y += pitch
    for text, org, font, scale, thickness in labels:
        org = (int(org[0]), int(org[1]))
        cv2.putText(darkness, text, org, font, scale, 255, thickness, cv2.LINE_AA)
    for _, _, digits, pen in placed:
        for strokes, origin in digits:
            _pen(darkness, strokes, origin, pen, 255)
    del canvas
    level = darkness.astype(np.float32) / 255.0
    picture = paper - level * (paper - ink)
    if photo:
        rows, columns = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
        direction = rng.uniform(0, 2 * np.pi)
        ramp = np.cos(direction) * columns / shape[1] + np.sin(direction) * rows / shape[0]
        picture += ramp * rng.uniform(-50, 50)
        picture += rng.normal(0, rng.uniform(2, 6), shape)
        picture = cv2.GaussianBlur(picture, (0, 0), rng.uniform(0.3, 1.0))
    angle = rng.uniform(-2, 2)
    matrix = cv2.getRotationMatrix2D((shape[1] / 2, shape[0] / 2), angle, 1.0)
    border = float(np.median(picture[:5]))
    picture = cv2.warpAffine(
        picture.astype(np.float32), matrix, shape[::-1], borderValue=border, flags=cv2.INTER_LINEAR
    )
    image = np.clip(np.rint(picture), 0, 255).astype(np.uint8)
    image = np.repeat(image[..., None], 3, axis=2)
    if photo:  # a blue-black pen or a warm paper tint
        tint = rng.uniform(0.9, 1.0, 3)
        image = np.clip(image * tint, 0, 255).astype(np.uint8)
    numbers = [(text, _turned(box, matrix)) for text, box, _, _ in placed]
    return Sheet(image, numbers)


def _turned(box, matrix):
    """The box (x, y, w, h) around a box turned by an affine matrix."""
    x, y, width, height = box
    corners = np.array(
        [[x, y, 1], [x + width, y, 1], [x, y + height, 1], [x + width, y + height, 1]]
    )
    moved = corners @ matrix.T
    low, high = moved.min(axis=0), moved.max(axis=0)
    return tuple(int(round(v)) for v in (low[0], low[1], high[0] - low[0], high[1] - low[1]))


def digits_by_label(digits):
    """{label: [PenDigit, ...]} of a list of `PenDigit`s."""
    found = {}
    for digit in digits:
        found.setdefault(digit.label, []).append(digit)
    return found
