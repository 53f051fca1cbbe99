"""Latency of one drawing: `Predictor.predict` on a 280x280 RGBA canvas vs the naive path.

The naive path is what public digit demos do: the same preprocessing, then `model.predict`
of the Keras model (digit network and gate) for each request. Both run in this process,
on the same drawings, one after the other. Also timed: `Predictor.read` on the draw page's
own 460x360 canvas, which is what the app calls after each stroke.

    python -m bench.latency [--quick] [--mnist-dir DIR]
"""

from bench.common import app_canvases, canvases, emit, machine, parser, summary, time_calls
from model import paths

CALLS = 300
QUICK_CALLS = 20
TARGET_P50_MS = 1.0
TARGET_SPEEDUP = 40.0
TARGET_STROKES_P50_MS = 3.0


def _stroke_numbers(count):
    """5-digit numbers composed from the held-out pendigits writers (None without pendigits)."""
    from model.data.pen_sets import composed_numbers, test_digits
    from model.data.pendigits import pendigits_available

    if not pendigits_available():
        return None
    numbers = composed_numbers(test_digits(), count=8 * count, seed=11)
    return [number for number in numbers if len(number["text"]) == 5][:count]


def run(mnist_dir=None, quick=False):
    """Times the three paths and returns the JSON-ready result."""
    from model.inference.predictor import Predictor
    from model.inference.preprocess import to_mnist
    from model.operations.export import combined_model

    calls = QUICK_CALLS if quick else CALLS
    drawings = canvases(mnist_dir, calls)
    predictor = Predictor.load()
    keras_predictor = Predictor.load(engine="keras")
    naive_model = combined_model(paths.BUNDLED_DIR / paths.MODEL_FILE)

    def naive(canvas):
        image28, _ = to_mnist(canvas)
        return naive_model.predict(image28[None, :, :, None].astype("float32"), verbose=0)

    fast = summary(time_calls(predictor.predict, drawings))
    app_read = summary(time_calls(predictor.read, app_canvases(mnist_dir, calls)))
    keras_engine = summary(time_calls(keras_predictor.predict, drawings))
    slow = summary(time_calls(naive, drawings, warmup=5))
    strokes = _stroke_numbers(calls)
    if strokes:
        read_strokes = summary(
            time_calls(lambda n: predictor.read_strokes(n["strokes"], n["pen"]), strokes, 5)
        )
        read_picture = summary(time_calls(lambda n: predictor.read(n["picture"]), strokes, 5))
    else:
        read_strokes = read_picture = None
    agree = sum(
        predictor.predict(canvas).digit == keras_predictor.predict(canvas).digit
        for canvas in drawings
    )
    speedup = slow["p50_ms"] / fast["p50_ms"]
    return {
        "benchmark": "latency",
        "input": "280x280 RGBA canvas, MNIST test digits re-drawn with an 18 px pen",
        "predict": {"engine": predictor.engine.name, **fast},
        "read_app_canvas": {"input": "460x360 RGBA, 22 px pen, as on the draw page", **app_read},
        "read_strokes_5_digits": None
        if read_strokes is None
        else {
            "input": "5-digit numbers of the held-out pendigits writers, as strokes",
            **read_strokes,
            "target_p50_ms": TARGET_STROKES_P50_MS,
        },
        "read_same_numbers_as_pictures": read_picture,
        "predict_keras_engine": keras_engine,
        "naive_model_predict": slow,
        "speedup_p50": round(speedup, 1),
        "same_digit_both_engines": f"{agree}/{len(drawings)}",
        "target": {"p50_ms": TARGET_P50_MS, "speedup": TARGET_SPEEDUP},
        # Quick mode (CI) makes 20 calls only: no target to check.
        "meets_target": None
        if quick
        else fast["p50_ms"] <= TARGET_P50_MS and speedup >= TARGET_SPEEDUP,
        "machine": machine(),
    }


if __name__ == "__main__":
    arguments = parser(__doc__).parse_args()
    emit(run(arguments.mnist_dir, arguments.quick))
