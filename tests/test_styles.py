"""Training styles and the harder synthetic test sets: what they draw is what they claim."""

import numpy as np
import pytest

from model.data import hard
from model.data.segments import DIGIT_SEGMENTS, segment_picture
from model.inference.preprocess import ink_box
from model.training import styles


def _digit(rng):
    """A rough MNIST-like 0: an anti-aliased ring in 28x28, white on black."""
    import cv2

    image = np.zeros((28, 28), np.uint8)
    cv2.ellipse(image, (14, 14), (6, 9), float(rng.uniform(-10, 10)), 0, 360, 255, 2, cv2.LINE_AA)
    return image


def _aspect(image):
    x, y, w, h = ink_box(image.astype(np.float32) / 255)
    return w / h


def test_restyle_gives_mnist_format_digits_of_other_aspects_and_pens():
    rng = np.random.default_rng(0)
    digit = _digit(rng)
    restyled = [styles.restyle(digit, rng) for _ in range(60)]
    for image in restyled:
        assert image.shape == (28, 28) and image.dtype == np.uint8 and image.max() == 255
        x, y, w, h = ink_box(image.astype(np.float32) / 255)
        assert max(w, h) <= 21  # fitted into MNIST's 20x20 box (one pixel of soft edge)
    aspects = [_aspect(image) for image in restyled]
    assert min(aspects) < 0.75 * _aspect(digit) and max(aspects) > 1.25 * _aspect(digit)
    ink = [np.count_nonzero(image > 128) for image in restyled]
    assert min(ink) < 0.8 * np.median(ink) < max(ink) * 0.8  # thinner and thicker pens


def test_repenned_thickens_and_thins_but_never_erases():
    ink = np.zeros((84, 84), np.float32)
    ink[10:74, 40:43] = 1.0  # a 3-px stroke
    assert np.count_nonzero(styles.repenned(ink, 3)) > 2 * np.count_nonzero(ink)
    assert 0 < np.count_nonzero(styles.repenned(ink, -1) > 0.5) < np.count_nonzero(ink)
    assert np.array_equal(styles.repenned(ink, -5), ink)  # would vanish: kept as it was


@pytest.mark.parametrize("digit", range(10))
def test_segment_digits_draw_each_digit_with_its_segments(digit):
    rng = np.random.default_rng(digit)
    picture = segment_picture(digit, rng, height=120)
    assert picture.dtype == np.float32 and 0 < picture.max() <= 1.0
    image = styles.segment_digit(digit, np.random.default_rng(digit))
    assert image.shape == (28, 28) and image.max() == 255
    # A 1 is two segments in a line, an 8 all seven: its ink is the most.
    assert len(DIGIT_SEGMENTS[digit][0]) >= 2


def test_segment_digits_are_balanced_and_labelled():
    images, labels = styles.segment_digits(30, np.random.default_rng(1))
    assert images.shape == (30, 28, 28) and list(np.bincount(labels)) == [3] * 10
    ones = images[labels == 1].astype(float).sum(axis=(1, 2))
    eights = images[labels == 8].astype(float).sum(axis=(1, 2))
    assert ones.mean() < eights.mean()


def _ink_mask(picture):
    grey = picture if picture.ndim == 2 else picture.mean(axis=2)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return np.abs(grey - np.median(border)) > 35


def test_hard_sets_are_reproducible_and_labelled():
    rng = np.random.default_rng(3)
    images = np.stack([_digit(rng) for _ in range(4)])
    labels = np.zeros(4, np.uint8)
    first = hard.hard_sets(images, labels, 4, seed=7)
    again = hard.hard_sets(images, labels, 4, seed=7)
    assert list(first) == list(hard.HARD_SET_NAMES)
    for name in first:
        assert [text for _, text in first[name]] == ["0"] * 4
        for (a, _), (b, _) in zip(first[name], again[name], strict=True):
            assert np.array_equal(a, b)


def test_tight_crops_are_tiny_and_touch_the_frame():
    rng = np.random.default_rng(5)
    touching = 0
    for _ in range(20):
        picture = hard.tight_crop(_digit(rng), rng)
        assert 12 <= max(picture.shape) <= 40 and picture.dtype == np.uint8
        grey = picture.astype(float)
        edges = [grey[0], grey[-1], grey[:, 0], grey[:, -1]]
        spread = grey.max() - grey.min()
        touching += sum(np.ptp(edge) > 0.5 * spread for edge in edges) >= 2
    assert touching >= 15  # most crops have ink on at least two sides of the frame


def test_tiny_8x8_pictures_count_inked_pixels_in_blocks():
    rng = np.random.default_rng(8)
    digit = _digit(rng)
    for _ in range(10):
        picture = hard.tiny_8x8(digit, rng)
        assert picture.shape == (8, 8) and picture.dtype == np.uint8
        grey = picture.astype(float)
        assert grey.max() - grey.min() >= 70  # ink, at the contrast `_grey_picture` draws
        assert _ink_mask(picture).any(axis=1).sum() >= 6  # the digit fills the height

    # Before the contrast, noise and polarity are drawn, a block is the share of its 16
    # pixels inked: sixteenths, several levels of them, not a bitmap.
    def coverage_itself(coverage, rng):
        return coverage

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hard, "_grey_picture", coverage_itself)
        coverage = hard.tiny_8x8(digit, np.random.default_rng(0))
    sixteenths = coverage * 16
    assert np.allclose(sixteenths, np.round(sixteenths))
    assert len(np.unique(sixteenths)) > 2 and coverage.max() == 1.0


def test_thick_markers_and_wide_digits_are_what_they_say():
    rng = np.random.default_rng(6)
    digit = _digit(rng)
    wide = [hard.wide(digit, rng) for _ in range(20)]
    ratios = []
    for picture in wide:
        rows, columns = np.nonzero(_ink_mask(picture))
        ratios.append((np.ptp(columns) + 1) / (np.ptp(rows) + 1))
    assert max(ratios) > 1.3 * _aspect(digit) and min(ratios) < 0.8 * _aspect(digit)
    marker = hard.thick_marker(digit, rng)
    assert _ink_mask(marker).mean() > 0.25  # a marker covers much of a small canvas


def test_training_pipeline_mixes_in_styled_copies_at_the_share_asked():
    from model.training.recipe import make_dataset

    images = np.zeros((200, 28, 28), np.uint8)
    styled = np.full((200, 2, 28, 28), 255, np.uint8)
    labels = np.arange(200) % 10

    def styled_part(share):
        batches = make_dataset(images, labels, 50, seed=1, styled=styled, share=share)
        pixels = np.concatenate([x.numpy() for x, _ in batches])
        assert pixels.shape == (200, 28, 28, 1)
        return float((pixels.reshape(200, -1).max(axis=1) == 255).mean())

    assert styled_part(0.0) == 0.0 and styled_part(1.0) == 1.0
    assert 0.3 < styled_part(0.5) < 0.7
