"""Peak memory: a fresh process loads the predictor and reads drawings; its peak RSS.

One process per engine, so each number is that engine's alone. The drawings are made here
and handed over in a .npy file, so the child never loads MNIST.

    python -m bench.memory [--quick] [--mnist-dir DIR]
"""

import tempfile
from pathlib import Path

import numpy as np

from bench.common import canvases, emit, machine, parser, run_child

DRAWINGS = 50
QUICK_DRAWINGS = 10

_CHILD = """
import json, sys, time
import numpy as np
def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
drawings = np.load(sys.argv[2])
started = time.perf_counter()
from model.inference.predictor import Predictor
predictor = Predictor.load(engine=sys.argv[1])
loaded = time.perf_counter() - started
digits = [predictor.predict(canvas).digit for canvas in drawings]
print(json.dumps({
    "engine": predictor.engine.name,
    # VmHWM, not ru_maxrss: that one keeps the parent's peak across fork and exec.
    "peak_rss_mb": round(peak_kb() / 1024, 1),
    "tensorflow_imported": "tensorflow" in sys.modules,
    "import_and_load_seconds": round(loaded, 3),
    "drawings_read": len(digits),
}))
"""


def measure(engine, drawings_file):
    """Peak RSS of a fresh Python process that loads `engine` and reads the drawings."""
    return run_child(_CHILD, engine, drawings_file)


def run(mnist_dir=None, quick=False):
    drawings = canvases(mnist_dir, QUICK_DRAWINGS if quick else DRAWINGS)
    with tempfile.TemporaryDirectory() as folder:
        drawings_file = Path(folder) / "drawings.npy"
        np.save(drawings_file, np.stack(drawings))
        engines = {engine: measure(engine, drawings_file) for engine in ("litert", "keras")}
    return {"benchmark": "memory", "drawings": len(drawings), **engines, "machine": machine()}


if __name__ == "__main__":
    arguments = parser(__doc__).parse_args()
    emit(run(arguments.mnist_dir, arguments.quick))
