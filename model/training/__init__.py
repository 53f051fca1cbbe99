"""Training: the network definitions, the one training recipe (compile, schedule,
best-on-validation, augmentation), the bundled CNN, the digit gate, calibration fitting,
evaluation metrics and fine-tuning on feedback.

Import rule: the only package (with `model.study` and `model.operations.export`) that imports
TensorFlow or Keras; nothing in `model.inference` imports it.
"""
