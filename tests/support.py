"""Paths and the skip-or-fail rule shared by the tests."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("MNIST_DIR", ROOT.parent / "shared" / "mnist"))


def wait_for_predicted_digit(page, digit):
    """Waits (in a browser test) until the page shows `digit` as the prediction."""
    found = "document.querySelector('.predicted-digit')"
    page.wait_for_function(f"{found} && {found}.innerText.trim() === '{digit}'")


def require(condition, reason):
    """Skips when a requirement is missing, but fails under CI, where everything must be there."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)
