"""The artifacts' JSON becomes tables in one place (`model.results`): the pages and the docs
renderer both format its rows."""

import json

import pytest

from model import paths, results
from model.study import report
from ui.artifacts import per_class_rows, realworld_rows, robustness_rows
from ui.comparison import comparison_rows, tuning_rows


def _bundled(name):
    return json.loads((paths.BUNDLED_DIR / name).read_text())


def test_per_digit_counts_the_missed_from_the_confusion_matrix():
    metrics = _bundled(paths.METRICS_FILE)
    rows = results.per_digit(metrics)
    assert [row["digit"] for row in rows] == list(range(10))
    assert sum(row["missed"] for row in rows) == metrics["errors"]
    assert sum(row["test_images"] for row in rows) == metrics["count"]


def test_real_sets_carry_the_naive_resize_or_none():
    report_json = _bundled(paths.REALWORLD_FILE)
    rows = {row["name"]: row for row in results.real_sets(report_json)}
    assert set(rows) == set(report_json["sets"])
    for name, figures in report_json["sets"].items():
        naive = figures.get("naive")
        assert rows[name]["naive_right"] == (naive["right"] if naive else None)
        assert rows[name]["right"] == figures["right"]


def test_models_and_trials_come_best_first():
    models = results.by_accuracy(_bundled(paths.COMPARISON_FILE)["models"])
    assert [row["accuracy"] for row in models] == sorted(
        (row["accuracy"] for row in models), reverse=True
    )
    trials = results.trials_best_first(_bundled(paths.TUNING_FILE))
    assert trials[0]["val_accuracy"] == max(trial["val_accuracy"] for trial in trials)


@pytest.mark.parametrize(
    ("table", "page_rows", "block", "source"),
    [
        ("per_digit", per_class_rows, report.mnist_block, "metrics"),
        ("redrawn_sets", robustness_rows, report.robustness_block, "robustness"),
        ("real_sets", realworld_rows, report.realworld_block, "realworld"),
    ],
)
def test_the_page_and_the_docs_format_the_same_rows(monkeypatch, table, page_rows, block, source):
    sources = report.load_sources()
    original = getattr(results, table)
    (first, *_) = original(sources[source])
    changed = {**first, "count": 4242, "test_images": 4242, "missed": 4242, "right": 4242}
    monkeypatch.setattr(results, table, lambda *_: [changed])
    shown = page_rows(sources[source])
    assert len(shown) == 1 and "4242" in json.dumps(shown).replace(",", "")
    assert "4242" in block(sources).replace(",", "")


def test_the_comparison_page_and_the_docs_order_models_alike(monkeypatch):
    sources = report.load_sources()
    models = sources["comparison"]["models"]
    reversed_order = list(reversed(results.by_accuracy(models)))
    monkeypatch.setattr(results, "by_accuracy", lambda _: reversed_order)
    import ui.comparison

    monkeypatch.setattr(ui.comparison, "by_accuracy", lambda _: reversed_order)
    assert comparison_rows(models)[0]["model"] == reversed_order[0]["label"]
    block = report.comparison_block(sources)
    assert block.index(reversed_order[0]["label"]) < block.index(reversed_order[-1]["label"])
    trials = list(reversed(results.trials_best_first(sources["tuning"])))
    monkeypatch.setattr(results, "trials_best_first", lambda _: trials)
    monkeypatch.setattr(ui.comparison, "trials_best_first", lambda _: trials)
    assert tuning_rows(sources["tuning"])[0]["trial"] == trials[0]["trial"]
