"""Random search over the bundled CNN's hyperparameters, on a fixed and documented budget.

The budget: 12 trials; each trains the bundled network (`model/training/network.py`) for 3 epochs on
12,000 training images without augmentation and is scored on the 5,000 validation images
(its best epoch). Trial 1 is the bundled model's own settings, for reference; trials 2-12
are drawn at random from `SEARCH_SPACE` with a fixed seed. Only the winner, chosen on
validation, is evaluated on the test set.

A short, cheap proxy of the full 45-epoch training with augmentation: it ranks settings, it
does not reproduce the bundled model's accuracy. Its batch norm uses momentum 0.9 instead of
Keras's 0.99: with only 140-1,100 steps per trial, running statistics averaged over ~100 steps
lag the fast-changing weights, and validation accuracy then swung between 55% and 96% for the
same settings (measured); averaged over ~10 steps they settle.
"""

import datetime
import json
from pathlib import Path

import numpy as np

from model import config, paths
from model.data.mnist import load_mnist

SEED = config.SPLIT_SEED
TRIALS = config.TUNING_TRIALS
EPOCHS = config.TUNING_EPOCHS
TRAIN_SIZE = config.TUNING_TRAIN_SIZE
BATCH_NORM_MOMENTUM = 0.9
# The bundled model's settings (`model/training/cnn.py` and `model/training/network.py`): trial 1.
BUNDLED_SETTINGS = {
    "learning_rate": config.CNN_PEAK_LEARNING_RATE,
    "dropout_rate": config.CNN_DROPOUT_RATE,
    "filters": config.CNN_FILTERS,
    "batch_size": config.BATCH_SIZE,
}
SEARCH_SPACE = {
    "learning_rate": "log-uniform from 3e-4 to 1e-2",
    "dropout_rate": "uniform from 0.1 to 0.5",
    "filters": "one of 16, 24, 32, 48 (later blocks 2x and 4x)",
    "batch_size": "one of 32, 64, 128, 256",
}


def sample_settings(rng):
    """Draws one setting of the four hyperparameters from `SEARCH_SPACE`.

    Args:
        rng: a `numpy.random.Generator`.

    Returns:
        A dict: learning_rate, dropout_rate, filters, batch_size.
    """
    return {
        "learning_rate": float(f"{np.exp(rng.uniform(np.log(3e-4), np.log(1e-2))):.2g}"),
        "dropout_rate": round(float(rng.uniform(0.1, 0.5)), 2),
        "filters": int(rng.choice([16, 24, 32, 48])),
        "batch_size": int(rng.choice([32, 64, 128, 256])),
    }


def search_plan(trials=TRIALS, seed=SEED):
    """The settings of every trial: the bundled ones first, then distinct random draws.

    Raises:
        ValueError: fewer than one trial.
    """
    if trials < 1:
        raise ValueError(f"need at least one trial, not {trials}")
    rng = np.random.default_rng(seed)
    plan = [dict(BUNDLED_SETTINGS)]
    while len(plan) < trials:
        settings = sample_settings(rng)
        if settings not in plan:
            plan.append(settings)
    return plan


def tune(
    mnist_dir=None,
    out_dir=paths.BUNDLED_DIR,
    trials=TRIALS,
    epochs=EPOCHS,
    train_size=TRAIN_SIZE,
    seed=SEED,
    verbose=0,
    log=print,
):
    """Runs the random search and writes `tuning.json`.

    Args:
        mnist_dir: MNIST folder (None: $MNIST_DIR, then the Keras download).
        out_dir: where `tuning.json` goes.
        trials: settings tried (the budget), the bundled ones included.
        epochs: epochs of each trial.
        train_size: training images of each trial (the first of the training split).
        seed: seeds the split, the draws and each trial's weights.
        verbose: Keras output of each trial (0: silent, 2: one line per epoch).
        log: a function that shows a progress line.

    Returns:
        The artifact written.
    """
    import keras

    from model.training.network import build_model
    from model.training.recipe import compiled_classifier, fit_network

    data = load_mnist(mnist_dir, seed=seed)
    train = data.x_train[:train_size], data.y_train[:train_size]
    validation = data.x_val, data.y_val
    results, best_model, best_accuracy = [], None, -1.0
    plan = search_plan(trials, seed)
    for number, settings in enumerate(plan, start=1):
        log(f"[trial {number}/{len(plan)}] {settings}")
        model = build_model(dropout_rate=settings["dropout_rate"], filters=settings["filters"])
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = BATCH_NORM_MOMENTUM
        fitted = fit_network(
            model,
            train,
            validation,
            epochs=epochs,
            batch_size=settings["batch_size"],
            learning_rate=settings["learning_rate"],
            seed=seed,
            verbose=verbose,
        )
        results.append(
            {
                "trial": number,
                **settings,
                "val_accuracy": fitted["val_accuracy"],
                "best_epoch": fitted["best_epoch"],
                "seconds": round(fitted["seconds"], 1),
                "parameters": int(model.count_params()),
                "bundled_settings": settings == BUNDLED_SETTINGS,
            }
        )
        log(
            f"    validation accuracy {fitted['val_accuracy']:.2%} "
            f"(epoch {fitted['best_epoch']}), {fitted['seconds']:.0f} s"
        )
        if fitted["val_accuracy"] > best_accuracy:
            best_model, best_accuracy = model, fitted["val_accuracy"]

    best = max(results, key=lambda result: (result["val_accuracy"], -result["trial"]))
    predicted = compiled_classifier(best_model)(data.x_test)
    test_accuracy = float((predicted == data.y_test).mean())
    log(f"best: trial {best['trial']}, validation {best_accuracy:.2%}, test {test_accuracy:.2%}")
    artifact = {
        "method": "random search",
        "command": "python -m model tune --mnist-dir ../shared/mnist",
        "updated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "network": "the bundled CNN (model/training/network.py), no augmentation, "
        f"batch-norm momentum {BATCH_NORM_MOMENTUM}",
        "budget": {
            "trials": len(plan),
            "epochs": epochs,
            "train_size": len(train[0]),
            "validation_size": len(validation[0]),
            "seed": seed,
        },
        "search_space": SEARCH_SPACE,
        "bundled_settings": BUNDLED_SETTINGS,
        "selected_by": "validation accuracy (best epoch); the test set is used once: the winner",
        "trials": results,
        "best": {**best, "test_accuracy": test_accuracy, "test_size": len(data.x_test)},
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / paths.TUNING_FILE).write_text(json.dumps(artifact, indent=1) + "\n")
    return artifact
