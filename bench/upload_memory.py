"""Memory of the worst uploads allowed: a fresh process reads each picture file; its peak RSS.

Each picture is read by a new process that first loads the predictor and reads a canvas
drawing (its idle peak, the baseline), then decodes and reads the picture's bytes as the
Upload page does (`Predictor.read(bytes)`); the figure is the peak over that baseline. The
pictures are the largest allowed (40 MP, just under `MAX_PIXELS`) as PNG in each mode, and
a 40 MP JPEG, and the largest decoded at full size (see `FULL_PIXELS`); each is mostly
paper with one big 7, so the PNG files are small (about 20-180 KB) while their pixels are many.

    python -m bench.upload_memory [--quick] [--out FILE]
"""

import json
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from bench.common import emit, machine, parser, run_child

TARGET_MB = 150  # over the idle process, per upload
SIDE_40MP = 6300  # 39.7 MP, just under the 40 MP limit

_CHILD = """
import json, sys, time
import numpy as np
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
from model.inference.predictor import Predictor
predictor = Predictor.load()
predictor.read(np.full((360, 460, 4), 255, np.uint8))
idle = peak_mb()
data = open(sys.argv[1], "rb").read()
started = time.perf_counter()
reading = predictor.read(data)
seconds = time.perf_counter() - started
print(json.dumps({
    "idle_peak_rss_mb": round(idle, 1),
    "peak_rss_mb": round(peak_mb(), 1),
    "over_idle_mb": round(peak_mb() - idle, 1),
    "read_seconds": round(seconds, 2),
    "read": reading.text,
}))
"""


def picture(side, mode, transparent=False):
    """A `side`-pixel square of white paper with a big black 7, as an array of `mode`."""
    bands = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    shape = (side, side) if bands == 1 else (side, side, bands)
    pixels = np.full(shape, 255, np.uint8)
    ink = (0, 0, 0, 255)[:bands] if bands > 1 else 0
    width = max(2, side // 20)
    points = [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]
    corners = [(int(x * side), int(y * side)) for x, y in points]
    cv2.polylines(pixels, [np.array(corners, np.int32)], False, ink, width)
    if transparent:
        # Paper made transparent around the digit: alpha must be composited.
        pixels[:, :, 3] = np.where(pixels[:, :, 0] > 128, 0, 255)
    return Image.fromarray(pixels, mode)


def cases(quick):
    """(name, side, mode, transparent[, format]) of each picture measured (PNG unless
    said)."""
    worst = [
        ("40 MP PNG, grey", SIDE_40MP, "L", False),
        ("40 MP PNG, RGB", SIDE_40MP, "RGB", False),
        ("40 MP PNG, RGBA with transparency", SIDE_40MP, "RGBA", True),
    ]
    if quick:
        return worst[1:2]
    return worst + [
        ("40 MP JPEG, RGB", SIDE_40MP, "RGB", False, "JPEG"),
        ("16.8 MP JPEG, RGB (the largest JPEG decoded whole)", 4096, "RGB", False, "JPEG"),
        ("8.4 MP PNG, RGB (the largest PNG decoded whole)", 2896, "RGB", False),
        ("4.2 MP PNG, RGBA with transparency (the largest decoded whole)", 2048, "RGBA", True),
    ]


def run(quick=False):
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for name, side, mode, transparent, *kind in cases(quick):
            kind = kind[0] if kind else "PNG"
            path = Path(folder) / f"picture.{kind.lower()}"
            picture(side, mode, transparent).save(
                path, kind, **({"quality": 90} if kind == "JPEG" else {})
            )
            measured = run_child(_CHILD, path)
            results.append(
                {
                    "picture": name,
                    "pixels": side * side,
                    "file_kb": round(path.stat().st_size / 1024, 1),
                    **measured,
                    "meets_target": measured["over_idle_mb"] <= TARGET_MB,
                }
            )
    return {
        "benchmark": "upload_memory",
        "target_over_idle_mb": TARGET_MB,
        "uploads": results,
        "worst_over_idle_mb": max(result["over_idle_mb"] for result in results),
        "meets_target": all(result["meets_target"] for result in results),
        "machine": machine(),
    }


if __name__ == "__main__":
    arguments = parser(__doc__)
    arguments.add_argument("--out", help="also write the results to this JSON file")
    arguments = arguments.parse_args()
    result = emit(run(arguments.quick))
    if arguments.out:
        Path(arguments.out).write_text(json.dumps(result, indent=2) + "\n")
