"""Training the bundled CNN and writing its evaluation artifacts.

Reads top to bottom: load the data, build the augmentation and the network, train with a
cosine learning-rate schedule keeping the best epoch on validation, evaluate on the test set,
write the model and its artifacts.
"""

import datetime
import json
import platform
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from model import paths
from model.data.mnist import load_mnist
from model.inference.predictor import Predictor
from model.inference.preprocess import PREPROCESSING_VERSION
from model.training.evaluate import compute_metrics, misclassified, save_misclassified_images
from model.training.network import INPUT_SHAPE, build_model, describe_layers

SEED = 1337
EPOCHS = 45
BATCH_SIZE = 128
PEAK_LEARNING_RATE = 2e-3


def build_augmentation(seed=SEED):
    """Digit-safe augmentation: small rotations, zoom and shifts; never flips."""
    return keras.Sequential(
        [
            layers_random("RandomRotation", factor=10 / 360, seed=seed),
            layers_random("RandomZoom", height_factor=0.1, seed=seed + 1),
            layers_random("RandomTranslation", height_factor=0.1, width_factor=0.1, seed=seed + 2),
        ],
        name="augmentation",
    )


def layers_random(name, seed, **kwargs):
    # Digits are white on black, so new pixels must be black (0), not reflected ink.
    return getattr(keras.layers, name)(fill_mode="constant", fill_value=0.0, seed=seed, **kwargs)


def make_dataset(images, labels, batch_size, augmentation=None, seed=SEED):
    """A shuffled, batched tf.data pipeline of (N, 28, 28, 1) float images in 0-255."""
    images = images[..., None].astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype("int32")))
    if augmentation is not None:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if augmentation is not None:
        dataset = dataset.map(
            lambda x, y: (augmentation(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


class BestOnValidation(keras.callbacks.Callback):
    """Saves the model whenever validation accuracy improves (lower val loss breaks ties).

    Validation accuracy on 5,000 images moves in steps of 0.02%, so ties are common; the
    tie-break keeps the later, better-calibrated epoch instead of the first lucky one.
    """

    def __init__(self, path):
        super().__init__()
        self.path = str(path)
        self.best = (-1.0, float("inf"))
        self.best_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        score = (logs["val_accuracy"], logs["val_loss"])
        if score[0] > self.best[0] or (score[0] == self.best[0] and score[1] < self.best[1]):
            self.best, self.best_epoch = score, epoch + 1
            self.model.save(self.path)


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the learning rate in use at the end of each epoch to the history."""

    def on_epoch_end(self, epoch, logs=None):
        logs["learning_rate"] = float(
            keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        )


def train(
    mnist_dir=None,
    out_dir=paths.BUNDLED_DIR,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    seed=SEED,
    limit=None,
    verbose="auto",
):
    """Trains the CNN from a fixed seed and writes the model and its artifacts to `out_dir`.

    Args:
        mnist_dir: MNIST folder (None: $MNIST_DIR, then the Keras download).
        out_dir: where the .keras file, history, metrics, misclassified list and model card go.
        epochs: training epochs.
        batch_size: images per step.
        seed: seeds the split, weights, shuffling and augmentation.
        limit: train on the first `limit` training images and test on as many test images
            (for smoke tests); None uses everything.
        verbose: Keras progress output ("auto" shows a progress bar).

    Returns:
        The test metrics dict.
    """
    started = time.time()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    data = load_mnist(mnist_dir, seed=seed)
    x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
    x_val, y_val = data.x_val, data.y_val
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
        x_val, y_val = x_val[: max(limit // 5, 10)], y_val[: max(limit // 5, 10)]
        x_test, y_test = x_test[:limit], y_test[:limit]

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / paths.MODEL_FILE

    train_ds = make_dataset(x_train, y_train, batch_size, build_augmentation(seed), seed)
    val_ds = make_dataset(x_val, y_val, 1024)
    steps_per_epoch = int(np.ceil(len(x_train) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=PEAK_LEARNING_RATE / 20,
        warmup_target=PEAK_LEARNING_RATE,
        warmup_steps=steps_per_epoch,
        decay_steps=max(steps_per_epoch * (epochs - 1), 1),
        alpha=0.005,
    )
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    checkpoint = BestOnValidation(model_path)
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=epochs,
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=verbose,
        callbacks=[LearningRateLogger(), checkpoint],
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
            "validation": len(x_val),
            "test": len(x_test),
        },
        "seed": seed,
        "epochs": epochs_run,
        "best_epoch": checkpoint.best_epoch,
        "batch_size": batch_size,
        "optimizer": f"Adam, cosine decay with 1-epoch warm-up to {PEAK_LEARNING_RATE}",
        "augmentation": "rotation ±10°, zoom ±10%, shift ±10% (no flips)",
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
