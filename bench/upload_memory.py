"""Memory of the worst uploads allowed, through the app's path and the API's: peak RSS over idle.

The app's path: a fresh process loads the predictor and reads a canvas drawing, then decodes
and reads the file's bytes as the Upload page does (`load_image`, then `Predictor.read`).
The API's path: a fresh `python -m model serve` answers one small request, then one
`POST /v1/read` of the file. In both the peak RSS is reset (/proc/PID/clear_refs) just
before the upload; the figure is the peak after it over the RSS then (idle). The pictures
are the largest allowed in each kind that costs memory: 40 MP in each PNG mode, a 40 MP
JPEG, the largest decoded whole, 16-bit PNG and TIFF, 1-bit and palette pictures, extreme
aspect ratios, several frames, WebP; each is mostly paper with one big 7, so the files are
small while their pixels are many. Then 10 concurrent maximal batch requests to one server
(49.5 MB of junk bytes each, and 32 worst pictures each), and how long an ordinary
`/v1/predict` waits while two batches of worst pictures are read.

    python -m bench.upload_memory [--quick] [--path app|api] [--out FILE]
"""

import io
import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from bench.common import emit, machine, parser, run_child

TARGET_MB = 150  # over the idle process, per upload
CONCURRENT_TARGET_MB = 500  # over the idle server, 10 concurrent maximal batch requests
SIDE_40MP = 6300  # 39.7 MP, just under the 40 MP limit

_CHILD = """
import json, sys, time
import numpy as np
def peak_mb(field="VmHWM"):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
from model.errors import InvalidImageError
from model.inference.image_io import load_image
from model.inference.predictor import Predictor
predictor = Predictor.load()
predictor.read(np.full((360, 460, 4), 255, np.uint8))
data = open(sys.argv[1], "rb").read()
open("/proc/self/clear_refs", "w").write("5")  # the peak starts again from here
idle = peak_mb("VmRSS")
started = time.perf_counter()
try:
    answer = {"read": predictor.read(load_image(data)).text}
except InvalidImageError as error:
    answer = {"refused": str(error)}
seconds = time.perf_counter() - started
print(json.dumps({
    "idle_rss_mb": round(idle, 1),
    "peak_rss_mb": round(peak_mb(), 1),
    "over_idle_mb": round(peak_mb() - idle, 1),
    "read_seconds": round(seconds, 2),
    **answer,
}))
"""


def picture(side, mode, transparent=False, width=None):
    """A picture `side` px tall (`width` wide, default square) of white paper with a big
    black 7, as a PIL image of `mode` ("L", "RGB" or "RGBA")."""
    width = width or side
    bands = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    shape = (side, width) if bands == 1 else (side, width, bands)
    pixels = np.full(shape, 255, np.uint8)
    ink = (0, 0, 0, 255)[:bands] if bands > 1 else 0
    stroke = max(2, min(side, width) // 20)
    left = (width - min(side, width)) // 2  # a square drawing in the middle
    points = [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]
    corners = [(left + int(x * min(side, width)), int(y * side)) for x, y in points]
    cv2.polylines(pixels, [np.array(corners, np.int32)], False, ink, stroke)
    if transparent:
        # Paper made transparent around the digit: alpha must be composited.
        pixels[:, :, 3] = np.where(pixels[:, :, 0] > 128, 0, 255)
    return Image.fromarray(pixels, mode)


def _saved(image, kind="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def _sixteen_bit(side):
    grey = np.asarray(picture(side, "L")).astype(np.uint16) * 257
    return Image.fromarray(grey)  # "I;16"


def _grainy(side):
    """The 7 on paper with grain: a JPEG of many megabytes (about 8 MB at 4096 px)."""
    pixels = np.asarray(picture(side, "RGB")).astype(np.int16)
    grain = np.random.default_rng(0).integers(0, 40, pixels.shape, dtype=np.int16)
    return Image.fromarray(np.clip(pixels - grain, 0, 255).astype(np.uint8))


def _four_bit(image):
    """A grey picture as a 16-colour palette picture (white paper, black ink at index 5)."""
    indices = np.where(np.asarray(image.convert("L")) < 128, 5, 0).astype(np.uint8)
    palette = Image.fromarray(indices, "P")
    palette.putpalette([255, 255, 255] + [0, 0, 0] * 15)
    return palette


def _frames(side, count):
    first = picture(side, "L")
    return _saved(
        first,
        "TIFF",
        compression="tiff_lzw",
        save_all=True,
        append_images=[Image.new("L", (side, side), 255)] * (count - 1),
    )


def cases(quick):
    """(name, pixels, bytes of the file) of each picture measured."""
    side = SIDE_40MP
    worst = [
        ("40 MP PNG, RGBA with transparency", side**2, lambda: _saved(picture(side, "RGBA", True))),
        (
            "40,000,000 x 1 PNG, RGBA",
            40_000_000,
            lambda: _saved(Image.new("RGBA", (40_000_000, 1), (255, 255, 255, 255))),
        ),
    ]
    if quick:
        return worst
    return worst + [
        ("40 MP PNG, grey", side**2, lambda: _saved(picture(side, "L"))),
        ("40 MP PNG, RGB", side**2, lambda: _saved(picture(side, "RGB"))),
        ("40 MP JPEG, RGB", side**2, lambda: _saved(picture(side, "RGB"), "JPEG", quality=90)),
        (
            "16.8 MP JPEG, RGB (the largest JPEG decoded whole)",
            4096**2,
            lambda: _saved(picture(4096, "RGB"), "JPEG", quality=90),
        ),
        (
            "16.8 MP JPEG, RGB, grainy paper (8.3 MB, the largest JPEG decoded whole)",
            4096**2,
            lambda: _saved(_grainy(4096), "JPEG", quality=95),
        ),
        (
            "8.4 MP PNG, RGB (the largest PNG decoded whole)",
            2896**2,
            lambda: _saved(picture(2896, "RGB")),
        ),
        (
            "4.2 MP PNG, RGBA with transparency (the largest decoded whole)",
            2048**2,
            lambda: _saved(picture(2048, "RGBA", True)),
        ),
        (
            "40,000,000 x 1 PNG, grey",
            40_000_000,
            lambda: _saved(Image.new("L", (40_000_000, 1), 255)),
        ),
        (
            "65,535 x 610 PNG, RGBA with transparency (the widest allowed)",
            65535 * 610,
            lambda: _saved(picture(610, "RGBA", True, width=65535)),
        ),
        ("31 MP 16-bit PNG, grey", 5600**2, lambda: _saved(_sixteen_bit(5600))),
        (
            "31 MP 16-bit TIFF, grey, one strip",
            5600**2,
            lambda: _saved(_sixteen_bit(5600), "TIFF", compression="tiff_lzw", strip_size=2**31),
        ),
        ("40 MP 1-bit PNG", side**2, lambda: _saved(picture(side, "L").convert("1"))),
        (
            "40 MP 1-bit TIFF (group 4)",
            side**2,
            lambda: _saved(picture(side, "L").convert("1"), "TIFF", compression="group4"),
        ),
        (
            "40 MP palette PNG, 4-bit",
            side**2,
            lambda: _saved(_four_bit(picture(side, "L")), bits=4),
        ),
        ("40 MP palette PNG, 8-bit", side**2, lambda: _saved(picture(side, "RGB").convert("P"))),
        ("40 MP BMP, 1-bit", side**2, lambda: _saved(picture(side, "L").convert("1"), "BMP")),
        ("3 frames of 16 MP TIFF", 3 * 4000**2, lambda: _frames(4000, 3)),
        ("40 MP WebP, RGB", side**2, lambda: _saved(picture(side, "RGB"), "WEBP", quality=80)),
    ]


def _server_mb(pid, field="VmHWM"):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def _small_png():
    return _saved(picture(280, "L"))


class _Server:
    """A fresh API server, its process id, and an HTTP client for it."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def __enter__(self):
        import contextlib

        import httpx

        from bench.servers import running_server

        self._stack = contextlib.ExitStack()
        env = {
            "DIGITS_FEEDBACK_DB": str(self.folder / "feedback.db"),
            "DIGITS_REGISTRY": str(self.folder / "registry"),
        }
        processes = []
        self.url = self._stack.enter_context(running_server(env, started=processes.append))
        self.pid = processes[0].pid
        self.client = self._stack.enter_context(httpx.Client(base_url=self.url, timeout=600))
        answer = self.client.post("/v1/read", files={"file": ("canvas.png", _small_png())})
        answer.raise_for_status()
        time.sleep(0.5)
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # the peak starts from here
        self.idle_mb = _server_mb(self.pid, "VmRSS")
        return self

    def __exit__(self, *error):
        self._stack.close()


def _api_case(data, folder):
    with _Server(folder) as server:
        started = time.perf_counter()
        answer = server.client.post("/v1/read", files={"file": ("picture", data)})
        seconds = time.perf_counter() - started
        body = answer.json()
        peak = _server_mb(server.pid)
        outcome = (
            {"read": body["text"]}
            if answer.status_code == 200
            else {"refused": f"{answer.status_code}: {body['error']['message']}"}
        )
        return {
            "idle_rss_mb": round(server.idle_mb, 1),
            "peak_rss_mb": round(peak, 1),
            "over_idle_mb": round(peak - server.idle_mb, 1),
            "read_seconds": round(seconds, 2),
            **outcome,
        }


def _post_batches(server, bodies):
    """POSTs each batch (a list of (name, bytes)) at once; their status codes."""
    import httpx

    def post(files):
        try:  # each a client of its own, as separate systems
            with httpx.Client(base_url=server.url, timeout=600) as client:
                answer = client.post("/v1/read/batch", files=[("files", item) for item in files])
            return answer.status_code
        except Exception as error:  # noqa: BLE001 (a refused connection is an answer too)
            return type(error).__name__

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def _counts(statuses):
    counted = {}
    for status in statuses:
        counted[str(status)] = counted.get(str(status), 0) + 1
    return counted


def _concurrent(folder, files, name, requests=10):
    with _Server(folder) as server:
        started = time.perf_counter()
        statuses = _post_batches(server, [files] * requests)
        seconds = time.perf_counter() - started
        peak = _server_mb(server.pid)
        time.sleep(1)
        after = _server_mb(server.pid, "VmRSS")
        return {
            "requests": f"{requests} concurrent POST /v1/read/batch, each {name}",
            "request_mb": round(sum(len(data) for _, data in files) / 2**20, 1),
            "statuses": _counts(statuses),
            "seconds": round(seconds, 1),
            "idle_rss_mb": round(server.idle_mb, 1),
            "over_idle_mb": round(peak - server.idle_mb, 1),
            "rss_after_mb": round(after, 1),
            "meets_target": peak - server.idle_mb <= CONCURRENT_TARGET_MB,
        }


def _predict_beside_batches(folder, files):
    """How long an ordinary /v1/predict takes while two batches of `files` are read."""
    with _Server(folder) as server:
        batches = threading.Thread(target=_post_batches, args=(server, [files] * 2))
        batches.start()
        time.sleep(2)
        started = time.perf_counter()
        answer = server.client.post("/v1/predict", files={"file": ("canvas.png", _small_png())})
        waited = time.perf_counter() - started
        batches.join()
        return {
            "requests": "POST /v1/predict of a small PNG, 2 s after 2 batches of 32 40 MP PNGs",
            "status": answer.status_code,
            "predict_seconds": round(waited, 2),
        }


def run(quick=False, paths=("app", "api")):
    uploads = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for name, pixels, make in cases(quick):
            data = make()
            path = folder / "picture"
            path.write_bytes(data)
            for where in paths:
                measured = (
                    run_child(_CHILD, path) if where == "app" else _api_case(data, folder / where)
                )
                uploads.append(
                    {
                        "picture": name,
                        "path": where,
                        "pixels": pixels,
                        "file_kb": round(len(data) / 1024, 1),
                        **measured,
                        "meets_target": measured["over_idle_mb"] <= TARGET_MB,
                    }
                )
                print(json.dumps(uploads[-1]), flush=True)
        concurrent = []
        if "api" in paths:
            rng = np.random.default_rng(0)
            junk = [(f"junk{i}.png", rng.bytes(int(9.9 * 2**20))) for i in range(5)]
            worst = [("grey.png", _saved(picture(SIDE_40MP, "L")))] * 32
            concurrent.append(_concurrent(folder / "junk", junk, "5 files of 9.9 MB of junk bytes"))
            if not quick:
                concurrent.append(
                    _concurrent(folder / "worst", worst, "32 40 MP grey PNGs (a 7 each)")
                )
                concurrent.append(_predict_beside_batches(folder / "beside", worst))
            for result in concurrent:
                print(json.dumps(result), flush=True)
    return {
        "benchmark": "upload_memory",
        "target_over_idle_mb": TARGET_MB,
        "concurrent_target_over_idle_mb": CONCURRENT_TARGET_MB,
        "uploads": uploads,
        "concurrent": concurrent,
        "worst_over_idle_mb": max(result["over_idle_mb"] for result in uploads),
        "meets_target": all(
            result["meets_target"] for result in uploads + concurrent if "meets_target" in result
        ),
        "machine": machine(),
    }


if __name__ == "__main__":
    arguments = parser(__doc__)
    arguments.add_argument("--out", help="also write the results to this JSON file")
    arguments.add_argument("--path", choices=["app", "api"], help="only this path")
    arguments = arguments.parse_args()
    result = emit(run(arguments.quick, (arguments.path,) if arguments.path else ("app", "api")))
    if arguments.out:
        Path(arguments.out).write_text(json.dumps(result, indent=2) + "\n")
