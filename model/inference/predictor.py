"""Inference only: load the bundled model once, read digits with a compiled call.

TensorFlow is not imported here: with the LiteRT engine, the app never loads it.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model import paths
from model.errors import InvalidImageError
from model.inference.calibration import DEFAULT_THRESHOLD, apply_temperature
from model.inference.engines import load_engine
from model.inference.image_io import load_image_scaled
from model.inference.ink import find_ink
from model.inference.preprocess import BLANK, locate_digit, source_box
from model.inference.reader import choose_digits, plan_digits


@dataclass
class Prediction:
    """One digit's reading.

    digit: 0-9, the most likely digit; None when there is no digit at all (a blank image,
        a dot, a dash; `reason` says why).
    confidence: how sure the reading is: the calibrated probability of `digit` times
        `is_digit` (0.0 when digit is None).
    probabilities: float (10,) calibrated probabilities of the ten digits, supposing the
        picture is a digit; they sum to 1 (uniform when digit is None).
    image28: uint8 (28, 28), the MNIST-format image the model saw (white on black).
    reason: why there is no digit, or why it is uncertain; None otherwise.
    uncertain: True when `confidence` is below the predictor's threshold: the picture may
        not be a digit (a scribble, a letter) or may be badly written; do not trust `digit`.
    box: (x, y, width, height) of the digit's ink in the source image's pixels.
    is_digit: the digit gate's probability that the picture is one digit at all.
    """

    digit: int | None
    confidence: float
    probabilities: np.ndarray
    image28: np.ndarray
    reason: str | None = None
    uncertain: bool = False
    box: tuple | None = None
    is_digit: float = 1.0

    def to_json(self):
        return {
            "digit": self.digit,
            "confidence": round(self.confidence, 6),
            "uncertain": self.uncertain,
            "is_digit": round(self.is_digit, 6),
            "probabilities": [round(float(p), 6) for p in self.probabilities],
            **({"box": list(self.box)} if self.box else {}),
            **({"reason": self.reason} if self.reason else {}),
        }


@dataclass
class Reading:
    """A whole number read from a picture.

    text: the digits left to right ("2026"); "" when none were found.
    digits: one `Prediction` per digit, left to right, each with its `box`.
    reason: why nothing was read (a blank picture, only dots), else None.
    skipped: (box, reason) for ink that was ignored as not a digit (dots, dashes).
    """

    text: str
    digits: list
    reason: str | None = None
    skipped: list = field(default_factory=list)

    @property
    def uncertain(self):
        return any(digit.uncertain for digit in self.digits)

    def to_json(self):
        return {
            "text": self.text,
            "uncertain": self.uncertain,
            "digits": [digit.to_json() for digit in self.digits],
            **({"reason": self.reason} if self.reason else {}),
        }


def _no_digit(reason):
    return Prediction(
        None,
        0.0,
        np.full(10, 0.1, dtype=np.float32),
        np.zeros((28, 28), np.uint8),
        reason,
        is_digit=0.0,
    )


class Predictor:
    """The digit recognizer: `Predictor.load()` once, then `predict`, `read` or `predict_batch`.

    `threshold`: calibrated confidence below which a reading is flagged `uncertain`.
    """

    def __init__(self, engine, card=None, calibration=None):
        self.engine = engine
        self.card = card or {}
        self.calibration = calibration or {}
        self.temperature = float(self.calibration.get("temperature", 1.0))
        self.threshold = float(self.calibration.get("threshold", DEFAULT_THRESHOLD))

    @classmethod
    def load(cls, path=None, engine="auto", threads=None):
        """Loads a `.keras` model (default: the bundled one) with what lies beside it.

        The model card, `calibration.json`, the digit gate (`gate.keras`) and the LiteRT
        export (`digits.tflite`) are read from the model's folder when there.

        Args:
            path: a `.keras` digit model; None for the bundled one.
            engine: "auto" (LiteRT when a verified export of this model is beside it, else
                Keras), "litert" or "keras". Both give the same digits but for rare near-ties
                (int8 weights; 1 in 10,000 MNIST test digits, `litert.json`); LiteRT is
                faster and does not import TensorFlow.
            threads: threads of each LiteRT interpreter (default: up to two); 1 where
                several processes share the cores.

        Raises:
            FileNotFoundError: no model at `path`, or engine="litert" without a current export.
            ValueError: an unknown engine.
        """
        path = Path(path) if path else paths.BUNDLED_DIR / paths.MODEL_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no model file at {path}; run `python -m model train`")
        card, calibration = (
            path.parent / name for name in (paths.CARD_FILE, paths.CALIBRATION_FILE)
        )
        return cls(
            load_engine(path, engine, threads),
            json.loads(card.read_text()) if card.is_file() else None,
            json.loads(calibration.read_text()) if calibration.is_file() else None,
        )

    def raw_outputs(self, images):
        """The network's own softmax (N, 10) and the gate's (N,) for uint8 (N, 28, 28) images."""
        batch = np.ascontiguousarray(images, dtype=np.float32)[..., None]
        if len(batch) == 0:
            return np.zeros((0, 10), dtype=np.float32), np.zeros(0, dtype=np.float32)
        probabilities, is_digit = self.engine(batch)
        return probabilities.astype(np.float32), is_digit.astype(np.float32)

    def _calibrated(self, images):
        probabilities, is_digit = self.raw_outputs(images)
        if self.temperature == 1.0:
            return probabilities / probabilities.sum(axis=1, keepdims=True), is_digit
        return apply_temperature(probabilities, self.temperature), is_digit

    def predict_batch(self, images):
        """Calibrated probabilities for MNIST-format images.

        Args:
            images: uint8 (N, 28, 28) (or (N, 28, 28, 1)), white digit on black.

        Returns:
            float32 (N, 10) probabilities.

        Raises:
            InvalidImageError: wrong shape or dtype.
        """
        images = np.asarray(images)
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise InvalidImageError(f"predict_batch needs (N, 28, 28) images, not {images.shape}")
        if images.dtype != np.uint8:
            raise InvalidImageError(f"predict_batch needs uint8 images, not {images.dtype}")
        return self._calibrated(images)[0]

    def _prediction(self, probabilities, is_digit, image28, box=None):
        digit = int(probabilities.argmax())
        confidence = float(probabilities[digit] * is_digit)
        uncertain = confidence < self.threshold
        if is_digit < 0.5:
            reason = "this does not look like a digit (a scribble, a letter?)"
        else:
            reason = f"unsure: confidence {confidence:.0%} is below {self.threshold:.0%}"
        return Prediction(
            digit,
            confidence,
            probabilities,
            image28,
            reason if uncertain else None,
            uncertain,
            box,
            float(is_digit),
        )

    def predict(self, image):
        """Reads one digit: all the ink in the picture, except specks, is taken as one digit.

        Args:
            image: a file path, bytes of an image file, a PIL image, or a numpy array
                ((H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA; any size; dark ink on light or
                light ink on dark).

        Returns:
            A `Prediction`; `digit` is None (with a `reason`) when there is no digit.

        Raises:
            InvalidImageError: not an image, corrupt, empty, too large, or an array of the
                wrong dtype or shape.
        """
        array, decoded_scale = load_image_scaled(image)
        image28, box, reason = locate_digit(array)
        if image28 is None:
            return _no_digit(reason)
        box = source_box(box, decoded_scale, _file_size(array, decoded_scale))
        probabilities, is_digit = self._calibrated(image28[None])
        return self._prediction(probabilities[0], is_digit[0], image28, box)

    def read(self, image):
        """Reads every digit in a picture, left to right, as a number.

        Digits drawn in several strokes stay one digit, specks, dots and dashes are
        ignored, and touching digits are split where the model reads the parts better.

        Args:
            image: as for `predict`.

        Returns:
            A `Reading`.

        Raises:
            InvalidImageError: as for `predict`.
        """
        planned = _planned_reading(image)
        if isinstance(planned, Reading):
            return planned
        images = planned[0].images
        outputs = self._calibrated(np.stack(images)) if images else (None, None)
        return self._finished_reading(planned, *outputs)

    def read_many(self, images):
        """Reads several pictures as `read` does, with one model call for all of them.

        The readings are those of `read` (tests/test_batch.py). Each picture is decoded and
        let go in turn: only its 28x28 candidates are kept until the model call.

        Args:
            images: a sequence of what `read` takes.

        Returns:
            A list in the same order: a `Reading` for each picture, or the
            `InvalidImageError` that `read` would have raised for it.
        """
        planned = []
        for image in images:
            try:
                planned.append(_planned_reading(image))
            except InvalidImageError as error:
                planned.append(error)
        pending = [item for item in planned if isinstance(item, tuple)]
        crops = [crop for plan, *_ in pending for crop in plan.images]
        if crops:
            probabilities, is_digit = self._calibrated(np.stack(crops))
        readings, start = [], 0
        for item in planned:
            if not isinstance(item, tuple):
                readings.append(item)
                continue
            chunk = slice(start, start + len(item[0].images))
            start = chunk.stop
            outputs = (probabilities[chunk], is_digit[chunk]) if item[0].images else (None,) * 2
            readings.append(self._finished_reading(item, *outputs))
        return readings

    def _finished_reading(self, planned, probabilities, is_digit):
        """The `Reading` of a planned picture, given the model's outputs for its images."""
        plan, skipped, scale, size = planned
        found = choose_digits(plan, probabilities, is_digit) if plan.images else []
        skipped = [(source_box(box, scale, size), reason) for box, reason in skipped]
        digits = [
            self._prediction(probabilities, is_digit, image28, source_box(box, scale, size))
            for image28, probabilities, is_digit, box in found
        ]
        if not digits:
            reason = skipped[0][1] if len(skipped) == 1 else BLANK
            return Reading("", [], reason, skipped)
        return Reading("".join(str(d.digit) for d in digits), digits, None, skipped)


def _planned_reading(image):
    """Decodes a picture and plans its reading (see `plan_digits`).

    Returns:
        An empty `Reading` for a blank picture, else (plan, skipped, scale, size): `scale`
        from working to source pixels and `size` the source picture's (height, width).
    """
    array, decoded_scale = load_image_scaled(image)
    ink = find_ink(array)
    ink.scale *= decoded_scale
    if ink.blank:
        return Reading("", [], BLANK)
    plan, skipped = plan_digits(ink)
    return plan, skipped, ink.scale, _file_size(array, decoded_scale)


def _file_size(array, decoded_scale):
    """The (height, width) of the picture a decoded array (shrunk by `decoded_scale`) came from."""
    return tuple(round(side / decoded_scale) for side in array.shape[:2])
