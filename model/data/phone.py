"""Phone photos of handwriting as people take them: a page lit unevenly, held at a tilt.

One light side and one dark (a window, a lamp), darker corners (the lens's vignetting), the
soft edge of a hand's or a phone's shadow, the page turned and seen in perspective (sometimes
with the desk showing in a corner), blur, sensor noise and JPEG. The writing: one digit or a
number of 2-4, small or filling most of the picture, in pencil, ballpoint or marker, dark,
coloured (blue, red, green) or pencil grey, on white or grey paper. Made from MNIST test
digits' centre lines (`model.data.synthetic`), never from the real pictures.

Pure numpy/OpenCV/Pillow; deterministic for a `numpy.random.Generator`.
"""

import io

import cv2
import numpy as np
from PIL import Image

from model.data import synthetic

PHONE_SET_NAMES = ("phone_photo", "phone_number")
PHONE_SET_NOTES = {
    "phone_photo": "Phone photos of one digit: light from one side, dark corners, a shadow's "
    "edge, tilt, blur, JPEG; pencil, pen or marker, dark or coloured",
    "phone_number": "Phone photos of a 2–4 digit number, lit and tilted the same ways",
}
PENS = ("pencil", "ballpoint", "marker")
INKS = {  # RGB reflectance of each ink, 0-1
    "black": (0.09, 0.09, 0.1),
    "blue": (0.1, 0.15, 0.45),
    "red": (0.6, 0.1, 0.1),
    "green": (0.1, 0.4, 0.15),
}
PEN_WIDTHS = {"pencil": (0.02, 0.04), "ballpoint": (0.04, 0.08), "marker": (0.1, 0.17)}


def _writing(digits28, rng, height, pen_fraction):
    """Coverage 0-1 of the digits written side by side `height` px tall, one pen."""
    pen = max(2, int(round(pen_fraction * height)))
    patches = [
        synthetic._draw(synthetic._centre_line(digit), height * rng.uniform(0.9, 1.1), pen)
        for digit in digits28
    ]
    gaps = [int(rng.uniform(0.25, 0.6) * height) for _ in patches[1:]]
    width = sum(patch.shape[1] for patch in patches) + sum(gaps)
    tallest = max(patch.shape[0] for patch in patches)
    coverage = np.zeros((tallest + 2, width + 2), np.float32)
    left = 1
    for position, patch in enumerate(patches):
        top = 1 + int(rng.integers(0, tallest - patch.shape[0] + 1))
        coverage[top : top + patch.shape[0], left : left + patch.shape[1]] = patch / 255.0
        left += patch.shape[1] + (gaps[position] if position < len(gaps) else 0)
    return coverage, pen


def _page(shape, rng, tone):
    """Paper (H, W, 3) of a base `tone` with a slight colour cast, blotches and grain."""
    height, width = shape
    cells = (max(2, height // 120), max(2, width // 120))
    blotches = cv2.resize(rng.normal(0, 1, cells).astype(np.float32), (width, height))
    grain = rng.standard_normal(shape, dtype=np.float32)
    paper = tone * (1 + rng.uniform(0.005, 0.02) * blotches + rng.uniform(0.003, 0.01) * grain)
    cast = (1.0 + rng.uniform(-0.04, 0.04, size=3)).astype(np.float32)
    return paper[..., None] * cast


def _ink(page, coverage, pen_kind, colour, rng):
    """The page with the writing on it: pencil lighter and grainy, other pens nearly opaque."""
    if pen_kind == "pencil":
        reflectance = np.full(3, rng.uniform(0.3, 0.45), np.float32)
        grain = rng.uniform(0.75, 1.0, coverage.shape).astype(np.float32)
        opacity = coverage * cv2.GaussianBlur(grain, (0, 0), 1.0) * rng.uniform(0.85, 1.0)
    else:
        reflectance = np.asarray(INKS[colour], np.float32) * rng.uniform(0.8, 1.2)
        opacity = coverage * rng.uniform(0.9, 1.0)
    mixed = page * (1 - opacity[..., None]) + page * reflectance * opacity[..., None]
    return mixed.astype(np.float32)


def _light(shape, rng):
    """Illumination (0-1, H x W): a bright and a dark side, darker corners and a shadow's
    soft edge, each at random strength (at least one of them clear)."""
    height, width = shape
    rows, columns = np.mgrid[0:height:8, 0:width:8].astype(np.float32)
    longest = max(height, width)
    x, y = (columns - width / 2) / longest, (rows - height / 2) / longest
    kinds = rng.random(3) < 0.7
    kinds[int(rng.integers(3))] = True
    light = np.ones_like(x)
    if kinds[0]:  # one side brighter: 15-50% darker on the other
        angle = rng.uniform(0, 2 * np.pi)
        ramp = x * np.cos(angle) + y * np.sin(angle)
        ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
        light *= 1 - rng.uniform(0.15, 0.5) * ramp
    if kinds[1]:  # the corners 15-50% darker than the middle
        radius = (x**2 + y**2) / max(float((x**2 + y**2).max()), 1e-6)
        light *= 1 - rng.uniform(0.15, 0.5) * radius**1.5
    if kinds[2]:  # a shadow's edge, soft over 2-10% of the picture, 20-45% dark
        normal = rng.uniform(0, 2 * np.pi)
        offset = rng.uniform(-0.3, 0.3)
        distance = x * np.cos(normal) + y * np.sin(normal) - offset
        shade = 1 / (1 + np.exp(-distance / rng.uniform(0.02, 0.1)))
        light *= 1 - rng.uniform(0.2, 0.45) * shade
    return cv2.resize(light, (width, height), interpolation=cv2.INTER_LINEAR)


def _tilt(width, height, rng):
    """(homography, zoom): a turn of up to 12 degrees and a perspective tilt about the
    centre, zoomed in 15-25% (the page fills most of the frame) or, a quarter of the time,
    out 3-10% (the desk shows around the page)."""
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    zoom = rng.uniform(0.9, 0.97) if rng.random() < 0.25 else rng.uniform(1.15, 1.25)
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), rng.uniform(-12, 12), zoom)
    moved = corners @ turn[:, :2].T + turn[:, 2]
    moved += rng.uniform(-0.04, 0.04, size=(4, 2)) * [width, height]
    return cv2.getPerspectiveTransform(corners, moved.astype(np.float32)), zoom


def phone_pixels(digits28, rng, long_side=None, height_fraction=None, pen=None, ink=None):
    """A phone photo of digits written on paper, upright, as RGB pixels.

    Args:
        digits28: uint8 (28, 28) MNIST digits (white on black), written left to right.
        rng: a `numpy.random.Generator`.
        long_side: the picture's longer side; default 480-1600 px.
        height_fraction: the writing's height over the picture's; default 0.25-0.85 for one
            digit, 0.2-0.5 for a number (the writing also fits 85% of the width).
        pen: one of PENS; default at random.
        ink: one of INKS (ignored for a pencil); default black half the time, else a colour.

    Returns:
        uint8 (H, W, 3).
    """
    if long_side is None:
        long_side = int(rng.integers(480, 1601))
    short_side = int(round(long_side / rng.choice([4 / 3, 16 / 9, 1.0])))
    width, height = (short_side, long_side) if rng.random() < 0.5 else (long_side, short_side)
    if height_fraction is None:
        height_fraction = rng.uniform(0.25, 0.85) if len(digits28) == 1 else rng.uniform(0.2, 0.5)
    pen = pen or str(rng.choice(PENS))
    ink = ink or ("black" if rng.random() < 0.5 else str(rng.choice(list(INKS)[1:])))
    coverage, _ = _writing(digits28, rng, height_fraction * height, rng.uniform(*PEN_WIDTHS[pen]))
    homography, zoom = _tilt(width, height, rng)
    # The writing, once photographed, fits in the frame: 80% of the zoomed width or height.
    fit = min(0.8 * width / zoom / coverage.shape[1], 0.8 * height / zoom / coverage.shape[0])
    if fit < 1.0:
        size = (max(1, round(coverage.shape[1] * fit)), max(1, round(coverage.shape[0] * fit)))
        coverage = cv2.resize(coverage, size, interpolation=cv2.INTER_AREA)
    margin = int(0.04 * min(width, height))  # writing keeps off the page's own edge
    coverage = np.pad(coverage, margin)
    top, left = synthetic._place_on_page(coverage * 255, width, height, homography, rng)
    sheet = np.zeros((height, width), np.float32)
    sheet[top : top + coverage.shape[0], left : left + coverage.shape[1]] = coverage
    tone = rng.uniform(0.7 if pen == "pencil" else 0.55, 0.95)
    page = _ink(_page((height, width), rng, tone), sheet, pen, ink, rng)
    # Beyond the page: the desk (dark, or a white table), or more of the same paper.
    beyond = rng.uniform(0.1, 0.35) if rng.random() < 0.8 else rng.uniform(0.97, 1.0)
    if zoom > 1:
        beyond = tone
    image = cv2.warpPerspective(
        page,
        homography,
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(beyond,) * 3,
    )
    image *= _light((height, width), rng)[..., None] * 255.0 * rng.uniform(1.0, 1.15)
    sigma = rng.uniform(0.5, 2.0) * max(1.0, long_side / 1000)
    image = cv2.GaussianBlur(image, (0, 0), sigma)
    image += rng.uniform(1.0, 4.0) * rng.standard_normal((height, width, 1), dtype=np.float32)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def phone_photo(digits28, rng, quality=None, **options):
    """`phone_pixels` saved as a JPEG (quality 35-90 by default); returns the file's bytes."""
    pixels = phone_pixels(digits28, rng, **options)
    buffer = io.BytesIO()
    quality = int(rng.integers(35, 91)) if quality is None else quality
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def phone_sets(images, labels, count, seed=0, names=PHONE_SET_NAMES):
    """The phone-photo test sets, `count` pictures each, like `synthetic.realistic_sets`.

    Returns:
        {name: [(JPEG bytes, text), ...]}: "phone_photo" item i is images[i % len(images)];
        "phone_number" items are 2-4 random test digits (the first not 0).
    """
    images, labels = np.asarray(images), np.asarray(labels)
    sets = {}
    for position, name in enumerate(PHONE_SET_NAMES):
        if name not in names:
            continue
        rng = np.random.default_rng([seed, 200 + position])
        items = []
        for item in range(count):
            if name == "phone_photo":
                indices = [item % len(images)]
            else:
                first = rng.choice(np.flatnonzero(labels != 0))
                indices = [int(first), *rng.integers(0, len(images), int(rng.integers(1, 4)))]
            text = "".join(str(int(labels[index])) for index in indices)
            items.append((phone_photo([images[index] for index in indices], rng), text))
        sets[name] = items
    return sets
