"""Reading a picture: image I/O, ink finding, segmentation, MNIST-format preprocessing, the reader
of whole numbers, the inference engines (LiteRT, Keras) and the `Predictor` that ties them together.

Import rule (checked by tests/test_layout.py): this package imports no TensorFlow or Keras at
module level, nothing from `model.training`, `model.study`, `model.data`, `model.operations`,
`model.api` or `model.batch`, and no Streamlit. The Keras engine (`engines.KerasEngine`,
`engines.member_models`) imports TensorFlow and Keras inside its functions, which run only when
a caller asks for `engine="keras"`, or for `engine="auto"` with no verified LiteRT export beside
the model; the bundled model has one, so reading with it never imports TensorFlow.
"""
