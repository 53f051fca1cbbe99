"""The HTTP API for other systems: a FastAPI app (`app.py`) served by uvicorn through
`python -m model serve`, the request bodies it reads (`uploads.py`), the shared predictors
(`predictors.py`), the documented shapes of its answers (`schemas.py`) and the even spread of
keep-alive connections over several worker processes (`balance.py`).

Import rule (checked by tests/test_layout.py): like `model.inference`, this package never imports
TensorFlow or Keras, nor anything from `model.training` or `model.study`.
"""
