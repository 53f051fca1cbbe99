"""Cold start: from launching `streamlit run app.py` to the first digit read from a stroke
drawn in a real browser, and the import time of the predictor module.

Chromium (Debian's, driven by Playwright) is started first and not counted.

    python -m bench.startup [--quick]
"""

import shutil
import tempfile
import time
from pathlib import Path

from bench.common import emit, machine, parser, run_child
from bench.servers import CHROMIUM_ARGS, start_streamlit, wait_until_healthy

TARGET_SECONDS = 5.0
# A "1" as one mouse stroke, in fractions of the canvas.
STROKE = [(0.42, 0.3), (0.52, 0.2), (0.52, 0.8)]

_IMPORT = """
import json, sys, time
started = time.perf_counter()
import model.inference.predictor
imported = time.perf_counter() - started
predictor = model.inference.predictor.Predictor.load(engine=sys.argv[1])
loaded = time.perf_counter() - started - imported
print(json.dumps({"import_seconds": round(imported, 3), "load_seconds": round(loaded, 3),
                  "tensorflow_imported": "tensorflow" in sys.modules}))
"""


def import_times(engine):
    """Seconds to import `model.inference.predictor` and to load the predictor, in a fresh
    process."""
    return run_child(_IMPORT, engine)


def _draw_one(page):
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for()
    bounds = canvas.bounding_box()
    points = [
        (bounds["x"] + x * bounds["width"], bounds["y"] + y * bounds["height"]) for x, y in STROKE
    ]
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()


def cold_start():
    """Seconds from `streamlit run` to the server answering, the page shown, a stroke drawn on
    the canvas, and the digit read."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Chromium is not installed (apt-get install -y chromium)")
    with (
        tempfile.TemporaryDirectory() as data_dir,
        open(Path(data_dir) / "server.log", "w+") as log,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        started = time.monotonic()
        server, url = start_streamlit(data_dir, log)
        try:
            wait_until_healthy(url, server, started + 60)
            healthy = time.monotonic() - started
            page.goto(url)
            page.get_by_text("Draw a digit on the canvas").wait_for()
            page_shown = time.monotonic() - started
            _draw_one(page)
            canvas_shown = time.monotonic() - started
            found = "document.querySelector('.predicted-digit')"
            page.wait_for_function(f"{found} && {found}.innerText.trim() === '1'")
            first_digit = time.monotonic() - started
        except Exception as error:
            server.terminate()
            server.wait(timeout=20)
            log.seek(0)
            raise RuntimeError(f"{error}\nserver output:\n{log.read()[-2000:]}") from error
        finally:
            server.terminate()
            server.wait(timeout=20)
            browser.close()
    return {
        "server_healthy_seconds": round(healthy, 2),
        "page_shown_seconds": round(page_shown, 2),
        "canvas_drawn_seconds": round(canvas_shown, 2),
        "first_digit_seconds": round(first_digit, 2),
    }


def run(quick=False):
    """Both measurements; `quick` changes nothing (one cold start is all there is)."""
    result = {
        "benchmark": "startup",
        "predictor_import": {engine: import_times(engine) for engine in ("litert", "keras")},
        "cold_start": cold_start(),
        "target_seconds": TARGET_SECONDS,
        "machine": machine(),
    }
    result["meets_target"] = result["cold_start"]["first_digit_seconds"] <= TARGET_SECONDS
    return result


if __name__ == "__main__":
    arguments = parser(__doc__).parse_args()
    emit(run(arguments.quick))
