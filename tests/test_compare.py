"""The comparison's models, each trained on a tiny subset; the study runner; the CLI."""

import json
import time

import numpy as np
import pytest
from support import run_cli

from model import paths
from model.data.mnist import load_mnist
from model.study import classical
from model.study.compare import (
    BY_NAME,
    CANDIDATES,
    SINGLE_CALLS,
    Options,
    Trained,
    choose,
    compare,
    measure,
)

TINY = 400


@pytest.fixture(scope="module")
def tiny(mnist_dir):
    """The first 400 training, 100 validation and 200 test images of the real split."""
    data = load_mnist(mnist_dir, seed=1337)
    return {
        "train": (data.x_train[:TINY], data.y_train[:TINY]),
        "validation": (data.x_val[:100], data.y_val[:100]),
        "test": (data.x_test[:200], data.y_test[:200]),
    }


@pytest.mark.parametrize(
    "build",
    [
        classical.logistic_regression,
        classical.linear_svm,
        lambda: classical.rbf_svm(seed=0),
        lambda: classical.random_forest(seed=0, trees=20, jobs=1),
        lambda: classical.knn(3, seed=0),
        classical.hog_svm,
    ],
    ids=["logistic_regression", "linear_svm", "rbf_svm", "random_forest", "knn", "hog_svm"],
)
def test_each_classical_model_trains_and_predicts_digits(build, tiny):
    (x_train, y_train), (x_test, y_test) = tiny["train"], tiny["test"]
    pipeline = build().fit(x_train, y_train)
    predicted = pipeline.predict(x_test)
    assert predicted.shape == (len(x_test),)
    assert set(predicted) <= set(range(10))
    assert (predicted == y_test).mean() > 0.6
    assert pipeline.predict(x_test[:1]).shape == (1,)


def test_hog_features_describe_each_28x28_digit_with_432_numbers(tiny):
    images = tiny["test"][0][:5]
    features = classical.hog_features(images)
    assert features.shape == (5, 3 * 3 * 4 * classical.HOG_BINS) == (5, 432)
    assert np.isfinite(features).all() and features.min() >= 0
    # Each block is normalised after clipping: unit length, or zero where there is no ink.
    blocks = features.reshape(5, 9, -1)
    norms = np.linalg.norm(blocks, axis=-1)
    assert np.all((np.abs(norms - 1) < 1e-3) | (norms < 1e-3))
    assert classical.hog_features(np.zeros((2, 28, 28), np.uint8)).max() == 0
    with pytest.raises(ValueError, match="cells"):
        classical.hog_features(np.zeros((1, 30, 30), np.uint8))


def test_deskew_straightens_a_slanted_stroke():
    image = np.zeros((28, 28), np.uint8)
    for row in range(4, 24):
        column = 8 + (24 - row) // 2  # a stroke leaning right, like a slanted 1
        image[row, column : column + 3] = 255
    straight = classical.deskew(image[None])[0]

    def slant(picture):
        moments = __import__("cv2").moments(picture)
        return moments["mu11"] / moments["mu02"]

    assert abs(slant(image)) > 0.3
    assert abs(slant(straight)) < 0.1
    blank = np.zeros((1, 28, 28), np.uint8)
    np.testing.assert_array_equal(classical.deskew(blank), blank)


def test_k_is_chosen_on_the_validation_split(tiny):
    (x_train, y_train), (x_val, y_val) = tiny["train"], tiny["validation"]
    best, accuracies = classical.choose_neighbours(x_train, y_train, x_val, y_val, seed=0)
    assert list(accuracies) == list(classical.KNN_CANDIDATES)
    assert accuracies[best] == max(accuracies.values())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mlp", "small_cnn", "resnet"])
def test_each_network_trains_one_epoch_and_predicts(name, tiny, tmp_path):
    import keras

    from model.study import baselines
    from model.training.recipe import compiled_classifier, fit_network

    build = {
        "mlp": baselines.build_mlp,
        "small_cnn": baselines.build_small_cnn,
        "resnet": baselines.build_resnet,
    }[name]
    model = build()
    fitted = fit_network(model, tiny["train"], tiny["validation"], epochs=1, verbose=0)
    # The recorded validation accuracy is what the trained model scores on those images.
    x_val, y_val = tiny["validation"]
    assert fitted["val_accuracy"] == pytest.approx(
        (compiled_classifier(model)(x_val) == y_val).mean(), abs=1e-6
    )
    x_test = tiny["test"][0]
    predicted = compiled_classifier(model, chunk=64)(x_test)
    assert predicted.shape == (len(x_test),)
    expected = model.predict(x_test[..., None].astype("float32"), verbose=0).argmax(axis=1)
    np.testing.assert_array_equal(predicted, expected)
    model.save(tmp_path / f"{name}.keras")
    reloaded = keras.models.load_model(tmp_path / f"{name}.keras")
    np.testing.assert_array_equal(compiled_classifier(reloaded)(x_test), predicted)


@pytest.mark.slow
def test_fit_network_keeps_the_best_validation_epoch(tiny):
    import keras

    from model.training.recipe import compiled_classifier, fit_network

    # A linear model with a learning rate far too high: its validation accuracy jumps around,
    # so the best epoch is not simply the last one.
    keras.utils.set_random_seed(0)  # the initial weights
    layers = [keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    model = keras.Sequential([keras.Input((28, 28, 1)), *layers])
    x_val, y_val = tiny["validation"]
    fitted = fit_network(model, tiny["train"], (x_val, y_val), 4, 32, 2.0, verbose=0)
    history = fitted["history"]["val_accuracy"]
    assert len(history) == 4  # here the best of the four is epoch 3
    assert fitted["best_epoch"] == int(np.argmax(history)) + 1
    assert fitted["val_accuracy"] == max(history)
    # The model keeps that epoch's weights, not the last epoch's.
    restored = (compiled_classifier(model)(x_val) == y_val).mean()
    assert restored == pytest.approx(max(history), abs=1e-6)


@pytest.mark.slow
def test_transfer_vgg16_trains_without_imagenet_weights(tiny):
    from model.study.transfer import build_transfer_model
    from model.training.recipe import compiled_classifier, fit_network

    model = build_transfer_model("vgg16", weights=None, input_size=32)
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    (x_train, y_train), (x_val, y_val) = tiny["train"], tiny["validation"]
    fit_network(model, (x_train[:32], y_train[:32]), (x_val[:16], y_val[:16]), 1, 16, verbose=0)
    predicted = compiled_classifier(model)(tiny["test"][0][:8])
    assert predicted.shape == (8,) and set(predicted) <= set(range(10))


@pytest.mark.slow
def test_transfer_resnet50_builds_without_imagenet_weights(tiny):
    from model.study.transfer import build_transfer_model

    model = build_transfer_model("resnet50", weights=None, input_size=32)
    assert model.get_layer("resnet50").trainable
    probabilities = model(tiny["test"][0][:4, :, :, None].astype("float32"), training=False)
    assert probabilities.shape == (4, 10)
    np.testing.assert_allclose(np.asarray(probabilities).sum(axis=1), 1, rtol=1e-5)


def test_transfer_model_refuses_bad_arguments():
    from model.study.transfer import build_transfer_model

    with pytest.raises(ValueError, match="architecture"):
        build_transfer_model("inception", weights=None)
    with pytest.raises(ValueError, match="weights"):
        build_transfer_model("vgg16", weights="/some/file.h5")
    with pytest.raises(ValueError, match="at least 32"):
        build_transfer_model("vgg16", weights=None, input_size=28)


def test_measure_scores_a_known_predictor():
    labels = np.arange(100) % 10
    images = np.zeros((100, 28, 28), np.uint8)
    images[:, 0, 0] = labels
    pause = 0.002  # every call takes at least 2 ms

    def predict(batch):
        time.sleep(pause)
        guesses = batch[:, 0, 0].astype(int)
        return np.where(guesses == 3, 5, guesses)  # every 3 read as a 5

    started = time.perf_counter()
    scores = measure(Trained(predict, None, 1.0, 100), images, labels)
    elapsed_ms = 1000 * (time.perf_counter() - started)
    assert scores["accuracy"] == 0.9 and scores["errors"] == 10
    assert scores["per_class_f1"][3] == 0 and scores["per_class_f1"][0] == 1
    assert scores["per_class_f1"][5] == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert scores["macro_f1"] == pytest.approx(np.mean(scores["per_class_f1"]))
    # The median call took at least the pause, and half the calls took at least the median.
    assert 1000 * pause <= scores["latency_single_ms"] <= elapsed_ms / (SINGLE_CALLS / 2)
    # One batched call on the 100 images, in milliseconds per image: it took at least the
    # pause, and at most what the single calls (each at least the pause) left of the time.
    batch_ms = 100 * scores["latency_batched_ms"]
    assert 1000 * pause <= batch_ms <= elapsed_ms - SINGLE_CALLS * 1000 * pause


def test_the_default_study_is_the_ten_models_of_the_issue():
    assert [candidate.name for candidate in choose()] == [
        "logistic_regression",
        "linear_svm",
        "rbf_svm",
        "random_forest",
        "knn",
        "hog_svm",
        "mlp",
        "small_cnn",
        "resnet",
        "bundled_cnn",
    ]
    assert all(candidate.note.endswith(".") for candidate in CANDIDATES)
    assert [candidate.name for candidate in choose(["knn", "vgg16"])] == ["knn", "vgg16"]
    with pytest.raises(ValueError, match="unknown model svm"):
        choose(["svm"])


@pytest.mark.slow
def test_compare_writes_the_artifact_and_merges_with_only(mnist_dir, tmp_path):
    models = tmp_path / "models"
    first = compare(
        mnist_dir,
        out_dir=tmp_path,
        only=["logistic_regression", "bundled_cnn"],
        limit=300,
        models_dir=models,
        log=lambda line: None,
    )
    assert [row["name"] for row in first["models"]] == ["logistic_regression", "bundled_cnn"]
    assert (models / "logistic_regression.pkl").stat().st_size == first["models"][0]["size_bytes"]
    assert first["data"]["train"] == 300 and first["data"]["test"] == 300
    bundled = first["models"][1]
    assert bundled["train_size"] == 55_000 and bundled["accuracy"] > 0.98
    second = compare(
        mnist_dir,
        out_dir=tmp_path,
        only=["linear_svm"],
        limit=300,
        options=Options(verbose=0),
        log=lambda line: None,
    )
    names = [row["name"] for row in second["models"]]
    assert names == ["logistic_regression", "linear_svm", "bundled_cnn"]
    saved = json.loads((tmp_path / paths.COMPARISON_FILE).read_text())
    assert saved == second


def test_compare_refuses_a_subset_study_over_the_bundled_one(mnist_dir):
    with pytest.raises(ValueError, match="--limit needs --out"):
        compare(mnist_dir, only=["logistic_regression"], limit=100)


@pytest.mark.slow
def test_compare_command_runs_two_classical_models(mnist_dir, tmp_path):
    run = run_cli(
        "compare", "--mnist-dir", mnist_dir, "--only", "knn,hog_svm", "--limit", "300",
        "--out", tmp_path, "--models-dir", "",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "[1/2] k-nearest neighbours" in run.stdout and "[2/2] HOG + SVM" in run.stdout
    summary = json.loads(run.stdout.splitlines()[-1])
    assert set(summary["accuracy"]) == {"knn", "hog_svm"}
    artifact = json.loads((tmp_path / paths.COMPARISON_FILE).read_text())
    assert artifact["models"][0]["details"]["k"] in classical.KNN_CANDIDATES
    assert BY_NAME["knn"].label == artifact["models"][0]["label"]
