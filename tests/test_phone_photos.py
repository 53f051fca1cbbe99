"""Phone photos as people take them (issue 24): light from one side, dark corners, a
shadow's edge, a tilt, blur and JPEG. Every picture is made here (`model.data.phone`, or
drawn below); the real sets in ../shared are for measuring only."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image
from strokes import STROKES

from model.data.phone import PENS, PHONE_SET_NAMES, phone_photo, phone_pixels, phone_sets


def _digit28(label):
    """An MNIST-like digit: the pen strokes of `label` in the 20x20 box, white on black."""
    image = np.zeros((28, 28), dtype=np.uint8)
    for stroke in STROKES[label]:
        points = np.round((4 + np.array(stroke) * 20) * 16).astype(np.int32)
        cv2.polylines(image, [points], False, 255, thickness=2, lineType=cv2.LINE_AA, shift=4)
    return image


def _large_three(shadow, size=0.8, angle=6, paper=140):
    """The issue's picture: a large dark "3" on grey paper, brighter on one side with darker
    corners, turned a little, mildly blurred, as a JPEG; with a soft shadow's edge or not."""
    height, width = 480, 640
    picture = np.full((height, width), paper, np.uint8)
    scale = size * height / 22
    (text_width, text_height), _ = cv2.getTextSize("3", cv2.FONT_HERSHEY_SIMPLEX, scale, 29)
    origin = ((width - text_width) // 2, (height + text_height) // 2)
    cv2.putText(picture, "3", origin, cv2.FONT_HERSHEY_SIMPLEX, scale, 30, 29, cv2.LINE_AA)
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    picture = cv2.warpAffine(
        picture.astype(np.float32), turn, (width, height), borderMode=cv2.BORDER_REPLICATE
    )
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 1 + 0.6 * (columns / width - 0.5)  # brighter on the right
    light *= 1 - 0.3 * (
        ((columns - width / 2) / (width / 2)) ** 2 + ((rows - height / 2) / (height / 2)) ** 2
    )
    if shadow:
        distance = columns * 0.8 + rows * 0.6 - 0.55 * (width * 0.8 + height * 0.6)
        light *= 1 - 0.45 / (1 + np.exp(-distance / 25))
    picture = cv2.GaussianBlur(picture * light, (0, 0), 1.5)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


@pytest.mark.parametrize("shadow", [False, True], ids=["uneven light", "and a shadow"])
@pytest.mark.parametrize("size", [0.6, 0.8, 0.95])
@pytest.mark.parametrize("angle", [4, 8])
def test_the_issues_large_three_is_read(predictor, shadow, size, angle):
    reading = predictor.read(_large_three(shadow, size, angle))
    assert reading.text == "3", reading.reason
    assert not reading.uncertain


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pen", PENS)
def test_phone_photos_of_clear_digits_are_read(predictor, seed, pen):
    rng = np.random.default_rng([seed, PENS.index(pen)])
    labels = [0, 2, 3, 4, 5, 7]  # the 1's long flag reads as a 7 anywhere
    for count in (1, 3):
        digits = [labels[(seed + 2 * index) % len(labels)] for index in range(count)]
        if count > 1 and digits[0] == 0:
            digits[0] = 7
        jpeg = phone_photo([_digit28(digit) for digit in digits], rng, pen=pen)
        reading = predictor.read(jpeg)
        assert reading.digits, f"{digits}: {reading.reason}"  # never blank
        assert reading.text == "".join(map(str, digits)), reading.reason


def test_phone_photos_are_uneven_reproducible_and_labelled():
    digits = np.stack([_digit28(label) for label in (2, 0, 4, 7)])
    labels = np.array([2, 0, 4, 7])
    first = phone_sets(digits, labels, 6, seed=3)
    assert list(first) == list(PHONE_SET_NAMES)
    again = phone_sets(digits, labels, 6, seed=3)
    for name, items in first.items():
        assert [text for _, text in items] == [text for _, text in again[name]]
        assert all(a == b for (a, _), (b, _) in zip(items, again[name], strict=True))
    assert [text for _, text in first["phone_photo"]] == ["2", "0", "4", "7", "2", "0"]
    assert all(2 <= len(text) <= 4 and text[0] != "0" for _, text in first["phone_number"])
    rng = np.random.default_rng(0)
    for _ in range(5):
        pixels = phone_pixels([digits[0]], rng)
        grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(float)
        assert pixels.dtype == np.uint8 and 480 <= max(pixels.shape[:2]) <= 1600
        small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA)
        assert np.ptp(small) > 30  # lit unevenly: no flat page
