"""LiteRT and SavedModel exports: checked against Keras, used by the Predictor when current."""

import json
import shutil

import numpy as np
import pytest
from strokes import draw_digit, draw_number
from support import run_cli

from model import Predictor, paths
from model.data.mnist import load_mnist
from model.inference.engines import litert_is_current
from model.operations.export import (
    QUANTIZED_TOLERANCE,
    ExportMismatchError,
    combined_model,
    compare_outputs,
    export,
)


@pytest.fixture
def model_copy(tmp_path):
    """The bundled Keras files (digit model, gate, calibration) in a folder of their own."""
    for name in (paths.MODEL_FILE, paths.GATE_FILE, paths.CALIBRATION_FILE):
        shutil.copy(paths.BUNDLED_DIR / name, tmp_path / name)
    return tmp_path / paths.MODEL_FILE


@pytest.mark.slow
@pytest.mark.parametrize("quantization", ["dynamic", "none"])
def test_litert_export_round_trip(model_copy, mnist_dir, quantization):
    assert Predictor.load(model_copy).engine.name == "keras"  # nothing exported yet
    report = export("litert", model_copy, mnist_dir=mnist_dir, limit=64, quantization=quantization)
    assert report["verified"] and report["argmax_identical"] and report["test_images"] == 64
    assert report["quantization"] == quantization
    assert report["tolerance"] == (1e-5 if quantization == "none" else QUANTIZED_TOLERANCE)
    assert report["max_abs_difference"] <= report["tolerance"]
    assert report["file_quantization"] == {
        paths.LITERT_FILE: quantization,
        "digits-2.tflite": "none",
    }
    assert json.loads((model_copy.parent / paths.LITERT_CARD_FILE).read_text()) == report
    assert litert_is_current(model_copy)
    assert Predictor.load(model_copy).engine.name == "litert"

    images = load_mnist(mnist_dir, validation_size=0).x_test[:300]
    litert = Predictor.load(model_copy, engine="litert")
    keras = Predictor.load(model_copy, engine="keras")
    litert_outputs, keras_outputs = litert.raw_outputs(images), keras.raw_outputs(images)
    for litert_output, keras_output in zip(litert_outputs, keras_outputs, strict=True):
        np.testing.assert_allclose(litert_output, keras_output, atol=report["tolerance"])
    assert (litert_outputs[0].argmax(axis=1) == keras_outputs[0].argmax(axis=1)).all()
    # int8 weights make the first flat buffer (a network and the gate) smaller than the second
    # (a network alone, float either way); float, it is larger.
    first, second = (model_copy.parent / name for name in report["files"])
    assert (first.stat().st_size < second.stat().st_size) == (quantization == "dynamic")


@pytest.mark.slow
def test_int8_weights_that_fail_the_check_are_exported_in_float(model_copy, mnist_dir, monkeypatch):
    from model.operations import export as export_module

    monkeypatch.setattr(export_module, "QUANTIZED_TOLERANCE", 1e-9)  # no int8 export passes
    report = export("litert", model_copy, mnist_dir=mnist_dir, limit=16)
    assert report["verified"] and report["quantization"] == "none"
    assert set(report["file_quantization"].values()) == {"none"}
    assert report["max_abs_difference"] <= report["tolerance"] == 1e-5
    assert Predictor.load(model_copy).engine.name == "litert"


def test_the_int8_export_reads_an_image_alike_alone_or_in_any_batch(predictor, mnist_dir):
    """Activations are quantised per image: its neighbours in a batch never change its outputs."""
    assert json.loads((paths.BUNDLED_DIR / paths.LITERT_CARD_FILE).read_text())["quantization"] == (
        "dynamic"
    )
    images = load_mnist(mnist_dir, validation_size=0).x_test[:300]
    together = predictor.raw_outputs(images)
    alone = [predictor.raw_outputs(image[None]) for image in images[:40]]
    mixed = images.copy()
    mixed[::2] = 255 - mixed[::2]  # other neighbours, far from MNIST
    beside_others = predictor.raw_outputs(mixed)
    for output in (0, 1):
        assert np.array_equal(np.concatenate([a[output] for a in alone]), together[output][:40])
        assert np.array_equal(beside_others[output][1::2], together[output][1::2])


@pytest.mark.slow
def test_savedmodel_export_round_trip(model_copy, mnist_dir, tmp_path):
    import tensorflow as tf

    report = export("savedmodel", model_copy, tmp_path / "served", mnist_dir, limit=32)
    assert report["verified"] and report["max_abs_difference"] <= 1e-5
    serve = tf.saved_model.load(str(tmp_path / "served")).signatures["serving_default"]
    images = load_mnist(mnist_dir, validation_size=0).x_test[:8]
    outputs = serve(image=tf.constant(images[..., None].astype(np.float32)))
    # The whole ensemble in one graph (the app's engines run it member by member).
    expected = combined_model(model_copy).predict(images[..., None].astype(np.float32), verbose=0)
    np.testing.assert_allclose(
        outputs["probabilities"].numpy(), expected["probabilities"], atol=1e-5
    )
    np.testing.assert_allclose(outputs["is_digit"].numpy(), expected["is_digit"], atol=1e-5)


def test_a_cascade_first_member_may_change_only_digits_the_others_are_asked_about():
    reference = {"probabilities": np.array([[0.52, 0.48], [0.9995, 0.0005]], np.float32)}
    undecided_flip = {"probabilities": np.array([[0.48, 0.52], [0.9995, 0.0005]], np.float32)}
    check = compare_outputs(reference, undecided_flip, 0.05, undecided_below=0.999)
    assert check["undecided_changed"] == 1 and check["argmax_identical"]
    with pytest.raises(ExportMismatchError, match="1 images with another digit"):
        compare_outputs(reference, undecided_flip, 0.05)  # no cascade: every digit counts
    decided_flip = {"probabilities": np.array([[0.52, 0.48], [0.4995, 0.5005]], np.float32)}
    with pytest.raises(ExportMismatchError, match="1 images with another digit"):
        compare_outputs(reference, decided_flip, 1.0, undecided_below=0.999)


@pytest.mark.slow
def test_an_export_that_differs_from_keras_is_refused_and_removed(
    model_copy, mnist_dir, monkeypatch
):
    reference = {"probabilities": np.eye(10, dtype=np.float32)[:4], "is_digit": np.ones((4, 1))}
    nudged = {**reference, "is_digit": reference["is_digit"] - 1e-3}
    with pytest.raises(ExportMismatchError, match="max abs difference 0.001"):
        compare_outputs(reference, nudged)
    swapped = {**reference, "probabilities": reference["probabilities"][::-1]}
    with pytest.raises(ExportMismatchError, match="4 images with another digit"):
        compare_outputs(reference, swapped)

    from model.operations import export as export_module

    def wrong(path, images):
        outputs = export_module.LiteRTEngine(path)(images)
        return {"probabilities": outputs[0] * 0.5, "is_digit": outputs[1][:, None]}

    export("litert", model_copy, mnist_dir=mnist_dir, limit=16)
    good = (model_copy.parent / paths.LITERT_FILE).read_bytes()
    monkeypatch.setattr(export_module, "_litert_outputs", wrong)
    with pytest.raises(ExportMismatchError):
        export("litert", model_copy, mnist_dir=mnist_dir, limit=16)
    # The earlier, verified export is left as it was, and nothing half-made is left beside it.
    assert (model_copy.parent / paths.LITERT_FILE).read_bytes() == good
    assert litert_is_current(model_copy)
    assert not list(model_copy.parent.glob(".export-*"))


def test_a_savedmodel_export_never_replaces_a_folder_of_something_else(model_copy, tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me")
    with pytest.raises(ValueError, match="holds no SavedModel"):
        export("savedmodel", model_copy, other, limit=4)
    assert (other / "todo.txt").read_text() == "keep me"


@pytest.mark.slow
def test_a_stale_or_damaged_export_is_not_used(model_copy, mnist_dir):
    export("litert", model_copy, mnist_dir=mnist_dir, limit=16)
    flat_buffer = model_copy.parent / paths.LITERT_FILE
    flat_buffer.write_bytes(flat_buffer.read_bytes()[:-100])  # a half-written file
    assert not litert_is_current(model_copy)
    export("litert", model_copy, mnist_dir=mnist_dir, limit=16)
    assert litert_is_current(model_copy)
    gate = model_copy.parent / paths.GATE_FILE
    gate.write_bytes(gate.read_bytes() + b"\0")  # the gate changed after the export
    assert not litert_is_current(model_copy)
    with pytest.raises(FileNotFoundError, match="python -m model export --format litert"):
        Predictor.load(model_copy, engine="litert")
    with pytest.raises(ValueError, match="engine must be one of"):
        Predictor.load(model_copy, engine="onnx")


@pytest.mark.artifacts
def test_the_bundled_export_is_current_and_is_the_default_engine(predictor):
    assert litert_is_current(paths.BUNDLED_DIR / paths.MODEL_FILE)
    assert predictor.engine.name == "litert"


def test_both_engines_read_the_same_digits(predictor):
    keras = Predictor.load(engine="keras")
    drawings = [draw_digit(digit, width=width) for digit in (0, 2, 4, 7) for width in (6, 18, 30)]
    for drawing in drawings:
        litert_result, keras_result = predictor.predict(drawing), keras.predict(drawing)
        assert litert_result.digit == keras_result.digit
        assert litert_result.confidence == pytest.approx(
            keras_result.confidence, abs=QUANTIZED_TOLERANCE
        )
    number = draw_number([4, 7, 1, 2])
    assert predictor.read(number).text == keras.read(number).text == "4712"


@pytest.mark.slow
def test_export_command(model_copy, mnist_dir):
    run = run_cli(
        "export", "--format", "litert", "--model", str(model_copy), "--mnist-dir", str(mnist_dir),
        "--limit", "16",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1])["verified"] is True
    run = run_cli("predict", "--model", str(model_copy), "--engine", "litert", str(model_copy))
    assert run.returncode == 1 and "Traceback" not in run.stderr
