"""The pair reader in LiteRT: two touching or overlapping digits read as one (28, 56) picture
(`model.training.pairs`), so that the reader can take a piece it cannot cut as two digits.

Loaded from beside the digit model only when its card's sha256 matches the file; without it
the reader reads as before.
"""

import json
import threading
from pathlib import Path

import numpy as np

from model import paths
from model.checksums import file_checksum
from model.inference.preprocess import PAIR_SHAPE

NOT_A_PAIR = 100  # the class "not two digits"; class 10 x a + b is the pair "ab"
PAIR_CLASSES = NOT_A_PAIR + 1
BATCH = 16


class PairReader:
    """uint8 (N, 28, 56) pictures to (N, 101) probabilities: class 10 x a + b for the pair
    "ab", NOT_A_PAIR for anything else."""

    def __init__(self, path, threads=1):
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_content=Path(path).read_bytes(), num_threads=threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._size = None
        self._lock = threading.Lock()

    def _run(self, batch):
        if self._size != len(batch):
            self._interpreter.resize_tensor_input(self._input, [len(batch), *PAIR_SHAPE, 1])
            self._interpreter.allocate_tensors()
            self._size = len(batch)
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()

    def __call__(self, images):
        batch = np.ascontiguousarray(images, dtype=np.float32)[..., None]
        if not len(batch):
            return np.zeros((0, PAIR_CLASSES), np.float32)
        with self._lock:
            parts = [
                self._run(batch[start : start + BATCH]) for start in range(0, len(batch), BATCH)
            ]
        return np.concatenate(parts).astype(np.float32)


def load_pair_reader(folder, threads=None):
    """The pair reader in `folder`, or None when it is missing or does not match its card."""
    folder = Path(folder)
    try:
        card = json.loads((folder / paths.PAIRS_CARD_FILE).read_text())
        path = folder / paths.PAIRS_FILE
        if card.get("sha256") != file_checksum(path):
            return None
        return PairReader(path, threads or 1)
    except (OSError, ValueError, AttributeError):
        return None
