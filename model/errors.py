"""The exception types the public API raises; each message says why in plain words."""


class InvalidImageError(ValueError):
    """The input is not an image the recognizer can read; the message says why in plain words."""


class ImageTooLargeError(InvalidImageError):
    """The image is over the size limits (in bytes or in pixels); the message gives the limit."""


class FeedbackError(RuntimeError):
    """The feedback database cannot be used: not a database, corrupt, locked or unwritable.

    The message names the file and says what to do; the file itself is never changed.
    """


class RegistryError(RuntimeError):
    """The model registry cannot be used: a broken manifest, or an unknown version."""


class TamperedModelError(RegistryError):
    """A model version's file is missing or does not match the checksum in the manifest."""


class UsageError(ValueError):
    """A command or function was asked for something it cannot do (a bad option, a refused
    output folder); the message says what to give instead."""


class DatasetError(ValueError):
    """A data set's file is missing, truncated or not what its name says."""


class MnistFormatError(DatasetError):
    """An MNIST IDX file is missing, truncated or not what its name says."""
