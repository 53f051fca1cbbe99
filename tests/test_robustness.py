"""The realistic-input report and the calibration, on real MNIST (small counts: a smoke test)."""

import json

import pytest

from model import paths
from model.data.hard import HARD_SET_NAMES
from model.data.phone import PHONE_SET_NAMES
from model.data.synthetic import SET_NAMES
from model.study.robustness import robustness


def test_robustness_report_on_a_few_pictures(predictor, mnist_dir):
    figures = robustness(predictor, mnist_dir, out_dir=None, count=12)
    assert list(figures["sets"]) == [*SET_NAMES, *HARD_SET_NAMES, *PHONE_SET_NAMES]
    for name in ("canvas", "pixel_art", "photo", *HARD_SET_NAMES):
        assert figures["sets"][name]["count"] == 12
    for name in ("canvas", "pixel_art", "photo"):
        assert figures["sets"][name]["accuracy"] >= 0.75, name
    assert figures["sets"]["numbers"]["exact"] >= 0.5
    for name in PHONE_SET_NAMES:  # photos lit unevenly: read, and never blank
        assert figures["sets"][name]["exact"] >= 0.75, name
        assert figures["sets"][name]["no_digit_found"] == 0, name
    for kind, row in figures["not_digits"].items():
        assert row["confident_rate"] <= 0.5, kind


@pytest.mark.artifacts
def test_bundled_report_meets_the_targets():
    figures = json.loads((paths.BUNDLED_DIR / paths.ROBUSTNESS_FILE).read_text())
    for name in ("canvas", "pixel_art", "photo"):
        assert figures["sets"][name]["count"] >= 500
        assert figures["sets"][name]["accuracy"] >= 0.97, name
    assert figures["sets"]["numbers"]["exact"] >= 0.9
    # The harder kinds (tight crops, blur, markers, wide, square, 8x8): not yet all at 97%.
    for name in HARD_SET_NAMES:
        assert figures["sets"][name]["count"] >= 500
        assert figures["sets"][name]["accuracy"] >= 0.9, name
