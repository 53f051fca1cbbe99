"""Realistic test images made from MNIST digits: canvas drawings, pixel art, photos, numbers.

A digit is re-drawn from its skeleton (its one-pixel centre line) with a new pen, so one MNIST
test digit becomes a 2-px mouse line on a 1000-px canvas, a 40-px brush stroke, a 16-px
paint-program icon or a ballpoint line on a photographed page. The images check that
preprocessing and the network read real-world input, not just MNIST.

Everything is deterministic given a `numpy.random.Generator`. Pure numpy/OpenCV/Pillow.
"""

import io

import cv2
import numpy as np
from PIL import Image

CANVAS_SIZES = (200, 280, 400, 600, 1000)
CANVAS_STYLES = ("white", "transparent", "black", "colour", "gray")
PIXEL_ART_SIZES = (16, 20, 24, 28, 32, 36, 40)
SET_NAMES = ("canvas", "pixel_art", "photo", "numbers")
SYNTHETIC_SET_NOTES = {
    "canvas": "Canvas drawings (pen 2–40 px, canvas 200–1000 px, any colours or alpha)",
    "pixel_art": "Pixel art (16–40 px, hard edges, either polarity)",
    "photo": "Photos of pen on paper (JPEG, 600–3000 px)",
    "numbers": "Numbers of 3–5 digits, read exactly by `read`",
}
WORK_SCALE = 8  # MNIST digits are thinned at 8x their size (about 160 px tall)
EXIF_ORIENTATION = 0x0112
# Quarter turns (np.rot90's k) that store an upright picture under each EXIF orientation.
ORIENTATION_TURNS = {1: 0, 3: 2, 6: 1, 8: -1}
LUMA = np.array([0.299, 0.587, 0.114])

# Neighbours P2..P9 of Zhang and Suen: clockwise from north, as (row, column) offsets.
NEIGHBOURS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))


def _neighbours(image):
    """The eight shifted views P2..P9 of a zero-padded image, each the size of its interior."""
    height, width = image.shape
    return [image[1 + dy : height - 1 + dy, 1 + dx : width - 1 + dx] for dy, dx in NEIGHBOURS]


def _zhang_suen_pass(image):
    """One Zhang-Suen iteration (its two sub-steps) in place; returns the pixels removed."""
    removed = 0
    for step in (0, 1):
        p2, p3, p4, p5, p6, p7, p8, p9 = ring = _neighbours(image)
        count = sum(ring)
        following = ring[1:] + ring[:1]
        transitions = sum((a == 0) & (b == 1) for a, b in zip(ring, following, strict=True))
        if step == 0:
            side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
        else:
            side = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
        interior = image[1:-1, 1:-1]
        delete = (interior == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & side
        interior[delete] = 0
        removed += int(delete.sum())
    return removed


def _staircase_pass(image):
    """Removes pixels that only thicken a diagonal: not line ends, and not needed to connect."""
    removed = 0
    for row_parity in (0, 1):
        for column_parity in (0, 1):
            ring = _neighbours(image)
            p2, p3, p4, p5, p6, p7, p8, p9 = (1 - p for p in ring)
            # The 8-connectivity number: how many separate pieces of line meet at the pixel.
            crossings = (
                (p2 - p2 * p3 * p4)
                + (p4 - p4 * p5 * p6)
                + (p6 - p6 * p7 * p8)
                + (p8 - p8 * p9 * p2)
            )
            interior = image[1:-1, 1:-1]
            rows, columns = np.indices(interior.shape)
            # Pixels of one parity class are never neighbours, so removing them together is safe.
            subfield = (rows % 2 == row_parity) & (columns % 2 == column_parity)
            delete = (interior == 1) & (sum(ring) >= 2) & (crossings == 1) & subfield
            interior[delete] = 0
            removed += int(delete.sum())
    return removed


def skeleton(mask):
    """One-pixel-wide centre line of a binary mask.

    Zhang-Suen thinning, then removal of the staircase pixels it leaves on diagonals. Lines
    keep their ends, loops stay loops, and connected shapes stay connected (8-connectivity).

    Args:
        mask: (H, W) array; nonzero is foreground.

    Returns:
        bool (H, W) skeleton.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"skeleton needs a 2-D mask, not shape {mask.shape}")
    image = np.pad(mask != 0, 1).astype(np.int32)
    while _zhang_suen_pass(image):
        pass
    while _staircase_pass(image):
        pass
    return image[1:-1, 1:-1].astype(bool)


def _centre_line(digit28):
    """The digit's skeleton as a graph, smoothed: points (N, 2) as x, y and edges (M, 2)."""
    digit = np.asarray(digit28, dtype=np.float32)
    if digit.ndim != 2 or digit.max(initial=0) <= 0:
        raise ValueError(f"a digit must be a 2-D image with some ink, not shape {digit.shape}")
    ink = digit / digit.max()
    rows = np.flatnonzero((ink > 0.25).any(axis=1))
    columns = np.flatnonzero((ink > 0.25).any(axis=0))
    crop = np.pad(ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1], 1)
    large = cv2.resize(crop, None, fx=WORK_SCALE, fy=WORK_SCALE, interpolation=cv2.INTER_CUBIC)
    thin = skeleton(large > 0.4)
    ys, xs = np.nonzero(thin)
    index = np.full(thin.shape, -1)
    index[ys, xs] = np.arange(len(xs))
    padded = np.pad(thin, 1)
    edges = []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        linked = padded[ys + 1 + dy, xs + 1 + dx]
        if dy and dx:
            # A diagonal step is only drawn where no corner pixel already links the two.
            linked &= ~padded[ys + 1, xs + 1 + dx] & ~padded[ys + 1 + dy, xs + 1]
        start = np.flatnonzero(linked)
        edges.append(np.stack([start, index[ys[start] + dy, xs[start] + dx]], axis=1))
    edges = np.concatenate(edges)
    degree = np.bincount(edges.ravel(), minlength=len(xs))
    lonely = np.flatnonzero(degree == 0)
    edges = np.concatenate([edges, np.stack([lonely, lonely], axis=1)])
    points = np.stack([xs, ys], axis=1).astype(np.float64)
    # Laplacian smoothing along the line turns pixel staircases into smooth curves; ends and
    # junctions stay where they are.
    inner = degree == 2
    for _ in range(4):
        total = np.zeros_like(points)
        np.add.at(total, edges[:, 0], points[edges[:, 1]])
        np.add.at(total, edges[:, 1], points[edges[:, 0]])
        neighbours_mean = total[inner] / 2
        points[inner] = 0.5 * points[inner] + 0.5 * neighbours_mean
    return points, edges


def _draw(centre_line, height, brush, max_width=None, antialias=True):
    """Draws a centre line with a round pen.

    Args:
        centre_line: (points, edges) from `_centre_line`.
        height: wanted height of the ink in pixels, pen included.
        brush: pen width in pixels.
        max_width: the ink is drawn smaller if it would be wider than this.
        antialias: a soft one-pixel edge, or hard pixels (a paint program's pencil).

    Returns:
        uint8 ink coverage (0-255), cropped to the ink.
    """
    points, edges = centre_line
    extent = np.maximum(np.ptp(points, axis=0), 1.0)
    scale = max(height - brush, 1.0) / extent[1]
    if max_width is not None:
        scale = min(scale, max(max_width - brush - 2, 1.0) / extent[0])
    margin = int(np.ceil(brush / 2)) + 2
    placed = (points - points.min(axis=0)) * scale + margin
    width, height = np.ceil(placed.max(axis=0) + margin).astype(int)
    path = np.zeros((height, width), dtype=np.uint8)
    cv2.polylines(path, list(np.round(placed[edges]).astype(np.int32)), False, 255)
    if antialias:
        # Coverage by distance from the path: exactly `brush` wide (OpenCV's thick lines only
        # come in odd widths), round ends, and a one-pixel soft edge.
        distance = cv2.distanceTransform(255 - path, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        ink = np.round(np.clip(brush / 2 + 0.5 - distance, 0, 1) * 255).astype(np.uint8)
    elif brush > 1:
        ink = cv2.dilate(path, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (brush, brush)))
    else:
        ink = path
    rows = np.flatnonzero(ink.any(axis=1))
    columns = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]


def _paste(patch, shape, top, left):
    layer = np.zeros(shape, dtype=np.float32)
    layer[top : top + patch.shape[0], left : left + patch.shape[1]] = patch / 255.0
    return layer


def _colour(rng, light):
    """A random light (pale) or dark (saturated) RGB colour, float 0-255."""
    hue = rng.uniform(0, 180)
    saturation = rng.uniform(0.0, 0.3) if light else rng.uniform(0.5, 1.0)
    value = rng.uniform(0.88, 1.0) if light else rng.uniform(0.15, 0.5)
    hsv = np.array([[[hue, saturation * 255, value * 255]]], dtype=np.float32)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)[0, 0].astype(np.float64)


def _contrasting_colours(rng, dark_ink):
    """(ink, background) RGB colours whose brightness differs by at least 90 of 255."""
    for _ in range(50):
        dark, light = _colour(rng, light=False), _colour(rng, light=True)
        if light @ LUMA - dark @ LUMA >= 90:
            break
    else:
        dark, light = np.zeros(3), np.full(3, 255.0)
    return (dark, light) if dark_ink else (light, dark)


def _blend(coverage, ink, background):
    """Mixes two colours by ink coverage; 3 channels for RGB colours, else grayscale."""
    coverage = coverage[..., None] if np.ndim(ink) else coverage
    image = np.asarray(background) * (1.0 - coverage) + np.asarray(ink) * coverage
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def _canvas_style(coverage, style, rng):
    height, width = coverage.shape
    if style == "white":
        rgb = _blend(coverage, (0.0, 0.0, 0.0), (255.0, 255.0, 255.0))
        return np.dstack([rgb, np.full((height, width), 255, dtype=np.uint8)])
    if style == "transparent":
        alpha = np.round(coverage * 255).astype(np.uint8)
        return np.dstack([np.zeros((height, width, 3), dtype=np.uint8), alpha])
    if style == "black":
        return _blend(coverage, (255.0, 255.0, 255.0), (0.0, 0.0, 0.0))
    if style == "colour":
        ink, background = _contrasting_colours(rng, dark_ink=True)
        return _blend(coverage, ink, background)
    if style == "gray":
        dark, light = rng.uniform(0, 60), rng.uniform(200, 255)
        return (
            _blend(coverage, dark, light) if rng.random() < 0.5 else _blend(coverage, light, dark)
        )
    raise ValueError(f"unknown canvas style {style!r}; choose from {CANVAS_STYLES}")


def canvas_digit(digit28, rng, canvas_size=None, height_fraction=None, brush=None, style=None):
    """The digit as if drawn with a mouse on a drawing canvas.

    Args:
        digit28: uint8 (28, 28) MNIST digit, white on black.
        rng: a `numpy.random.Generator`.
        canvas_size: an int for a square canvas or (width, height); default one of
            CANVAS_SIZES, sometimes with a different height (0.5-1.5x).
        height_fraction: height of the ink over the canvas height; default 0.25-0.9. The ink
            is drawn smaller when it would not fit the canvas width.
        brush: pen width in pixels; default 2-40 (log-uniform), at most 25% of the ink
            height (thicker pens close the loops of a small 8).
        style: one of CANVAS_STYLES: "white" (RGBA, black ink on opaque white),
            "transparent" (RGBA, RGB all zero, ink only in alpha), "black" (RGB, white ink on
            black), "colour" (RGB, dark coloured ink on a pale colour), "gray" (H, W, either
            polarity). Default: one at random.

    Returns:
        uint8 (H, W, 4), (H, W, 3) or (H, W), the ink anywhere fully inside.
    """
    if canvas_size is None:
        width = height = int(rng.choice(CANVAS_SIZES))
        if rng.random() < 0.3:
            height = int(round(width * rng.uniform(0.5, 1.5)))
    elif np.ndim(canvas_size) == 0:
        width = height = int(canvas_size)
    else:
        width, height = (int(side) for side in canvas_size)
    if height_fraction is None:
        height_fraction = rng.uniform(0.25, 0.9)
    digit_height = height_fraction * height
    if brush is None:
        largest = max(2.0, min(40.0, 0.25 * digit_height))
        brush = int(round(np.exp(rng.uniform(np.log(2.0), np.log(largest)))))
    if style is None:
        style = str(rng.choice(CANVAS_STYLES))
    patch = _draw(_centre_line(digit28), digit_height, brush, max_width=width - 2)
    top = int(rng.integers(0, height - patch.shape[0] + 1))
    left = int(rng.integers(0, width - patch.shape[1] + 1))
    return _canvas_style(_paste(patch, (height, width), top, left), style, rng)


def _pixel_art_look(mask, rng):
    """Two-colour picture of a mask: gray, RGB, coloured or RGBA with a transparent background."""
    dark_ink = rng.random() < 0.7
    look = rng.choice(["gray", "rgb", "colour", "transparent"])
    if look == "colour":
        ink, background = _contrasting_colours(rng, dark_ink)
    else:
        ink, background = (np.zeros(3), np.full(3, 255.0))[:: 1 if dark_ink else -1]
    if look == "gray":
        return np.where(mask, ink[0], background[0]).astype(np.uint8)
    image = np.where(mask[..., None], ink, background).astype(np.uint8)
    if look != "transparent":
        return image
    # Paint programs leave the hidden colour of transparent pixels black or white.
    image[~mask] = 0 if rng.random() < 0.5 else 255
    return np.dstack([image, np.where(mask, 255, 0).astype(np.uint8)])


def _pixel_mask(digit28, height, max_width, pencil, threshold):
    """Hard-edged ink `height` px tall: a `pencil`-px line, or (pencil 0) the digit shrunk.

    The shrunk digit is thresholded at `threshold` of its peak.
    """
    if pencil:
        line = _centre_line(digit28)
        return _draw(line, height, pencil, max_width=max_width, antialias=False) > 0
    digit = np.asarray(digit28, dtype=np.float32)
    rows = np.flatnonzero((digit > 64).any(axis=1))
    columns = np.flatnonzero((digit > 64).any(axis=0))
    crop = digit[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    scale = min(height / crop.shape[0], max_width / crop.shape[1])
    shape = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    shrunk = cv2.resize(crop, shape, interpolation=cv2.INTER_AREA)
    return shrunk > threshold * shrunk.max()


def pixel_art(digit28, rng, size=None, height_fraction=None):
    """The digit as a tiny hard-edged picture, as drawn in a paint program.

    Either a pencil line (1-2 px, no anti-aliasing) along the digit's centre line, or the
    digit shrunk and thresholded. Only two colours: ink and background.

    Args:
        digit28: uint8 (28, 28) MNIST digit, white on black.
        rng: a `numpy.random.Generator`.
        size: an int for a square picture or (width, height); default one of
            PIXEL_ART_SIZES, sometimes a few pixels wider or narrower.
        height_fraction: height of the ink over the picture height; default 0.6-0.95.

    Returns:
        uint8 (H, W), (H, W, 3) or (H, W, 4) (transparent background), either polarity,
        the digit anywhere fully inside; in 80% of pictures it does not touch the edge.
    """
    if size is None:
        width = height = int(rng.choice(PIXEL_ART_SIZES))
        if rng.random() < 0.2:
            width = int(np.clip(width + rng.integers(-6, 9), 16, 48))
    elif np.ndim(size) == 0:
        width = height = int(size)
    else:
        width, height = (int(side) for side in size)
    if height_fraction is None:
        height_fraction = rng.uniform(0.6, 0.95)
    margin = 1 if rng.random() < 0.8 else 0
    room_height, room_width = height - 2 * margin, width - 2 * margin
    pencil = int(rng.choice([0, 1, 2], p=[0.5, 0.3, 0.2]))  # 0: shrunk, not a pencil line
    threshold = rng.uniform(0.3, 0.5)
    ink_height = min(round(height_fraction * height), room_height)
    mask = _pixel_mask(digit28, ink_height, room_width, pencil, threshold)
    # Rounding can make a line a pixel taller than asked: draw it smaller until it fits.
    while (mask.shape[0] > room_height or mask.shape[1] > room_width) and ink_height > 4:
        ink_height -= 1
        mask = _pixel_mask(digit28, ink_height, room_width, pencil, threshold)
    top = int(rng.integers(margin, height - mask.shape[0] - margin + 1))
    left = int(rng.integers(margin, width - mask.shape[1] - margin + 1))
    return _pixel_art_look(_paste(mask * 255.0, (height, width), top, left) > 0.5, rng)


def _camera_homography(width, height, rng):
    """A small rotation (up to 8 degrees) and a mild perspective tilt, about the centre."""
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), rng.uniform(-8, 8), 1.0)
    moved = corners @ rotation[:, :2].T + rotation[:, 2]
    moved += rng.uniform(-0.03, 0.03, size=(4, 2)) * [width, height]
    return cv2.getPerspectiveTransform(corners, moved.astype(np.float32))


def _warp_points(points, homography):
    return cv2.perspectiveTransform(np.asarray(points, np.float32)[None], homography)[0]


def _place_on_page(patch, width, height, homography, rng):
    """(top, left) for the ink so that, once photographed, it lies fully inside the image."""
    patch_height, patch_width = patch.shape
    margin = 0.02 * min(width, height)
    for _ in range(100):
        top = int(rng.integers(0, height - patch_height + 1))
        left = int(rng.integers(0, width - patch_width + 1))
        box = [[left, top], [left + patch_width, top], [left, top + patch_height]]
        box.append([left + patch_width, top + patch_height])
        corners = _warp_points(box, homography)
        if corners.min() >= margin and (corners <= [width - margin, height - margin]).all():
            return top, left
    return (height - patch_height) // 2, (width - patch_width) // 2


def _ruled_lines(width, height, spacing, homography, rng):
    """Coverage (0-1) of thin horizontal lines on the page, as seen through the camera."""
    lines = np.zeros((height, width), dtype=np.uint8)
    thickness = max(1, int(round(height * rng.uniform(0.0008, 0.0016))))
    for y in np.arange(rng.uniform(0, spacing), height, spacing):
        ends = _warp_points([[-0.2 * width, y], [1.2 * width, y]], homography)
        ends = np.round(ends * 16).astype(np.int32)
        cv2.line(lines, tuple(ends[0]), tuple(ends[1]), 255, thickness, cv2.LINE_AA, shift=4)
    return lines.astype(np.float32) / 255.0


def _lighting(width, height, pen, rng):
    """Illumination (0-1): a gradient, a little vignetting and a soft shadow's edge."""
    step = 8
    rows, columns = np.mgrid[0:height:step, 0:width:step].astype(np.float32)
    longest = max(width, height)
    x, y = columns / longest, rows / longest
    angle = rng.uniform(0, 2 * np.pi)
    ramp = x * np.cos(angle) + y * np.sin(angle)
    light = 1.0 - rng.uniform(0.1, 0.3) * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    centre_x, centre_y = width / 2 / longest, height / 2 / longest
    light *= 1.0 - rng.uniform(0.0, 0.3) * ((x - centre_x) ** 2 + (y - centre_y) ** 2)
    # The shadow's edge is a line through the picture, blurred over 2-8% of it and over at
    # least three pen widths, so the ink stays darker than the paper beside it.
    edge_x = rng.uniform(0.1, 0.9) * width / longest
    edge_y = rng.uniform(0.1, 0.9) * height / longest
    normal = rng.uniform(0, 2 * np.pi)
    distance = (x - edge_x) * np.cos(normal) + (y - edge_y) * np.sin(normal)
    softness = max(rng.uniform(0.02, 0.08), 3 * pen / longest)
    shade = 1.0 / (1.0 + np.exp(-distance / softness))
    light *= 1.0 - rng.uniform(0.2, 0.4) * shade
    return cv2.resize(light, (width, height), interpolation=cv2.INTER_LINEAR)


def photo_pixels(digit28, rng, long_side=None, height_fraction=None, ruled=None):
    """A synthetic phone photo of the digit written with a pen on paper, upright.

    Ink dark but not black (black, blue or dark grey), pen 3-7% of the digit height; paper
    off-white or grey with texture; uneven lighting and a soft shadow; optional faint ruled
    lines; a small rotation, mild perspective, blur and sensor noise.

    Args:
        digit28: uint8 (28, 28) MNIST digit, white on black.
        rng: a `numpy.random.Generator`.
        long_side: the image's longer side; default 600-3000 px.
        height_fraction: height of the digit over the image height; default 0.15-0.5.
        ruled: draw ruled lines (True/False); default at random (40%).

    Returns:
        (image, ink): uint8 (H, W, 3) RGB and bool (H, W), True where the pen wrote.
    """
    if long_side is None:
        long_side = int(rng.integers(600, 3001))
    short_side = int(round(long_side / rng.choice([4 / 3, 3 / 2, 16 / 9, 1.0])))
    width, height = (short_side, long_side) if rng.random() < 0.6 else (long_side, short_side)
    if height_fraction is None:
        height_fraction = rng.uniform(0.15, 0.5)
    if ruled is None:
        ruled = rng.random() < 0.4
    digit_height = height_fraction * height
    pen = max(3, int(round(rng.uniform(0.03, 0.07) * digit_height)))
    homography = _camera_homography(width, height, rng)
    patch = _draw(_centre_line(digit28), digit_height, pen, max_width=0.9 * width)
    top, left = _place_on_page(patch, width, height, homography, rng)
    page_ink = _paste(patch, (height, width), top, left)
    ink = cv2.warpPerspective(page_ink, homography, (width, height), flags=cv2.INTER_LINEAR)

    # Paper: a base tone with a slight colour cast, blotchy texture and fine grain.
    cells = (max(2, round(8 * height / long_side)), max(2, round(8 * width / long_side)))
    blotches = cv2.resize(rng.normal(0, 1, cells).astype(np.float32), (width, height))
    grain = rng.standard_normal((height, width), dtype=np.float32)
    paper = rng.uniform(0.75, 0.97) + rng.uniform(0.01, 0.03) * blotches
    paper = paper + rng.uniform(0.005, 0.02) * grain
    page = paper[..., None] * (1.0 + rng.uniform(-0.03, 0.03, size=3)).astype(np.float32)
    if ruled:
        spacing = digit_height * rng.uniform(1.2, 1.8)
        lines = _ruled_lines(width, height, spacing, homography, rng)
        if rng.random() < 0.6:
            line_colour = np.array([0.72, 0.84, 0.97], dtype=np.float32)  # light blue
        else:
            line_colour = np.full(3, 0.82, dtype=np.float32)  # grey
        page *= 1.0 - lines[..., None] * (1.0 - line_colour)

    kind = rng.choice(["black", "blue", "grey"])
    if kind == "black":
        ink_colour = np.full(3, rng.uniform(0.08, 0.18))
    elif kind == "blue":
        ink_colour = np.array([0.1, 0.14, 0.4]) * rng.uniform(0.8, 1.2)
    else:
        ink_colour = np.full(3, rng.uniform(0.25, 0.35))
    opacity = ink * rng.uniform(0.85, 1.0)
    page = page * (1.0 - opacity[..., None]) + ink_colour.astype(np.float32) * opacity[..., None]

    light = _lighting(width, height, pen, rng)
    image = page * (light * (255.0 * rng.uniform(1.0, 1.25)))[..., None]
    sigma = min(rng.uniform(0.4, 1.0) * max(1.0, long_side / 1000), pen / 3)
    image = cv2.GaussianBlur(image, (0, 0), sigma)
    image += rng.uniform(0.5, 2.5) * rng.standard_normal((height, width, 1), dtype=np.float32)
    return np.clip(np.round(image), 0, 255).astype(np.uint8), ink > 0.5


def photo(digit28, rng, quality=None, orientation=None, **options):
    """A synthetic phone photo of the digit, as the bytes of a JPEG file.

    Args:
        digit28: uint8 (28, 28) MNIST digit, white on black.
        rng: a `numpy.random.Generator`.
        quality: JPEG quality; default 50-90.
        orientation: EXIF orientation, 1 (upright pixels), 3, 6 or 8 (pixels turned, as a
            camera stores them: `PIL.ImageOps.exif_transpose` turns them upright). Default 1,
            or with 35% chance one of the others.
        **options: passed to `photo_pixels` (long_side, height_fraction, ruled).

    Returns:
        bytes of a JPEG file with an EXIF Orientation tag.
    """
    image, _ = photo_pixels(digit28, rng, **options)
    if quality is None:
        quality = int(rng.integers(50, 91))
    turned = int(rng.choice([3, 6, 8])) if rng.random() < 0.35 else 1
    orientation = turned if orientation is None else orientation
    if orientation not in ORIENTATION_TURNS:
        raise ValueError(f"orientation must be one of {sorted(ORIENTATION_TURNS)}")
    stored = np.ascontiguousarray(np.rot90(image, ORIENTATION_TURNS[orientation]))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    buffer = io.BytesIO()
    Image.fromarray(stored).save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def number_image(digits28, rng, canvas_height=None, brush=None):
    """Several digits written side by side with the mouse, like a person writing a number.

    One pen for all; heights within 15% of each other, a little vertical jitter; gaps of
    15-60% of a typical digit's width (at least half the digit height, so "111" is spaced
    like other numbers). Digits never touch or overlap horizontally.

    Args:
        digits28: a list of uint8 (28, 28) MNIST digits, left to right.
        rng: a `numpy.random.Generator`.
        canvas_height: default 300-400 px; the width fits the digits plus margins.
        brush: pen width in pixels; default 6-18% of the digit height (3-40 px).

    Returns:
        (image, boxes): uint8 (H, W, 4), black ink on opaque white, and one (x, y, w, h)
        box of ink per digit, left to right.
    """
    if len(digits28) == 0:
        raise ValueError("number_image needs at least one digit")
    if canvas_height is None:
        canvas_height = int(rng.integers(300, 401))
    digit_height = rng.uniform(0.45, 0.65) * canvas_height
    if brush is None:
        brush = int(np.clip(round(rng.uniform(0.06, 0.18) * digit_height), 3, 40))
    patches = [
        _draw(_centre_line(digit), digit_height * rng.uniform(0.87, 1.15), brush)
        for digit in digits28
    ]
    typical_width = max(np.median([patch.shape[1] for patch in patches]), 0.5 * digit_height)
    gaps = [max(2, round(rng.uniform(0.15, 0.6) * typical_width)) for _ in patches[1:]]
    left = int(rng.integers(round(0.1 * canvas_height), round(0.3 * canvas_height) + 1))
    right = int(rng.integers(round(0.1 * canvas_height), round(0.3 * canvas_height) + 1))
    width = left + sum(patch.shape[1] for patch in patches) + sum(gaps) + right
    coverage = np.zeros((canvas_height, width), dtype=np.float32)
    boxes = []
    for position, patch in enumerate(patches):
        patch_height, patch_width = patch.shape
        centre = canvas_height / 2 + rng.uniform(-0.05, 0.05) * digit_height
        top = int(np.clip(round(centre - patch_height / 2), 0, canvas_height - patch_height))
        coverage[top : top + patch_height, left : left + patch_width] = patch / 255.0
        boxes.append((left, top, patch_width, patch_height))
        left += patch_width + (gaps[position] if position < len(gaps) else 0)
    rgb = _blend(coverage, (0.0, 0.0, 0.0), (255.0, 255.0, 255.0))
    return np.dstack([rgb, np.full(coverage.shape, 255, dtype=np.uint8)]), boxes


def _random_number(labels, rng):
    """Indices of MNIST images that spell a random 3-5 digit number, and the number's text."""
    available = np.unique(labels)
    leading = available[available != 0] if (available != 0).any() else available
    digits = [rng.choice(leading)] + list(rng.choice(available, size=int(rng.integers(2, 5))))
    indices = [int(rng.choice(np.flatnonzero(labels == digit))) for digit in digits]
    return indices, "".join(str(int(digit)) for digit in digits)


def realistic_sets(images, labels, count, seed=0, names=SET_NAMES):
    """Test sets of realistic pictures made from MNIST digits.

    Item i of the single-digit sets is made from images[i % len(images)]; each set has its
    own random stream, so asking for fewer sets does not change the others.

    Args:
        images: uint8 (N, 28, 28) MNIST digits (white on black), e.g. the test set.
        labels: (N,) their digits.
        count: items per set.
        seed: the seed; the same seed gives identical sets.
        names: which of SET_NAMES to make.

    Returns:
        {name: [(image, text), ...]}: "canvas" and "pixel_art" hold uint8 arrays, "photo"
        JPEG bytes, "numbers" RGBA arrays of 3-5 digits; text is the label ("7", "2026").

    Raises:
        ValueError: no images, images and labels of different lengths, or an unknown name.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if len(images) == 0 or len(images) != len(labels):
        raise ValueError(f"need as many labels as images, got {len(images)} and {len(labels)}")
    unknown = set(names) - set(SET_NAMES)
    if unknown:
        raise ValueError(f"unknown set names {sorted(unknown)}; choose from {SET_NAMES}")
    makers = {"canvas": canvas_digit, "pixel_art": pixel_art, "photo": photo}
    sets = {}
    for position, name in enumerate(SET_NAMES):
        if name not in names:
            continue
        rng = np.random.default_rng([seed, position])
        items = []
        for item in range(count):
            if name == "numbers":
                indices, text = _random_number(labels, rng)
                image, _ = number_image([images[index] for index in indices], rng)
                items.append((image, text))
            else:
                index = item % len(images)
                items.append((makers[name](images[index], rng), str(int(labels[index]))))
        sets[name] = items
    return sets
