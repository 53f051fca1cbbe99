"""The one exception type the public API raises for bad input."""


class InvalidImageError(ValueError):
    """The input is not an image the recognizer can read; the message says why in plain words."""
