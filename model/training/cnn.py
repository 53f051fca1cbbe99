"""Training the bundled CNN and writing its evaluation artifacts.

The bundled model is an ensemble: the mean of the probabilities of two CNNs of the same network
(`config.CNN_MEMBERS`), one trained on MNIST as it is, one with the writing styles MNIST lacks.
Reads top to bottom as short steps: for each member the data and the fit (the one recipe in
`recipe.py`: cosine schedule, best epoch on validation); then the ensemble, its evaluation on
the test set, and the written model and artifacts.
"""

import datetime
import json
import platform
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from model import config, paths
from model.data import pendigits
from model.data.mnist import load_mnist
from model.errors import UsageError
from model.inference.predictor import Predictor
from model.inference.preprocess import PREPROCESSING_VERSION
from model.training import pen_digits, styles
from model.training.evaluate import compute_metrics, misclassified, save_misclassified_images
from model.training.network import INPUT_SHAPE, build_model, describe_layers
from model.training.recipe import (
    BestOnValidation,
    LearningRateLogger,
    build_augmentation,
    cosine_schedule,
    fit_classifier,
    make_dataset,
    save_for_inference,
    seed_everything,
)

STYLED_VARIANTS = 2  # restyled copies of each training digit, one drawn per epoch


def augmentation_text(member):
    text = (
        f"rotation ±{config.ROTATION_DEGREES}°, zoom ±{config.ZOOM:.0%}, "
        f"shift ±{config.SHIFT:.0%} (no flips)"
    )
    if member["styled_share"]:
        text += (
            f"; each epoch {member['styled_share']:.0%} of the digits in another style (wide or "
            "narrow, thin pen or marker, elastic wobble; model/training/styles.py)"
        )
    if member["segment_share"]:
        text += f"; {member['segment_share']:.0%} more digits made of straight strokes"
    if member.get("named_share"):
        text += (
            f"; {member['named_share']:.0%} of the restyled 0, 1, 7 and 9 given a style by name "
            "(continental 1, crossed 7, tailed 9, slashed or dotted 0; "
            "model/training/named_styles.py)"
        )
    if member.get("pen_copies"):
        text += (
            f"; the pendigits training writers' digits drawn {member['pen_copies']} times as "
            "canvas strokes (round pen, random width, size, slant)"
        )
        if member["styled_share"]:
            text += ", redrawn each epoch"
        if member.get("named_share"):
            text += ", with open 4s and overlapping 0s among the named styles"
    return text


def pen_data(pendigits_dir, member, seed):
    """The pendigits part of a member's data: training writers' drawings (with variants) and
    the validation writers' digits drawn once, or None when the member uses none.

    Returns:
        {"train": (images, styled, labels), "validation": (images, labels), "writers": {...}}
    """
    if not member.get("pen_copies"):
        return None
    rng = np.random.default_rng([seed, 23])
    train_digits = pendigits.load_pendigits(pendigits_dir, pendigits.TRAINING_WRITERS)
    val_digits = pendigits.load_pendigits(pendigits_dir, pendigits.VALIDATION_WRITERS)
    named = member.get("named_share", 0.0)
    return {
        "train": pen_digits.pen_training_set(
            train_digits, rng, member["pen_copies"], STYLED_VARIANTS, named
        ),
        "validation": pen_digits.pen_pictures(val_digits, np.random.default_rng([seed, 24])),
        "writers": {
            "training": list(pendigits.TRAINING_WRITERS),
            "validation": list(pendigits.VALIDATION_WRITERS),
            "test": list(pendigits.TEST_WRITERS),
        },
    }


def training_data(data, seed, member, limit=None, pen=None):
    """A member's training digits (with their styled copies, or None), validation and test.

    `pen` (from `pen_data`) adds pen-written digits to training and validation.

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
    segments = int(len(x_train) * member["segment_share"])
    if segments:
        x_segments, y_segments = styles.segment_digits(segments, rng)
        x_train = np.concatenate([x_train, x_segments])
        y_train = np.concatenate([y_train, y_segments])
    styled = None
    if member["styled_share"]:
        named = member.get("named_share", 0.0)
        styled = np.stack(
            [styles.styled_copies(x_train, rng, y_train, named) for _ in range(STYLED_VARIANTS)],
            axis=1,
        )
    if pen is not None:
        pen_x, pen_styled, pen_y = pen["train"]
        val_x, val_y = pen["validation"]
        if limit:
            pen_x, pen_styled, pen_y = pen_x[:limit], pen_styled[:limit], pen_y[:limit]
        x_train = np.concatenate([x_train, pen_x])
        y_train = np.concatenate([y_train, pen_y])
        if styled is not None:
            styled = np.concatenate([styled, pen_styled])
        x_val = np.concatenate([x_val, val_x])
        y_val = np.concatenate([y_val, val_y])
    return (x_train, styled, y_train), (x_val, y_val), (x_test, y_test)


def fit_member(
    data, member, model_path, epochs, batch_size, seed, limit, verbose, pendigits_dir=None
):
    """Trains one member from a fixed seed; its best epoch on validation is saved to
    `model_path`. Returns its summary for the model card and its history."""
    started = time.time()
    seed_everything(seed)
    pen = pen_data(pendigits_dir, member, seed)
    (x_train, styled, y_train), (x_val, y_val), _ = training_data(data, seed, member, limit, pen)
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
            share=member["styled_share"],
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
    epochs_run = len(history.history["loss"])
    history_json = {"epoch": list(range(1, epochs_run + 1))}
    history_json.update(
        {key: [float(v) for v in values] for key, values in history.history.items()}
    )
    summary = {
        "name": member["name"],
        "epochs": epochs_run,
        "best_epoch": checkpoint.best_epoch,
        "val_accuracy": float(checkpoint.best[0]),
        "train": len(x_train),
        "of_which_straight_stroke": int(len(data.x_train[:limit]) * member["segment_share"]),
        "of_which_pen_written": 0 if pen is None else len(pen["train"][0][: limit or None]),
        "validation": len(x_val),
        "pen_writers": None if pen is None else pen["writers"],
        "augmentation": augmentation_text(member),
        "training_seconds": round(time.time() - started, 1),
        "trained_at": _now(),
    }
    return summary, history_json


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def load_members(member_files):
    """The members' Keras models, each named apart (a functional model needs unique names)."""
    members = []
    for position, path in enumerate(member_files):
        member = keras.models.load_model(path, compile=False)
        member.name = f"member_{position}"
        members.append(member)
    return members


def ensemble_of(members):
    """One Keras model: the mean of the members' probabilities (a single member as it is)."""
    if len(members) == 1:
        return members[0]
    image = keras.Input(INPUT_SHAPE, name="image")
    mean = keras.layers.Average(name="mean_probabilities")([member(image) for member in members])
    return keras.Model(image, mean, name="digit_cnn_ensemble")


def train(
    mnist_dir=None,
    out_dir=paths.BUNDLED_DIR,
    epochs=None,
    batch_size=config.BATCH_SIZE,
    seed=config.SPLIT_SEED,
    limit=None,
    verbose="auto",
    members=config.CNN_MEMBERS,
    pendigits_dir=None,
    only=None,
):
    """Trains the members from a fixed seed and writes the ensemble and its artifacts.

    Args:
        mnist_dir: MNIST folder (None: $MNIST_DIR, then the Keras download).
        out_dir: where the .keras file, history, metrics, misclassified list and model card go.
        epochs: every member's epochs (None: each member's own, `config.CNN_MEMBERS`).
        batch_size: images per step.
        seed: seeds the split, weights, shuffling, styles and augmentation.
        limit: train on the first `limit` training images and test on as many test images
            (for smoke tests); None uses everything.
        verbose: Keras progress output ("auto" shows a progress bar).
        members: the members' settings (name, epochs, styled_share, segment_share,
            named_share, pen_copies).
        pendigits_dir: the pendigits folder (None: $PENDIGITS_DIR, then ../shared/pendigits),
            for the members with `pen_copies`.
        only: names of the members to train; the others are taken as they are from the
            ensemble already in `out_dir` (found by name in its model card), with their
            model-card entries and histories (each member trains alone from the seed, so this
            gives what a full run gives). A member the ensemble lacks must be in `only`.

    Returns:
        The test metrics dict.
    """
    data = load_mnist(mnist_dir, seed=seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as staging:
        files, summaries, histories = [], [], {}
        kept = _kept_members(out_dir, members, only)
        for member in members:
            path = Path(staging) / f"{member['name']}.keras"
            if member["name"] in kept:
                summary, history = kept[member["name"]](path)
            else:
                summary, history = fit_member(
                    data,
                    member,
                    path,
                    epochs or member["epochs"],
                    batch_size,
                    seed,
                    limit,
                    verbose,
                    pendigits_dir,
                )
            files.append(path)
            summaries.append(summary)
            histories[member["name"]] = history
        return write_model(data, files, summaries, histories, out_dir, batch_size, seed, limit)


def _kept_members(out_dir, members, only):
    """{name: save(path) -> (summary, history)} for the members not in `only`, from the
    ensemble already in `out_dir`."""
    if only is None:
        return {}
    names = [member["name"] for member in members]
    unknown = set(only) - set(names)
    if unknown:
        raise UsageError(f"no member named {sorted(unknown)}; the members are {names}")
    card = json.loads((out_dir / paths.CARD_FILE).read_text())
    histories = json.loads((out_dir / paths.HISTORY_FILE).read_text()).get("members", {})
    from model.inference.engines import member_models

    existing = member_models(keras.models.load_model(out_dir / paths.MODEL_FILE, compile=False))
    held = [entry["name"] for entry in card.get("members", [])]
    if len(existing) != len(held):
        raise UsageError(f"{out_dir} holds {len(existing)} members, its card {len(held)}")
    missing = [name for name in names if name not in held and name not in only]
    if missing:
        raise UsageError(f"{out_dir} holds no member named {missing}: train it with --only")
    kept = {}
    for name in names:
        if name in only:
            continue
        position = held.index(name)
        summary = card["members"][position]

        def save(path, model=existing[position], summary=summary, name=name):
            save_for_inference(model, path)
            return summary, histories[name]

        kept[name] = save
    return kept


def write_model(data, member_files, summaries, histories, out_dir, batch_size, seed, limit):
    """The ensemble of the members' files, evaluated on the test set, with its artifacts.

    Args:
        data: the `Mnist` the members were trained on (its validation split and test set).
        member_files: the members' `.keras` files, in `summaries`' order.
        summaries, histories: what `fit_member` returned for each (histories by name).
        out_dir, batch_size, seed, limit: as for `train`.
    """
    out_dir = Path(out_dir)
    members = load_members(member_files)
    model = ensemble_of(members)
    model_path = out_dir / paths.MODEL_FILE
    model.save(model_path)
    training_seconds = sum(summary["training_seconds"] for summary in summaries)
    x_test, y_test = (
        (data.x_test[:limit], data.y_test[:limit]) if limit else (data.x_test, data.y_test)
    )
    x_train, x_val = data.x_train[:limit] if limit else data.x_train, data.x_val
    if limit:
        x_val = x_val[: max(limit // 5, 10)]

    predictor = Predictor.load(model_path)
    probabilities = predictor.predict_batch(x_test)
    metrics = compute_metrics(y_test, probabilities)
    main = summaries[-1]  # the member trained with the styles: its curves are the history's
    metrics["best_epoch"] = main["best_epoch"]
    metrics["val_accuracy"] = float(
        (predictor.predict_batch(x_val).argmax(axis=1) == data.y_val[: len(x_val)]).mean()
    )
    metrics["members"] = [
        {
            "name": summary["name"],
            "test_accuracy": float(
                (
                    member.predict(
                        x_test[..., None].astype("float32"), batch_size=1024, verbose=0
                    ).argmax(axis=1)
                    == y_test
                ).mean()
            ),
        }
        for summary, member in zip(summaries, members, strict=True)
    ]
    history_json = {**histories[main["name"]], "members": histories}
    epochs_run = main["epochs"]
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
            "pen_written": next(
                (
                    {
                        "source": "../shared/pendigits (Alimoglu and Alpaydin, UCI, CC BY 4.0): "
                        "30 writers on a tablet; whole writers held out",
                        "writers": summary["pen_writers"],
                        "train": summary["of_which_pen_written"],
                    }
                    for summary in summaries
                    if summary.get("pen_writers")
                ),
                None,
            ),
        },
        "seed": seed,
        "epochs": epochs_run,
        "best_epoch": main["best_epoch"],
        "batch_size": batch_size,
        "optimizer": f"Adam, cosine decay with 1-epoch warm-up to {config.CNN_PEAK_LEARNING_RATE}",
        "augmentation": main["augmentation"],
        "ensemble": "the mean of the members' probabilities",
        "members": summaries,
        "config": config.as_dict(),
        "parameters": int(model.count_params()),  # every member's
        "layers": describe_layers(members[-1]),
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
