"""Running the model in production: the registry of model versions (its files checked by
`model.checksums`), the feedback store and the LiteRT / SavedModel export.

Import rule (checked by tests/test_layout.py): no TensorFlow or Keras at import time (`export`
imports them inside its functions), no Streamlit, and nothing from `model.training` or
`model.study`; it may use `model.data` and `model.inference`.
"""
