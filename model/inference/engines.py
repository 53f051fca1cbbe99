"""Two ways to run the digit network and the digit gate: Keras (TensorFlow) or LiteRT.

An engine takes float32 (N, 28, 28, 1) MNIST-format images (0-255) and returns the digit
network's softmax (N, 10) and the gate's probability that each image is a digit (N,).
An ensemble runs member by member (`model.inference.cascade`): the second member only for
the digits the first doubts. The LiteRT engine loads in milliseconds and never imports
TensorFlow.
"""

import json
import os
import threading
from pathlib import Path

import numpy as np

from model import paths
from model.checksums import file_checksum
from model.errors import UsageError
from model.inference.cascade import run_members

KERAS_CHUNK = 2048
LITERT_BATCH = 256  # batches are run in chunks of this many...
LITERT_SIZES = (LITERT_BATCH, 8, 2, 1)  # ...and the rest in chunks of these
ENGINES = ("auto", "keras", "litert")


def source_files(model_path):
    """The Keras files an export is made from: the digit model and, when there, its gate."""
    model_path = Path(model_path)
    gate_path = model_path.parent / paths.GATE_FILE
    return [model_path, gate_path] if gate_path.is_file() else [model_path]


def litert_files(report):
    """The flat buffers a LiteRT card names, in member order, with their sha256."""
    files = report.get("files") or {report.get("file", paths.LITERT_FILE): report.get("sha256")}
    return files if isinstance(files, dict) else {}


def litert_is_current(model_path):
    """Whether a LiteRT export beside the model was verified, is intact, and was made from
    exactly these Keras files."""
    model_path = Path(model_path)
    card = model_path.parent / paths.LITERT_CARD_FILE
    if not card.is_file():
        return False
    try:
        report = json.loads(card.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    if not isinstance(report, dict) or report.get("verified") is not True:
        return False
    files = litert_files(report)
    allowed = {paths.LITERT_FILE, *paths.LITERT_MORE_FILES}
    if not files or not set(files) <= allowed or next(iter(files)) != paths.LITERT_FILE:
        return False
    # Cached: the registry has usually just checked the same files.
    current = {path.name: file_checksum(path) for path in source_files(model_path)}
    return report.get("sources") == current and all(
        (model_path.parent / name).is_file() and file_checksum(model_path.parent / name) == checksum
        for name, checksum in files.items()
    )


def member_models(digit_model):
    """The members of an ensemble made by `model.training.cnn.ensemble_of` (a model of
    nested models averaged by a "mean_probabilities" layer), else [digit_model]."""
    import keras

    members = [layer for layer in digit_model.layers if isinstance(layer, keras.Model)]
    averaged = any(layer.name == "mean_probabilities" for layer in digit_model.layers)
    return members if averaged and len(members) > 1 else [digit_model]


class KerasEngine:
    """The Keras models, each member in one traced graph with the gate beside the first:
    ~1 ms a call instead of `model.predict`'s ~50 ms."""

    name = "keras"

    def __init__(self, digit_model, gate=None):
        import tensorflow as tf

        self.model = digit_model
        self.gate = gate
        signature = [tf.TensorSpec([None, 28, 28, 1], tf.float32)]
        members = member_models(digit_model)
        # Without a gate, every picture is taken to be a digit.
        first = members[0]
        self._members = [
            tf.function(
                lambda x: (
                    first(x, training=False),
                    gate(x, training=False) if gate else tf.ones([tf.shape(x)[0], 1]),
                ),
                input_signature=signature,
            )
        ]
        for member in members[1:]:
            self._members.append(
                tf.function(
                    lambda x, member=member: (
                        member(x, training=False),
                        tf.ones([tf.shape(x)[0], 1]),
                    ),
                    input_signature=signature,
                )
            )
        for forward in self._members:
            forward(tf.zeros([1, 28, 28, 1]))

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

    def _member(self, forward):
        import tensorflow as tf

        def run(batch):
            probabilities, is_digit = forward(tf.constant(batch))
            return probabilities.numpy(), is_digit.numpy()[:, 0]

        return run

    def __call__(self, batch, first_only=False):
        forwards = self._members[:1] if first_only else self._members
        members = [self._member(forward) for forward in forwards]
        chunks = [
            run_members(members, batch[start : start + KERAS_CHUNK])
            for start in range(0, len(batch), KERAS_CHUNK)
        ]
        probabilities = np.concatenate([chunk[0] for chunk in chunks])
        is_digit = np.concatenate([chunk[1] for chunk in chunks])
        return probabilities, is_digit


def _usable_cpus():
    """CPUs this process may run on (a container's share, where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def limit_opencv_threads(threads):
    """Lets OpenCV use at most `threads` threads in this process, for all its calls.

    Where each reading already has a core of its own (the API's predictors, the batch job's
    workers), OpenCV's own threads cost CPU and save no time: finding the digit on a canvas
    took 0.9 ms of CPU with two threads and 0.5 ms with one, in the same 0.5 ms.
    """
    import cv2

    cv2.setNumThreads(max(1, int(threads)))


class _Runner:
    """One LiteRT interpreter sized for a fixed batch, with its signature's tensor indices."""

    def __init__(self, content, batch_size, threads):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_content=content, num_threads=threads)
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


class _Member:
    """One flat buffer, with an interpreter for each of LITERT_SIZES: a batch runs in chunks
    of the largest that fit, then of the smaller ones (the few pieces of one number cost
    0.061 ms an image in eights against 0.090 one at a time). The largest and the single
    one are made at once (the largest holds most of the memory), the others when needed."""

    def __init__(self, path, threads):
        # Read once: the file may be gone when a smaller interpreter is first needed (the
        # batch job's workers load a copy from a temporary folder).
        self._content = Path(path).read_bytes()
        self._threads = threads
        self.single = _Runner(self._content, 1, threads=threads)
        self._runners = {1: self.single}
        self._runner(LITERT_BATCH)

    def _runner(self, size):
        if size not in self._runners:
            self._runners[size] = _Runner(self._content, size, threads=self._threads)
        return self._runners[size]

    def __call__(self, batch):
        if len(batch) == 1:
            return self.single(batch)
        outputs, start = [], 0
        for size in LITERT_SIZES:
            while len(batch) - start >= size:
                outputs.append(self._runner(size)(batch[start : start + size]))
                start += size
        probabilities = np.concatenate([output[0] for output in outputs])
        is_digit = np.concatenate([output[1] for output in outputs])
        return probabilities, is_digit


class LiteRTEngine:
    """The exported flat buffers (`python -m model export --format litert`) in LiteRT: the
    first member with the gate, then any further members (see `model.inference.cascade`).

    Each flat buffer has an interpreter for single images and one for batches, using up to
    two threads (1.8x faster for one image here; the outputs are bit-identical to one
    thread's). Calls are serialised: an interpreter is not thread-safe.
    """

    name = "litert"

    def __init__(self, path, threads=None, more=()):
        self.path = Path(path)
        threads = threads or min(2, _usable_cpus())
        self._members = [_Member(file, threads) for file in (path, *more)]
        self._lock = threading.Lock()

    @property
    def has_gate(self):
        return self._members[0].single.is_digit is not None

    @classmethod
    def load(cls, model_path, threads=None):
        """The LiteRT export beside the `.keras` model at `model_path`: every member it lists.

        Args:
            model_path: the `.keras` model the export was made from.
            threads: threads per interpreter (default: up to two).

        Raises:
            FileNotFoundError: there is no export, or it was made from other Keras files.
        """
        if not litert_is_current(model_path):
            raise FileNotFoundError(
                f"no verified LiteRT export of {Path(model_path).name} beside it; run "
                "`python -m model export --format litert`"
            )
        folder = Path(model_path).parent
        card = json.loads((folder / paths.LITERT_CARD_FILE).read_text())
        first, *more = (folder / name for name in litert_files(card))
        return cls(first, threads, more)

    def __call__(self, batch, first_only=False):
        """(probabilities, is_digit) of the ensemble, or of its first member alone."""
        with self._lock:
            return run_members(self._members[:1] if first_only else self._members, batch)


def load_engine(model_path, engine="auto", threads=None):
    """The engine for the `.keras` model at `model_path`: the one way every reader (the app,
    the CLI, the API, `Predictor.load`) builds one, so they all give the same answers.

    Args:
        model_path: a `.keras` digit model; `gate.keras` and a LiteRT export beside it are
            used when there.
        engine: "litert", "keras", or "auto": LiteRT when a verified export of exactly these
            Keras files is beside the model (each network gives Keras's digits on the MNIST
            test set, checked at export, and it is faster), else Keras.
        threads: threads per LiteRT interpreter (default: up to two); Keras ignores it.

    Raises:
        ValueError: an unknown engine name.
        FileNotFoundError: engine="litert" without a current export.
    """
    if engine not in ENGINES:
        raise UsageError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "litert" or (engine == "auto" and litert_is_current(model_path)):
        return LiteRTEngine.load(model_path, threads)
    return KerasEngine.load(model_path)
