"""The benchmarks run, in quick mode, and report what they measure (no timing assertions)."""

import pytest

from bench import batch, latency, memory

pytestmark = pytest.mark.slow


def test_latency_benchmark(mnist_dir):
    result = latency.run(str(mnist_dir), quick=True)
    assert result["predict"]["engine"] == "litert" and result["predict"]["calls"] == 20
    for path in ("predict", "predict_keras_engine", "naive_model_predict"):
        assert 0 < result[path]["p50_ms"] <= result[path]["p95_ms"]
    assert result["speedup_p50"] > 0 and result["same_digit_both_engines"] == "20/20"
    assert result["meets_target"] is None  # quick mode checks no target


def test_batch_benchmark(mnist_dir):
    result = batch.run(str(mnist_dir), quick=True)
    assert result["images"] == 1000 and result["default_engine"] == "litert"
    for engine in ("litert", "keras"):
        assert result[engine]["seconds_best"] > 0 and result[engine]["accuracy"] >= 0.99
    assert result["meets_target"] is None


def test_memory_benchmark(mnist_dir):
    result = memory.run(str(mnist_dir), quick=True)
    assert result["litert"]["engine"] == "litert" and not result["litert"]["tensorflow_imported"]
    assert result["keras"]["tensorflow_imported"]
    assert result["litert"]["peak_rss_mb"] > 0 and result["litert"]["drawings_read"] == 10
