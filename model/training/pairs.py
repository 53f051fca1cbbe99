"""Training the pair reader: a CNN that reads two touching or overlapping digits as one
(28, 56) picture, 100 pairs and "not two digits" (`model.data.pairs`).

Pairs are composed from MNIST's training split and the pendigits training writers; the epoch
is chosen on pairs of MNIST's validation split and the validation writers; the card reports
pairs of the test writers as well. The network is exported for LiteRT (`pairs.tflite`) with
its card (`pairs.json`), which the predictor reads (`model.inference.pairs`).
"""

import json
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from model import config, paths
from model.checksums import file_checksum
from model.data import pendigits
from model.data.mnist import load_mnist
from model.data.pairs import PairMaker
from model.inference.pairs import NOT_A_PAIR, PAIR_CLASSES, PairReader
from model.inference.preprocess import PAIR_SHAPE
from model.training.recipe import BestOnValidation, cosine_schedule, fit_classifier, seed_everything

PAIR_COUNT = 120_000  # training pictures
PAIR_VALIDATION = 10_000
PAIR_EPOCHS = 9
PAIR_BATCH = 128
PAIR_PEAK_LEARNING_RATE = 2e-3


def build_pair_model(dropout_rate=0.25):
    """(N, 28, 56, 1) 0-255 floats to (N, 101) probabilities."""
    inputs = keras.Input(shape=(*PAIR_SHAPE, 1), name="pair")
    x = layers.Rescaling(1.0 / 255)(inputs)
    for filters, convs in ((32, 2), (64, 2), (128, 1)):
        for _ in range(convs):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Dropout(dropout_rate)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(PAIR_CLASSES, activation="softmax", name="pair_probabilities")(x)
    return keras.Model(inputs, outputs, name="pair_cnn")


def _dataset(images, labels, batch_size, seed=None):
    data = tf.data.Dataset.from_tensor_slices((images[..., None].astype("float32"), labels))
    if seed is not None:
        data = data.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _accuracy(reader, images, labels):
    """Share read right, and share of the true pairs read right."""
    read = reader(images).argmax(axis=1)
    pairs = labels != NOT_A_PAIR
    return float(np.mean(read == labels)), float(np.mean(read[pairs] == labels[pairs]))


def train_pairs(
    mnist_dir=None,
    pendigits_dir=None,
    out_dir=paths.BUNDLED_DIR,
    seed=config.SPLIT_SEED,
    count=PAIR_COUNT,
    epochs=PAIR_EPOCHS,
    verbose=2,
    validation_count=PAIR_VALIDATION,
):
    """Trains the pair reader and writes `pairs.tflite` and `pairs.json` to `out_dir`.

    `count` pictures train it, `validation_count` of the validation writers choose its epoch
    and as many of the test writers are reported.

    Returns:
        The card (a dict).
    """
    started = time.perf_counter()
    seed_everything(seed)
    mnist = load_mnist(mnist_dir)
    writers = pendigits.TRAINING_WRITERS, pendigits.VALIDATION_WRITERS, pendigits.TEST_WRITERS
    pen = [pendigits.load_pendigits(pendigits_dir, group) for group in writers]
    rng = np.random.default_rng([seed, 2600])
    x_train, y_train = PairMaker(mnist.x_train, mnist.y_train, pen[0]).pictures(count, rng)
    validation = PairMaker(mnist.x_val, mnist.y_val, pen[1]).pictures(validation_count, rng)
    test = PairMaker(mnist.x_test[:0], mnist.y_test[:0], pen[2], pen_share=1.0).pictures(
        validation_count, rng
    )
    made = time.perf_counter() - started
    model = build_pair_model()
    steps = int(np.ceil(count / PAIR_BATCH))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = BestOnValidation(Path(scratch) / "pairs.keras")
        history = fit_classifier(
            model,
            _dataset(x_train, y_train, PAIR_BATCH, seed),
            _dataset(*validation, 1024),
            epochs,
            cosine_schedule(PAIR_PEAK_LEARNING_RATE, steps * epochs, steps, 1 / 20, 0.005),
            callbacks=[checkpoint],
            verbose=verbose,
        )
        best = keras.models.load_model(checkpoint.path, compile=False)
        target = out_dir / paths.PAIRS_FILE
        best.export(
            str(target), format="litert", verbose=False, optimizations=[tf.lite.Optimize.DEFAULT]
        )
    keras_read = best.predict(validation[0][..., None].astype("float32"), verbose=0).argmax(1)
    reader = PairReader(target)
    agree = float(np.mean(reader(validation[0]).argmax(axis=1) == keras_read))
    accuracy = {
        name: dict(zip(("all", "pairs"), _accuracy(reader, *pictures), strict=True))
        for name, pictures in (("validation", validation), ("test_writers", test))
    }
    card = {
        "file": paths.PAIRS_FILE,
        "sha256": file_checksum(target),
        "input_shape": list(PAIR_SHAPE),
        "classes": "10 x left digit + right digit (0-99); 100: not two digits",
        "trained_on": (
            f"{count:,} composed pictures: MNIST training split and pendigits writers "
            f"{pendigits.TRAINING_WRITERS[0]}-{pendigits.TRAINING_WRITERS[-1]} "
            "(touching or overlapping pairs, pen digits sometimes in their named style, spiral "
            "0s among them; one digit, three digits, a digit and part of the next, scribbles, "
            "zigzags, shapes, printed and hand-written letters as 'not two digits')"
        ),
        "validation": "MNIST validation split and pendigits writers "
        + ", ".join(map(str, pendigits.VALIDATION_WRITERS)),
        "test_writers": list(pendigits.TEST_WRITERS),
        "accuracy": accuracy,
        "litert_agrees_with_keras": agree,
        "best_epoch": checkpoint.best_epoch,
        "epochs": epochs,
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
        "seed": seed,
        "seconds": {"pictures": made, "all": time.perf_counter() - started},
    }
    (out_dir / paths.PAIRS_CARD_FILE).write_text(json.dumps(card, indent=1) + "\n")
    return card
