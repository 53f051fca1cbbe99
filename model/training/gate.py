"""The digit gate: a small CNN that says whether a 28x28 picture is one digit at all.

A softmax over ten digits has no way to say "none of these": a scribble or a letter gets a
confident digit. The gate is trained on MNIST digits (as scanned and re-drawn with a pen)
and on the pendigits training writers' digits drawn as on a canvas, against pictures that are not
one digit (`model.data.negatives`), and its probability scales the predictor's confidence.
"""

import json
import time

import keras
import numpy as np
from keras import layers

from model import config, paths
from model.data import pendigits
from model.data.mnist import load_mnist
from model.data.negatives import negatives
from model.data.synthetic import canvas_digit, pixel_art
from model.inference.preprocess import locate_digit
from model.training import styles
from model.training.pen_digits import pen_pictures
from model.training.recipe import (
    build_augmentation,
    fit_classifier,
    make_dataset,
    save_for_inference,
    seed_everything,
)

SEED = config.SPLIT_SEED
EPOCHS = config.GATE_EPOCHS
REDRAWN = 20_000  # training digits also re-drawn as canvas strokes or pixel art
STYLED = 10_000  # training digits restyled (and half as many straight-stroke digits)
PEN_COPIES = 2  # drawings of each pendigits training writer's digit (a 1 with a flag and foot)
PEN_NAMED_SHARE = 0.3  # ...this share in its named style


def build_gate(dropout_rate=0.3):
    """A small CNN from (N, 28, 28, 1) 0-255 images to (N, 1): the probability of a digit."""
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)
    for filters in (16, 32):
        x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(1, activation="sigmoid", name="is_digit")(x)
    return keras.Model(inputs, outputs, name="digit_gate")


def redrawn_digits(images, count, rng):
    """MNIST digits re-drawn as a person would (pen strokes, pixel art), back in MNIST format."""
    redrawn = []
    for index in rng.permutation(len(images))[:count]:
        if rng.random() < 0.8:
            picture = canvas_digit(images[index], rng, canvas_size=int(rng.choice((120, 200))))
        else:
            picture = pixel_art(images[index], rng)
        image28, _, _ = locate_digit(picture)
        if image28 is not None:
            redrawn.append(image28)
    return np.stack(redrawn)


def pen_positives(digits, copies, rng):
    """Pen-written digits drawn `copies` times each as on a canvas, in MNIST format."""
    if not digits:
        return np.zeros((0, 28, 28), np.uint8)
    return np.concatenate([pen_pictures(digits, rng, PEN_NAMED_SHARE)[0] for _ in range(copies)])


def gate_data(data, seed, limit=None, pen=None):
    """Training and validation pictures for the gate, half digits and half not, shuffled.

    Args:
        data: MNIST splits (`load_mnist`).
        seed: the seed of every random choice.
        limit: use only this many MNIST images and pen digits (smoke tests).
        pen: (training writers' digits, validation writers' digits), `PenDigit` lists.

    Returns:
        (x_train, y_train), (x_val, y_val), and the validation writers' digits drawn once.
    """
    rng = np.random.default_rng(seed)
    digits_train = data.x_train[:limit] if limit else data.x_train
    redrawn = redrawn_digits(digits_train, min(REDRAWN, len(digits_train) // 3), rng)
    # Digits in the styles MNIST lacks are digits too: wide, narrow, marker, straight strokes.
    styled_count = min(STYLED, len(digits_train) // 5)
    styled = styles.styled_copies(
        digits_train[rng.permutation(len(digits_train))[:styled_count]], rng
    )
    square, _ = styles.segment_digits(styled_count // 2, rng)
    pen_train, pen_val = pen or ([], [])
    written = pen_positives(pen_train[:limit] if limit else pen_train, PEN_COPIES, rng)
    positives = np.concatenate([digits_train, redrawn, styled, square, written])
    negative_train = negatives(len(positives), seed, digits_train)
    x_train = np.concatenate([positives, negative_train])
    y_train = np.concatenate([np.ones(len(positives)), np.zeros(len(negative_train))])
    order = rng.permutation(len(x_train))
    digits_val = data.x_val[:limit] if limit else data.x_val
    negative_val = negatives(len(digits_val), seed + 1, digits_val)
    x_val = np.concatenate([digits_val, negative_val])
    y_val = np.concatenate([np.ones(len(digits_val)), np.zeros(len(negative_val))])
    pen_val = pen_positives(pen_val[:limit] if limit else pen_val, 1, rng)
    return (x_train[order], y_train[order]), (x_val, y_val), pen_val


def train_gate(
    mnist_dir=None,
    out_dir=paths.BUNDLED_DIR,
    epochs=EPOCHS,
    seed=SEED,
    limit=None,
    pendigits_dir=None,
):
    """Trains the gate and writes `gate.keras` and `gate.json` (validation figures).

    Args:
        mnist_dir: folder with the MNIST IDX files (see `model.data.mnist.load_mnist`).
        out_dir: where to write.
        epochs: passes over the training pictures.
        seed: seed for the split, the negatives and the weights.
        limit: use only this many MNIST images and pen digits (smoke tests).
        pendigits_dir: the pendigits folder (None: $PENDIGITS_DIR, then ../shared/pendigits).

    Returns:
        The figures written to `gate.json`.
    """
    seed_everything(seed)
    started = time.time()
    data = load_mnist(mnist_dir, seed=seed)
    pen = [
        pendigits.load_pendigits(pendigits_dir, writers)
        for writers in (pendigits.TRAINING_WRITERS, pendigits.VALIDATION_WRITERS)
    ]
    (x_train, y_train), (x_val, y_val), pen_val = gate_data(data, seed, limit, pen)
    gate = build_gate()
    fit_classifier(
        gate,
        make_dataset(x_train, y_train, config.BATCH_SIZE, build_augmentation(seed), seed),
        make_dataset(x_val, y_val, config.EVAL_BATCH_SIZE),
        epochs,
        schedule=1e-3,
        loss="binary_crossentropy",
        verbose=2,
    )
    scores = gate.predict(x_val[..., None].astype("float32"), verbose=0)[:, 0]
    digits, others = scores[y_val == 1], scores[y_val == 0]
    pen_scores = gate.predict(pen_val[..., None].astype("float32"), verbose=0)[:, 0]
    figures = {
        "validation_digits": int(len(digits)),
        "validation_negatives": int(len(others)),
        "digits_doubted": float((digits < 0.5).mean()),
        "negatives_passed": float((others >= 0.5).mean()),
        "validation_pen_digits": int(len(pen_scores)),
        "pen_digits_doubted": float((pen_scores < 0.5).mean()),
        "pen_writers": {
            "training": list(pendigits.TRAINING_WRITERS),
            "validation": list(pendigits.VALIDATION_WRITERS),
        },
        "training_pictures": int(len(x_train)),
        "epochs": epochs,
        "seed": seed,
        "training_seconds": round(time.time() - started, 1),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    save_for_inference(gate, out_dir / paths.GATE_FILE)  # no optimizer state
    (out_dir / paths.GATE_CARD_FILE).write_text(json.dumps(figures, indent=1))
    return figures
