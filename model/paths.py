"""Where the bundled model and its artifacts live."""

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
GATE_FILE = "gate.keras"
GATE_CARD_FILE = "gate.json"
COMPARISON_FILE = "comparison.json"
TUNING_FILE = "tuning.json"
RUNS_DIR = BUNDLED_DIR.parents[1] / "runs"
