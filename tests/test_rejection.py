"""Not digits: the gate, the negatives it learns from, and calibrated confidence."""

import json

import cv2
import numpy as np
import pytest

from model import paths
from model.data.hand_letters import LETTERS, hand_letter, hand_letter_strokes, ways_of
from model.data.negatives import KINDS, negative, negatives
from model.training.calibration import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
)


def _canvas():
    return np.full((300, 300), 255, dtype=np.uint8)


def _letter(letter):
    canvas = _canvas()
    cv2.putText(canvas, letter, (60, 240), cv2.FONT_HERSHEY_SIMPLEX, 7, 0, 18, cv2.LINE_AA)
    return canvas


def _zigzag():
    canvas = _canvas()
    points = np.array([(40, 80), (90, 220), (140, 80), (190, 220), (240, 80), (270, 220)])
    cv2.polylines(canvas, [points], False, 0, 14, cv2.LINE_AA)
    return canvas


def _scribble():
    canvas = _canvas()
    points = np.array(
        [(60, 150), (240, 90), (80, 60), (220, 240), (70, 220), (250, 160), (150, 40)]
    )
    cv2.polylines(canvas, [points], False, 0, 12, cv2.LINE_AA)
    return canvas


def _drawn_letter(letter, pen, lean):
    """A capital letter as an uploaded drawing: dark pen on white, 300 px, drawn here with
    ellipse arcs and lines (neither the gate's hand letters nor bench.letters' strokes)."""
    canvas = _canvas()

    def at(x, y):  # letter units (0-1, y down) to pixels, leaning right by `lean`
        return int(90 + 120 * x + lean * 160 * (1 - y)), int(70 + 160 * y)

    def line(*points):
        cv2.polylines(canvas, [np.array([at(*p) for p in points])], False, 0, pen, cv2.LINE_AA)

    def bowl(top, bottom, reach):  # a bowl off the stem, from `top` round to `bottom`
        middle = (top + bottom) / 2
        arc = cv2.ellipse2Poly((0, 0), (100, 100), 0, -90, 90, 10) / 100.0
        points = [
            (reach * max(x, 0.0) * 0.9 + 0.02, middle + y * (bottom - top) / 2) for x, y in arc
        ]
        line(*points)

    if letter == "B":
        line((0, 0), (0, 1))
        bowl(0, 0.47, 0.75)
        bowl(0.47, 1, 0.95)
    elif letter == "E":
        line((0.95, 0), (0, 0), (0, 1), (0.95, 1))
        line((0, 0.48), (0.7, 0.48))
    elif letter == "H":
        line((0, 0), (0, 1))
        line((0.9, 0), (0.9, 1))
        line((0, 0.45), (0.9, 0.45))
    elif letter == "V":
        line((0, 0), (0.53, 1), (1.07, 0))
    return canvas


@pytest.mark.parametrize("letter", ["B", "E", "H", "V"])
def test_hand_drawn_letters_uploaded_as_pictures_are_not_read_as_digits(predictor, letter):
    # Issue 24: an uploaded B read as a sure 8, an E as 5, an H leaning right as a sure "14"
    # (the pair reader's, before it learned hand-written letters as "not two digits"), a V
    # as a sure "11" (one stroke cut into two 1s that meet at the bottom).
    for pen in (10, 18, 26):
        for lean in (0.0, 0.15):
            reading = predictor.read(_drawn_letter(letter, pen, lean))
            assert reading.uncertain or not reading.digits, (pen, lean, reading.text)


@pytest.mark.parametrize(
    "image",
    [_zigzag(), _scribble(), _letter("A"), _letter("K"), _letter("W"), _letter("X")],
    ids=["zigzag", "scribble", "A", "K", "W", "X"],
)
def test_non_digits_are_never_a_confident_digit(predictor, image):
    result = predictor.predict(image)
    assert result.digit is None or result.confidence < 0.5
    assert result.uncertain and result.reason


def test_negatives_are_mnist_format_and_deterministic():
    digits = np.zeros((4, 28, 28), dtype=np.uint8)
    digits[:, 6:22, 12:16] = 255  # four 1s
    rng = np.random.default_rng(0)
    for kind in KINDS:
        image = negative(kind, rng, digits)
        assert image.shape == (28, 28) and image.dtype == np.uint8 and image.max() == 255
        assert image[0].max() == 0 and image[:, 0].max() == 0  # a black border, like MNIST
    np.testing.assert_array_equal(negatives(10, 3, digits), negatives(10, 3, digits))
    assert not np.array_equal(negatives(10, 3, digits), negatives(10, 4, digits))


def test_hand_letters_are_whole_and_every_way_is_drawn():
    rng = np.random.default_rng(0)
    for letter in LETTERS:
        ways = ways_of(letter, rng)
        for _ in range(4 * len(ways)):
            picture = hand_letter(rng, 200)
            assert picture.max() == 1.0 and picture.shape == (200, 200)
            edges = np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]])
            assert edges.max() == 0.0  # no letter runs off its picture
        drawn, strokes = hand_letter_strokes(rng, letter)
        assert drawn == letter and len(strokes) in {len(way) for way in ways}


def test_temperature_scaling_undoes_overconfidence():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2.0, (4000, 10))
    true_probabilities = apply_temperature(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), 1)
    labels = np.array([rng.choice(10, p=row / row.sum()) for row in true_probabilities])
    overconfident = apply_temperature(true_probabilities, 0.5)  # twice as sharp as the truth
    temperature = fit_temperature(overconfident, labels)
    assert temperature == pytest.approx(2.0, rel=0.1)
    calibrated = apply_temperature(overconfident, temperature)
    assert expected_calibration_error(calibrated, labels) < expected_calibration_error(
        overconfident, labels
    )


@pytest.mark.artifacts
def test_the_predictor_uses_the_bundled_calibration_and_gate(predictor):
    calibration = json.loads((paths.BUNDLED_DIR / paths.CALIBRATION_FILE).read_text())
    assert predictor.temperature == pytest.approx(calibration["temperature"])
    assert 0.2 <= predictor.temperature <= 5 and predictor.threshold == calibration["threshold"]
    assert predictor.engine.has_gate
    image = np.zeros((1, 28, 28), dtype=np.uint8)
    image[0, 6:22, 12:16] = 255
    probabilities, is_digit = predictor.raw_outputs(image)
    assert probabilities.shape == (1, 10) and is_digit.shape == (1,) and is_digit[0] > 0.5


@pytest.mark.slow
def test_gate_training_smoke(mnist_dir, tmp_path):
    import keras

    from model.data.mnist import load_mnist
    from model.training.gate import SEED, gate_data, train_gate

    figures = train_gate(mnist_dir, out_dir=tmp_path, epochs=1, limit=300)
    assert json.loads((tmp_path / paths.GATE_CARD_FILE).read_text()) == figures
    assert figures["validation_digits"] == 300 and figures["validation_negatives"] == 300
    assert figures["validation_pen_digits"] == 300  # validation writers' pen digits
    # The rates are those of the saved gate's own scores on the validation pictures.
    _, (x_val, y_val), _ = gate_data(load_mnist(mnist_dir, seed=SEED), SEED, limit=300)
    gate = keras.models.load_model(tmp_path / paths.GATE_FILE)
    scores = gate.predict(x_val[..., None].astype("float32"), verbose=0)[:, 0]
    assert figures["digits_doubted"] == (scores[y_val == 1] < 0.5).mean()
    assert figures["negatives_passed"] == (scores[y_val == 0] >= 0.5).mean()


def test_the_gate_lowers_confidence_only_where_it_sees_no_digit():
    from model.inference.calibration import confidence_of

    confidence = confidence_of([0.99, 0.99, 0.99, 0.6], [1.0, 0.7, 0.3, 0.5])
    np.testing.assert_allclose(confidence, [0.99, 0.99, 0.297, 0.6])
