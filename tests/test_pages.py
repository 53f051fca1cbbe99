"""AppTest: every page runs without an exception and shows its figures; feedback and versions."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest
from support import ROOT, add_bundled_copy, sign_in_as_admin

from model import paths
from model.operations.feedback import FeedbackStore
from model.operations.registry import Registry
from ui.artifacts import (
    escape_markdown,
    misclassified_caption,
    model_card_markdown,
    not_digits_caption,
    pair_card_markdown,
    realworld_rows,
)
from ui.comparison import engine_note, read_bench_results

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


def _monitoring():
    return AppTest.from_file(str(ROOT / "pages" / "4_Monitoring.py"), default_timeout=120)


def _fill_feedback(count_right=3, count_wrong=2):
    store = FeedbackStore()
    image = np.zeros((28, 28), dtype=np.uint8)
    ids = [
        store.add(image28=image, predicted=4, label=4, confidence=0.999, source="canvas")
        for _ in range(count_right)
    ]
    ids += [
        store.add(image28=image, predicted=9, label=4, confidence=0.3, source="photo")
        for _ in range(count_wrong)
    ]
    return store, ids


def test_monitoring_page_reads_a_real_database_and_deletes_a_sample(admin_password):
    store, ids = _fill_feedback()
    app = sign_in_as_admin(_monitoring().run())
    assert not app.exception, app.exception
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown["Feedback samples"] == "5" and shown["Read right"] == "60.0%"
    assert shown["Mistakes"] == "2" and shown["Low confidence"] == "40.0%"
    assert shown["Active model version"] == "v1"
    assert any(f"#{ids[-1]}: 4 read as **9**" in caption.value for caption in app.caption)

    app.number_input(key="monitor_delete_id").set_value(ids[-1]).run()
    app.button(key="monitor_delete").click().run()
    assert any(f"Deleted sample {ids[-1]}" in success.value for success in app.success)
    assert {metric.label: metric.value for metric in app.metric}["Feedback samples"] == "4"
    assert store.count() == 4


def test_monitoring_page_without_feedback_says_so():
    app = _monitoring().run()
    assert not app.exception
    assert any("No feedback yet" in info.value for info in app.info)


def test_monitoring_page_reports_a_corrupt_database_and_leaves_it(private_data, admin_password):
    path = private_data / "feedback.db"
    path.write_bytes(b"not a database at all" * 20)
    app = _monitoring().run()
    assert not app.exception
    (error,) = [error.value for error in app.error]
    assert error == "The feedback database cannot be read."  # a visitor: no path, no details
    app = sign_in_as_admin(app)
    assert any("not a SQLite database" in error.value for error in app.error)
    assert any(str(path) in error.value for error in app.error)  # the admin: the details
    assert path.read_bytes() == b"not a database at all" * 20
    assert {metric.label for metric in app.metric} == {"Active model version"}


def _registry_with_a_second_version(metrics=None):
    registry = Registry()
    add_bundled_copy(registry, metrics)
    return registry


def test_evaluation_page_says_when_the_app_reads_with_a_fine_tuned_version():
    page = str(ROOT / "pages" / "2_Evaluation.py")
    assert not AppTest.from_file(page, default_timeout=120).run().info
    _registry_with_a_second_version(
        {
            "mnist_test_accuracy": {"before": 0.9964, "after": 0.995},
            "feedback_held_out_accuracy": {"before": 0.828, "after": 0.968},
            "feedback_train": 357,
        }
    )
    app = AppTest.from_file(page, default_timeout=120).run()
    (note,) = [info.value for info in app.info]
    assert "**v2**, fine-tuned from v1 on 357 feedback digits" in note
    assert "MNIST test accuracy 99.50% (was 99.64%)" in note and "96.8% (was 82.8%)" in note


def test_monitoring_page_switches_and_rolls_back_versions(admin_password):
    _registry_with_a_second_version()
    app = sign_in_as_admin(_monitoring().run())
    assert {metric.label: metric.value for metric in app.metric}["Active model version"] == "v2"
    app.button(key="monitor_versions_rollback").click().run()
    assert Registry().active == "v1"
    assert {metric.label: metric.value for metric in app.metric}["Active model version"] == "v1"
    app.selectbox(key="monitor_versions_choice").select("v2").run()
    app.button(key="monitor_versions_activate").click().run()
    assert not app.exception and Registry().active == "v2"


def test_a_tampered_active_version_falls_back_to_v1_and_can_be_rolled_back(admin_password):
    registry = _registry_with_a_second_version()
    with open(registry.model_path("v2"), "ab") as model_file:
        model_file.write(b"\0")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not app.exception and not app.error and not app.warning
    assert any("Draw a digit" in info.value for info in app.info)
    monitoring = sign_in_as_admin(_monitoring().run())
    assert any("does not match its sha256" in error.value for error in monitoring.error)
    assert any("TAMPERED" in str(table.value) for table in monitoring.table)
    monitoring.button(key="monitor_versions_rollback").click().run()
    assert Registry().active == "v1"
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not app.error and any("Draw a digit" in info.value for info in app.info)


def test_upload_page_stores_a_confirmation_and_a_correction():
    app = AppTest.from_file(str(ROOT / "pages" / "1_Upload.py"), default_timeout=120).run()
    app.button(key="upload_sample_chalk-7.png").click().run()
    yes = next(button for button in app.button if button.label == "Yes, it is 7")
    yes.click().run()
    assert any("Saved — thank you. Confirmed: 7." in s.value for s in app.success)
    (sample,) = FeedbackStore().samples()
    assert (sample.predicted, sample.label, sample.source) == (7, 7, "photo")
    assert sample.model_version == "v1" and sample.crop_png.startswith(b"\x89PNG")

    app = AppTest.from_file(str(ROOT / "pages" / "1_Upload.py"), default_timeout=120).run()
    app.button(key="upload_sample_chalk-7.png").click().run()
    app.pills[0].select(1).run()
    assert any("Corrected: 7 → 1" in s.value for s in app.success)
    assert [(s.predicted, s.label) for s in FeedbackStore().samples()] == [(7, 1), (7, 7)]


def test_a_broken_feedback_database_gives_a_message_not_a_crash(private_data):
    (private_data / "feedback.db").write_bytes(b"garbage" * 100)
    app = AppTest.from_file(str(ROOT / "pages" / "1_Upload.py"), default_timeout=120).run()
    app.button(key="upload_sample_chalk-7.png").click().run()
    next(button for button in app.button if button.label == "Yes, it is 7").click().run()
    assert not app.exception
    (error,) = [error.value for error in app.error]
    assert error == "Not saved: the feedback database cannot be used right now."
    assert str(private_data) not in error


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
    note = engine_note(read_bench_results())
    assert any(note in caption.value for caption in app.caption)
    app.radio(key="compare_latency").set_value("batched").run()
    assert not app.exception


def _image_captions(app):
    return [image.proto.imgs[0].caption for image in app.get("image")]


def _evaluation():
    return AppTest.from_file(str(ROOT / "pages" / "2_Evaluation.py"), default_timeout=120)


def test_evaluation_page_shows_the_real_sets_first_with_names_when_the_data_is_away(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("USPS_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("REALWORLD_DIR", str(tmp_path / "nowhere"))
    report = json.loads((paths.BUNDLED_DIR / paths.REALWORLD_FILE).read_text())
    app = _evaluation().run()
    assert not app.exception, app.exception
    assert [header.value for header in app.subheader][:2] == ["Real handwriting", "MNIST"]
    table = app.table[0].value
    assert list(table["set"]) == [row["set"] for row in realworld_rows(report)]
    assert list(table["read right"])[2] == f"{report['sets']['photo']['right']}/86"
    app.selectbox(key="eval_real_misread_set").select("drawn").run()
    misread = [row["file"] for row in report["sets"]["drawn"]["misread"]]
    assert misread
    assert list(app.dataframe[1].value["picture"]) == misread
    assert any("their names only" in caption.value for caption in app.caption)
    assert not [caption for caption in _image_captions(app) if "read as" in caption]


def test_evaluation_page_shows_thumbnails_of_the_misread_pictures(tmp_path, monkeypatch):
    report = json.loads((paths.BUNDLED_DIR / paths.REALWORLD_FILE).read_text())
    misread = report["sets"]["drawn"]["misread"]
    assert misread
    (tmp_path / "images").mkdir()
    for row in misread:
        Image.new("L", (40, 60), 255).save(tmp_path / "images" / row["file"])
    monkeypatch.setenv("REALWORLD_DIR", str(tmp_path))
    app = _evaluation().run()
    app.selectbox(key="eval_real_misread_set").select("drawn").run()
    assert not app.exception, app.exception
    captions = [caption for caption in _image_captions(app) if "read as" in caption]
    assert len(captions) == len(misread)
    assert captions[0].startswith(escape_markdown(misread[0]["file"]) + r"\: ")


def test_evaluation_page_shows_the_tiny_uci_digits_it_misreads():
    from model.data.uci import read_uci
    from ui.widgets.loaders import load_misread_pictures

    report = json.loads((paths.BUNDLED_DIR / paths.REALWORLD_FILE).read_text())
    misread = report["sets"]["uci_inverted"]["misread"]
    app = _evaluation().run()
    app.selectbox(key="eval_real_misread_set").select("uci_inverted").run()
    assert not app.exception, app.exception
    captions = [caption for caption in _image_captions(app) if "read as" in caption]
    assert len(captions) == len(misread) > 0
    assert captions[0].startswith(escape_markdown(f"#{misread[0]['index']}") + r"\: ")
    images, _ = read_uci()
    shown = load_misread_pictures("uci_inverted", misread[:3])
    for row, picture in zip(misread[:3], shown, strict=True):
        assert picture.shape == (96, 96)  # 12x, each pixel a sharp block
        assert np.array_equal(picture[::12, ::12], 255 - images[row["index"]])  # ink black


def test_evaluation_page_without_the_real_report_names_the_command(monkeypatch):
    monkeypatch.setattr(paths, "REALWORLD_FILE", "not-there.json")
    app = _evaluation().run()
    assert not app.exception, app.exception
    assert any("python -m model realworld" in info.value for info in app.info)
    assert {metric.label for metric in app.metric} >= {"Test accuracy"}


@pytest.mark.parametrize("page", ["2_Evaluation.py", "3_Comparison.py"])
def test_charts_leave_out_plotly_s_toolbar(page):
    # It covered the chart's top right, a title on a phone; Streamlit's own toolbar stays.
    app = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120).run()
    charts = app.get("plotly_chart")
    assert charts and all(
        json.loads(chart.proto.config).get("displayModeBar") is False for chart in charts
    )


def test_evaluation_page_shows_the_model_card_and_the_captions_made_in_ui():
    card = json.loads((paths.BUNDLED_DIR / paths.CARD_FILE).read_text())
    text = model_card_markdown(card)
    assert text.startswith("**Input** ") and f"{card['data']['test']:,} test images" in text
    assert f"seed {card['seed']}" in text and card["augmentation"] in text
    row = {"label": 4, "predicted": 9, "confidence": 0.876}
    assert misclassified_caption(row) == "4 → 9 (88%)"
    assert not_digits_caption({"letter": {"confident_rate": 0.125}}) == (
        "Not digits read as a confident digit: letter 12%"
    )
    app = _evaluation().run()
    assert not app.exception, app.exception
    assert text in [markdown.value for markdown in app.markdown]
    pairs = json.loads((paths.BUNDLED_DIR / paths.PAIRS_CARD_FILE).read_text())
    pair_text = pair_card_markdown(pairs)
    assert f"epoch {pairs['best_epoch']} of {pairs['epochs']}" in pair_text
    assert pair_text in [markdown.value for markdown in app.markdown]
    robustness = json.loads((paths.BUNDLED_DIR / paths.ROBUSTNESS_FILE).read_text())
    expected = not_digits_caption(robustness["not_digits"])
    assert expected in [caption.value for caption in app.caption]
