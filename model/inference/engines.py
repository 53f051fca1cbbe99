"""Two ways to run the digit network and the digit gate: Keras (TensorFlow) or LiteRT.

An engine takes float32 (N, 28, 28, 1) MNIST-format images (0-255) and returns the digit
network's softmax (N, 10) and the gate's probability that each image is a digit (N,).
The LiteRT engine loads in milliseconds and never imports TensorFlow.
"""

import json
import os
import threading
from pathlib import Path

import numpy as np

from model import paths
from model.errors import UsageError
from model.operations.checksums import file_checksum

KERAS_CHUNK = 2048
LITERT_BATCH = 256  # batches are run in chunks of this many; the rest one image at a time
ENGINES = ("auto", "keras", "litert")


def source_files(model_path):
    """The Keras files an export is made from: the digit model and, when there, its gate."""
    model_path = Path(model_path)
    gate_path = model_path.parent / paths.GATE_FILE
    return [model_path, gate_path] if gate_path.is_file() else [model_path]


def litert_is_current(model_path):
    """Whether a LiteRT export beside the model was verified, is intact, and was made from
    exactly these Keras files."""
    model_path = Path(model_path)
    flat_buffer = model_path.parent / paths.LITERT_FILE
    card = model_path.parent / paths.LITERT_CARD_FILE
    if not (flat_buffer.is_file() and card.is_file()):
        return False
    try:
        report = json.loads(card.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    # Cached: the registry has usually just checked the same files.
    current = {path.name: file_checksum(path) for path in source_files(model_path)}
    return (
        isinstance(report, dict)
        and report.get("verified") is True
        and report.get("sources") == current
        and report.get("sha256") == file_checksum(flat_buffer)
    )


class KerasEngine:
    """The Keras models in one traced graph: ~1 ms a call instead of `model.predict`'s ~50 ms."""

    name = "keras"

    def __init__(self, digit_model, gate=None):
        import tensorflow as tf

        self.model = digit_model
        self.gate = gate
        # Without a gate, every picture is taken to be a digit.
        self._forward = tf.function(
            lambda x: (
                digit_model(x, training=False),
                gate(x, training=False) if gate else tf.ones([tf.shape(x)[0], 1]),
            ),
            input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)],
        )
        self._forward(tf.zeros([1, 28, 28, 1]))

    @property
    def has_gate(self):
        return self.gate is not None

    @classmethod
    def load(cls, model_path):
        """The `.keras` model at `model_path`, with `gate.keras` beside it when there."""
        import keras

        files = source_files(model_path)
        models = [keras.models.load_model(path, compile=False) for path in files]
        return cls(*models)

    def __call__(self, batch):
        import tensorflow as tf

        chunks = [
            self._forward(tf.constant(batch[start : start + KERAS_CHUNK]))
            for start in range(0, len(batch), KERAS_CHUNK)
        ]
        probabilities = np.concatenate([chunk[0].numpy() for chunk in chunks])
        is_digit = np.concatenate([chunk[1].numpy()[:, 0] for chunk in chunks])
        return probabilities, is_digit


def _usable_cpus():
    """CPUs this process may run on (a container's share, where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _Runner:
    """One LiteRT interpreter sized for a fixed batch, with its signature's tensor indices."""

    def __init__(self, path, batch_size, threads):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.input = self.interpreter.get_input_details()[0]["index"]
        # The outputs are told apart by width: 10 digit probabilities, 1 gate probability.
        outputs = {
            detail["shape"][-1]: detail["index"] for detail in self.interpreter.get_output_details()
        }
        self.probabilities = outputs[10]
        self.is_digit = outputs.get(1)
        self.interpreter.resize_tensor_input(self.input, [batch_size, 28, 28, 1], strict=True)
        self.interpreter.allocate_tensors()

    def __call__(self, batch):
        self.interpreter.set_tensor(self.input, batch)
        self.interpreter.invoke()
        probabilities = self.interpreter.get_tensor(self.probabilities)
        if self.is_digit is None:
            return probabilities, np.ones(len(batch), dtype=np.float32)
        return probabilities, self.interpreter.get_tensor(self.is_digit)[:, 0]


class LiteRTEngine:
    """The exported flat buffer (`python -m model export --format litert`) in LiteRT.

    One interpreter answers single images, another runs large batches in chunks; both use
    up to two threads (1.8x faster for one image here; the outputs are bit-identical to one
    thread's). Calls are serialised: an interpreter is not thread-safe.
    """

    name = "litert"

    def __init__(self, path, threads=None):
        self.path = Path(path)
        threads = threads or min(2, _usable_cpus())
        self._single = _Runner(path, 1, threads=threads)
        self._batch = _Runner(path, LITERT_BATCH, threads=threads)
        self._lock = threading.Lock()

    @property
    def has_gate(self):
        return self._single.is_digit is not None

    @classmethod
    def load(cls, model_path):
        """The LiteRT export beside the `.keras` model at `model_path`.

        Raises:
            FileNotFoundError: there is no export, or it was made from other Keras files.
        """
        if not litert_is_current(model_path):
            raise FileNotFoundError(
                f"no verified LiteRT export of {model_path} beside it; run "
                "`python -m model export --format litert`"
            )
        return cls(Path(model_path).parent / paths.LITERT_FILE)

    def __call__(self, batch):
        full = len(batch) - len(batch) % LITERT_BATCH
        with self._lock:
            outputs = [
                self._batch(batch[start : start + LITERT_BATCH])
                for start in range(0, full, LITERT_BATCH)
            ]
            outputs += [self._single(batch[index : index + 1]) for index in range(full, len(batch))]
        probabilities = np.concatenate([output[0] for output in outputs])
        is_digit = np.concatenate([output[1] for output in outputs])
        return probabilities, is_digit


def load_engine(model_path, engine="auto"):
    """The engine for the `.keras` model at `model_path`.

    Args:
        model_path: a `.keras` digit model; `gate.keras` and a LiteRT export beside it are
            used when there.
        engine: "litert", "keras", or "auto": LiteRT when a verified export of exactly these
            Keras files is beside the model (it gives the same digits and is faster), else Keras.

    Raises:
        ValueError: an unknown engine name.
        FileNotFoundError: engine="litert" without a current export.
    """
    if engine not in ENGINES:
        raise UsageError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "litert" or (engine == "auto" and litert_is_current(model_path)):
        return LiteRTEngine.load(model_path)
    return KerasEngine.load(model_path)
