"""Paths and the skip-or-fail rule shared by the tests."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("MNIST_DIR", ROOT.parent / "shared" / "mnist"))
USPS_DIR = Path(os.environ.get("USPS_DIR", ROOT.parent / "shared" / "usps"))
REALWORLD_DIR = Path(os.environ.get("REALWORLD_DIR", ROOT.parent / "shared" / "realworld"))


def draw_on_canvas(page, digit, box=(0.25, 0.15, 0.5, 0.7)):
    """Draws a digit's strokes (from `strokes.STROKES`) with the mouse, in a browser test.

    Args:
        page: a Playwright page showing the draw page.
        digit: a key of STROKES.
        box: (left, top, width, height) of the digit as fractions of the canvas.
    """
    from strokes import STROKES

    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for()
    bounds = canvas.bounding_box()
    left, top, width, height = box
    for stroke in STROKES[digit]:
        points = [
            (
                bounds["x"] + (left + x * width) * bounds["width"],
                bounds["y"] + (top + y * height) * bounds["height"],
            )
            for x, y in stroke
        ]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=12)
        page.mouse.up()


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
