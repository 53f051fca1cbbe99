"""The cold-start benchmark: a real `streamlit run` and a stroke in a real browser."""

import json
import shutil

from support import require, run_python


def test_startup_benchmark():
    require(shutil.which("chromium") is not None, "Chromium is not installed")
    # Its own process: Playwright's sync API cannot start inside this session's browser loop.
    run = run_python("-m", "bench.startup", "--quick")
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    cold = result["cold_start"]
    assert 0 < cold["server_healthy_seconds"] <= cold["page_shown_seconds"]
    assert cold["page_shown_seconds"] <= cold["first_digit_seconds"]
    assert result["predictor_import"]["litert"]["tensorflow_imported"] is False
