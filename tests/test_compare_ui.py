"""The comparison page's tables and figures, checked on their data (no browser)."""

import numpy as np
import pytest

from ui.artifacts import load_study
from ui.comparison import (
    accuracy_latency_scatter,
    comparison_rows,
    engine_note,
    label_positions,
    model_notes,
    per_class_f1_heatmap,
    read_bench_results,
    tuning_rows,
    tuning_scatter,
)


def _row(name, family, accuracy, single, batched):
    return {
        "name": name,
        "label": name.upper(),
        "family": family,
        "note": f"{name} note.",
        "accuracy": accuracy,
        "macro_f1": accuracy - 0.001,
        "errors": round((1 - accuracy) * 10_000),
        "per_class_f1": [accuracy] * 9 + [accuracy - 0.05],
        "train_seconds": 12.34,
        "latency_single_ms": single,
        "latency_batched_ms": batched,
        "size_bytes": 2_500_000,
        "train_size": 55_000,
    }


MODELS = [
    _row("lr", "classical", 0.925, 0.1, 0.002),
    _row("cnn", "neural", 0.995, 1.5, 0.4),
    _row("svm", "classical", 0.985, 3.0, 0.3),
]


def test_comparison_rows_put_the_most_accurate_first():
    rows = comparison_rows(MODELS)
    assert [row["model"] for row in rows] == ["CNN", "SVM", "LR"]
    assert rows[0]["accuracy %"] == 99.5 and rows[0]["size MB"] == 2.5
    assert rows[2]["ms, one image"] == 0.1
    notes = model_notes(MODELS)
    assert notes[2] == {"model": "LR", "what it is": "lr note."}


@pytest.mark.parametrize("latency, key", [("single", 0), ("batched", 1)])
def test_scatter_has_one_trace_per_family_at_the_chosen_latency(latency, key):
    traces = {trace.name: trace for trace in accuracy_latency_scatter(MODELS, latency).data}
    assert set(traces) == {"classical", "neural"}
    classical = traces["classical"]
    assert list(classical.text) == ["LR", "SVM"]
    expected = [[0.1, 0.002], [3.0, 0.3]]
    assert list(classical.x) == [pair[key] for pair in expected]
    np.testing.assert_allclose(classical.y, [7.5, 1.5])  # the error rate, on a reversed log axis
    np.testing.assert_allclose([row[0] for row in classical.customdata], [92.5, 98.5])
    with pytest.raises(ValueError, match="latency"):
        accuracy_latency_scatter(MODELS, "p99")


def test_labels_of_close_markers_go_to_different_sides():
    positions = label_positions(
        {
            "alone": (2.0, 8.0, "Logistic regression"),
            "upper": (0.5, 1.40, "RBF SVM"),
            "lower": (0.52, 1.48, "MLP"),
            "edge": (20.0, 2.5, "k-nearest neighbours"),
        }
    )
    assert positions["upper"] != positions["lower"]
    assert positions["alone"] == "top center"
    assert positions["edge"] != "middle right"  # it would leave the plot
    assert label_positions({}) == {}


def test_per_class_heatmap_has_a_row_per_model_and_a_column_per_digit():
    heatmap = per_class_f1_heatmap(MODELS).data[0]
    assert list(heatmap.y) == ["CNN", "SVM", "LR"]
    assert list(heatmap.x) == [str(digit) for digit in range(10)]
    z = np.array(heatmap.z)
    assert z.shape == (3, 10)
    assert z[0, 0] == pytest.approx(99.5) and z[2, 9] == pytest.approx(87.5)
    assert heatmap.text[1][9] == "93.5"


@pytest.mark.artifacts
def test_the_real_artifacts_make_every_table_and_figure():
    study = load_study()
    models = study.comparison["models"]
    rows = comparison_rows(models)
    assert len(rows) == len(models) and rows[0]["model"] == "Bundled CNN (this app)"
    assert sum(len(trace.x) for trace in accuracy_latency_scatter(models).data) == len(models)
    assert np.array(per_class_f1_heatmap(models).data[0].z).shape == (len(models), 10)
    trials = tuning_rows(study.tuning)
    assert len(trials) == study.tuning["budget"]["trials"]
    assert trials[0]["trial"] == study.tuning["best"]["trial"]
    scatter = tuning_scatter(study.tuning).data[0]
    assert len(scatter.x) == len(trials)
    assert list(scatter.marker.symbol).count("star") == 1


def test_the_engine_note_quotes_the_benchmarks_ratio(tmp_path):
    results = {
        "latency": {
            "predict": {"engine": "litert", "p50_ms": 0.5},
            "predict_keras_engine": {"p50_ms": 2.1},
        }
    }
    note = engine_note(results)
    assert "LiteRT: 0.5 ms a drawing" in note and "against 2.1 ms on Keras" in note
    assert note.endswith("4.2x faster")
    assert engine_note(None) == engine_note({"batch": {}}) == "the app runs it on LiteRT"
    assert read_bench_results(tmp_path / "missing.json") is None


@pytest.mark.artifacts
def test_the_engine_note_reads_the_committed_benchmarks():
    latency = read_bench_results()["latency"]
    ratio = latency["predict_keras_engine"]["p50_ms"] / latency["predict"]["p50_ms"]
    assert engine_note(read_bench_results()).endswith(f"{ratio:.1f}x faster")
