"""Fine-tuning the active model on MNIST plus the users' feedback, into a new model version.

Reads top to bottom: split the feedback (a fixed, seeded part is held out and never trained
on), mix the rest into MNIST, oversampled and augmented like training, train a few epochs at a
low learning rate from the active version's weights, evaluate before and after on the MNIST
test set and on the held-out feedback, and register the new version only if its MNIST test
accuracy did not drop by more than the tolerance.
"""

import datetime
import hashlib
import json
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from model import config, paths
from model.data.mnist import load_mnist
from model.errors import UsageError
from model.inference.predictor import Predictor
from model.operations.export import export
from model.operations.feedback import FeedbackStore
from model.operations.registry import Registry
from model.training.recipe import (
    build_augmentation,
    cosine_schedule,
    fit_classifier,
    make_dataset,
    seed_everything,
)

SEED = config.SPLIT_SEED
EPOCHS = config.FINETUNE_EPOCHS
LEARNING_RATE = config.FINETUNE_LEARNING_RATE
TOLERANCE = config.FINETUNE_TOLERANCE
HOLDOUT_FRACTION = 0.2
FEEDBACK_SHARE = config.FEEDBACK_SHARE
MAX_REPEATS = 50  # each feedback image appears at most this many times an epoch


def holdout_mask(ids, fraction=HOLDOUT_FRACTION, seed=SEED):
    """Which feedback samples are held out for evaluation: a fixed, seeded draw per sample id.

    A sample stays on its side as the database grows, so a version is never evaluated on
    feedback that it or its parents were fine-tuned on (with the same seed).

    Args:
        ids: the samples' database ids.
        fraction: the expected part held out.
        seed: changes the draw.

    Returns:
        bool (N,): True for held-out samples.
    """
    draws = [
        int.from_bytes(hashlib.sha256(f"{seed}:{int(row_id)}".encode()).digest()[:8], "big")
        for row_id in ids
    ]
    return np.array(draws, dtype=np.float64) / 2.0**64 < fraction


def feedback_repeats(feedback_count, mnist_count, share=FEEDBACK_SHARE, most=MAX_REPEATS):
    """How many times each feedback image appears an epoch, for it to be about `share` of it.

    Args:
        feedback_count: feedback images trained on.
        mnist_count: MNIST images an epoch.
        share: the wanted part of feedback in an epoch, 0-1.
        most: a cap, so a handful of corrections is not learnt by heart.

    Returns:
        The repeats, at least 1 (0 without feedback).
    """
    if feedback_count == 0:
        return 0
    wanted = share * mnist_count / ((1 - share) * feedback_count)
    return int(np.clip(round(wanted), 1, most))


def accuracy(predictor, images, labels):
    """The share of `images` read as their `labels`; None when there are none."""
    if len(labels) == 0:
        return None
    return float((predictor.predict_batch(images).argmax(axis=1) == labels).mean())


class ReportEpochs(keras.callbacks.Callback):
    """Passes each epoch's loss and accuracies to `report`, as a dict."""

    def __init__(self, report):
        super().__init__()
        self.report = report

    def on_epoch_end(self, epoch, logs=None):
        figures = {key: round(float(value), 6) for key, value in (logs or {}).items()}
        self.report({"event": "epoch", "epoch": epoch + 1, **figures})


def _freeze_batch_norm(model):
    # Fine-tuning recipe: batch-norm layers keep MNIST's statistics (they run in inference
    # mode when not trainable), so a small, different mix cannot shift them.
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def finetune(
    mnist_dir=None,
    feedback_db=None,
    registry_folder=None,
    epochs=EPOCHS,
    limit=None,
    tolerance=TOLERANCE,
    seed=SEED,
    learning_rate=LEARNING_RATE,
    feedback_share=FEEDBACK_SHARE,
    batch_size=config.BATCH_SIZE,
    activate=True,
    report=None,
):
    """Fine-tunes the active version on MNIST and the feedback; registers it if MNIST holds.

    Args:
        mnist_dir: MNIST folder (None: $MNIST_DIR, then the Keras download).
        feedback_db: the feedback database (None: the default one).
        registry_folder: the model registry (None: the default one).
        epochs: passes over the mix of MNIST and feedback.
        limit: train on this many MNIST training images (None: all 55,000); the test set is
            always whole.
        tolerance: the largest MNIST test accuracy drop (0-1) for which the new version is
            registered.
        seed: seeds the feedback split, weights' updates, shuffling and augmentation.
        learning_rate: Adam's learning rate (low: the model is already trained).
        feedback_share: the part of each epoch that is feedback (see `feedback_repeats`).
        batch_size: images per step.
        activate: make the new version the active one when it is registered.
        report: called with a JSON-ready dict at each step (start, before, each epoch).

    Returns:
        A JSON-ready dict: `accepted`, the new `version` (None when rejected), its `parent`,
        MNIST test and held-out feedback accuracy before and after, and the counts.

    Raises:
        FileNotFoundError: no feedback database at `feedback_db`.
        ValueError: no feedback to train on, or an argument out of range.
        FeedbackError, RegistryError, TamperedModelError: the database or the active
            version cannot be used.
    """
    _check_options(epochs, tolerance, feedback_share)
    started = time.time()
    report = report or (lambda event: None)
    seed_everything(seed)

    registry = Registry(registry_folder)
    parent = registry.active
    parent_path = registry.verify(parent)
    before = Predictor.load(parent_path)
    (x_feedback, y_feedback), holdout = feedback_split(feedback_db, seed)
    # The validation split the parent was trained without: the seed of its first training.
    data = load_mnist(mnist_dir, seed=before.card.get("seed", SEED))
    (x_mix, y_mix), validation, counts = training_mix(
        data, (x_feedback, y_feedback), len(holdout[1]), feedback_share, limit
    )
    report({"event": "start", "parent": parent, **counts, "epochs": epochs})
    test = (data.x_test, data.y_test)
    accuracy_before = {
        "mnist_test": accuracy(before, *test),
        "feedback_held_out": accuracy(before, *holdout),
    }
    report({"event": "before", **accuracy_before})

    model = _fit(
        parent_path, (x_mix, y_mix), validation, epochs, learning_rate, batch_size, seed, report
    )

    staged = registry.staging_folder()
    try:
        model.save(staged / paths.MODEL_FILE)
        # The digit gate, the confidence calibration and the pair reader are the parent's.
        for name in (
            paths.GATE_FILE,
            paths.CALIBRATION_FILE,
            paths.PAIRS_FILE,
            paths.PAIRS_CARD_FILE,
        ):
            if (parent_path.parent / name).is_file():
                shutil.copyfile(parent_path.parent / name, staged / name)
        after = Predictor.load(staged / paths.MODEL_FILE)
        accuracy_after = {
            "mnist_test": accuracy(after, *test),
            "feedback_held_out": accuracy(after, *holdout),
        }
        drop = accuracy_before["mnist_test"] - accuracy_after["mnist_test"]
        metrics = {
            "mnist_test_accuracy": {
                "before": accuracy_before["mnist_test"],
                "after": accuracy_after["mnist_test"],
            },
            "feedback_held_out_accuracy": {
                "before": accuracy_before["feedback_held_out"],
                "after": accuracy_after["feedback_held_out"],
            },
            "mnist_drop": round(drop, 6),
            "tolerance": tolerance,
            **counts,
            "epochs": epochs,
            "learning_rate": learning_rate,
            "seed": seed,
            "seconds": round(time.time() - started, 1),
        }
        accepted = drop <= tolerance + 1e-9  # accuracies are counts over the same test set
        version = None
        if accepted:
            _write_card(staged, before.card, parent, metrics)
            # The new version runs on LiteRT too, checked against Keras like the bundled one.
            export("litert", staged / paths.MODEL_FILE, staged, mnist_dir, limit and 512)
            version = registry.add_version(staged, parent, metrics, activate=activate)
        else:
            registry.discard(staged)
    except BaseException:
        registry.discard(staged)
        raise
    return {"accepted": accepted, "version": version, "parent": parent, **metrics}


def _check_options(epochs, tolerance, feedback_share):
    if epochs < 1:
        raise UsageError(f"epochs must be at least 1, not {epochs}")
    if not 0 <= tolerance < 1:
        raise UsageError(f"tolerance is an accuracy drop between 0 and 1, not {tolerance}")
    if not 0 < feedback_share < 1:
        raise UsageError(f"feedback_share must be between 0 and 1, not {feedback_share}")


def feedback_split(feedback_db, seed):
    """The feedback to train on and the held-out feedback, as ((images, labels), (images, labels)).

    Raises:
        FileNotFoundError: no database at `feedback_db`.
        UsageError: nothing left to train on once the held-out part is set aside.
    """
    if feedback_db is not None and not Path(feedback_db).is_file():
        raise FileNotFoundError(f"no feedback database at {feedback_db}")
    ids, images, labels = FeedbackStore(feedback_db).arrays()
    held_out = holdout_mask(ids, seed=seed)
    if not (~held_out).any():
        raise UsageError(
            f"no feedback to learn from: {len(ids)} samples in the database, "
            f"{int(held_out.sum())} of them held out for evaluation"
        )
    return (images[~held_out], labels[~held_out]), (images[held_out], labels[held_out])


def training_mix(data, feedback, held_out_count, feedback_share, limit=None):
    """MNIST with the feedback repeated to about `feedback_share` of it, the validation split,
    and the counts for the report."""
    x_feedback, y_feedback = feedback
    x_mnist, y_mnist, x_val, y_val = data.x_train, data.y_train, data.x_val, data.y_val
    if limit:
        x_mnist, y_mnist = x_mnist[:limit], y_mnist[:limit]
        x_val, y_val = x_val[: max(limit // 5, 100)], y_val[: max(limit // 5, 100)]
    repeats = feedback_repeats(len(x_feedback), len(x_mnist), feedback_share)
    x_mix = np.concatenate([x_mnist, np.repeat(x_feedback, repeats, axis=0)])
    y_mix = np.concatenate([y_mnist, np.repeat(y_feedback, repeats, axis=0)])
    counts = {
        "feedback_train": len(x_feedback),
        "feedback_held_out": held_out_count,
        "feedback_repeats": repeats,
        "mnist_train": len(x_mnist),
        "mnist_test": len(data.x_test),
    }
    return (x_mix, y_mix), (x_val, y_val), counts


def _fit(parent_path, mix, validation, epochs, learning_rate, batch_size, seed, report):
    """The parent's weights trained on `mix` through the one recipe, batch norm frozen."""
    model = keras.models.load_model(parent_path, compile=False)
    _freeze_batch_norm(model)
    steps = epochs * int(np.ceil(len(mix[0]) / batch_size))
    # A short warm-up (Adam's first steps are as large as the learning rate whatever the
    # gradient), then cosine decay to zero, so the last steps barely move the weights.
    schedule = cosine_schedule(
        learning_rate, steps=steps, warmup_steps=steps // 10, start_fraction=1 / 10
    )
    fit_classifier(
        model,
        make_dataset(*mix, batch_size, build_augmentation(seed), seed),
        make_dataset(*validation, config.EVAL_BATCH_SIZE),
        epochs,
        schedule,
        callbacks=[ReportEpochs(report)],
        verbose=0,
    )
    return model


def _write_card(folder, parent_card, parent, metrics):
    card = {
        **parent_card,
        "test_accuracy": metrics["mnist_test_accuracy"]["after"],
        "trained_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "fine_tune": {"parent": parent, **metrics},
    }
    (folder / paths.CARD_FILE).write_text(json.dumps(card, indent=1) + "\n")
