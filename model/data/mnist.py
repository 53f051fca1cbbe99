"""Reading MNIST from its four IDX .gz files, and the train/validation split."""

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model import config, paths
from model.errors import MnistFormatError

MNIST_DIR_ENV = paths.MNIST_DIR_ENV
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
VALIDATION_SIZE = config.VALIDATION_SIZE


@dataclass
class Mnist:
    """MNIST as uint8 arrays: images (N, 28, 28) white on black, labels (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    checksums: dict
    source: str


def _read_idx_bytes(path):
    path = Path(path)
    if not path.is_file():
        raise MnistFormatError(f"{path}: file not found")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            return handle.read()
    except (OSError, EOFError) as error:
        raise MnistFormatError(f"{path}: cannot be read as gzip ({error})") from error


def _check_magic(path, data, expected, kind):
    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if magic != expected:
        raise MnistFormatError(f"{path}: magic number {magic}, expected {expected} ({kind})")


def read_idx_images(path):
    """Reads an IDX3 image file (optionally gzip-compressed).

    Args:
        path: the file's path.

    Returns:
        uint8 array of shape (count, rows, cols).

    Raises:
        MnistFormatError: wrong magic number, or fewer bytes than the header promises.
    """
    data = _read_idx_bytes(path)
    _check_magic(path, data, IMAGES_MAGIC, "images")
    if len(data) < 16:
        raise MnistFormatError(f"{path}: {len(data)} bytes is too short for an IDX3 header")
    _, count, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    expected = int(count) * int(rows) * int(cols)
    if len(data) - 16 != expected:
        raise MnistFormatError(
            f"{path}: header says {count} images of {rows}x{cols} "
            f"({expected} bytes) but the file holds {len(data) - 16}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def read_idx_labels(path):
    """Reads an IDX1 label file (optionally gzip-compressed).

    Returns:
        uint8 array of shape (count,).

    Raises:
        MnistFormatError: wrong magic number, wrong length, or labels outside 0-9.
    """
    data = _read_idx_bytes(path)
    _check_magic(path, data, LABELS_MAGIC, "labels")
    if len(data) < 8:
        raise MnistFormatError(f"{path}: {len(data)} bytes is too short for an IDX1 header")
    count = int(np.frombuffer(data[4:8], dtype=">u4")[0])
    if len(data) - 8 != count:
        raise MnistFormatError(
            f"{path}: header says {count} labels but the file holds {len(data) - 8}"
        )
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    if labels.size and labels.max() > 9:
        raise MnistFormatError(f"{path}: label {labels.max()} is not a digit")
    return labels


def write_idx(path, array):
    """Writes (N,) labels or (N, H, W) images as uint8 IDX, gzipped when the name ends in .gz."""
    array = np.asarray(array, dtype=np.uint8)
    magic = {1: LABELS_MAGIC, 3: IMAGES_MAGIC}[array.ndim]
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as handle:
        handle.write(header + array.tobytes())


def file_md5(path):
    """md5 of a file's uncompressed content (as the MNIST README publishes them)."""
    return hashlib.md5(_read_idx_bytes(path)).hexdigest()


def resolve_mnist_dir(mnist_dir=None):
    """The folder given, else $MNIST_DIR, else ../shared/mnist beside the repository.
    Nothing is ever downloaded.

    Raises:
        MnistFormatError: none was given and ../shared/mnist does not exist.
    """
    try:
        return paths.data_folder(
            mnist_dir, MNIST_DIR_ENV, paths.SHARED_DIR / "mnist", "MNIST", "--mnist-dir"
        )
    except FileNotFoundError as error:
        raise MnistFormatError(str(error)) from None


def _load_folder(folder):
    folder = Path(folder)
    if not folder.is_dir():
        raise MnistFormatError(f"MNIST folder {folder} does not exist")
    paths = {key: folder / name for key, name in FILES.items()}
    arrays = {
        key: (read_idx_images if key.endswith("images") else read_idx_labels)(path)
        for key, path in paths.items()
    }
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.shape[1:] != (28, 28):
            raise MnistFormatError(f"{split} images are {images.shape[1:]}, expected 28x28")
        if len(images) != len(labels):
            raise MnistFormatError(f"{split}: {len(images)} images but {len(labels)} labels")
    checksums = {FILES[key].removesuffix(".gz"): file_md5(path) for key, path in paths.items()}
    return arrays, checksums


def load_mnist(mnist_dir=None, validation_size=VALIDATION_SIZE, seed=config.SPLIT_SEED):
    """Loads MNIST and holds out a stratified validation split from the training set.

    Args:
        mnist_dir: folder with the four IDX .gz files; None uses $MNIST_DIR, else
            ../shared/mnist.
        validation_size: training images held out for model selection.
        seed: seed of the split.

    Returns:
        A `Mnist`. The test set is untouched and never used for model selection.

    Raises:
        MnistFormatError: a file is missing or malformed.
    """
    from sklearn.model_selection import train_test_split

    folder = resolve_mnist_dir(mnist_dir)
    arrays, checksums = _load_folder(folder)
    x_train, y_train = arrays["train_images"], arrays["train_labels"]
    if validation_size:
        x_train, x_val, y_train, y_val = train_test_split(
            x_train, y_train, test_size=validation_size, stratify=y_train, random_state=seed
        )
    else:
        x_val, y_val = x_train[:0], y_train[:0]
    return Mnist(
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        x_test=arrays["test_images"],
        y_test=arrays["test_labels"],
        checksums=checksums,
        source=str(folder),
    )
