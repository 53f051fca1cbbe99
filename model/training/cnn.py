"""Training the bundled CNN and writing its evaluation artifacts.

Reads top to bottom as short steps: the data (MNIST plus other writing styles), the fit (the
one recipe in `recipe.py`: cosine schedule, best epoch on validation), the evaluation on the
test set, and the written model and artifacts.
"""

import datetime
import json
import platform
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from model import config, paths
from model.data.mnist import load_mnist
from model.inference.predictor import Predictor
from model.inference.preprocess import PREPROCESSING_VERSION
from model.training import styles
from model.training.evaluate import compute_metrics, misclassified, save_misclassified_images
from model.training.network import INPUT_SHAPE, build_model, describe_layers
from model.training.recipe import (
    BestOnValidation,
    LearningRateLogger,
    build_augmentation,
    cosine_schedule,
    fit_classifier,
    make_dataset,
    seed_everything,
)

STYLED_VARIANTS = 2  # restyled copies of each training digit, one drawn per epoch
SEGMENT_SHARE = 0.1  # straight-stroke digits added, as a part of the MNIST training images
AUGMENTATION = (
    f"rotation ±{config.ROTATION_DEGREES}°, zoom ±{config.ZOOM:.0%}, shift ±{config.SHIFT:.0%} "
    f"(no flips); each epoch {config.STYLED_SHARE:.0%} of the digits in another style (wide or "
    "narrow, thin pen or marker, elastic wobble; model/training/styles.py); "
    f"{SEGMENT_SHARE:.0%} more digits made of straight strokes (square, seven-segment-like)"
)


def training_data(data, seed, limit=None):
    """The training digits with their styled copies, and the validation and test splits.

    Returns:
        (x_train, styled, y_train), (x_val, y_val), (x_test, y_test) as uint8 arrays.
    """
    x_train, y_train = data.x_train, data.y_train
    x_val, y_val, x_test, y_test = data.x_val, data.y_val, data.x_test, data.y_test
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
        x_val, y_val = x_val[: max(limit // 5, 10)], y_val[: max(limit // 5, 10)]
        x_test, y_test = x_test[:limit], y_test[:limit]
    rng = np.random.default_rng(seed)
    x_segments, y_segments = styles.segment_digits(int(len(x_train) * SEGMENT_SHARE), rng)
    x_train = np.concatenate([x_train, x_segments])
    y_train = np.concatenate([y_train, y_segments])
    styled = np.stack([styles.styled_copies(x_train, rng) for _ in range(STYLED_VARIANTS)], axis=1)
    return (x_train, styled, y_train), (x_val, y_val), (x_test, y_test)


def train(
    mnist_dir=None,
    out_dir=paths.BUNDLED_DIR,
    epochs=config.CNN_EPOCHS,
    batch_size=config.BATCH_SIZE,
    seed=config.SPLIT_SEED,
    limit=None,
    verbose="auto",
):
    """Trains the CNN from a fixed seed and writes the model and its artifacts to `out_dir`.

    Args:
        mnist_dir: MNIST folder (None: $MNIST_DIR, then the Keras download).
        out_dir: where the .keras file, history, metrics, misclassified list and model card go.
        epochs: training epochs.
        batch_size: images per step.
        seed: seeds the split, weights, shuffling, styles and augmentation.
        limit: train on the first `limit` training images and test on as many test images
            (for smoke tests); None uses everything.
        verbose: Keras progress output ("auto" shows a progress bar).

    Returns:
        The test metrics dict.
    """
    started = time.time()
    seed_everything(seed)
    data = load_mnist(mnist_dir, seed=seed)
    (x_train, styled, y_train), (x_val, y_val), (x_test, y_test) = training_data(data, seed, limit)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / paths.MODEL_FILE

    model = build_model()
    steps_per_epoch = int(np.ceil(len(x_train) / batch_size))
    checkpoint = BestOnValidation(model_path)
    history = fit_classifier(
        model,
        make_dataset(
            x_train,
            y_train,
            batch_size,
            build_augmentation(seed),
            seed,
            styled=styled,
            share=config.STYLED_SHARE,
        ),
        make_dataset(x_val, y_val, config.EVAL_BATCH_SIZE),
        epochs,
        cosine_schedule(
            config.CNN_PEAK_LEARNING_RATE,
            steps=steps_per_epoch * epochs,
            warmup_steps=steps_per_epoch,
            start_fraction=1 / 20,
            alpha=0.005,
        ),
        callbacks=[LearningRateLogger(), checkpoint],
        verbose=verbose,
    )
    training_seconds = time.time() - started

    predictor = Predictor.load(model_path)
    probabilities = predictor.predict_batch(x_test)
    metrics = compute_metrics(y_test, probabilities)
    metrics["best_epoch"] = checkpoint.best_epoch
    metrics["val_accuracy"] = float(checkpoint.best[0])

    epochs_run = len(history.history["loss"])
    history_json = {"epoch": list(range(1, epochs_run + 1))}
    history_json.update(
        {key: [float(v) for v in values] for key, values in history.history.items()}
    )
    card = {
        "name": "digit_cnn",
        "model_file": paths.MODEL_FILE,
        "input": {
            "shape": list(INPUT_SHAPE),
            "dtype": "float32",
            "range": [0, 255],
            "polarity": "white digit on black",
            "format": "MNIST: 20x20 box, centred by mass",
        },
        "classes": list(range(10)),
        "preprocessing_version": PREPROCESSING_VERSION,
        "data": {
            "source": data.source,
            "md5_uncompressed": data.checksums,
            "train": len(x_train),
            "of_which_straight_stroke": len(x_train) - len(data.x_train[:limit]),
            "validation": len(x_val),
            "test": len(x_test),
        },
        "seed": seed,
        "epochs": epochs_run,
        "best_epoch": checkpoint.best_epoch,
        "batch_size": batch_size,
        "optimizer": f"Adam, cosine decay with 1-epoch warm-up to {config.CNN_PEAK_LEARNING_RATE}",
        "augmentation": AUGMENTATION,
        "config": config.as_dict(),
        "parameters": int(model.count_params()),
        "layers": describe_layers(model),
        "test_accuracy": metrics["accuracy"],
        "val_accuracy": metrics["val_accuracy"],
        "training_seconds": round(training_seconds, 1),
        "trained_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "versions": {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
        "subset_limit": limit,
    }
    wrong = misclassified(y_test, probabilities)
    save_misclassified_images(out_dir / paths.MISCLASSIFIED_IMAGES_FILE, wrong, x_test)
    artifacts = {
        paths.HISTORY_FILE: history_json,
        paths.METRICS_FILE: metrics,
        paths.MISCLASSIFIED_FILE: wrong,
        paths.CARD_FILE: card,
    }
    for name, content in artifacts.items():
        (out_dir / name).write_text(json.dumps(content, indent=1) + "\n")
    return metrics
