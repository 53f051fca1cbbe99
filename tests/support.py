"""What the tests share: paths, the skip-or-fail rule, child processes, registry versions and
browser strokes."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from model import paths

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
    from model.checksums import VERSION_FILES

    staged = registry.staging_folder()
    for name in VERSION_FILES:
        if (paths.BUNDLED_DIR / name).is_file():  # a single network has one flat buffer
            shutil.copyfile(paths.BUNDLED_DIR / name, staged / name)
    metrics = metrics or {
        "mnist_test_accuracy": {"before": 0.9964, "after": 0.9961},
        "tolerance": 0.002,
    }
    return registry.add_version(staged, registry.active, metrics, activate=activate)


def edit_manifest(registry, change):
    """Applies `change` to the manifest entry of v2 (a hand edit of the file)."""
    manifest = json.loads(registry.manifest_path.read_text())
    change(next(entry for entry in manifest["versions"] if entry["id"] == "v2"))
    registry.manifest_path.write_text(json.dumps(manifest))


def _truncated_manifest(registry):
    text = registry.manifest_path.read_text()
    registry.manifest_path.write_text(text[: len(text) // 2])


def missing_model_file(registry):
    (registry.folder / "v2" / paths.MODEL_FILE).unlink()


def _entry_without_folder(registry):
    edit_manifest(registry, lambda entry: entry.pop("folder"))


def _folder_outside_the_registry(registry):
    edit_manifest(registry, lambda entry: entry.update(folder="../../../etc"))


def _no_files_and_a_tampered_model(registry):
    with open(registry.folder / "v2" / paths.MODEL_FILE, "ab") as model_file:
        model_file.write(b"\0")
    edit_manifest(registry, lambda entry: entry.update(files={}))


def _versions_not_a_list(registry):
    manifest = json.loads(registry.manifest_path.read_text())
    manifest["versions"] = {"v2": manifest["versions"][1]}
    registry.manifest_path.write_text(json.dumps(manifest))


# Ways a registry whose active version is v2 breaks (each takes the `Registry`).
BREAKS = {
    "truncated manifest": _truncated_manifest,
    "missing model file": missing_model_file,
    "entry without folder": _entry_without_folder,
    "folder ../../../etc": _folder_outside_the_registry,
    "files {} and a tampered model": _no_files_and_a_tampered_model,
    "versions not a list": _versions_not_a_list,
}


def draw_on_canvas(page, digit, box=(0.25, 0.15, 0.5, 0.7), finger=False):
    """Draws a digit's strokes (from `strokes.STROKES`) with the mouse, in a browser test.

    Args:
        page: a Playwright page showing the draw page.
        digit: a key of STROKES, or strokes of its own: lists of (x, y) in 0-1.
        box: (left, top, width, height) of the digit as fractions of the canvas.
        finger: draw with touch events instead (the page's context must have touch).
    """
    from strokes import STROKES

    canvas = page.locator("canvas.upper-canvas")
    bounds = None
    for _ in range(20):  # a rerun can replace the canvas between the wait and the measure
        canvas.wait_for(state="visible")
        canvas.scroll_into_view_if_needed()
        bounds = canvas.bounding_box()
        if bounds:
            break
    assert bounds, "the canvas never stayed on the page long enough to draw on"
    left, top, width, height = box
    for stroke in STROKES[digit] if not isinstance(digit, list) else digit:
        points = [
            (
                bounds["x"] + (left + x * width) * bounds["width"],
                bounds["y"] + (top + y * height) * bounds["height"],
            )
            for x, y in stroke
        ]
        if finger:
            finger_stroke(page, points)
            continue
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=12)
        page.mouse.up()


def finger_stroke(page, points):
    """One finger drawn through `points` (page pixels) with real touch events."""
    session = page.context.new_cdp_session(page)

    def touch(kind, point=None):
        touch_points = [] if point is None else [{"x": point[0], "y": point[1], "id": 1}]
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    touch("touchStart", points[0])
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        for step in range(1, 13):
            touch("touchMove", (x0 + (x1 - x0) * step / 12, y0 + (y1 - y0) * step / 12))
    touch("touchEnd")
    session.detach()


def wait_for_predicted_digit(page, digit):
    """Waits (in a browser test) until the page shows `digit` as the prediction of a whole
    stroke: a reading made while the pen moved ("partial-N") does not count, since the
    stroke's own reading is still to come."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    found = "document.querySelector('.predicted-digit')"
    whole = f"!({found}.dataset.reading || '').startsWith('partial')"
    try:
        page.wait_for_function(f"{found} && {whole} && {found}.innerText.trim() === '{digit}'")
    except PlaywrightTimeoutError:
        shown = page.evaluate(
            f"() => {found} ? [{found}.innerText, {found}.dataset.reading] : "
            "document.body.innerText.slice(0, 600)"
        )
        logged = [message.text for message in page.console_messages()[-5:]]
        pytest.fail(
            f"the page never showed {digit} read from whole strokes; it shows {shown!r}; "
            f"the browser's last console messages: {logged!r}"
        )


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
