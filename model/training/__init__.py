"""Training: the network definitions, the one training recipe (compile, schedule,
best-on-validation, augmentation), the bundled CNN, the digit gate, calibration fitting,
evaluation metrics and fine-tuning on feedback.

Import rule: this package, `model.study` and `model.operations.export` import TensorFlow and
Keras at will. Everything else imports neither at module level (checked by
tests/test_layout.py); the one other place that imports them at all is the Keras engine of
`model.inference.engines`, inside the functions that build it, which run only when a caller
asks for `engine="keras"` or when no verified LiteRT export sits beside the model
(`engine="auto"`). Reading with the bundled model never imports TensorFlow (checked in a
fresh process by the same test).
"""
