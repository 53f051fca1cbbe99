"""Throughput: `Predictor.predict_batch` on the 10,000 MNIST test images, both engines.

python -m bench.batch [--quick] [--mnist-dir DIR]
"""

import time

from bench.common import emit, machine, parser

REPEATS = 3
QUICK_IMAGES = 1000
TARGET_SECONDS = 2.0


def _seconds(predictor, images):
    started = time.perf_counter()
    probabilities = predictor.predict_batch(images)
    return time.perf_counter() - started, probabilities


def run(mnist_dir=None, quick=False):
    """Times `predict_batch` (best of 3) with each engine and returns the result."""
    from model.data.mnist import load_mnist
    from model.inference.predictor import Predictor

    data = load_mnist(mnist_dir, validation_size=0)
    images, labels = data.x_test, data.y_test
    if quick:
        images, labels = images[:QUICK_IMAGES], labels[:QUICK_IMAGES]
    result = {"benchmark": "batch", "images": len(images)}
    for engine in ("litert", "keras"):
        predictor = Predictor.load(engine=engine)
        predictor.predict_batch(images[:256])  # warm-up
        runs = [_seconds(predictor, images) for _ in range(1 if quick else REPEATS)]
        best = min(seconds for seconds, _ in runs)
        accuracy = float((runs[0][1].argmax(axis=1) == labels).mean())
        result[engine] = {
            "seconds_best": round(best, 3),
            "seconds_all": [round(seconds, 3) for seconds, _ in runs],
            "images_per_second": round(len(images) / best),
            "accuracy": accuracy,
        }
    default = Predictor.load().engine.name
    result["default_engine"] = default
    result["target_seconds"] = TARGET_SECONDS
    # Quick mode (CI) times 1,000 images only: no target to check.
    result["meets_target"] = None if quick else result[default]["seconds_best"] <= TARGET_SECONDS
    result["machine"] = machine()
    return result


if __name__ == "__main__":
    arguments = parser(__doc__).parse_args()
    emit(run(arguments.mnist_dir, arguments.quick))
