"""The digit model: data, preprocessing, network, training, evaluation, inference."""

from model.errors import InvalidImageError

__all__ = ["InvalidImageError", "Prediction", "Predictor", "Reading"]


def __getattr__(name):
    # The predictor brings OpenCV and an inference engine; only pay for them when asked for.
    if name in ("Predictor", "Prediction", "Reading"):
        from model.inference import predictor as inference

        return getattr(inference, name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
