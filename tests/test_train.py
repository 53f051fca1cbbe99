"""Training the CNN: a small real run writes every artifact, and the seed makes it repeatable."""

import json

import numpy as np
import pytest

from model import Predictor, paths
from model.data.mnist import load_mnist
from model.training.cnn import train

pytestmark = pytest.mark.slow


def test_train_smoke_writes_a_loadable_model_and_its_artifacts(tmp_path, mnist_dir):
    metrics = train(mnist_dir, out_dir=tmp_path, epochs=1, limit=512, verbose=0)
    for name in (
        paths.MODEL_FILE,
        paths.HISTORY_FILE,
        paths.METRICS_FILE,
        paths.MISCLASSIFIED_FILE,
        paths.MISCLASSIFIED_IMAGES_FILE,
        paths.CARD_FILE,
    ):
        assert (tmp_path / name).is_file(), name
    history = json.loads((tmp_path / paths.HISTORY_FILE).read_text())
    assert history["epoch"] == [1]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(history)
    card = json.loads((tmp_path / paths.CARD_FILE).read_text())
    assert card["seed"] == 1337 and card["epochs"] == 1 and card["parameters"] > 100_000
    assert card["data"]["md5_uncompressed"]["t10k-labels-idx1-ubyte"] == (
        "27ae3e4e09519cfbb04c329615203637"
    )
    wrong = json.loads((tmp_path / paths.MISCLASSIFIED_FILE).read_text())
    assert len(wrong) == metrics["errors"] == round((1 - metrics["accuracy"]) * 512)
    assert sum(map(sum, metrics["confusion_matrix"])) == 512
    saved = np.load(tmp_path / paths.MISCLASSIFIED_IMAGES_FILE)
    test_images = load_mnist(mnist_dir, validation_size=0).x_test
    assert saved["indices"].tolist() == [row["index"] for row in wrong]
    np.testing.assert_array_equal(saved["images"], test_images[saved["indices"]])
    assert card["layers"][-1] == {
        "name": "probabilities",
        "type": "Dense",
        "output_shape": [10],
        "parameters": 1290,
    }

    predictor = Predictor.load(tmp_path / paths.MODEL_FILE)
    assert predictor.predict_batch(test_images[:64]).shape == (64, 10)


def test_training_is_reproducible_from_the_seed(tmp_path, mnist_dir):
    first = train(mnist_dir, out_dir=tmp_path / "a", epochs=1, limit=256, verbose=0)
    second = train(mnist_dir, out_dir=tmp_path / "b", epochs=1, limit=256, verbose=0)
    assert first["confusion_matrix"] == second["confusion_matrix"]
    histories = [json.loads((tmp_path / run / paths.HISTORY_FILE).read_text()) for run in "ab"]
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-6)


def test_a_new_member_trains_alone_beside_the_members_already_there(tmp_path, mnist_dir):
    import keras

    from model.errors import UsageError
    from model.inference.engines import member_models

    first = {"name": "first", "epochs": 1, "styled_share": 0.0, "segment_share": 0.0}
    added = {**first, "name": "added", "segment_share": 0.1}
    train(mnist_dir, out_dir=tmp_path, epochs=1, limit=256, verbose=0, members=(first, added))
    before = member_models(keras.models.load_model(tmp_path / paths.MODEL_FILE, compile=False))
    third = {**first, "name": "third"}

    def train_only(name):
        members = (first, added, third)
        train(mnist_dir, out_dir=tmp_path, limit=256, verbose=0, members=members, only=[name])

    with pytest.raises(UsageError, match="third"):
        train_only("added")
    train_only("third")
    after = member_models(keras.models.load_model(tmp_path / paths.MODEL_FILE, compile=False))
    card = json.loads((tmp_path / paths.CARD_FILE).read_text())
    assert [member["name"] for member in card["members"]] == ["first", "added", "third"]
    assert len(after) == 3
    for old, new in zip(before, after[:2], strict=True):
        for a, b in zip(old.get_weights(), new.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
