"""The model comparison: classical models and CNNs trained and measured on the same split.

Reads top to bottom: how each kind of model is trained, the models themselves (with a
plain-language note each), how a trained model is measured (accuracy, macro and per-class
F1, training time, latency, size), then `compare`, which runs them and writes
`comparison.json`.

Every model trains on the same 55,000 training images, chooses anything it chooses on the
same 5,000 validation images (the split and seed of the bundled CNN), and is tested on the
10,000 MNIST test images. The bundled CNN is measured, not retrained.
"""

import datetime
import functools
import json
import os
import pickle
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, f1_score

from model import config, paths
from model.data.mnist import load_mnist
from model.study import classical

SEED = config.SPLIT_SEED  # the bundled CNN's: the same validation split
SINGLE_CALLS = 100
DIGITS = list(range(10))
SCHEMA_VERSION = 1
TRANSFER_TRAIN_SIZE = 10_000
COMMAND = "python -m model compare --mnist-dir ../shared/mnist"


@dataclass
class Options:
    """What one run of the comparison was asked for.

    seed: seeds every model, PCA and split.
    epochs: epochs for every neural network (None: each network's own).
    weights: the transfer models' weights (None or "imagenet").
    input_size: the side the transfer models upscale digits to.
    verbose: Keras output (2: one line per epoch).
    """

    seed: int = SEED
    epochs: int | None = None
    weights: str | None = None
    input_size: int = 32
    verbose: int = 2


@dataclass
class Trained:
    """A trained model as the comparison needs it.

    predict: uint8 (N, 28, 28) images to (N,) digits.
    save: writes the model into a folder and returns the file.
    train_seconds: wall-clock training time (choices on validation included).
    train_size: training images used.
    details: hyperparameters and choices, JSON-ready.
    """

    predict: Callable
    save: Callable
    train_seconds: float
    train_size: int
    details: dict = field(default_factory=dict)


def _pickled(estimator, name):
    def save(folder):
        path = Path(folder) / f"{name}.pkl"
        path.write_bytes(pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL))
        return path

    return save


# The trainers: (data, Options) -> Trained, one per model of `CANDIDATES` below.


def _fit_pipeline(name, pipeline, data, details):
    started = time.perf_counter()
    pipeline.fit(data.x_train, data.y_train)
    seconds = time.perf_counter() - started
    return Trained(pipeline.predict, _pickled(pipeline, name), seconds, len(data.x_train), details)


def _train_logistic_regression(data, options):
    details = {"C": 0.1, "solver": "lbfgs", "max_iter": 300}
    return _fit_pipeline("logistic_regression", classical.logistic_regression(), data, details)


def _train_linear_svm(data, options):
    details = {"C": 0.1, "loss": "squared hinge", "multiclass": "one-vs-rest"}
    return _fit_pipeline("linear_svm", classical.linear_svm(), data, details)


def _train_rbf_svm(data, options):
    details = {"pca_components": classical.PCA_COMPONENTS, "C": 10.0, "gamma": "scale"}
    return _fit_pipeline("rbf_svm", classical.rbf_svm(options.seed), data, details)


def _train_random_forest(data, options):
    pipeline = classical.random_forest(options.seed)
    details = {"trees": 200, "max_depth": None, "training_cores": 2, "inference_cores": 1}
    trained = _fit_pipeline("random_forest", pipeline, data, details)
    # Joblib's start-up costs more than one image's 200 trees: predict on one core.
    pipeline[-1].set_params(n_jobs=1)
    return trained


def _train_knn(data, options):
    started = time.perf_counter()
    neighbours, accuracies = classical.choose_neighbours(
        data.x_train, data.y_train, data.x_val, data.y_val, options.seed
    )
    pipeline = classical.knn(neighbours, options.seed).fit(data.x_train, data.y_train)
    seconds = time.perf_counter() - started
    details = {
        "k": neighbours,
        "pca_components": classical.PCA_COMPONENTS,
        "weights": "distance",
        "validation_accuracy_by_k": {str(k): accuracy for k, accuracy in accuracies.items()},
    }
    return Trained(pipeline.predict, _pickled(pipeline, "knn"), seconds, len(data.x_train), details)


def _train_hog_svm(data, options):
    details = {
        "deskew": "shear by image moments",
        "hog": f"{classical.HOG_CELL}x{classical.HOG_CELL}-pixel cells, 2x2-cell blocks, "
        f"{classical.HOG_BINS} signed directions",
        "C": 10.0,
        "gamma": "scale",
    }
    return _fit_pipeline("hog_svm", classical.hog_svm(), data, details)


def _train_network(name, build, epochs, data, options, batch_size=128, learning_rate=1e-3):
    from model.training.recipe import compiled_classifier, fit_network, save_for_inference

    epochs = options.epochs or epochs
    model = build()
    fitted = fit_network(
        model,
        (data.x_train, data.y_train),
        (data.x_val, data.y_val),
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=options.seed,
        verbose=options.verbose,
    )

    def save(folder):
        return save_for_inference(model, Path(folder) / f"{name}.keras")

    details = {
        "epochs": epochs,
        "best_epoch": fitted["best_epoch"],
        "batch_size": batch_size,
        "optimizer": f"Adam, cosine decay from {learning_rate}",
        "augmentation": "none",
        "parameters": int(model.count_params()),
        "val_accuracy": fitted["val_accuracy"],
    }
    return Trained(compiled_classifier(model), save, fitted["seconds"], len(data.x_train), details)


def _train_mlp(data, options):
    from model.study.baselines import build_mlp

    return _train_network("mlp", build_mlp, 20, data, options)


def _train_small_cnn(data, options):
    from model.study.baselines import build_small_cnn

    return _train_network("small_cnn", build_small_cnn, 12, data, options)


def _train_resnet(data, options):
    from model.study.baselines import build_resnet

    return _train_network("resnet", build_resnet, 8, data, options)


@dataclass
class _Split:
    """Training and validation arrays, like `Mnist` without the test set."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def _train_transfer(architecture, data, options):
    from model.study.transfer import build_transfer_model

    size = min(len(data.x_train), TRANSFER_TRAIN_SIZE)
    subsample = _Split(data.x_train[:size], data.y_train[:size], data.x_val, data.y_val)
    trained = _train_network(
        architecture,
        lambda: build_transfer_model(architecture, options.weights, options.input_size),
        3,
        subsample,
        options,
        batch_size=64,
        learning_rate=1e-4 if options.weights is None else 1e-3,
    )
    trained.details.update(
        {
            "weights": options.weights or "none (random, trained from scratch)",
            "input": f"{options.input_size}x{options.input_size}x3, digits upscaled",
            "base": "frozen" if options.weights else "trained",
        }
    )
    return trained


def _train_vgg16(data, options):
    return _train_transfer("vgg16", data, options)


def _train_resnet50(data, options):
    return _train_transfer("resnet50", data, options)


def _train_bundled_cnn(data, options):
    """The bundled CNN as shipped: loaded and measured, never retrained."""
    from model.inference.predictor import Predictor
    from model.training.recipe import save_for_inference

    # The Keras engine, like every other network here; the app's LiteRT engine is faster still
    # (see bench/ and docs/performance.md).
    predictor = Predictor.load(paths.BUNDLED_DIR / paths.MODEL_FILE, engine="keras")
    card = predictor.card
    details = {
        "epochs": card["epochs"],
        "best_epoch": card["best_epoch"],
        "batch_size": card["batch_size"],
        "optimizer": card["optimizer"],
        "augmentation": card["augmentation"],
        "parameters": card["parameters"],
        "val_accuracy": card["val_accuracy"],
        "measured": "Predictor.predict_batch: the CNN and the digit gate in one compiled call",
        "training": f"not retrained: training time from the model card ({card['trained_at'][:10]})",
        "size": "the CNN alone, saved for inference; the digit gate adds "
        f"{(paths.BUNDLED_DIR / paths.GATE_FILE).stat().st_size / 1e6:.1f} MB",
    }
    return Trained(
        lambda images: predictor.predict_batch(images).argmax(axis=1),
        lambda folder: save_for_inference(
            predictor.engine.model, Path(folder) / "bundled_cnn.keras"
        ),
        card["training_seconds"],
        card["data"]["train"],
        details,
    )


@dataclass(frozen=True)
class Candidate:
    """One model of the comparison.

    name: its key in the artifact and on the command line.
    label: its name for people.
    family: "classical", "neural" or "transfer".
    features: what it is fed.
    note: what it is, in one plain-language line.
    train: (data, Options) -> `Trained`.
    expected_at_least: the low end of typical published MNIST test accuracy, if known;
        a result below it is a bug to find.
    default: run without `--only`.
    retrained: False for the bundled CNN, which is measured as shipped.
    """

    name: str
    label: str
    family: str
    features: str
    note: str
    train: Callable
    expected_at_least: float | None = None
    default: bool = True
    retrained: bool = True


CANDIDATES = [
    Candidate(
        "logistic_regression",
        "Logistic regression",
        "classical",
        "784 pixels scaled to 0-1",
        "One weighted sum of the pixels per digit: the simplest baseline, fast and tiny.",
        _train_logistic_regression,
        expected_at_least=0.915,
    ),
    Candidate(
        "linear_svm",
        "Linear SVM",
        "classical",
        "784 pixels scaled to 0-1",
        "Draws a straight boundary between each digit and the rest; about as good as "
        "logistic regression.",
        _train_linear_svm,
    ),
    Candidate(
        "rbf_svm",
        "RBF SVM (PCA-50)",
        "classical",
        "50 principal components of the pixels",
        "Compares each digit with thousands of stored training examples through a smooth "
        "similarity: accurate, but slower and bigger.",
        _train_rbf_svm,
        expected_at_least=0.97,
    ),
    Candidate(
        "random_forest",
        "Random forest",
        "classical",
        "784 raw pixels",
        "200 decision trees vote; needs no scaling, but the saved forest is large.",
        _train_random_forest,
        expected_at_least=0.965,
    ),
    Candidate(
        "knn",
        "k-nearest neighbours (PCA-50)",
        "classical",
        "50 principal components of the pixels",
        "Looks up the k most similar training digits and lets them vote; it keeps the whole "
        "training set.",
        _train_knn,
        expected_at_least=0.965,
    ),
    Candidate(
        "hog_svm",
        "HOG + SVM",
        "classical",
        "deskewed digit, histograms of stroke directions (432)",
        "Describes each digit by the directions of its strokes, then an RBF SVM: the best "
        "hand-made features.",
        _train_hog_svm,
        expected_at_least=0.985,
    ),
    Candidate(
        "mlp",
        "MLP",
        "neural",
        "784 pixels (scaled in the network)",
        "A plain neural network of two dense layers: it learns its own features but ignores "
        "which pixels are neighbours.",
        _train_mlp,
    ),
    Candidate(
        "small_cnn",
        "Small CNN",
        "neural",
        "28x28 image",
        "Two convolution layers that scan for local stroke patterns: the Keras MNIST example.",
        _train_small_cnn,
    ),
    Candidate(
        "resnet",
        "ResNet-style CNN",
        "neural",
        "28x28 image",
        "A deeper CNN with shortcut connections, trained from scratch for a few epochs.",
        _train_resnet,
    ),
    Candidate(
        "bundled_cnn",
        "Bundled CNN (this app)",
        "neural",
        "28x28 image",
        "The app's own CNN: seven conv layers, trained 45 epochs with augmentation.",
        _train_bundled_cnn,
        retrained=False,
    ),
    Candidate(
        "vgg16",
        "VGG16 (transfer)",
        "transfer",
        "digit upscaled to 3 channels",
        "A big ImageNet network reused for digits; ImageNet weights are not bundled.",
        _train_vgg16,
        default=False,
    ),
    Candidate(
        "resnet50",
        "ResNet50 (transfer)",
        "transfer",
        "digit upscaled to 3 channels",
        "A 50-layer ImageNet network reused for digits; ImageNet weights are not bundled.",
        _train_resnet50,
        default=False,
    ),
]
BY_NAME = {candidate.name: candidate for candidate in CANDIDATES}


def _median_latency_ms(predict, images, calls=SINGLE_CALLS):
    for image_index in range(3):
        predict(images[image_index : image_index + 1])
    timings = []
    for call in range(calls):
        image_index = call % len(images)
        started = time.perf_counter()
        predict(images[image_index : image_index + 1])
        timings.append(time.perf_counter() - started)
    return 1000 * float(np.median(timings))


def measure(trained, x_test, y_test):
    """Scores and latency of a trained model on the test set.

    Latency single is the median of 100 calls on one image each (after warm-up calls);
    latency batched is one call on the whole test set, divided by its size.

    Returns:
        A dict: accuracy, macro_f1, per_class_f1 (digits 0-9), errors, latency_single_ms,
        latency_batched_ms.
    """
    single = _median_latency_ms(trained.predict, x_test)
    started = time.perf_counter()
    predicted = np.asarray(trained.predict(x_test))
    batched = 1000 * (time.perf_counter() - started) / len(x_test)
    per_class = f1_score(y_test, predicted, labels=DIGITS, average=None, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_test, predicted)),
        "macro_f1": float(np.mean(per_class)),
        "per_class_f1": [round(float(score), 6) for score in per_class],
        "errors": int((predicted != y_test).sum()),
        "latency_single_ms": round(single, 4),
        "latency_batched_ms": round(batched, 5),
    }


def choose(only=None):
    """The candidates to run: those named in `only`, else the default ten.

    Raises:
        ValueError: a name that is not a model of the comparison.
    """
    if not only:
        return [candidate for candidate in CANDIDATES if candidate.default]
    unknown = [name for name in only if name not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown model {', '.join(unknown)}; choose from {', '.join(BY_NAME)}")
    return [candidate for candidate in CANDIDATES if candidate.name in only]


def _versions():
    versions = {"numpy": np.__version__, "scikit-learn": sklearn.__version__}
    if "keras" in sys.modules:
        import keras
        import tensorflow as tf

        versions.update({"tensorflow": tf.__version__, "keras": keras.__version__})
    return versions


def _merged(path, rows, keep_others):
    """The new model rows, plus (when `keep_others`) the old rows of models not re-run."""
    old = json.loads(path.read_text())["models"] if keep_others and path.is_file() else []
    by_name = {row["name"]: row for row in old}
    by_name.update({row["name"]: row for row in rows})
    order = {candidate.name: position for position, candidate in enumerate(CANDIDATES)}
    return sorted(by_name.values(), key=lambda row: order.get(row["name"], len(order)))


def compare(
    mnist_dir=None,
    out_dir=paths.BUNDLED_DIR,
    only=None,
    limit=None,
    models_dir=None,
    options=None,
    log=None,
):
    """Trains and measures the models on one split and writes `comparison.json`.

    Args:
        mnist_dir: MNIST folder (None: $MNIST_DIR, then the Keras download).
        out_dir: where `comparison.json` goes. With `only`, the named models' rows replace
            theirs and the others are kept; without it the file is rewritten.
        only: model names to run (see `CANDIDATES`); None runs the default ten.
        limit: use only the first `limit` training and test images (smoke tests).
        models_dir: where trained models are saved (the size is that file's); None saves
            them in a temporary folder, deleted afterwards.
        options: `Options` (seed, epochs, transfer weights and input size, verbosity).
        log: a function that shows a progress line (default: print, flushed).

    Returns:
        The artifact written.

    Raises:
        ValueError: an unknown model name, or `limit` with the bundled output folder.
    """
    options = options or Options()
    log = log or functools.partial(print, flush=True)
    candidates = choose(only)
    out_dir = Path(out_dir)
    if limit and out_dir.resolve() == paths.BUNDLED_DIR.resolve():
        raise ValueError("--limit needs --out: the bundled comparison is for the whole data set")
    data = load_mnist(mnist_dir, seed=options.seed)
    x_test, y_test = data.x_test, data.y_test
    if limit:
        data.x_train, data.y_train = data.x_train[:limit], data.y_train[:limit]
        validation_size = max(limit // 5, 50)
        data.x_val, data.y_val = data.x_val[:validation_size], data.y_val[:validation_size]
        x_test, y_test = x_test[:limit], y_test[:limit]
    out_dir.mkdir(parents=True, exist_ok=True)
    artifact_path = out_dir / paths.COMPARISON_FILE
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(models_dir) if models_dir else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for position, candidate in enumerate(candidates, start=1):
            doing = (
                f"training on {len(data.x_train):,} images ({candidate.features})"
                if candidate.retrained
                else "loading the bundled model (not retrained)"
            )
            log(f"[{position}/{len(candidates)}] {candidate.label}: {doing}")
            trained = candidate.train(data, options)
            if candidate.retrained:
                log(f"    trained in {trained.train_seconds:.1f} s")
            log(f"    testing on {len(x_test):,} images")
            scores = measure(trained, x_test, y_test)
            size_bytes = trained.save(folder).stat().st_size
            rows.append(
                {
                    "name": candidate.name,
                    "label": candidate.label,
                    "family": candidate.family,
                    "features": candidate.features,
                    "note": candidate.note,
                    "train_size": trained.train_size,
                    "test_size": len(x_test),
                    **scores,
                    "train_seconds": round(trained.train_seconds, 2),
                    "size_bytes": size_bytes,
                    "expected_at_least": candidate.expected_at_least,
                    "details": trained.details,
                    "measured_at": _now(),
                }
            )
            log(
                f"    test accuracy {scores['accuracy']:.2%}, macro F1 {scores['macro_f1']:.4f}, "
                f"{scores['latency_single_ms']:.2f} ms for one image, "
                f"{scores['latency_batched_ms']:.3f} ms per image batched, "
                f"{size_bytes / 1e6:.2f} MB"
            )
            expected = candidate.expected_at_least
            if expected and not limit and scores["accuracy"] < expected:
                log(f"    WARNING: below the published {expected:.1%}: look for a bug")
            rows_so_far = _merged(artifact_path, rows, keep_others=bool(only))
            artifact = _artifact(data, x_test, options, rows_so_far)
            artifact_path.write_text(json.dumps(artifact, indent=1) + "\n")
    return artifact


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _artifact(data, x_test, options, rows):
    return {
        "schema_version": SCHEMA_VERSION,
        "command": COMMAND,
        "updated_at": _now(),
        "seed": options.seed,
        "data": {
            "source": data.source,
            "md5_uncompressed": data.checksums,
            "train": len(data.x_train),
            "validation": len(data.x_val),
            "test": len(x_test),
        },
        "latency": {
            "single": f"median of {SINGLE_CALLS} calls on one image (after warm-up)",
            "batched": "one call on the whole test set, divided by its size",
        },
        "machine": {
            "platform": f"{platform.system()} {platform.machine()}",
            "cpu_cores": os.cpu_count(),
            "note": "a shared 2-core machine: timings are indicative, not benchmarks",
        },
        "versions": _versions(),
        "models": rows,
    }
