import gzip

import numpy as np
import pytest

from model.data.mnist import (
    FILES,
    MnistFormatError,
    load_mnist,
    read_idx_images,
    read_idx_labels,
    write_idx,
)


def _tiny_mnist(folder, train=40, test=10):
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "train_labels": np.arange(train, dtype=np.uint8) % 10,
        "test_images": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "test_labels": np.arange(test, dtype=np.uint8) % 10,
    }
    for key, array in arrays.items():
        write_idx(folder / FILES[key], array)
    return arrays


def test_idx_round_trip_gz_and_plain(tmp_path):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    labels = np.array([7, 0, 9], dtype=np.uint8)
    for suffix in ("", ".gz"):
        write_idx(tmp_path / f"images{suffix}", images)
        write_idx(tmp_path / f"labels{suffix}", labels)
        np.testing.assert_array_equal(read_idx_images(tmp_path / f"images{suffix}"), images)
        np.testing.assert_array_equal(read_idx_labels(tmp_path / f"labels{suffix}"), labels)


def test_idx_header_is_big_endian(tmp_path):
    write_idx(tmp_path / "l", np.array([1, 2], dtype=np.uint8))
    assert (tmp_path / "l").read_bytes()[:8] == bytes([0, 0, 8, 1, 0, 0, 0, 2])


def test_wrong_magic_is_a_clear_error(tmp_path):
    write_idx(tmp_path / "labels.gz", np.array([1, 2], dtype=np.uint8))
    with pytest.raises(MnistFormatError, match="magic number 2049, expected 2051"):
        read_idx_images(tmp_path / "labels.gz")


def test_truncated_file_is_a_clear_error(tmp_path):
    write_idx(tmp_path / "images", np.zeros((2, 28, 28), dtype=np.uint8))
    data = (tmp_path / "images").read_bytes()
    (tmp_path / "short").write_bytes(data[:-10])
    with pytest.raises(MnistFormatError, match="header says 2 images"):
        read_idx_images(tmp_path / "short")


def test_label_outside_digits_is_an_error(tmp_path):
    write_idx(tmp_path / "labels", np.array([3, 12], dtype=np.uint8))
    with pytest.raises(MnistFormatError, match="not a digit"):
        read_idx_labels(tmp_path / "labels")


def test_not_gzip_is_an_error(tmp_path):
    (tmp_path / "x.gz").write_bytes(b"plain text, not gzip")
    with pytest.raises(MnistFormatError, match="gzip"):
        read_idx_labels(tmp_path / "x.gz")


def test_load_mnist_holds_out_a_stratified_validation_split(tmp_path):
    arrays = _tiny_mnist(tmp_path)
    data = load_mnist(tmp_path, validation_size=10, seed=1)
    assert data.x_train.shape == (30, 28, 28) and data.x_val.shape == (10, 28, 28)
    assert sorted(data.y_val.tolist()) == list(range(10))
    np.testing.assert_array_equal(data.x_test, arrays["test_images"])
    # The split is a partition of the training set: nothing lost, nothing shared.
    together = np.concatenate([data.x_train, data.x_val]).reshape(40, -1)
    assert {row.tobytes() for row in together} == {
        row.tobytes() for row in arrays["train_images"].reshape(40, -1)
    }
    assert set(data.checksums) == {name.removesuffix(".gz") for name in FILES.values()}


def test_load_mnist_reads_the_environment_variable(tmp_path, monkeypatch):
    _tiny_mnist(tmp_path)
    monkeypatch.setenv("MNIST_DIR", str(tmp_path))
    assert load_mnist(validation_size=10).source == str(tmp_path)


def test_without_a_folder_mnist_is_looked_for_beside_the_repo_never_downloaded(
    tmp_path, monkeypatch
):
    from model import paths

    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setattr(paths, "SHARED_DIR", tmp_path / "no-shared")
    with pytest.raises(MnistFormatError, match="--mnist-dir"):
        load_mnist()
    (tmp_path / "shared" / "mnist").mkdir(parents=True)
    _tiny_mnist(tmp_path / "shared" / "mnist")
    monkeypatch.setattr(paths, "SHARED_DIR", tmp_path / "shared")
    assert load_mnist(validation_size=10).source == str(tmp_path / "shared" / "mnist")


def test_missing_folder_and_mismatched_counts(tmp_path):
    with pytest.raises(MnistFormatError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")
    _tiny_mnist(tmp_path)
    with gzip.open(tmp_path / FILES["test_labels"], "wb") as handle:
        handle.write(np.array([2049, 3], dtype=">u4").tobytes() + bytes([1, 2, 3]))
    with pytest.raises(MnistFormatError, match="10 images but 3 labels"):
        load_mnist(tmp_path, validation_size=10)


def test_real_mnist_checksums_match_the_published_ones(mnist_dir):
    data = load_mnist(mnist_dir)
    assert data.checksums["t10k-images-idx3-ubyte"] == "2646ac647ad5339dbf082846283269ea"
    assert data.checksums["train-labels-idx1-ubyte"] == "a25bea736e30d166cdddb491f175f624"
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (55000, 5000, 10000)
