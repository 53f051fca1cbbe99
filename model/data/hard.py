"""Harder synthetic test pictures: the ways real pictures broke the pipeline.

Tight crops (ink touching the frame, tiny, grey levels, either polarity), small blurry photos,
blur that closes loops, thick markers, wide and narrow digits, square straight-stroke digits,
and 8x8 pictures of counted pixels. Made from MNIST test digits (or, for the square ones,
`model.data.segments`), never from USPS or the real pictures, which stay an honest measure.
"""

import cv2
import numpy as np

from model.data import synthetic
from model.data.named_styles import PIXEL_STYLES, styled_ink
from model.data.segments import segment_picture

HARD_SET_NAMES = (
    "tight_crop",
    "small_photo",
    "blurred",
    "thick_marker",
    "wide",
    "square",
    "tiny_8x8",
    "named_styles",
    "filled_16x16",
)
HARD_SET_NOTES = {
    "tight_crop": "Tight crops (ink touching the frame, 12–40 px, grey levels, either polarity)",
    "small_photo": "Small photos (24–64 px crops of a phone photo)",
    "blurred": "Blurred drawings (blur up to 0.6 pen widths)",
    "thick_marker": "Thick markers (pen 16–28% of the digit's height)",
    "wide": "Wide and narrow digits (1.5–2.2x wider or 0.45–0.65x)",
    "square": "Square straight-stroke digits (seven-segment-like)",
    "tiny_8x8": "8x8 pictures made like the UCI digits (4x4 blocks of a 32x32 bitmap counted)",
    "named_styles": "Styles by name: continental 1, crossed 7, tailed 9, slashed or dotted 0",
    "filled_16x16": "Digits stretched to fill a 16x16 box, as some scanners store them",
}


def _grey_picture(coverage, rng):
    """Ink coverage (0-1) as a grey picture: random grey levels, either polarity, some noise."""
    contrast = rng.uniform(70, 230)
    background = (
        rng.uniform(contrast, 255) if rng.random() < 0.7 else rng.uniform(0, 255 - contrast)
    )
    ink = background - contrast if background >= contrast else background + contrast
    image = background + (ink - background) * coverage
    image = image + rng.normal(0, rng.uniform(0, 4), coverage.shape)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def _drawn(digit28, rng, height, pen_fraction):
    """The digit re-drawn `height` px tall with a pen `pen_fraction` of that, coverage 0-1."""
    brush = max(1, int(round(pen_fraction * height)))
    centre_line = synthetic._centre_line(digit28)
    return synthetic._draw(centre_line, height, brush).astype(np.float32) / 255.0


def tight_crop(digit28, rng):
    """A digit cropped to its ink (up to 2 px into it), shrunk to 12-40 px, grey levels."""
    coverage = _drawn(digit28, rng, 160, rng.uniform(0.06, 0.16))
    cut = rng.integers(0, 3, size=4)  # rows or columns cut off each side, at 1/4 scale
    height, width = coverage.shape
    coverage = coverage[cut[0] * 4 : height - cut[1] * 4, cut[2] * 4 : width - cut[3] * 4]
    long_side = int(rng.integers(12, 41))
    scale = long_side / max(coverage.shape)
    size = (max(2, round(coverage.shape[1] * scale)), max(2, round(coverage.shape[0] * scale)))
    return _grey_picture(cv2.resize(coverage, size, interpolation=cv2.INTER_AREA), rng)


def small_photo(digit28, rng):
    """A phone photo of the digit, cropped loosely around it and shrunk to 24-64 px."""
    image, ink = synthetic.photo_pixels(
        digit28, rng, long_side=int(rng.integers(300, 700)), height_fraction=rng.uniform(0.3, 0.6)
    )
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    margin = int(rng.uniform(0.05, 0.3) * (rows[-1] - rows[0]))
    top, left = max(rows[0] - margin, 0), max(columns[0] - margin, 0)
    crop = image[top : rows[-1] + margin + 1, left : columns[-1] + margin + 1]
    scale = int(rng.integers(24, 65)) / max(crop.shape[:2])
    size = (max(2, round(crop.shape[1] * scale)), max(2, round(crop.shape[0] * scale)))
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA)


def blurred(digit28, rng):
    """A drawn digit on a 60-200 px picture, blurred by up to 0.6 pen widths."""
    height = int(rng.integers(45, 150))
    pen = rng.uniform(0.07, 0.14)
    coverage = np.pad(_drawn(digit28, rng, height, pen), int(height * 0.15))
    sigma = rng.uniform(0.3, 0.6) * pen * height
    return _grey_picture(cv2.GaussianBlur(coverage, (0, 0), sigma), rng)


def thick_marker(digit28, rng):
    """A digit drawn with a marker 16-28% of its height, on a 28-160 px canvas."""
    height = int(rng.integers(24, 140))
    coverage = _drawn(digit28, rng, height, rng.uniform(0.16, 0.28))
    return _grey_picture(np.pad(coverage, int(rng.integers(1, 12))), rng)


def wide(digit28, rng):
    """A drawn digit stretched 1.5-2.2x wider, or squeezed to 0.45-0.65 of its width."""
    coverage = _drawn(digit28, rng, int(rng.integers(60, 200)), rng.uniform(0.05, 0.12))
    factor = rng.uniform(1.5, 2.2) if rng.random() < 0.6 else rng.uniform(0.45, 0.65)
    size = (max(2, round(coverage.shape[1] * factor)), coverage.shape[0])
    coverage = cv2.resize(coverage, size, interpolation=cv2.INTER_LINEAR)
    return _grey_picture(np.pad(coverage, int(rng.integers(4, 30))), rng)


def square(digit, rng):
    """A square, straight-stroke digit (`model.data.segments`) drawn 40-200 px tall."""
    coverage = segment_picture(int(digit), rng, height=int(rng.integers(40, 200)))
    return _grey_picture(coverage, rng)


def tiny_8x8(digit28, rng):
    """The digit made the way the UCI optical digits were: its ink as a bitmap (cut at a random
    level), fitted into 32x32 keeping its aspect, each 4x4 block's inked pixels counted; grey
    levels, either polarity."""
    bits = (digit28 > rng.uniform(60, 190)).astype(np.uint8)
    x, y, width, height = cv2.boundingRect(bits)
    side = max(width, height, 1)
    framed = np.zeros((side, side), np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    framed[top : top + height, left : left + width] = bits[y : y + height, x : x + width]
    bitmap = cv2.resize(framed, (32, 32), interpolation=cv2.INTER_NEAREST)
    coverage = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3)).astype(np.float32) / 16.0
    return _grey_picture(coverage, rng)


def named_style(digit28, label, rng):
    """The digit with its named style added (`named_styles.styled_ink`), grey, 28-160 px."""
    ink = cv2.resize(digit28, (84, 84), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    styled = styled_ink(np.clip(ink, 0, 1), int(label), rng)
    coverage = ink if styled is None else styled
    size = int(rng.integers(28, 161))
    coverage = cv2.resize(coverage, (size, size), interpolation=cv2.INTER_AREA)
    return _grey_picture(np.pad(coverage, int(rng.integers(1, 12))), rng)


def filled_16x16(digit28, rng):
    """The digit's ink stretched to fill its whole box, then shrunk to 16x16, grey levels."""
    coverage = _drawn(digit28, rng, 96, rng.uniform(0.08, 0.16))
    filled = cv2.resize(coverage, (14, 14), interpolation=cv2.INTER_AREA)
    return _grey_picture(np.pad(filled, 1), rng)


MAKERS = {
    "tight_crop": tight_crop,
    "small_photo": small_photo,
    "blurred": blurred,
    "thick_marker": thick_marker,
    "wide": wide,
    "tiny_8x8": tiny_8x8,
    "filled_16x16": filled_16x16,
}


def hard_sets(images, labels, count, seed=0, names=HARD_SET_NAMES):
    """Test sets of the harder kinds, `count` pictures each, like `synthetic.realistic_sets`.

    Returns:
        {name: [(image, text), ...]}; item i of a set is made from images[i % len(images)]
        (for "square", digit labels[i % len(labels)] drawn anew).
    """
    images, labels = np.asarray(images), np.asarray(labels)
    sets = {}
    for position, name in enumerate(HARD_SET_NAMES):
        if name not in names:
            continue
        rng = np.random.default_rng([seed, 100 + position])
        items = []
        styled = [np.flatnonzero(labels == label) for label in PIXEL_STYLES]
        styled = [chosen for chosen in styled if len(chosen)] or [np.arange(len(images))]
        for item in range(count):
            index = item % len(images)
            if name == "named_styles":
                chosen = styled[item % len(styled)]
                index = int(chosen[(item // len(styled)) % len(chosen)])
                picture = named_style(images[index], labels[index], rng)
            elif name == "square":
                picture = square(labels[index], rng)
            else:
                picture = MAKERS[name](images[index], rng)
            items.append((picture, str(int(labels[index]))))
        sets[name] = items
    return sets
