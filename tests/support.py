"""What the tests share: paths, the skip-or-fail rule, child processes, registry versions and
browser strokes."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("MNIST_DIR", ROOT.parent / "shared" / "mnist"))
USPS_DIR = Path(os.environ.get("USPS_DIR", ROOT.parent / "shared" / "usps"))
REALWORLD_DIR = Path(os.environ.get("REALWORLD_DIR", ROOT.parent / "shared" / "realworld"))
PENDIGITS_DIR = Path(os.environ.get("PENDIGITS_DIR", ROOT.parent / "shared" / "pendigits"))


def run_python(*arguments, env=None, timeout=300):
    """Runs `python ARGUMENTS` in a fresh process in the repository and returns the finished
    `subprocess.CompletedProcess` (text output captured)."""
    return subprocess.run(
        [sys.executable, *map(str, arguments)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_cli(*arguments, timeout=300):
    """Runs `python -m model ARGUMENTS` in a fresh process (see `run_python`)."""
    return run_python("-m", "model", *arguments, timeout=timeout)


def add_bundled_copy(registry, metrics=None, activate=True):
    """Registers a copy of the bundled model's files as a new version of `registry`, whose
    parent is the active version.

    Returns:
        The new version's id.
    """
    from model import paths
    from model.operations.checksums import VERSION_FILES

    staged = registry.staging_folder()
    for name in VERSION_FILES:
        if (paths.BUNDLED_DIR / name).is_file():  # a single network has one flat buffer
            shutil.copyfile(paths.BUNDLED_DIR / name, staged / name)
    metrics = metrics or {
        "mnist_test_accuracy": {"before": 0.9964, "after": 0.9961},
        "tolerance": 0.002,
    }
    return registry.add_version(staged, registry.active, metrics, activate=activate)


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


ADMIN_PASSWORD = "correct horse battery staple"


def sign_in_as_admin(app, password=ADMIN_PASSWORD, key="monitor_admin"):
    """Types `password` into an AppTest page's "Sign in as admin" form, submits it and runs
    the page again (set $DIGITS_ADMIN_PASSWORD first, e.g. with the `admin_password` fixture)."""
    app.text_input(key=f"{key}_password").input(password)
    next(button for button in app.button if button.label == "Sign in as admin").click()
    return app.run()
