"""Exports for other runtimes: LiteRT flat buffers (mobile, embedded, the app) and a TF
SavedModel (TF Serving). Each export is checked against Keras on MNIST test images and
refused when it does not give the same outputs.

LiteRT gets one flat buffer per ensemble member (the first with the gate), so that the app
runs the second member only for the digits the first doubts (`model.inference.cascade`);
the SavedModel is the whole ensemble in one graph. The first LiteRT member's weights are int8
by default (`config.LITERT_QUANTIZATION`): its check then allows a larger difference, never
another digit.
"""

import json
import os
import shutil
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from model import config, paths
from model.checksums import sha256_file
from model.data.mnist import load_mnist
from model.errors import UsageError
from model.inference.engines import LiteRTEngine, member_models, source_files

FORMATS = ("litert", "savedmodel")
QUANTIZATIONS = config.LITERT_QUANTIZATIONS
TOLERANCE = 1e-5  # largest difference allowed between an export's outputs and Keras's
QUANTIZED_TOLERANCE = 0.05  # the same for int8 weights (0.04 seen, on the gate's output)
SAVEDMODEL_DIR = paths.RUNS_DIR / "savedmodel"
SAVEDMODEL_CARD_FILE = "export.json"
CHUNK = 1024


class ExportMismatchError(ValueError):
    """An export whose outputs differ from the Keras model's."""


def combined_model(model_path):
    """The digit model and its gate (when there) as one Keras model with named outputs.

    Input "image": float32 (N, 28, 28, 1), 0-255, white on black. Outputs "probabilities"
    (N, 10), the digit network's softmax, and "is_digit" (N, 1), the gate's probability.
    """
    import keras

    models = [keras.models.load_model(path, compile=False) for path in source_files(model_path)]
    image = keras.Input((28, 28, 1), name="image")
    outputs = {"probabilities": models[0](image)}
    if len(models) == 2:
        outputs["is_digit"] = models[1](image)
    return keras.Model(image, outputs, name="digits")


def member_exports(model_path):
    """One Keras model per ensemble member, as exported for LiteRT: the first member with
    the gate (outputs "probabilities" and "is_digit"), the others alone ("probabilities")."""
    import keras

    files = source_files(model_path)
    digit_model = keras.models.load_model(files[0], compile=False)
    gate = keras.models.load_model(files[1], compile=False) if len(files) == 2 else None
    exports = []
    for position, member in enumerate(member_models(digit_model)):
        image = keras.Input((28, 28, 1), name="image")
        outputs = {"probabilities": member(image)}
        if position == 0 and gate is not None:
            outputs["is_digit"] = gate(image)
        exports.append(keras.Model(image, outputs, name=f"digits_{position + 1}"))
    return exports


def _litert_names(count):
    return [paths.LITERT_FILE, *paths.LITERT_MORE_FILES][:count]


def _remove(staged):
    for path in staged if isinstance(staged, list) else [staged]:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def tolerance_for(quantization):
    """The largest output difference from Keras an export with this quantization may have."""
    return TOLERANCE if quantization == "none" else QUANTIZED_TOLERANCE


def _converter_options(quantization):
    if quantization == "none":
        return {}
    import tensorflow as tf

    # Weights int8; each image's activations quantised on the fly, so an image's outputs do
    # not depend on the other images in its batch.
    return {"optimizations": [tf.lite.Optimize.DEFAULT]}


def _export_member(member, name, images, quantization, undecided_below=None):
    """Exports one member to `name` and checks it; returns (outputs, check, quantization).

    An int8 export that does not pass the check is made again in float: a retrained model
    whose int8 weights change a digit is slower, never refused. `undecided_below`: see
    `compare_outputs` (given for the first member of a cascade).
    """
    member.export(name, format="litert", verbose=False, **_converter_options(quantization))
    exported = _litert_outputs(name, images)
    try:
        check = compare_outputs(
            _keras_outputs(member, images),
            exported,
            tolerance_for(quantization),
            undecided_below if quantization != "none" else None,
        )
    except ExportMismatchError:
        if quantization == "none":
            raise
        return _export_member(member, name, images, "none")
    return exported, check, quantization


def _export_litert(model_path, out_dir, images, quantization):
    """Exports and checks every member; returns (staged files, check, cascade report, the
    quantization each file got)."""
    members = member_exports(model_path)
    if len(members) > len(_litert_names(len(members))):
        raise UsageError(f"{len(members)} members: at most {1 + len(paths.LITERT_MORE_FILES)}")
    staged, differences, used = [], [], []
    try:
        for position, member in enumerate(members):
            handle, name = tempfile.mkstemp(dir=out_dir, prefix=".export-", suffix=".tflite")
            os.close(handle)
            staged.append(Path(name))
            # Only the first member, which runs on every image, is quantised: the others run
            # for the doubtful few. There int8 weights may tip the first member's own digit,
            # never the cascade's (checked below against the Keras ensemble).
            undecided = config.CASCADE_CONFIDENCE if len(members) > 1 else None
            exported, check, got = _export_member(
                member, name, images, quantization if position == 0 else "none", undecided
            )
            differences.append(check["max_abs_difference"])
            used.append(got)
            if len(staged) == 1:
                first_sure = exported["probabilities"].max(axis=1)
                first_changed = check["undecided_changed"]
        ensemble = _keras_outputs(combined_model(model_path), images)["probabilities"]
        engine = LiteRTEngine(staged[0], more=staged[1:])
        probabilities = np.concatenate(
            [engine(images[start : start + CHUNK])[0] for start in range(0, len(images), CHUNK)]
        )
    except BaseException:
        _remove(staged)
        raise
    changed = int((probabilities.argmax(axis=1) != ensemble.argmax(axis=1)).sum())
    if changed and used[0] != "none":
        _remove(staged)  # the int8 first member changed what the app reads: all in float
        return _export_litert(model_path, out_dir, images, "none")
    cascade = {
        "members": len(members),
        "confidence": config.CASCADE_CONFIDENCE,
        "further_members_run_on": round(float((first_sure < config.CASCADE_CONFIDENCE).mean()), 4),
        "digits_unlike_the_ensemble": changed,
        "max_abs_difference_from_the_ensemble": float(np.abs(probabilities - ensemble).max()),
    }
    # The digits the app reads are the ensemble's on every test image (checked above).
    check = {
        "max_abs_difference": max(differences),
        "argmax_identical": True,
        "first_member_changed_where_undecided": first_changed,
    }
    return staged, check, cascade, used


def _in_chunks(run, images):
    outputs = [run(images[start : start + CHUNK]) for start in range(0, len(images), CHUNK)]
    return {name: np.concatenate([output[name] for output in outputs]) for name in outputs[0]}


def _keras_outputs(model, images):
    return _in_chunks(lambda chunk: model.predict_on_batch(chunk), images)


def _litert_outputs(path, images):
    engine = LiteRTEngine(path)
    probabilities, is_digit = engine(images)
    outputs = {"probabilities": probabilities}
    if engine.has_gate:
        outputs["is_digit"] = is_digit[:, None]
    return outputs


def _savedmodel_outputs(folder, images):
    import tensorflow as tf

    serve = tf.saved_model.load(str(folder)).signatures["serving_default"]
    return _in_chunks(
        lambda chunk: {
            name: value.numpy() for name, value in serve(image=tf.constant(chunk)).items()
        },
        images,
    )


def compare_outputs(reference, exported, tolerance=TOLERANCE, undecided_below=None):
    """How far an export's outputs are from Keras's.

    Args:
        reference, exported: dicts of output name -> array, from Keras and from the export.
        tolerance: the largest absolute difference allowed.
        undecided_below: when given, an image whose most likely digit (by Keras) is below
            this probability may get another digit: a cascade's first member, whose doubtful
            images the other members read too (the ensemble is checked on its own).

    Returns:
        {"max_abs_difference": float, "argmax_identical": True, "undecided_changed": int}.

    Raises:
        ExportMismatchError: other outputs, a difference above `tolerance`, or any image
            (any decided image, with `undecided_below`) whose most likely digit differs.
    """
    if set(reference) != set(exported):
        raise ExportMismatchError(f"outputs {sorted(exported)} instead of {sorted(reference)}")
    difference = max(
        float(np.abs(reference[name] - exported[name]).max(initial=0.0)) for name in reference
    )
    other = reference["probabilities"].argmax(axis=1) != exported["probabilities"].argmax(axis=1)
    undecided = np.zeros_like(other)
    if undecided_below is not None:
        undecided = reference["probabilities"].max(axis=1) < undecided_below
    changed = int((other & ~undecided).sum())
    if difference > tolerance or changed:
        raise ExportMismatchError(
            f"the export does not match Keras: max abs difference {difference:.3g} "
            f"(allowed {tolerance:g}), {changed} images with another digit"
        )
    return {
        "max_abs_difference": difference,
        "argmax_identical": True,
        "undecided_changed": int((other & undecided).sum()),
    }


def _versions():
    packages = ("tensorflow", "keras", "ai-edge-litert")
    return {name: metadata.version(name) for name in packages}


def export(
    export_format,
    model_path=None,
    out_dir=None,
    mnist_dir=None,
    limit=None,
    quantization=config.LITERT_QUANTIZATION,
):
    """Exports the digit model and its gate, then checks the export against Keras.

    Args:
        export_format: "litert" (writes `digits.tflite`, `digits-2.tflite` for a second
            ensemble member, and `litert.json`) or "savedmodel"
            (a SavedModel folder with a `serving_default` signature, and `export.json`).
        model_path: the `.keras` digit model; default the bundled one.
        out_dir: where to write; default the model's folder for LiteRT (the app then uses
            it), `runs/savedmodel` for the SavedModel.
        mnist_dir: MNIST folder (see `model.data.mnist.load_mnist`); the check uses its test set.
        limit: check on only the first `limit` test images.
        quantization: LiteRT only: "dynamic" (the first member's weights int8, its
            activations quantised per image as it runs; float again if that changes a
            digit) or "none" (float, as Keras to 1e-5). The card records what each file got.

    Returns:
        The export's report (also written beside it as JSON).

    Raises:
        ValueError: an unknown format, or a SavedModel `out_dir` holding something else.
        ExportMismatchError: the export's outputs differ from Keras's; it is deleted and any
            earlier export is left as it was.
    """
    if export_format not in FORMATS:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, not {export_format!r}")
    if quantization not in QUANTIZATIONS:
        raise UsageError(f"quantization must be one of {', '.join(QUANTIZATIONS)}")
    if export_format == "savedmodel":
        quantization = "none"
    model_path = Path(model_path) if model_path else paths.BUNDLED_DIR / paths.MODEL_FILE
    default_out = model_path.parent if export_format == "litert" else SAVEDMODEL_DIR
    out_dir = Path(out_dir) if out_dir else default_out
    out_dir.mkdir(parents=True, exist_ok=True)
    holds_other_things = any(out_dir.iterdir()) and not (out_dir / "saved_model.pb").is_file()
    if export_format == "savedmodel" and holds_other_things:
        raise UsageError(f"{out_dir} is not empty and holds no SavedModel: refusing to replace it")
    images = load_mnist(mnist_dir, validation_size=0).x_test[:limit]
    images = images.astype(np.float32)[..., None]

    # Written beside the target, checked, then moved into place: a failed export leaves the
    # previous one (which the app may be using) as it was.
    started = time.perf_counter()
    extra = {}
    if export_format == "litert":
        card_path = out_dir / paths.LITERT_CARD_FILE
        staged, check, extra["cascade"], used = _export_litert(
            model_path, out_dir, images, quantization
        )
        names = _litert_names(len(staged))
        extra["file_quantization"] = dict(zip(names, used, strict=True))
        quantization = "dynamic" if "dynamic" in used else "none"
        for path, name in zip(staged, names, strict=True):
            os.replace(path, out_dir / name)
        for name in paths.LITERT_MORE_FILES[len(names) - 1 :]:
            (out_dir / name).unlink(missing_ok=True)  # a member the new model lacks
        target = out_dir / paths.LITERT_FILE
        extra["files"] = {name: sha256_file(out_dir / name) for name in names}
        size = sum((out_dir / name).stat().st_size for name in names)
    else:
        model = combined_model(model_path)
        target, card_path = out_dir, out_dir / SAVEDMODEL_CARD_FILE
        staged = Path(tempfile.mkdtemp(dir=target.parent, prefix=".export-"))
        model.export(str(staged), format="tf_saved_model", verbose=False)
        try:
            check = compare_outputs(
                _keras_outputs(model, images), _savedmodel_outputs(staged, images)
            )
        except BaseException:
            _remove(staged)
            raise
        shutil.rmtree(target)
        os.replace(staged, target)
        size = _size(target)
    seconds = time.perf_counter() - started
    report = {
        "format": export_format,
        "file": target.name,
        "sha256": sha256_file(target) if target.is_file() else None,
        "sources": {path.name: sha256_file(path) for path in source_files(model_path)},
        "verified": True,
        "test_images": len(images),
        "quantization": quantization,
        "tolerance": tolerance_for(quantization),
        **check,
        **extra,
        "export_seconds": round(seconds, 2),
        "size_bytes": size,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": _versions(),
    }
    card_path.write_text(json.dumps(report, indent=2) + "\n")
    return report


def _size(target):
    if target.is_file():
        return target.stat().st_size
    return sum(path.stat().st_size for path in target.rglob("*") if path.is_file())
