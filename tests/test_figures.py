"""The figures' data, checked without a browser (AppTest cannot read plotly figures)."""

import json

import numpy as np
import pytest

from ui.artifacts import load_artifacts, mistakes_of, per_class_rows
from ui.figures import (
    checked_probability_bars,
    confusion_heatmap,
    probability_bars,
    training_curves,
)


def test_probability_bars_highlight_the_digit():
    probabilities = np.full(10, 0.02)
    probabilities[3] = 0.82
    bars = probability_bars(probabilities, highlight=3).data[0]
    assert list(bars.x) == [str(d) for d in range(10)]
    np.testing.assert_allclose(bars.y, probabilities)
    assert bars.marker.color[3] != bars.marker.color[0]
    assert bars.text[3] == "82%"


@pytest.mark.parametrize("highlight", [None, 0, 7])
def test_the_fast_probability_bars_equal_the_checked_ones(highlight):
    probabilities = np.random.default_rng(highlight or 1).dirichlet(np.ones(10))
    fast = json.loads(probability_bars(probabilities, highlight).to_json())
    assert fast == json.loads(checked_probability_bars(probabilities, highlight).to_json())
    # A cached layout shared by every session is never changed by a chart made from it.
    probability_bars(np.ones(10) / 10, 5).data[0].y = [1.0] * 10
    assert json.loads(probability_bars(probabilities, highlight).to_json()) == fast


def test_training_curves_plot_every_epoch_of_the_history():
    history = {
        "epoch": [1, 2, 3],
        "loss": [0.5, 0.2, 0.1],
        "val_loss": [0.3, 0.15, 0.12],
        "accuracy": [0.9, 0.95, 0.99],
        "val_accuracy": [0.92, 0.96, 0.995],
    }
    traces = training_curves(history).data
    assert len(traces) == 4
    by_axis = {(trace.name, trace.xaxis): trace for trace in traces}
    assert list(by_axis[("validation", "x")].y) == [0.3, 0.15, 0.12]
    np.testing.assert_allclose(by_axis[("validation", "x2")].y, [8.0, 4.0, 0.5])


def test_confusion_heatmap_counts_percentages_and_hidden_diagonal():
    matrix = np.diag([98] * 10)
    matrix[4, 9] = 2
    counts = confusion_heatmap(matrix).data[0]
    assert counts.z[4][9] == 2 and counts.text[4][4] == "98"
    percent = confusion_heatmap(matrix, normalize=True, hide_diagonal=True).data[0]
    assert percent.z[4][9] == pytest.approx(2.0)
    assert np.isnan(percent.z[4][4]) and percent.text[4][4] == ""


@pytest.mark.artifacts
def test_bundled_artifacts_agree_with_each_other():
    artifacts = load_artifacts()
    metrics = artifacts.metrics
    matrix = np.array(metrics["confusion_matrix"])
    assert matrix.sum() == metrics["count"] == 10_000
    assert matrix.trace() == round(metrics["accuracy"] * 10_000)
    assert len(artifacts.misclassified) == metrics["errors"] == 10_000 - matrix.trace()
    assert set(artifacts.misclassified_images) == {row["index"] for row in artifacts.misclassified}
    rows = per_class_rows(metrics)
    assert [row["missed"] for row in rows] == (matrix.sum(axis=1) - matrix.diagonal()).tolist()
    assert len(mistakes_of(artifacts.misclassified, 9)) == rows[9]["missed"]
    assert len(artifacts.history["epoch"]) == artifacts.card["epochs"]


def test_number_probabilities_has_a_row_per_digit():
    from ui.figures import number_probabilities

    probabilities = np.eye(10)[[4, 7, 1]]
    figure = number_probabilities(probabilities, "471")
    heatmap = figure.data[0]
    assert list(heatmap.y) == ["#1: 4", "#2: 7", "#3: 1"]
    np.testing.assert_array_equal(np.array(heatmap.z), probabilities)
    assert heatmap.text[1][7] == "100%" and heatmap.text[1][0] == ""


@pytest.mark.artifacts
def test_robustness_rows_cover_every_set():
    from ui.artifacts import load_artifacts, robustness_rows

    robustness = load_artifacts().robustness
    rows = robustness_rows(robustness)
    assert [row["test set"] for row in rows] == list(robustness["sets"])
    canvas = next(row for row in rows if row["test set"] == "canvas")
    assert canvas["read right %"] == round(100 * robustness["sets"]["canvas"]["accuracy"], 1)


def test_member_rows_list_each_network_of_the_ensemble_with_its_own_test_accuracy():
    from ui.artifacts import member_rows

    card = {
        "members": [
            {
                "name": "plain",
                "epochs": 45,
                "best_epoch": 35,
                "val_accuracy": 0.9972,
                "train": 55000,
                "augmentation": "rotation",
            },
            {
                "name": "styled",
                "epochs": 30,
                "best_epoch": 22,
                "val_accuracy": 0.9966,
                "train": 60500,
                "augmentation": "styles",
            },
        ]
    }
    metrics = {"members": [{"name": "styled", "test_accuracy": 0.9946}]}
    rows = member_rows(card, metrics)
    assert [row["network"] for row in rows] == ["plain", "styled"]
    assert rows[0]["test % alone"] is None and rows[1]["test % alone"] == 99.46
    assert rows[1]["validation %"] == 99.66 and rows[1]["best epoch"] == 22
    assert member_rows({}, {}) == []


@pytest.mark.artifacts
def test_the_bundled_model_card_lists_its_members_with_their_histories():
    from ui.artifacts import load_artifacts

    artifacts = load_artifacts()
    names = [member["name"] for member in artifacts.card["members"]]
    assert set(artifacts.history["members"]) == set(names)
    for member in artifacts.card["members"]:
        history = artifacts.history["members"][member["name"]]
        assert len(history["epoch"]) == member["epochs"]
        assert max(history["val_accuracy"]) == member["val_accuracy"]


def _labels_read_as_values(axis):
    """Whether a log axis names each tick by its whole value ("0.02", not a lone "2")."""
    values, labels = list(axis.tickvals or []), list(axis.ticktext or [])
    return (
        len(values) >= 2
        and len(labels) == len(values)
        and all(
            float(label) == pytest.approx(value)
            for label, value in zip(labels, values, strict=True)
        )
    )


def test_log_axes_name_each_tick_by_its_value():
    epochs = list(range(1, 31))
    history = {"epoch": epochs}
    for prefix, scale in (("", 1.0), ("val_", 0.6)):
        history[prefix + "loss"] = [scale * 0.6 / epoch for epoch in epochs]
        history[prefix + "accuracy"] = [1 - scale * 0.2 / epoch for epoch in epochs]
    figure = training_curves(history)
    for axis in (figure.layout.yaxis, figure.layout.yaxis2):
        assert axis.type == "log" and _labels_read_as_values(axis), axis


def test_log_ticks_are_ones_twos_and_fives_within_the_range():
    from ui.figures import log_ticks

    assert log_ticks([0.013, 0.6]) == {
        "tickvals": [0.02, 0.05, 0.1, 0.2, 0.5],
        "ticktext": ["0.02", "0.05", "0.1", "0.2", "0.5"],
    }
    assert log_ticks([0.0015, 270])["ticktext"] == ["0.01", "0.1", "1", "10", "100"]
    assert log_ticks([0.31, 0.45])["ticktext"] == ["0.31", "0.45"]  # no 1-2-5 tick inside
    assert log_ticks([0, None]) == {}


def test_a_heatmap_of_counts_has_a_colour_bar_of_whole_numbers():
    counts = np.full((10, 10), np.nan)
    counts[4, 9] = 1  # one mistake: the bar ran 0.6-1.4
    heatmap = confusion_heatmap(counts).data[0]
    assert heatmap.zmin == 0 and heatmap.zmax >= 1
    assert heatmap.colorbar.tick0 == 0 and heatmap.colorbar.dtick == 1
    assert heatmap.colorbar.tickformat == "d"
    many = np.arange(100, dtype=float).reshape(10, 10)
    bar = confusion_heatmap(many).data[0].colorbar
    assert float(bar.dtick).is_integer() and 99 / bar.dtick <= 6
    assert confusion_heatmap(many, normalize=True).data[0].zmin is None  # percentages: as they are


def test_a_table_shows_a_missing_figure_as_a_dash():
    from ui.artifacts import readable_table

    rows = [
        {"version": "v2", "MNIST before %": 99.64, "images": 55000, "parent": "v1"},
        {"version": "v1", "MNIST before %": None, "images": None, "parent": None},
    ]
    html = readable_table(rows).hide(axis="index").to_html()
    assert "None" not in html and "nan" not in html
    assert html.count("—") == 3
    assert ">99.64<" in html and ">55,000" in html
