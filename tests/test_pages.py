"""AppTest: every page runs without an exception, and shows the artifacts' own figures."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support import ROOT

from model import paths

PAGES = ["app.py", *sorted(str(path.relative_to(ROOT)) for path in (ROOT / "pages").glob("*.py"))]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs(page):
    app = AppTest.from_file(str(ROOT / page), default_timeout=120).run()
    assert not app.exception, app.exception


def test_dashboard_shows_the_artifact_figures():
    app = AppTest.from_file(str(ROOT / "pages" / "2_Evaluation.py"), default_timeout=120).run()
    metrics = json.loads(Path(paths.BUNDLED_DIR / paths.METRICS_FILE).read_text())
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown["Test accuracy"] == f"{metrics['accuracy']:.2%}"
    assert shown["Mistakes of 10,000"] == str(metrics["errors"])
    app.selectbox(key="eval_gallery_digit").select(9).run()
    wrong_nines = sum(
        1
        for row in json.loads(Path(paths.BUNDLED_DIR / paths.MISCLASSIFIED_FILE).read_text())
        if row["label"] == 9
    )
    assert any(f"{wrong_nines} misclassified" in caption.value for caption in app.caption)


def test_draw_page_prompts_on_a_blank_canvas():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert any("Draw a digit" in info.value for info in app.info)


def test_upload_page_reads_a_sample_with_one_click():
    app = AppTest.from_file(str(ROOT / "pages" / "1_Upload.py"), default_timeout=120).run()
    assert any("Upload an image" in info.value for info in app.info)
    app.button(key="upload_sample_chalk-7.png").click().run()
    assert not app.exception
    assert any("predicted-digit" in md.value and ">7<" in md.value for md in app.markdown)


def test_comparison_page_shows_the_committed_study():
    app = AppTest.from_file(str(ROOT / "pages" / "3_Comparison.py"), default_timeout=120).run()
    assert not app.exception, app.exception
    comparison = json.loads((paths.BUNDLED_DIR / paths.COMPARISON_FILE).read_text())
    best = max(comparison["models"], key=lambda row: row["accuracy"])
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown[f"Most accurate: {best['label']}"] == f"{best['accuracy']:.2%}"
    assert len(app.dataframe[0].value) == len(comparison["models"])
    tuning = json.loads((paths.BUNDLED_DIR / paths.TUNING_FILE).read_text())
    assert shown["Best trial on the test set"] == f"{tuning['best']['test_accuracy']:.2%}"
    assert any("not bundled" in info.value for info in app.info)
    app.radio(key="compare_latency").set_value("batched").run()
    assert not app.exception
