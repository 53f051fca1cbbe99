"""The one training recipe: augmentation, the tf.data pipeline, Adam with a cosine schedule,
the best epoch on validation kept, progress in the history; and fast prediction for the study.

The bundled CNN (`cnn.py`), the gate, fine-tuning and the comparison's networks all train
through these pieces, with their settings from `model.config`.
"""

import time

import keras
import numpy as np
import tensorflow as tf

from model import config
from model.errors import UsageError

PREDICT_CHUNK = 2048


def build_augmentation(seed=config.SPLIT_SEED):
    """Digit-safe augmentation: small rotations, zoom and shifts; never flips."""
    return keras.Sequential(
        [
            _random_layer("RandomRotation", factor=config.ROTATION_DEGREES / 360, seed=seed),
            _random_layer("RandomZoom", height_factor=config.ZOOM, seed=seed + 1),
            _random_layer(
                "RandomTranslation",
                height_factor=config.SHIFT,
                width_factor=config.SHIFT,
                seed=seed + 2,
            ),
        ],
        name="augmentation",
    )


def _random_layer(name, seed, **kwargs):
    # Digits are white on black, so new pixels must be black (0), not reflected ink.
    return getattr(keras.layers, name)(fill_mode="constant", fill_value=0.0, seed=seed, **kwargs)


def make_dataset(
    images, labels, batch_size, augmentation=None, seed=config.SPLIT_SEED, styled=None, share=0.0
):
    """A shuffled, batched tf.data pipeline of (N, 28, 28, 1) float images in 0-255.

    Args:
        images, labels: uint8 (N, 28, 28) and (N,).
        batch_size: images per batch.
        augmentation: a Keras layer applied to every training batch; None for validation.
        seed: seeds the shuffling and the choice of styled copies.
        styled: optional uint8 (N, K, 28, 28): K other styles of each image; each epoch an
            image is replaced by one of them with probability `share`.
        share: see `styled`.
    """
    images = images.astype("float32")
    arrays = (images, labels.astype("int32"))
    if styled is not None:
        arrays = (images, styled.astype("float32"), labels.astype("int32"))
    dataset = tf.data.Dataset.from_tensor_slices(arrays)
    if augmentation is not None:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if styled is not None:
        variants = styled.shape[1]
        draws = tf.data.Dataset.random(seed=seed)

        def pick(element, draw):
            image, others, label = element
            use_styled = tf.math.floormod(draw, 1000) < int(share * 1000)
            other = others[tf.math.floormod(tf.math.floordiv(draw, 1000), variants)]
            return tf.where(use_styled, other, image), label

        dataset = tf.data.Dataset.zip((dataset, draws)).map(pick)
    dataset = dataset.map(lambda x, y: (x[..., None], y)).batch(batch_size)
    if augmentation is not None:
        dataset = dataset.map(
            lambda x, y: (augmentation(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def cosine_schedule(peak, steps, warmup_steps, start_fraction, alpha=0.0):
    """Linear warm-up from `peak * start_fraction` to `peak`, then cosine decay over the rest."""
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak * start_fraction,
        warmup_target=peak,
        warmup_steps=max(warmup_steps, 1),
        decay_steps=max(steps - warmup_steps, 1),
        alpha=alpha,
    )


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


def seed_everything(seed):
    """Seeds Python, NumPy and TensorFlow, and makes TensorFlow's ops deterministic."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def fit_classifier(
    model,
    train,
    validation,
    epochs,
    schedule,
    callbacks=(),
    verbose="auto",
    loss="sparse_categorical_crossentropy",
):
    """Compiles `model` with Adam on `schedule` and fits it, reporting accuracy each epoch.

    Args:
        model: a Keras model from (N, 28, 28, 1) 0-255 floats to (N, 10) probabilities.
        train, validation: tf.data datasets from `make_dataset`.
        epochs: passes over `train`.
        schedule: the learning rate (a float or a Keras schedule).
        callbacks: extra Keras callbacks (progress, `BestOnValidation`).
        verbose: Keras progress output.
        loss: the digits' sparse categorical cross-entropy; the gate's binary one.

    Returns:
        The Keras History.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss=loss,
        metrics=["accuracy"],
    )
    return model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=verbose,
        callbacks=list(callbacks),
    )


def fit_network(
    model,
    train,
    validation,
    epochs,
    batch_size=config.BATCH_SIZE,
    learning_rate=1e-3,
    seed=config.SPLIT_SEED,
    verbose=2,
):
    """Trains `model` from a fixed seed and keeps its best epoch on the validation split.

    Args:
        model: an uncompiled Keras model taking (N, 28, 28, 1) floats in 0-255.
        train: (images, labels): uint8 (N, 28, 28) and (N,).
        validation: (images, labels) used to pick the epoch; never the test set.
        epochs: training epochs.
        batch_size: images per step.
        learning_rate: the peak learning rate, decayed to 0 along a cosine.
        seed: seeds the weights and the shuffling.
        verbose: Keras output (2: one line per epoch, 0: silent).

    Returns:
        A dict: seconds (training time), best_epoch, val_accuracy (of the best epoch),
        history (per-epoch loss and accuracy, train and validation).

    Raises:
        ValueError: no training images or fewer than one epoch.
    """
    (x_train, y_train), (x_val, y_val) = train, validation
    if len(x_train) == 0 or epochs < 1:
        raise UsageError(f"need training images and epochs >= 1, got {len(x_train)}, {epochs}")
    seed_everything(seed)
    steps = int(np.ceil(len(x_train) / batch_size)) * epochs
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=keras.optimizers.schedules.CosineDecay(learning_rate, steps)
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    best_epoch = keras.callbacks.EarlyStopping(
        monitor="val_accuracy", patience=epochs, restore_best_weights=True
    )
    started = time.perf_counter()
    history = model.fit(
        _as_input(x_train),
        y_train.astype("int32"),
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(_as_input(x_val), y_val.astype("int32")),
        shuffle=True,
        verbose=verbose,
        callbacks=[best_epoch],
    )
    seconds = time.perf_counter() - started
    val_accuracy = history.history["val_accuracy"]
    best = int(np.argmax(val_accuracy))
    return {
        "seconds": seconds,
        "best_epoch": best + 1,
        "val_accuracy": float(val_accuracy[best]),
        "history": {key: [float(v) for v in values] for key, values in history.history.items()},
    }


def _as_input(images):
    return np.asarray(images, dtype=np.float32)[..., None]


def compiled_classifier(model, chunk=PREDICT_CHUNK):
    """A function from uint8 (N, 28, 28) images to predicted digits (N,), via one traced graph.

    `model.predict` costs tens of milliseconds a call; a `tf.function` with a fixed input
    signature costs about a millisecond for one image, so latencies compare fairly with
    scikit-learn's `predict`.

    Args:
        model: a Keras model taking (N, 28, 28, 1) floats in 0-255.
        chunk: images per call, bounding the memory of big networks.
    """

    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])
    def forward(images):
        return model(images, training=False)

    def predict(images):
        batch = _as_input(images)
        probabilities = [
            forward(tf.constant(batch[start : start + chunk])).numpy()
            for start in range(0, len(batch), chunk)
        ]
        return np.concatenate(probabilities).argmax(axis=1)

    return predict


def save_for_inference(model, path):
    """Saves `model` without its optimizer state: the file a deployment would ship.

    Args:
        model: a Keras model, compiled or not.
        path: the `.keras` file to write.

    Returns:
        `path`.
    """
    # A model rebuilt from its config is uncompiled (`clone_model` keeps the optimizer).
    inference = type(model).from_config(model.get_config())
    inference.set_weights(model.get_weights())
    inference.save(path)
    return path
