"""`Predictor.read`: whole numbers, left to right, with boxes in the source image."""

import math

import cv2
import numpy as np
import pytest
from strokes import draw_digit, draw_number


@pytest.mark.parametrize(
    ("digits", "gap"),
    [((2, 0, 4, 7), 0.15), ((1, 3, 5), 0.25), ((4, 4), 0.1), ((5, 1, 2), 0.02)],
)
def test_reads_numbers_drawn_side_by_side(predictor, digits, gap):
    image = draw_number(digits, gap=gap)
    reading = predictor.read(image)
    assert reading.text == "".join(map(str, digits))
    assert [d.digit for d in reading.digits] == list(digits)
    lefts = [d.box[0] for d in reading.digits]
    assert lefts == sorted(lefts)
    for digit in reading.digits:
        x, y, width, height = digit.box
        assert 0 <= x <= x + width <= image.shape[1] and 0 <= y <= y + height <= image.shape[0]
        assert digit.image28.shape == (28, 28) and not digit.uncertain


def test_touching_digits_are_split(predictor):
    image = draw_number((3, 5), gap=-0.1)
    mask = (image[:, :, 0] < 128).astype(np.uint8)
    assert cv2.connectedComponents(mask)[0] == 2  # one stroke blob plus the background
    assert predictor.read(image).text == "35"


def test_boxes_are_in_source_pixels_for_large_images(predictor):
    image = draw_number((7, 1), size=900, width=60)  # wider than the 1000 px working size
    reading = predictor.read(image)
    assert reading.text == "71"
    columns = np.flatnonzero((image[:, :, 0] < 128).any(axis=0))
    first, last = reading.digits[0].box, reading.digits[-1].box
    assert abs(first[0] - columns[0]) <= 4 and abs(last[0] + last[2] - columns[-1]) <= 4


def test_multi_stroke_digits_and_specks(predictor):
    image = draw_number((4, 5))  # the 4 is drawn in two strokes
    cv2.circle(image, (30, 30), 3, (0, 0, 0, 255), -1)  # a speck in the corner
    reading = predictor.read(image)
    assert reading.text == "45"


def test_dashes_between_digits_are_skipped(predictor):
    image = draw_number((3, 7), gap=0.5)
    middle, width = image.shape[0] // 2, image.shape[1]
    cv2.line(image, (width // 2 - 30, middle), (width // 2 + 30, middle), (0, 0, 0, 255), 14)
    reading = predictor.read(image)
    assert reading.text == "37"
    assert [reason for _, reason in reading.skipped] == ["a dash, not a digit"]


@pytest.mark.parametrize(
    ("draw", "reason"),
    [
        (lambda c: cv2.circle(c, (140, 140), 10, (0, 0, 0, 255), -1), "a dot"),
        (lambda c: cv2.line(c, (60, 140), (220, 150), (0, 0, 0, 255), 14), "a dash"),
        (lambda c: None, "blank"),
    ],
    ids=["dot", "dash", "blank"],
)
def test_no_digit_at_all(predictor, draw, reason):
    canvas = np.full((280, 280, 4), 255, dtype=np.uint8)
    draw(canvas)
    prediction = predictor.predict(canvas)
    assert prediction.digit is None and reason in prediction.reason
    reading = predictor.read(canvas)
    assert reading.text == "" and reading.digits == [] and reason in reading.reason


def _png(array):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _stretched_scan(gray, side):
    """A dark-on-white drawing cropped to its ink and stretched into a side x side square
    (area interpolation: grey edges), like a small postal scan."""
    x, y, width, height = cv2.boundingRect((gray < 128).astype(np.uint8))
    return cv2.resize(
        gray[y : y + height, x : x + width], (side, side), interpolation=cv2.INTER_AREA
    )


@pytest.mark.parametrize(
    "picture",
    [
        lambda: draw_digit(5),
        lambda: draw_digit(7, canvas_size=140, width=6),
        lambda: 255 - draw_digit(2, canvas_size=600, width=40)[:, :, 0],  # light on dark
        # A PNG decoded at half size (over FULL_PIXELS), then shrunk to the working size.
        lambda: _png(draw_digit(3, canvas_size=3001, width=60)[:, :, 0]),
        lambda: _stretched_scan(draw_digit(5, width=32)[:, :, 0], 16),  # faint edges kept
    ],
    ids=["canvas", "small", "light on dark", "decoded at half size", "tiny scan"],
)
def test_read_of_one_digit_matches_predict(predictor, picture):
    image = picture()
    prediction, reading = predictor.predict(image), predictor.read(image)
    assert reading.text == str(prediction.digit)
    # The same digit, probabilities, confidence and box (in the picture's own pixels).
    assert reading.digits[0].to_json() == prediction.to_json()


def test_reading_to_json(predictor):
    line = predictor.read(draw_number((1, 2))).to_json()
    assert line["text"] == "12" and len(line["digits"]) == 2
    assert set(line["digits"][0]) >= {"digit", "confidence", "probabilities", "box"}


@pytest.mark.parametrize("width, height, pen", [(150, 50, 8), (200, 40, 12), (240, 40, 6)])
def test_a_wide_flat_zero_is_one_digit_not_split(predictor, width, height, pen):
    # A 0 drawn as a flat oval (3-6 times wider than tall) used to be cut into "652".
    image = np.full((200, 300), 255, np.uint8)
    cv2.ellipse(image, (150, 100), (width // 2, height // 2), 0, 0, 360, 0, pen, cv2.LINE_AA)
    assert predictor.read(image).text == "0"


@pytest.mark.parametrize("gap_degrees", [12, 25])
def test_a_zero_broken_into_two_arcs_is_one_digit(predictor, gap_degrees):
    # Faint pencil: a 0 fades out at two points, leaving two arcs that share most of their
    # columns. Each arc alone reads as a doubtful 1 or 7; read whole, they are a 0.
    image = np.full((240, 420), 255, np.uint8)
    three = draw_digit(3, canvas_size=200, width=12)  # a digit beside it: a number
    image[20:220, 0:200] = np.minimum(image[20:220, 0:200], three[:, :, 0])
    half = gap_degrees // 2
    for start, end in ((40 + half, 220 - half), (220 + half, 400 - half)):
        cv2.ellipse(image, (300, 120), (42, 70), 0, start, end, 0, 10, cv2.LINE_AA)
    mask = (image[:, 220:] < 128).astype(np.uint8)
    assert cv2.connectedComponents(mask)[0] == 3  # two arcs plus the background
    assert predictor.read(image).text == "30"


def _two_scribbles():
    """Two scribbles side by side on a white canvas: a scribble that falls into two parts."""
    canvas = np.full((300, 560), 255, np.uint8)
    rng = np.random.default_rng(5)
    for left in (30, 300):
        points = np.cumsum(rng.normal(0, 35, (12, 2)), axis=0)
        points = (points - points.min(0)) / np.ptp(points, axis=0) * [220, 240] + [left, 30]
        cv2.polylines(canvas, [points.astype(np.int32)], False, 0, 14, cv2.LINE_AA)
    return canvas


def test_a_scribble_in_two_parts_is_no_number(predictor):
    reading = predictor.read(_two_scribbles())
    assert len(reading.digits) >= 2 and reading.uncertain
    doubted = [str(at + 1) for at, digit in enumerate(reading.digits) if digit.uncertain]
    named = "digit" + ("s" if len(doubted) > 1 else "")
    assert reading.reason.startswith(
        f"{named} {', '.join(doubted)} of {len(reading.digits)} (from the left): "
    )
    assert "not look like a digit" in reading.reason
    assert reading.confidence == pytest.approx(math.prod(d.confidence for d in reading.digits))
    assert reading.to_json()["reason"] == reading.reason


def test_a_sure_number_has_no_reason_and_scores_top_at_the_confidence(predictor):
    reading = predictor.read(draw_number((2, 0, 4, 7)))
    assert not reading.uncertain and reading.reason is None
    for digit in reading.digits:
        assert digit.scores.max() == pytest.approx(digit.confidence, abs=1e-6)
        assert digit.scores.argmax() == digit.digit


def test_a_digit_written_into_a_0_leaves_the_0_open_to_cutting():
    # A wide 0 is one ring; a 3 or 7 written into a 0's side makes the ink wider than the
    # 0's hole by far more than its rims, and the region is then cut like any other.
    from model.inference.reader import _one_ring

    ring = np.zeros((100, 160), np.float32)
    cv2.ellipse(ring, (80, 50), (75, 45), 0, 0, 360, 1.0, 8)
    assert _one_ring(ring)
    written_into = np.zeros((100, 220), np.float32)
    cv2.ellipse(written_into, (140, 50), (75, 45), 0, 0, 360, 1.0, 8)
    cv2.polylines(written_into, [np.array([[5, 5], [80, 5], [40, 95]])], False, 1.0, 8)
    assert not _one_ring(written_into)


def test_two_arms_meeting_in_a_point_below_are_a_v_not_two_touching_1s():
    # Issue 24: an uploaded V, one stroke, was cut into a sure "11". Two 1s touching, or
    # leaning into each other, stand apart at the bottom; a U is round and wide there.
    from model.inference.preprocess import tight_crop
    from model.inference.reader import _meets_below

    def drawn(*lines):
        ink = np.zeros((120, 110), np.float32)
        for points in lines:
            cv2.polylines(ink, [np.array(points)], False, 1.0, 9)
        return tight_crop(ink)

    assert _meets_below(drawn([[10, 8], [55, 112], [100, 8]]))
    assert _meets_below(drawn([[30, 8], [45, 112], [100, 8]]))  # one arm upright
    assert not _meets_below(drawn([[20, 8], [15, 112]], [[60, 8], [55, 112], [15, 60]]))
    assert not _meets_below(drawn([[25, 8], [40, 112]], [[85, 8], [70, 112]]))  # leaning in
    u = np.zeros((120, 110), np.float32)
    cv2.ellipse(u, (55, 50), (45, 55), 0, 0, 180, 1.0, 9)
    cv2.polylines(
        u, [np.array([[10, 0], [10, 50]]), np.array([[100, 0], [100, 50]])], False, 1.0, 9
    )
    assert not _meets_below(tight_crop(u))


def test_a_wide_0_left_open_at_the_top_is_read_as_one_0(predictor):
    # Pen writers often leave a 0 open where the pen started; on a sheet, its two arcs read
    # as "67" (validation writers) unless the gap is bridged. Two touching digits, bridged,
    # make no such tall, round hole.
    from model.inference.reader import _one_ring

    def ink(picture):
        gray = picture[..., :3].mean(axis=2) if picture.ndim == 3 else picture
        values = (255 - gray).astype(np.float32) / 255
        rows, columns = np.nonzero(values > 0.5)
        return values[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]

    picture = np.full((160, 240), 255, np.uint8)
    cv2.ellipse(picture, (120, 80), (80, 55), 0, -31, 315, 0, 9)  # open at top right, 2 pens
    assert _one_ring(ink(picture))
    assert predictor.read(picture).text == "0"
    for pair in ((0, 0), (5, 5), (2, 3), (7, 0)):
        assert not _one_ring(ink(draw_number(pair, gap=-0.04))), pair
