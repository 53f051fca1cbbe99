"""Latency of a photo: the file's bytes decoded and read by `Predictor.predict`, for every
photo of the real-pictures set (`../shared/realworld`, kind "photo"; timing only, nothing
is tuned on it), against the naive path in the same run: the same decoding, the picture
simply resized into 20x20, padded to 28x28 and given to the same engine.

    python -m bench.photos [--quick] [--realworld-dir DIR]
"""

from bench.common import emit, machine, parser, summary

REPEATS = 3  # each photo is read this many times; its fastest counts (others share the CPU)
QUICK_PHOTOS = 8
TARGET_P50_MS = 30.0


def _naive(predictor, image):
    """The same engine on the whole picture, resized: no ink finding at all."""
    from model.inference.naive import naive_mnist, white_ink_gray

    return predictor.predict_batch(naive_mnist(white_ink_gray(image))[None])


def _fastest_ms(call, repeats):
    import time

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def run(realworld_dir=None, quick=False):
    """Times both paths on every photo and returns the JSON-ready result."""
    from model.data.realworld import read_manifest, resolve_realworld_dir
    from model.inference.image_io import load_image
    from model.inference.predictor import Predictor

    folder = resolve_realworld_dir(realworld_dir)
    photos = [picture for picture in read_manifest(folder) if picture.kind == "photo"]
    photos = photos[:QUICK_PHOTOS] if quick else photos
    files = [(folder / "images" / photo.file).read_bytes() for photo in photos]
    predictor = Predictor.load()
    predictor.predict(load_image(files[0]))  # warm-up
    sizes = [load_image(data).shape[:2] for data in files]
    repeats = 1 if quick else REPEATS
    ours = [_fastest_ms(lambda d=data: predictor.predict(load_image(d)), repeats) for data in files]
    decode = [_fastest_ms(lambda d=data: load_image(d), repeats) for data in files]
    naive = [
        _fastest_ms(lambda d=data: _naive(predictor, load_image(d)), repeats) for data in files
    ]
    pixels = [height * width for height, width in sizes]
    ours_summary = summary(ours)
    return {
        "benchmark": "photos",
        "input": f"{len(files)} real photos, file bytes, "
        f"{min(pixels) / 1e6:.2f}-{max(pixels) / 1e6:.1f} MP",
        "predict": {"engine": predictor.engine.name, **ours_summary, "max_ms": round(max(ours), 3)},
        "decode_only": summary(decode),
        "naive_resize": summary(naive),
        "target": {"p50_ms": TARGET_P50_MS},
        "meets_target": None if quick else ours_summary["p50_ms"] <= TARGET_P50_MS,
        "machine": machine(),
    }


if __name__ == "__main__":
    arguments = parser(__doc__)
    arguments.add_argument("--realworld-dir", help="real pictures (default: $REALWORLD_DIR)")
    arguments = arguments.parse_args()
    emit(run(arguments.realworld_dir, arguments.quick))
