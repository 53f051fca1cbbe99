"""Shared fixtures: the real MNIST folder and the bundled predictor."""

import pytest
from support import MNIST_DIR, require


@pytest.fixture(scope="session")
def mnist_dir():
    require((MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file(), f"MNIST is missing at {MNIST_DIR}")
    return MNIST_DIR


@pytest.fixture(scope="session")
def predictor():
    from model import Predictor

    return Predictor.load()


@pytest.fixture(autouse=True)
def private_data(tmp_path_factory, monkeypatch):
    """Each test gets its own feedback database and model registry, never the repo's `data/`."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("DIGITS_FEEDBACK_DB", str(folder / "feedback.db"))
    monkeypatch.setenv("DIGITS_REGISTRY", str(folder / "registry"))
    return folder
