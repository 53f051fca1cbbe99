"""The monitoring page's figures and tables, checked on their data."""

import numpy as np
import pytest

from model.operations.feedback import Sample
from ui.monitoring import (
    accuracy_over_time,
    confused_pairs,
    confusion_counts,
    feedback_confusion,
    mistake_caption,
    sample_rows,
    summary,
)
from ui.widgets.versions import version_rows


def _sample(row_id, predicted, label, confidence=0.9, version="v1", day=1):
    created = f"2026-03-{day:02d}T10:{row_id % 60:02d}:00+00:00"
    return Sample(row_id, created, "canvas", predicted, label, confidence, version)


SAMPLES = [
    _sample(1, 7, 1, 0.4),
    _sample(2, 7, 1, 0.6),
    _sample(3, 9, 4, 0.3),
    _sample(4, 3, 3),
    _sample(5, 2, 2, day=2),
    _sample(6, 1, 1, version="v2", day=3),
    _sample(7, 4, 4, version="v2", day=3),
    _sample(8, 5, 6, 0.2, version=None, day=3),
]


def test_summary_counts_accuracy_and_low_confidence():
    figures = summary(SAMPLES, threshold=0.5)
    assert figures == {
        "samples": 8,
        "accuracy": 4 / 8,
        "mistakes": 4,
        "low_confidence_rate": 3 / 8,
    }
    assert summary([], 0.5)["accuracy"] is None


def test_accuracy_over_time_has_a_rolling_line_per_version():
    figure = accuracy_over_time(SAMPLES[::-1], threshold=0.5, window=2)
    names = [trace.name for trace in figure.data]
    assert names == ["accuracy, unknown", "accuracy, v1", "accuracy, v2", "low confidence (< 50%)"]
    v1 = figure.data[1]
    assert list(v1.x) == [s.created for s in SAMPLES[:5]]
    np.testing.assert_allclose(v1.y, [0, 0, 0, 0.5, 1.0])
    np.testing.assert_allclose(figure.data[2].y, [1, 1])
    np.testing.assert_allclose(figure.data[3].y, [1, 0.5, 0.5, 0.5, 0, 0, 0, 0.5])


def test_confusion_counts_rows_are_true_digits():
    matrix = confusion_counts(SAMPLES)
    assert matrix.sum() == 8 and matrix[1, 7] == 2 and matrix[4, 9] == 1 and matrix[3, 3] == 1
    heatmap = feedback_confusion(SAMPLES).data[0]
    assert heatmap.z[1][7] == 2 and heatmap.text[1][7] == "2"
    assert np.isnan(heatmap.z[3][3]) and heatmap.text[0][5] == ""
    assert feedback_confusion(SAMPLES, hide_diagonal=False).data[0].z[3][3] == 1


def test_confused_pairs_most_frequent_first():
    pairs = confused_pairs(SAMPLES, top=2)
    assert pairs == [
        {"true digit": 1, "read as": 7, "times": 2, "% of mistakes": 50.0},
        {"true digit": 4, "read as": 9, "times": 1, "% of mistakes": 25.0},
    ]
    assert confused_pairs(SAMPLES[3:5]) == []


def test_sample_rows_leave_out_the_images():
    row = sample_rows(SAMPLES[:1])[0]
    assert row == {
        "id": 1,
        "created": "2026-03-01 10:01:00",
        "source": "canvas",
        "read as": 7,
        "true digit": 1,
        "confidence %": 40.0,
        "model version": "v1",
    }


def test_version_rows_newest_first_with_status():
    versions = [
        {
            "id": "v1",
            "parent": None,
            "created": "2026-01-01T00:00:00+00:00",
            "metrics": {"mnist_test_accuracy": {"after": 0.9964}},
        },
        {
            "id": "v2",
            "parent": "v1",
            "created": "2026-03-01T12:30:00+00:00",
            "metrics": {
                "mnist_test_accuracy": {"before": 0.9964, "after": 0.9958},
                "feedback_held_out_accuracy": {"before": 0.5, "after": 0.75},
            },
        },
    ]
    rows = version_rows(versions, "v2", {"v1": "ok", "v2": "refusing model version v2: ..."})
    assert [row["version"] for row in rows] == ["v2 (active)", "v1"]
    assert rows[0]["MNIST test %"] == pytest.approx(99.58)
    assert rows[0]["feedback held-out after %"] == 75.0
    assert rows[0]["files"] == "TAMPERED or missing" and rows[1]["files"] == "ok"
    assert (
        rows[1]["feedback held-out before %"] is None and rows[0]["created"] == "2026-03-01 12:30"
    )


def test_a_mistake_caption_names_the_sample_what_was_read_and_by_which_version():
    sample = Sample(12, "2026-03-01T10:00:00+00:00", "photo", 9, 4, 0.31, None)
    assert mistake_caption(sample) == "#12: 4 read as **9** (31%) · ? · photo"
