"""The committed comparison.json and tuning.json: their schema, and the published ranges."""

import json

import pytest

from model import paths
from model.study.compare import BY_NAME, choose
from model.study.tuning import BUNDLED_SETTINGS, search_plan, tune

ROW_KEYS = {
    "name",
    "label",
    "family",
    "features",
    "note",
    "train_size",
    "test_size",
    "accuracy",
    "macro_f1",
    "per_class_f1",
    "errors",
    "latency_single_ms",
    "latency_batched_ms",
    "train_seconds",
    "size_bytes",
    "expected_at_least",
    "details",
    "measured_at",
}


@pytest.fixture(scope="module")
def comparison():
    return json.loads((paths.BUNDLED_DIR / paths.COMPARISON_FILE).read_text())


@pytest.fixture(scope="module")
def tuning():
    return json.loads((paths.BUNDLED_DIR / paths.TUNING_FILE).read_text())


@pytest.mark.artifacts
def test_comparison_covers_every_default_model_on_the_whole_split(comparison):
    assert comparison["schema_version"] == 1
    assert comparison["data"] | {"source": None, "md5_uncompressed": None} == {
        "source": None,
        "md5_uncompressed": None,
        "train": 55_000,
        "validation": 5_000,
        "test": 10_000,
    }
    names = [row["name"] for row in comparison["models"]]
    assert set(names) >= {candidate.name for candidate in choose()}
    for row in comparison["models"]:
        assert set(row) == ROW_KEYS, row["name"]
        assert row["label"] == BY_NAME[row["name"]].label
        assert row["note"] and row["family"] in ("classical", "neural", "transfer")
        assert row["test_size"] == 10_000 and 0 < row["train_size"] <= 55_000
        assert len(row["per_class_f1"]) == 10
        assert all(0 <= score <= 1 for score in row["per_class_f1"])
        assert row["errors"] == round((1 - row["accuracy"]) * 10_000)
        assert row["macro_f1"] == pytest.approx(sum(row["per_class_f1"]) / 10, abs=1e-5)
        assert row["latency_single_ms"] > 0 and row["latency_batched_ms"] > 0
        assert row["train_seconds"] > 0 and row["size_bytes"] > 0


@pytest.mark.artifacts
def test_comparison_meets_the_published_ranges(comparison):
    rows = {row["name"]: row for row in comparison["models"]}
    for name, row in rows.items():
        expected = BY_NAME[name].expected_at_least
        if expected:
            assert row["accuracy"] >= expected, f"{name}: {row['accuracy']} < {expected}"
    assert rows["rbf_svm"]["accuracy"] >= 0.97 and rows["hog_svm"]["accuracy"] >= 0.985
    best = max(comparison["models"], key=lambda row: row["accuracy"])
    assert best["name"] == "bundled_cnn"
    metrics = json.loads((paths.BUNDLED_DIR / paths.METRICS_FILE).read_text())
    assert rows["bundled_cnn"]["accuracy"] == metrics["accuracy"]


@pytest.mark.artifacts
def test_tuning_records_its_budget_and_its_winner(tuning):
    budget = tuning["budget"]
    assert len(tuning["trials"]) == budget["trials"]
    assert [trial["trial"] for trial in tuning["trials"]] == list(range(1, budget["trials"] + 1))
    assert tuning["trials"][0]["bundled_settings"]
    assert {key: tuning["trials"][0][key] for key in BUNDLED_SETTINGS} == BUNDLED_SETTINGS
    best = tuning["best"]
    assert best["val_accuracy"] == max(trial["val_accuracy"] for trial in tuning["trials"])
    assert 0.9 < best["test_accuracy"] <= 1 and best["test_size"] == 10_000
    for trial in tuning["trials"]:
        assert 1 <= trial["best_epoch"] <= budget["epochs"]
        assert trial["filters"] in (16, 24, 32, 48) and trial["batch_size"] in (32, 64, 128, 256)


def test_search_plan_is_fixed_by_its_seed():
    plan = search_plan(12, seed=1337)
    assert plan[0] == BUNDLED_SETTINGS and len(plan) == 12
    assert plan == search_plan(12, seed=1337) != search_plan(12, seed=7)
    assert len({tuple(settings.items()) for settings in plan}) == 12
    for settings in plan[1:]:
        assert 3e-4 <= settings["learning_rate"] <= 1e-2
        assert 0.1 <= settings["dropout_rate"] <= 0.5
    with pytest.raises(ValueError, match="at least one trial"):
        search_plan(0)


@pytest.mark.slow
def test_tune_smoke_writes_its_artifact(mnist_dir, tmp_path):
    artifact = tune(mnist_dir, out_dir=tmp_path, trials=2, epochs=1, train_size=128, log=print)
    saved = json.loads((tmp_path / paths.TUNING_FILE).read_text())
    assert saved == artifact
    assert artifact["budget"] | {"seed": None} == {
        "trials": 2,
        "epochs": 1,
        "train_size": 128,
        "validation_size": 5_000,
        "seed": None,
    }
    assert [trial["trial"] for trial in artifact["trials"]] == [1, 2]
    assert artifact["best"]["trial"] in (1, 2)
