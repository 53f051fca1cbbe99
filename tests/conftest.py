"""Shared fixtures: the real MNIST folder, the bundled predictor, the repo root."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("MNIST_DIR", ROOT.parent / "shared" / "mnist"))


def require(condition, reason):
    """Skips when a requirement is missing, but fails under CI, where everything must be there."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def mnist_dir():
    require((MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file(), f"MNIST is missing at {MNIST_DIR}")
    return MNIST_DIR


@pytest.fixture(scope="session")
def predictor():
    from model import Predictor

    return Predictor.load()
