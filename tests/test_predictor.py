import io

import numpy as np
import pytest
from PIL import Image
from strokes import STROKES, draw_digit

from model import InvalidImageError, Predictor
from model.data import load_mnist


def _png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _check_result(result, digit):
    assert result.digit == digit
    assert isinstance(result.confidence, float) and 0.0 <= result.confidence <= 1.0
    assert result.probabilities.shape == (10,)
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert result.confidence == pytest.approx(float(result.probabilities[digit]))
    assert result.image28.shape == (28, 28) and result.image28.dtype == np.uint8


@pytest.mark.parametrize("digit", sorted(STROKES))
def test_reads_canvas_drawings(predictor, digit):
    _check_result(predictor.predict(draw_digit(digit)), digit)


def test_accepts_every_input_kind(predictor, tmp_path):
    rgba = draw_digit(7)
    gray = rgba[:, :, 0]
    path = tmp_path / "seven.png"
    path.write_bytes(_png_bytes(gray))
    inputs = {
        "path-str": str(path),
        "path": path,
        "bytes": path.read_bytes(),
        "pil": Image.fromarray(rgba),
        "rgba": rgba,
        "rgb": np.ascontiguousarray(rgba[:, :, :3]),
        "gray": gray,
        "gray-1-channel": gray[:, :, None],
        "float-0-1": gray.astype(np.float32) / 255,
        "light-on-dark": 255 - gray,
        "alpha-only": np.dstack([np.zeros_like(gray)] * 3 + [255 - gray]),
    }
    for name, image in inputs.items():
        result = predictor.predict(image)
        assert result.digit == 7, name
        _check_result(result, 7)


def test_blank_canvas_has_no_digit(predictor):
    result = predictor.predict(np.zeros((280, 280, 4), dtype=np.uint8))
    assert result.digit is None and result.confidence == 0.0 and "blank" in result.reason
    assert result.probabilities.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (b"", "empty"),
        (b"this is not an image", "not an image"),
        (_png_bytes(draw_digit(1))[:200], "corrupt or truncated"),
        (np.zeros((28, 28), dtype=np.complex64), "numeric"),
        (np.array(["a", "b"]), "numeric"),
        (np.zeros(784, dtype=np.uint8), "must be"),
        (np.zeros((28, 28, 2), dtype=np.uint8), "must be"),
        (np.zeros((0, 28), dtype=np.uint8), "empty"),
        (np.full((28, 28), np.nan, dtype=np.float32), "NaN"),
        ("no/such/file.png", "no such file"),
        (12345, "cannot read an image from a int"),
    ],
    ids=[
        "empty-bytes",
        "text",
        "truncated-png",
        "complex",
        "strings",
        "flat",
        "2-channels",
        "zero-rows",
        "nan",
        "missing-file",
        "int",
    ],
)
def test_bad_input_raises_one_clear_error(predictor, image, message):
    with pytest.raises(InvalidImageError, match=message):
        predictor.predict(image)


def test_predict_batch_contract(predictor):
    images = np.stack([predictor.predict(draw_digit(d)).image28 for d in (0, 1, 4)])
    probabilities = predictor.predict_batch(images)
    assert probabilities.shape == (3, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert probabilities.argmax(axis=1).tolist() == [0, 1, 4]
    np.testing.assert_allclose(predictor.predict_batch(images[:, :, :, None]), probabilities)
    assert predictor.predict_batch(images[:0]).shape == (0, 10)
    with pytest.raises(InvalidImageError, match="uint8"):
        predictor.predict_batch(images.astype(np.float32))
    with pytest.raises(InvalidImageError, match=r"\(N, 28, 28\)"):
        predictor.predict_batch(np.zeros((2, 32, 32), dtype=np.uint8))


def test_save_load_round_trip_gives_identical_predictions(predictor, tmp_path, mnist_dir):
    images = load_mnist(mnist_dir, validation_size=0).x_test[:256]
    path = tmp_path / "copy.keras"
    predictor.model.save(path)
    reloaded = Predictor.load(path)
    np.testing.assert_allclose(
        reloaded.predict_batch(images), predictor.predict_batch(images), rtol=1e-6, atol=1e-6
    )


def test_bundled_model_on_the_mnist_test_set(predictor, mnist_dir):
    data = load_mnist(mnist_dir, validation_size=0)
    accuracy = (predictor.predict_batch(data.x_test).argmax(axis=1) == data.y_test).mean()
    assert accuracy >= 0.996
