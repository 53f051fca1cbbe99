"""Fine-tuning on feedback: the held-out split, the mix, and a real (small, fast) run."""

import json

import cv2
import numpy as np
import pytest

from model import paths
from model.cli import main
from model.data.mnist import load_mnist
from model.operations.feedback import FeedbackStore
from model.operations.registry import Registry
from model.training.finetune import feedback_repeats, finetune, holdout_mask

FEEDBACK_COUNT = 300


def in_a_form_box(image28):
    """A digit written in the printed box of a form: a style MNIST never shows the model."""
    boxed = image28.copy()
    cv2.rectangle(boxed, (1, 1), (26, 26), 255, 2)
    return boxed


@pytest.fixture(scope="module")
def boxed_feedback(mnist_dir, tmp_path_factory):
    """300 corrections of boxed digits; MNIST training digits the fine-tune's subset leaves out."""
    data = load_mnist(mnist_dir)
    path = tmp_path_factory.mktemp("feedback") / "feedback.db"
    store = FeedbackStore(path)
    images, labels = data.x_train[-FEEDBACK_COUNT:], data.y_train[-FEEDBACK_COUNT:]
    for image, label in zip(images, labels, strict=True):
        store.add(
            image28=in_a_form_box(image),
            predicted=0,
            label=int(label),
            confidence=0.5,
            source="photo",
            model_version="v1",
        )
    return path


def test_the_held_out_part_is_fixed_per_sample():
    ids = np.arange(1, 2001)
    mask = holdout_mask(ids)
    assert 0.17 < mask.mean() < 0.23
    np.testing.assert_array_equal(holdout_mask(ids[::-1]), mask[::-1])
    np.testing.assert_array_equal(holdout_mask(ids[:100]), mask[:100])
    assert not np.array_equal(holdout_mask(ids, seed=7), mask)


def test_feedback_repeats_aim_at_a_share_of_each_epoch():
    assert feedback_repeats(200, 8000, share=0.2) == 10  # 2,000 of 10,000 images
    assert feedback_repeats(100, 9000) == 10  # the default share, 10%
    assert feedback_repeats(5, 55000) == 50  # capped
    assert feedback_repeats(5000, 1000) == 1
    assert feedback_repeats(0, 1000) == 0


@pytest.mark.slow
def test_finetune_learns_the_feedback_and_keeps_mnist(boxed_feedback, mnist_dir, tmp_path, capsys):
    registry_folder = tmp_path / "registry"
    arguments = ["finetune", "--mnist-dir", str(mnist_dir), "--feedback", str(boxed_feedback)]
    arguments += ["--registry", str(registry_folder), "--epochs", "1", "--limit", "10000"]
    assert main(arguments) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [event["event"] for event in events] == ["start", "before", "epoch", "result"]
    result = events[-1]

    assert result["accepted"] and result["version"] == "v2" and result["parent"] == "v1"
    mnist, feedback = result["mnist_test_accuracy"], result["feedback_held_out_accuracy"]
    assert mnist["before"] - mnist["after"] <= result["tolerance"] == 0.002
    assert feedback["after"] >= feedback["before"] + 0.05, feedback
    assert result["feedback_train"] + result["feedback_held_out"] == FEEDBACK_COUNT

    registry = Registry(registry_folder)
    assert registry.active == "v2"
    assert registry.version("v2")["metrics"]["mnist_test_accuracy"] == mnist
    card = json.loads((registry_folder / "v2" / paths.CARD_FILE).read_text())
    assert card["fine_tune"]["parent"] == "v1" and card["test_accuracy"] == mnist["after"]
    assert paths.LITERT_FILE in registry.version("v2")["files"]  # checked like the rest
    predictor = registry.load_predictor()
    assert predictor.engine.name == "litert" and predictor.engine.has_gate
    assert predictor.temperature > 1.0


@pytest.mark.slow
def test_a_fine_tune_that_hurts_mnist_is_not_registered(boxed_feedback, mnist_dir, tmp_path):
    # A learning rate 100 times too high wrecks the model: the gate must refuse it.
    result = finetune(mnist_dir, boxed_feedback, tmp_path, epochs=1, limit=500, learning_rate=1e-2)
    assert not result["accepted"] and result["version"] is None
    assert result["mnist_drop"] > result["tolerance"]
    registry = Registry(tmp_path)
    assert registry.active == "v1" and len(registry.versions) == 1
    assert not list(tmp_path.glob(".staging-*")) and not list(tmp_path.glob("v2"))


def test_finetune_needs_feedback(tmp_path, mnist_dir):
    with pytest.raises(FileNotFoundError, match="no feedback database"):
        finetune(mnist_dir, tmp_path / "missing.db", tmp_path / "registry")
    FeedbackStore(tmp_path / "empty.db")
    with pytest.raises(ValueError, match="no feedback to learn from"):
        finetune(mnist_dir, tmp_path / "empty.db", tmp_path / "registry")
    with pytest.raises(ValueError, match="tolerance"):
        finetune(mnist_dir, tmp_path / "empty.db", tmp_path / "registry", tolerance=-0.01)
