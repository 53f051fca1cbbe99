"""The data: MNIST (loading, the validation split, IDX files), the synthetic re-drawn test sets,
the synthetic non-digits the gate learns to doubt, and the readers of the two real evaluation sets
in ../shared (USPS, and the manifest of pictures people made), which nothing trains on.

Import rule: no TensorFlow or Keras; it may use `model.inference` (to crop like the predictor).
"""
