"""Inference only: load the bundled model once, predict with a compiled call."""

import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from model import paths
from model.errors import InvalidImageError
from model.image_io import load_image
from model.preprocess import to_mnist

BATCH_CHUNK = 2048


@dataclass
class Prediction:
    """One image's reading.

    digit: 0-9, or None when there is no digit (then `reason` says why).
    confidence: the probability of `digit` (0.0 when digit is None).
    probabilities: float (10,) summing to 1 (uniform when digit is None).
    image28: uint8 (28, 28), the MNIST-format image the model saw (white on black).
    """

    digit: int | None
    confidence: float
    probabilities: np.ndarray
    image28: np.ndarray
    reason: str | None = None

    def to_json(self):
        return {
            "digit": self.digit,
            "confidence": round(self.confidence, 6),
            "probabilities": [round(float(p), 6) for p in self.probabilities],
            **({"reason": self.reason} if self.reason else {}),
        }


class Predictor:
    """The digit recognizer: `Predictor.load()` once, then `predict` or `predict_batch`."""

    def __init__(self, keras_model, card=None):
        self.model = keras_model
        self.card = card or {}
        # One traced graph for every batch size: ~1 ms a call instead of model.predict's ~50 ms.
        self._forward = tf.function(
            lambda x: keras_model(x, training=False),
            input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)],
        )
        self._forward(tf.zeros([1, 28, 28, 1]))

    @classmethod
    def load(cls, path=None):
        """Loads a `.keras` model (default: the bundled one) and its model card if present.

        Raises:
            FileNotFoundError: no model at `path`.
        """
        path = Path(path) if path else paths.BUNDLED_DIR / paths.MODEL_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no model file at {path}; run `python -m model train`")
        card_path = path.parent / paths.CARD_FILE
        card = json.loads(card_path.read_text()) if card_path.is_file() else None
        return cls(keras.models.load_model(path, compile=False), card)

    def predict_batch(self, images):
        """Probabilities for MNIST-format images.

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
        batch = images.astype(np.float32)[..., None]
        if len(batch) == 0:
            return np.zeros((0, 10), dtype=np.float32)
        chunks = [
            self._forward(tf.constant(batch[start : start + BATCH_CHUNK])).numpy()
            for start in range(0, len(batch), BATCH_CHUNK)
        ]
        return np.concatenate(chunks).astype(np.float32)

    def predict(self, image):
        """Reads one digit.

        Args:
            image: a file path, bytes of an image file, a PIL image, or a numpy array
                ((H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA; any size; dark ink on light or
                light ink on dark).

        Returns:
            A `Prediction`; `digit` is None (with a `reason`) when there is no digit.

        Raises:
            InvalidImageError: not an image, corrupt, empty, or an array of the wrong
                dtype or shape.
        """
        array = load_image(image)
        image28, reason = to_mnist(array)
        if image28 is None:
            return Prediction(
                None,
                0.0,
                np.full(10, 0.1, dtype=np.float32),
                np.zeros((28, 28), dtype=np.uint8),
                reason,
            )
        probabilities = self.predict_batch(image28[None])[0]
        probabilities = probabilities / probabilities.sum()
        digit = int(probabilities.argmax())
        return Prediction(digit, float(probabilities[digit]), probabilities, image28)
