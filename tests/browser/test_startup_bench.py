"""The cold-start benchmark: a real `streamlit run` and a stroke in a real browser."""

import json
import shutil
import time

from support import require, run_python


def test_startup_benchmark():
    require(shutil.which("chromium") is not None, "Chromium is not installed")
    # Its own process: Playwright's sync API cannot start inside this session's browser loop.
    started = time.perf_counter()
    run = run_python("-m", "bench.startup", "--quick")
    seconds = time.perf_counter() - started
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    imports, cold = result["predictor_import"], result["cold_start"]
    # The two fresh imports, then the cold start, one after another inside the command's time.
    spent = sum(engine["import_seconds"] + engine["load_seconds"] for engine in imports.values())
    assert spent + cold["first_digit_seconds"] <= seconds
    assert imports["litert"]["tensorflow_imported"] is False
    # Loading the Keras engine imports TensorFlow, seconds that the LiteRT engine never spends.
    assert imports["keras"]["tensorflow_imported"] is True
    assert imports["keras"]["load_seconds"] > imports["litert"]["load_seconds"] + 0.5
