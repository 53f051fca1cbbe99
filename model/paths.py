"""Where the bundled model and its artifacts live."""

import os
from pathlib import Path

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"
MODEL_FILE = "digit_cnn.keras"
HISTORY_FILE = "history.json"
METRICS_FILE = "metrics.json"
MISCLASSIFIED_FILE = "misclassified.json"
MISCLASSIFIED_IMAGES_FILE = "misclassified.npz"
CARD_FILE = "model_card.json"
CALIBRATION_FILE = "calibration.json"
ROBUSTNESS_FILE = "robustness.json"
REALWORLD_FILE = "realworld.json"  # how it reads real handwriting (USPS and pictures people made)
GATE_FILE = "gate.keras"
GATE_CARD_FILE = "gate.json"
LITERT_FILE = "digits.tflite"  # the digit model (its first member) and the gate, for LiteRT
LITERT_MORE_FILES = ("digits-2.tflite", "digits-3.tflite", "digits-4.tflite")  # further members
LITERT_CARD_FILE = "litert.json"  # what it was made from, and how it matched Keras
PAIRS_FILE = "pairs.tflite"  # the pair reader: two touching or overlapping digits as one picture
PAIRS_CARD_FILE = "pairs.json"  # how it was trained, its accuracy and its sha256
CHECKSUMS_FILE = "checksums.json"  # sha256 of the files above, for the bundled model

# Feedback and model versions live outside the package, in the repo's (gitignored) data folder,
# unless $DIGITS_FEEDBACK_DB and $DIGITS_REGISTRY say otherwise.
DATA_DIR = BUNDLED_DIR.parents[1] / "data"
MNIST_DIR_ENV = "MNIST_DIR"  # the MNIST folder, when --mnist-dir is not given
FEEDBACK_DB_ENV = "DIGITS_FEEDBACK_DB"
REGISTRY_ENV = "DIGITS_REGISTRY"
# The app's admin password on a single machine (else `admin_password` in .streamlit/secrets.toml).
ADMIN_PASSWORD_ENV = "DIGITS_ADMIN_PASSWORD"
MANIFEST_FILE = "manifest.json"
# The HTTP API (python -m model serve): its key, and the predictors each worker process keeps.
API_KEY_ENV = "DIGITS_API_KEY"
API_PREDICTORS_ENV = "DIGITS_API_PREDICTORS"

# The evaluation sets (USPS, real handwriting) lie beside the repository, never inside it.
USPS_DIR_ENV = "USPS_DIR"
REALWORLD_DIR_ENV = "REALWORLD_DIR"
SHARED_DIR = BUNDLED_DIR.parents[2] / "shared"

COMPARISON_FILE = "comparison.json"
TUNING_FILE = "tuning.json"
RUNS_DIR = BUNDLED_DIR.parents[1] / "runs"


def data_folder(given, env, default, what, option):
    """The folder given, else the one in the environment variable `env`, else `default` if it
    exists.

    Raises:
        FileNotFoundError: none was given and `default` does not exist; the message names
            `what` the folder holds and the `option` that gives it.
    """
    folder = given or os.environ.get(env)
    if folder:
        return Path(folder)
    if Path(default).is_dir():
        return Path(default)
    raise FileNotFoundError(f"no {what} folder: give {option} or set ${env} (looked in {default})")
