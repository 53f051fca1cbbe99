"""Training and fast prediction for the Keras networks of the comparison and the search.

Simpler than `model/training/cnn.py` (no augmentation, no artifacts): Adam with cosine decay,
validation after every epoch, and the weights of the best validation epoch kept.
"""

import time

import keras
import numpy as np
import tensorflow as tf

PREDICT_CHUNK = 2048


def fit_network(
    model,
    train,
    validation,
    epochs,
    batch_size=128,
    learning_rate=1e-3,
    seed=1337,
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
        raise ValueError(f"need training images and epochs >= 1, got {len(x_train)}, {epochs}")
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
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
