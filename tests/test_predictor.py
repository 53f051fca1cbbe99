import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from strokes import STROKES, draw_digit

from model import InvalidImageError, Predictor
from model.data.mnist import load_mnist


def _png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _check_result(result, digit):
    assert result.digit == digit
    assert isinstance(result.confidence, float) and 0.0 <= result.confidence <= 1.0
    assert result.probabilities.shape == (10,)
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert 0.5 < result.is_digit <= 1.0 and not result.uncertain
    # The gate lowers the confidence only of a picture it takes for no digit (is_digit < 0.5).
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


def _float_tiff_with_one_nan():
    """A float TIFF of a drawn 1 (white on black, 0-1) with one NaN pixel."""
    values = draw_digit(1)[:, :, 0].astype(np.float32) / 255.0
    values[3, 5] = np.nan
    buffer = io.BytesIO()
    Image.fromarray(values, mode="F").save(buffer, format="TIFF")
    return buffer.getvalue()


ASSETS = str(Path(__file__).resolve().parents[1] / "assets")


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
        (_float_tiff_with_one_nan(), "NaN or infinite pixel values"),
        ("no/such/file.png", "no such file"),
        (ASSETS, "assets is a folder, not an image"),
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
        "float-tiff-one-nan",
        "missing-file",
        "folder",
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
    keras_predictor = Predictor.load(engine="keras")
    keras_predictor.engine.model.save(path)
    reloaded = Predictor.load(path)
    assert reloaded.engine.name == "keras"  # no LiteRT export beside the copy
    np.testing.assert_allclose(
        reloaded.raw_outputs(images)[0], keras_predictor.raw_outputs(images)[0], atol=1e-6
    )


@pytest.mark.artifacts
def test_bundled_model_on_the_mnist_test_set(predictor, mnist_dir):
    data = load_mnist(mnist_dir, validation_size=0)
    accuracy = (predictor.predict_batch(data.x_test).argmax(axis=1) == data.y_test).mean()
    assert accuracy >= 0.995  # a regression floor; the target (99.65%) is the issue's


def _encoded(image, format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def test_a_huge_camera_jpeg_is_decoded_at_reduced_size(predictor):
    # 64 megapixels, over the 40 MP limit: decoded at 1/2 size instead of refused.
    digit = draw_digit(7, canvas_size=2000)[:, :, 0]
    photo = Image.new("L", (9248, 6936), 255)
    photo.paste(Image.fromarray(digit), (3600, 2400))
    data = _encoded(photo, "JPEG", quality=85)
    result = predictor.predict(data)
    assert result.digit == 7
    # The box is in the photo's own pixels, not those of the reduced decode.
    rows = np.flatnonzero((digit < 128).any(axis=1))
    cols = np.flatnonzero((digit < 128).any(axis=0))
    expected = (3600 + cols[0], 2400 + rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)
    np.testing.assert_allclose(result.box, expected, atol=12)
    np.testing.assert_allclose(predictor.read(data).digits[0].box, result.box, atol=2)


def test_a_decompression_bomb_is_refused_before_decoding(predictor):
    bomb = _encoded(Image.new("1", (20000, 20000), 1), "PNG")  # 400 MP in a few KB
    assert len(bomb) < 100_000
    with pytest.raises(InvalidImageError, match="too large to decode safely"):
        predictor.predict(bomb)
    with pytest.raises(InvalidImageError, match="too large"):
        predictor.read(bomb)


def test_animated_gif_reads_the_first_frame(predictor):
    frames = [Image.fromarray(draw_digit(4)[:, :, 0]), Image.new("L", (280, 280), 255)]
    gif = _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert predictor.predict(gif).digit == 4


def test_sixteen_bit_png_is_rescaled(predictor):
    gray16 = (draw_digit(3)[:, :, 0].astype(np.uint16) * 200).astype(np.uint16)
    data = _encoded(Image.fromarray(gray16), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    assert predictor.predict(data).digit == 3


@pytest.mark.parametrize(
    "image",
    [
        Image.new("L", (1, 1), 0),
        Image.new("L", (1, 1), 255),
        Image.new("RGB", (640, 480), (255, 255, 255)),
        Image.new("RGB", (640, 480), (0, 0, 0)),
    ],
    ids=["1-pixel-black", "1-pixel-white", "all-white", "all-black"],
)
def test_images_without_ink_are_blank(predictor, image):
    data = _encoded(image, "PNG")
    result, reading = predictor.predict(data), predictor.read(data)
    assert result.digit is None and "blank" in result.reason
    assert reading.text == "" and "blank" in reading.reason
