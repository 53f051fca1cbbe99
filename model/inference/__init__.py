"""Reading a picture: image I/O, ink finding, segmentation, MNIST-format preprocessing, the reader
of whole numbers, the inference engines (LiteRT, Keras) and the `Predictor` that ties them together.

Import rule (checked by tests/test_layout.py): this package never imports TensorFlow or Keras at
import time, nor anything from `model.training` or `model.study`. The Keras engine imports Keras
only when a caller asks for it.
"""
