"""The unsure rule: how strong a doubt of the gate lowers the confidence, and the threshold
under which a reading is flagged; fitted on synthetic readings, and the bundled one applied."""

import json

import numpy as np
import pytest

from model import config, paths
from model.inference.calibration import GATE_DOUBT, confidence_of
from model.training.calibration import fit_gate_doubt, risk_area, unsure_threshold


def _readings(rng):
    """Validation readings where the gate doubts (0.12-0.45) only right readings, and
    non-digits the gate is sure are none (0.02-0.08): the right cut is 0.1."""
    right = np.full(1900, 0.9999), np.full(1900, 0.99), np.ones(1900, bool)
    doubted = np.full(60, 0.9999), rng.uniform(0.12, 0.45, 60), np.ones(60, bool)
    wrong = rng.uniform(0.5, 0.95, 40), np.full(40, 0.99), np.zeros(40, bool)
    validation = tuple(np.concatenate(parts) for parts in zip(right, doubted, wrong, strict=True))
    non_digits = np.full(1000, 0.9999), rng.uniform(0.02, 0.08, 1000)
    return validation, non_digits


def test_the_fit_recovers_the_gate_doubt_that_ranks_errors_first():
    rng = np.random.default_rng(0)
    validation, non_digits = _readings(rng)
    rule = fit_gate_doubt({"digits": validation, "writers": _readings(rng)[0]}, non_digits)
    assert rule["gate_doubt"] == 0.1
    rows = {row["gate_doubt"]: row for row in rule["candidates"]}
    # The legacy cut flags the doubted right readings first; lower cuts pass non-digits.
    assert rows[0.5]["risk_area"] > rows[0.1]["risk_area"]
    assert rows[0.1]["non_digits_sure"] == rows[0.5]["non_digits_sure"] == 0.0
    assert rows[0.05]["non_digits_sure"] > 0.0
    assert fit_gate_doubt({"digits": validation}, non_digits, max_non_digits=1.0)[
        "gate_doubt"
    ] == pytest.approx(0.01 if rows[0.01]["risk_area"] < rows[0.1]["risk_area"] else 0.1)
    # The threshold keeps errors among sure readings under 0.3%, flagging at most 5%.
    top, is_digit, correct = validation
    sure = confidence_of(top, is_digit, 0.1) >= rule["threshold"]
    assert (~correct[sure]).mean() <= config.UNSURE_MAX_ERROR
    assert 0.017 < (~sure).mean() <= config.UNSURE_MAX_FLAGGED


def test_without_doubted_right_readings_the_legacy_cut_is_kept():
    rng = np.random.default_rng(1)
    top = np.concatenate([np.full(980, 0.9999), rng.uniform(0.5, 0.9, 20)])
    is_digit = np.concatenate([np.full(980, 0.99), rng.uniform(0.05, 0.4, 20)])
    correct = np.arange(1000) < 980
    rule = fit_gate_doubt({"digits": (top, is_digit, correct)}, (top[:10], is_digit[:10]))
    assert rule["gate_doubt"] == config.GATE_DOUBTS[0] == GATE_DOUBT


def test_risk_area_and_threshold_on_known_confidences():
    confidence = np.linspace(0.0, 1.0, 1000)
    correct = confidence >= 0.01  # the 10 least confident are the errors
    assert risk_area(confidence, correct) == 0.0
    assert risk_area(confidence, ~correct[::-1]) > 0.5
    threshold, wanted = unsure_threshold({"set": (confidence, correct)})
    assert wanted == threshold == pytest.approx(0.5)  # never under DEFAULT_THRESHOLD


def test_the_gate_doubt_is_a_parameter_of_the_confidence():
    confidence = confidence_of([0.99, 0.99, 0.99], [1.0, 0.3, 0.05], gate_doubt=0.1)
    np.testing.assert_allclose(confidence, [0.99, 0.99, 0.0495])


@pytest.mark.artifacts
def test_the_bundled_rule_flags_what_it_says(predictor):
    calibration = json.loads((paths.BUNDLED_DIR / paths.CALIBRATION_FILE).read_text())
    assert predictor.gate_doubt == calibration["gate_doubt"] in config.GATE_DOUBTS
    assert predictor.threshold == calibration["threshold"]
    image28 = np.zeros((28, 28), np.uint8)
    for top in (0.5, 0.9, 0.98, 0.99, 0.995, 0.9999):
        for is_digit in (0.01, 0.05, 0.09, 0.11, 0.3, 0.49, 0.51, 0.99):
            probabilities = np.full(10, (1 - top) / 9, np.float32)
            probabilities[3] = top
            reading = predictor._prediction(probabilities, np.float32(is_digit), image28)
            confidence = confidence_of(probabilities[3], is_digit, calibration["gate_doubt"])
            assert reading.confidence == pytest.approx(float(confidence))
            assert reading.uncertain == (confidence < calibration["threshold"])
            assert reading.scores.max() == pytest.approx(reading.confidence, rel=1e-6)
            assert (reading.reason is not None) == reading.uncertain
    # A sure digit the gate doubts is flagged for it exactly under the fitted gate_doubt.
    probabilities = np.full(10, 1e-5 / 9, np.float32)
    probabilities[1] = 1 - 1e-5
    for is_digit in (0.05, 0.15, 0.25, 0.4, 0.6):
        reading = predictor._prediction(probabilities, np.float32(is_digit), image28)
        assert reading.uncertain == (is_digit < calibration["gate_doubt"])
