"""Peak memory: a fresh process loads the predictor and reads drawings; its peak RSS.

One process per engine, so each number is that engine's alone.

    python -m bench.memory [--quick] [--mnist-dir DIR]
"""

import json
import subprocess
import sys

from bench.common import ROOT, emit, machine, parser

DRAWINGS = 100
QUICK_DRAWINGS = 10

_CHILD = """
import json, resource, sys, time
started = time.perf_counter()
from model.inference import Predictor
predictor = Predictor.load(engine=sys.argv[1])
loaded = time.perf_counter() - started
from bench.common import canvases
drawings = canvases(sys.argv[3] or None, int(sys.argv[2]))
digits = [predictor.predict(canvas).digit for canvas in drawings]
print(json.dumps({
    "engine": predictor.engine.name,
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "tensorflow_imported": "tensorflow" in sys.modules,
    "import_and_load_seconds": round(loaded, 3),
    "drawings_read": len(digits),
}))
"""


def measure(engine, mnist_dir=None, drawings=DRAWINGS):
    """Peak RSS of a fresh Python process that loads `engine` and reads `drawings` canvases."""
    output = subprocess.run(
        [sys.executable, "-c", _CHILD, engine, str(drawings), mnist_dir or ""],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(mnist_dir=None, quick=False):
    drawings = QUICK_DRAWINGS if quick else DRAWINGS
    return {
        "benchmark": "memory",
        "drawings": drawings,
        "litert": measure("litert", mnist_dir, drawings),
        "keras": measure("keras", mnist_dir, drawings),
        "machine": machine(),
    }


if __name__ == "__main__":
    arguments = parser(__doc__).parse_args()
    emit(run(arguments.mnist_dir, arguments.quick))
