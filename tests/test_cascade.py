"""The ensemble run member by member: the second member only where the first doubts."""

import json

import numpy as np
import pytest

from model import config, paths
from model.inference.cascade import run_members


class Member:
    """A fake member answering fixed probabilities, counting the images it was given."""

    def __init__(self, probabilities, gate):
        self.probabilities = np.asarray(probabilities, dtype=np.float32)
        self.gate = np.asarray(gate, dtype=np.float32)
        self.seen = []

    def __call__(self, batch):
        indices = batch[:, 0, 0, 0].astype(int)  # each image carries its index
        self.seen.extend(indices.tolist())
        return self.probabilities[indices], self.gate[indices]


def _batch(count):
    batch = np.zeros((count, 28, 28, 1), np.float32)
    batch[:, 0, 0, 0] = np.arange(count)
    return batch


def _one_hot(digit, top):
    row = np.full(10, (1 - top) / 9, np.float32)
    row[digit] = top
    return row


def test_the_second_member_runs_only_where_the_first_is_unsure():
    first = Member([_one_hot(3, 0.9999), _one_hot(5, 0.6), _one_hot(7, 0.99)], [0.9, 0.8, 0.7])
    second = Member([_one_hot(3, 0.2), _one_hot(6, 0.9), _one_hot(1, 0.9)], [0.0, 0.0, 0.0])
    probabilities, is_digit = run_members([first, second], _batch(3), confidence=0.999)
    assert second.seen == [1, 2]
    np.testing.assert_allclose(probabilities[0], _one_hot(3, 0.9999))  # the first, alone
    np.testing.assert_allclose(probabilities[1], (_one_hot(5, 0.6) + _one_hot(6, 0.9)) / 2)
    np.testing.assert_allclose(probabilities[2], (_one_hot(7, 0.99) + _one_hot(1, 0.9)) / 2)
    np.testing.assert_allclose(is_digit, [0.9, 0.8, 0.7])  # the gate is the first member's
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(3), abs=1e-6)


def test_a_sure_batch_or_a_single_member_runs_once():
    first = Member([_one_hot(2, 1.0)] * 4, [1.0] * 4)
    second = Member([_one_hot(8, 1.0)] * 4, [1.0] * 4)
    probabilities, _ = run_members([first, second], _batch(4))
    assert second.seen == [] and probabilities.argmax(axis=1).tolist() == [2] * 4
    alone, _ = run_members([first], _batch(4), confidence=1.1)
    assert alone.argmax(axis=1).tolist() == [2] * 4


@pytest.mark.artifacts
def test_the_bundled_export_gives_the_ensembles_digits_on_all_but_near_ties():
    card = json.loads((paths.BUNDLED_DIR / paths.LITERT_CARD_FILE).read_text())
    cascade = card["cascade"]
    assert card["test_images"] == 10_000 and cascade["members"] == len(config.CNN_MEMBERS)
    assert cascade["confidence"] == config.CASCADE_CONFIDENCE
    # The first member's int8 weights may move a near-tie the second member then joins.
    assert cascade["digits_unlike_the_ensemble"] <= 2
    assert 0 < cascade["further_members_run_on"] < 0.1
    assert list(card["files"]) == [paths.LITERT_FILE, *paths.LITERT_MORE_FILES[:1]]


def test_both_engines_run_the_members_alike(mnist_dir):
    from model.data.mnist import load_mnist
    from model.inference.predictor import Predictor

    images = load_mnist(mnist_dir, validation_size=0).x_test[:200]
    litert = Predictor.load(engine="litert").raw_outputs(images)
    keras = Predictor.load(engine="keras").raw_outputs(images)
    tolerance = json.loads((paths.BUNDLED_DIR / paths.LITERT_CARD_FILE).read_text())["tolerance"]
    # Where int8 weights move the first network across the cascade's confidence, one engine
    # averages in the second network and the other does not: only those may differ more.
    for litert_output, keras_output in zip(litert, keras, strict=True):
        close = np.abs(litert_output - keras_output).reshape(len(images), -1).max(axis=1)
        assert (close <= tolerance).mean() >= 0.98
    assert (litert[0].argmax(axis=1) == keras[0].argmax(axis=1)).all()


def test_a_small_batch_in_chunks_reads_as_one_image_at_a_time(mnist_dir):
    # 13 images run as 8 + 2 + 2 + 1 through interpreters of those sizes: bit-identical.
    from model.data.mnist import load_mnist
    from model.inference.engines import LITERT_SIZES, LiteRTEngine
    from model.inference.predictor import Predictor

    assert {8, 2, 1} <= set(LITERT_SIZES)
    engine = Predictor.load(engine="litert").engine
    assert isinstance(engine, LiteRTEngine)
    images = load_mnist(mnist_dir, validation_size=0).x_test[:13].astype(np.float32)[..., None]
    together = engine(images)
    alone = [engine(images[index : index + 1]) for index in range(len(images))]
    for position, output in enumerate(together):
        assert np.array_equal(output, np.concatenate([one[position] for one in alone]))
