"""The cold-start benchmark: a real `streamlit run` and a stroke in a real browser."""

import shutil

from support import require

from bench import startup


def test_startup_benchmark():
    require(shutil.which("chromium") is not None, "Chromium is not installed")
    result = startup.run(quick=True)
    cold = result["cold_start"]
    assert 0 < cold["server_healthy_seconds"] <= cold["page_shown_seconds"]
    assert cold["page_shown_seconds"] <= cold["first_digit_seconds"]
    assert result["predictor_import"]["litert"]["tensorflow_imported"] is False
