"""The data: MNIST (loading, the validation split, IDX files), the synthetic re-drawn test sets
and the synthetic non-digits the gate learns to doubt.

Import rule: no TensorFlow or Keras; it may use `model.inference` (to crop like the predictor).
"""
