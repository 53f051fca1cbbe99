"""Running the model in production: the registry of model versions, the feedback store, checksums
of model files and the LiteRT / SavedModel export.

Import rule: no TensorFlow or Keras at import time (export imports them inside its functions).
"""
