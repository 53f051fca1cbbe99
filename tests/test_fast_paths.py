"""The fast preprocessing paths give exactly what the plain whole-image formulas give."""

import cv2
import numpy as np
import pytest
from strokes import draw_digit

from model.inference.ink import _border, _gray, _opaque, _percentiles, find_ink, remove_ruled_lines
from model.inference.preprocess import ink_box
from model.inference.segment import _component_stats, components, is_one_of


def _plain_blend(rgba):
    """to_gray's compositing, computed on every pixel."""
    gray = cv2.cvtColor(rgba, cv2.COLOR_RGBA2GRAY).astype(np.float32)
    alpha = rgba[:, :, 3].astype(np.float32) / 255.0
    weight = alpha.sum()
    content_is_dark = weight > 0 and (gray * alpha).sum() / weight < 128
    background = 255.0 if content_is_dark else 0.0
    return gray * alpha + background * (1.0 - alpha)


def _plain_ink(gray):
    """find_ink on every pixel, for pictures with an even background."""
    gray = gray.astype(np.float32)
    # The border's pixels and their quantiles, written out here rather than taken from ink.py.
    edge = max(1, min(gray.shape) // 50)
    border = np.concatenate(
        [gray[:edge].ravel(), gray[-edge:].ravel(), gray[:, :edge].ravel(), gray[:, -edge:].ravel()]
    )
    low, level, high = np.percentile(border, (10, 50, 90)).astype(np.float32)
    assert high - low <= 24, "the reference covers even backgrounds only"
    raw = np.subtract(level, gray) if level >= 128 else np.subtract(gray, level)
    raw = np.maximum(raw, 0.0, dtype=np.float32)
    contrast = float(cv2.blur(raw, (3, 3)).max())
    if contrast <= 0:
        return np.zeros_like(raw), 0.0
    sample = raw[::4, ::4]
    median = float(np.median(sample))
    noise = median + 6.0 * float(np.median(np.abs(sample - median)))
    _, ink = cv2.threshold(raw, max(0.1 * contrast, noise), 0.0, cv2.THRESH_TOZERO)
    return remove_ruled_lines(np.minimum(ink * (1.0 / contrast), 1.0)), contrast


def _pictures():
    rng = np.random.default_rng(7)
    yield "canvas", draw_digit(3)
    yield "dark", 255 - draw_digit(5)[:, :, 0]
    yield "at the edge", draw_digit(2, box=(-0.03, 0.0, 0.4, 0.4))
    yield "one pixel", cv2.circle(np.full((64, 80), 250, np.uint8), (0, 63), 0, 0, -1)
    grain = np.clip(200 + rng.normal(0, 6, (150, 150)), 0, 255).astype(np.uint8)
    yield "grainy paper", cv2.line(grain, (30, 40), (110, 120), 20, 9)
    speckled = np.full((150, 150), 255, np.uint8)
    inside = speckled[10:140, 10:140]
    inside[rng.random(inside.shape) < 0.85] = 225  # faint speckles on most of the page
    yield "speckled", cv2.line(speckled, (20, 20), (130, 130), 100, 7)
    yield "ruled", cv2.line(draw_digit(7)[:, :, 0].copy(), (5, 200), (275, 203), 0, 3)


@pytest.mark.parametrize("name, picture", list(_pictures()))
def test_ink_from_the_window_equals_the_whole_image(name, picture):
    ink = find_ink(picture)
    gray = picture if picture.ndim == 2 else cv2.cvtColor(picture, cv2.COLOR_RGBA2GRAY)
    expected, contrast = _plain_ink(gray)
    assert ink.contrast == contrast
    assert np.array_equal(ink.values, expected)
    inked, (x, y) = ink.inked
    outside = ink.values.copy()
    outside[y : y + inked.shape[0], x : x + inked.shape[1]] = 0
    assert not outside.any()


@pytest.mark.parametrize(
    "ink, background",
    [((0, 0, 0, 255), (0, 0, 0, 0)), ((255, 255, 255, 200), (255, 255, 255, 0))],
    ids=["black-on-transparent", "white-on-transparent"],
)
def test_blending_only_the_visible_box_equals_blending_everything(ink, background):
    rgba = draw_digit(4, ink=ink, background=background)
    assert np.array_equal(_gray(rgba), _plain_blend(rgba))
    assert np.array_equal(_gray(np.zeros((9, 7, 4), np.uint8)), np.zeros((9, 7), np.float32))


def test_opacity_check_reads_the_alpha_channel():
    rgba = np.full((40, 30, 4), 255, np.uint8)
    assert _opaque(rgba) and _opaque(rgba[:, ::2])  # contiguous and strided
    rgba[39, 29, 3] = 252
    rgba[0, 0, :3] = 0  # dark colour must not count as transparency
    assert not _opaque(rgba) and not _opaque(rgba[:, 1::2])
    assert _opaque(rgba[:, ::2])


def test_component_boxes_equal_opencvs_stats():
    rng = np.random.default_rng(3)
    for _ in range(50):
        mask = (cv2.blur(rng.random((90, 120)).astype(np.float32), (9, 9)) > 0.55).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        expected = [(label, *map(int, stats[label])) for label in range(1, count)]
        assert _component_stats(mask, labels) == expected


def test_one_stroke_gets_its_whole_box():
    values = draw_digit(0)[:, :, 0] < 128
    _, kept = components(values.astype(np.float32))
    x, y, w, h = cv2.boundingRect(values.astype(np.uint8))
    assert kept == [(1, x, y, w, h, int(values.sum()))]


def test_ink_box_and_label_masks():
    ink = np.zeros((30, 40), np.float32)
    assert ink_box(ink) is None and ink_box(ink[:, :0]) is None
    ink[5, 7], ink[20, 31] = 0.3, 0.9
    assert ink_box(ink) == (7, 5, 25, 16) and ink_box(ink, 0.5) == (31, 20, 1, 1)
    labels = np.random.default_rng(0).integers(0, 6, (20, 20))
    for chosen in [(3,), (1, 4), (5, 2, 0)]:
        assert np.array_equal(is_one_of(labels, chosen), np.isin(labels, chosen))


def _strokes(seed):
    rng = np.random.default_rng(seed)
    picture = np.full((280, 280, 4), 255, np.uint8)
    for _ in range(int(rng.integers(3, 6))):
        start, end = rng.integers(20, 260, 2), rng.integers(20, 260, 2)
        cv2.line(picture, tuple(map(int, start)), tuple(map(int, end)), (0, 0, 0, 255), 5)
    return picture


def test_components_in_the_window_come_in_the_whole_images_order():
    # Labels are given in 2-row blocks: a window starting on an odd row could swap two
    # components whose tops are one row apart, and `read` groups them in label order.
    picture = np.full((280, 280, 4), 255, np.uint8)
    for start, end, width in [((142, 28), (172, 81), 5), ((92, 28), (142, 80), 3)]:
        cv2.line(picture, start, end, (0, 0, 0, 255), width)
    cv2.line(picture, (104, 96), (164, 110), (0, 0, 0, 255), 5)
    for image in [picture, *(_strokes(seed) for seed in range(40))]:
        ink = find_ink(image)
        inked, (x, y) = ink.inked
        whole = components(ink.values)[1]
        window = [
            (label, bx + x, by + y, w, h, area)
            for label, bx, by, w, h, area in components(inked)[1]
        ]
        assert window == whole


def test_one_sort_percentiles_equal_numpys_and_the_border_is_the_frame():
    rng = np.random.default_rng(11)
    for size in (1, 2, 7, 100, 1001):
        values = rng.normal(100, 30, size).astype(np.float32)
        expected = np.percentile(values, (10, 50, 90))
        np.testing.assert_allclose(_percentiles(values, (0.1, 0.5, 0.9)), expected, rtol=1e-5)
    gray = np.arange(120 * 60, dtype=np.float32).reshape(120, 60)
    frame = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])  # 1 px below 100 px
    assert np.array_equal(np.sort(_border(gray)), np.sort(frame))


def _png(array, **options):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", **options)
    return buffer.getvalue()


def test_plain_pngs_are_decoded_by_libspng_to_pillows_pixels():
    import io

    from PIL import Image

    from model.inference import image_io

    rng = np.random.default_rng(0)
    canvas = draw_digit(3)
    plain = {
        "rgba": canvas,
        "rgb": np.ascontiguousarray(canvas[:, :, :3]),
        "gray": np.ascontiguousarray(canvas[:, :, 0]),
        "noise": rng.integers(0, 256, (37, 53, 3), dtype=np.uint8),
    }
    for name, array in plain.items():
        data = _png(array)
        fast = image_io._plain_png(data)
        assert fast is not None, name
        assert np.array_equal(fast, np.asarray(Image.open(io.BytesIO(data)))), name
        assert np.array_equal(image_io.load_image(data), fast), name
    # What Pillow must read: a palette, transparency, 16 bits, an EXIF rotation,
    # and files libspng refuses (Pillow then says what is wrong).
    gray = plain["gray"]
    palette = Image.fromarray(gray).convert("P")
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    exif = Image.Exif()
    exif[0x0112] = 6
    others = {
        "palette": buffer.getvalue(),
        "transparency": _png(plain["rgb"], transparency=(255, 255, 255)),
        "16-bit": _png(gray.astype(np.uint16) * 257),
        "exif": _png(plain["rgb"], exif=exif),
        "truncated": _png(plain["rgba"])[:300],
    }
    for name, data in others.items():
        assert image_io._plain_png(data) is None, name
    assert image_io.load_image(others["exif"]).shape[:2] == gray.shape[::-1]  # turned upright
    with pytest.raises(image_io.InvalidImageError, match="corrupt or truncated"):
        image_io.load_image(others["truncated"])
