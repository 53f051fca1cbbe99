"""What the benchmarks share: canvas-sized test drawings, timing and JSON output."""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CANVAS_SIZE = 280


def parser(description):
    """Arguments every benchmark takes: --quick (few repeats, for CI) and --mnist-dir."""
    arguments = argparse.ArgumentParser(description=description)
    arguments.add_argument("--quick", action="store_true", help="a few repeats only (CI)")
    arguments.add_argument("--mnist-dir", help="MNIST folder (default: $MNIST_DIR)")
    return arguments


def canvases(mnist_dir, count, seed=0, height=CANVAS_SIZE, width=None, brush=18):
    """`count` MNIST test digits re-drawn with a pen on white RGBA canvases, `height` px
    square; a wider `width` puts each square drawing at a random left offset."""
    from model.data.mnist import load_mnist
    from model.data.synthetic import canvas_digit

    digits = load_mnist(mnist_dir, validation_size=0).x_test
    rng = np.random.default_rng(seed)
    drawings = []
    for index in range(count):
        drawing = canvas_digit(
            digits[index], rng, height, height_fraction=0.6, brush=brush, style="white"
        )
        if width and width > height:
            left = int(rng.integers(0, width - height + 1))
            padding = ((0, 0), (left, width - height - left), (0, 0))
            drawing = np.pad(drawing, padding, constant_values=255)
        drawings.append(drawing)
    return drawings


def app_canvases(mnist_dir, count, seed=1):
    """`count` MNIST test digits drawn as on the draw page: the app's default 22 px brush on
    its 460x360 canvas, which returns opaque white RGBA."""
    return canvases(mnist_dir, count, seed, height=360, width=460, brush=22)


def time_calls(call, inputs, warmup=20):
    """Milliseconds per call of `call(x)` for each x in `inputs`, after `warmup` calls."""
    for item in inputs[:warmup]:
        call(item)
    times = []
    for item in inputs:
        started = time.perf_counter()
        call(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times_ms):
    """p50, p95 and mean of a list of milliseconds."""
    return {
        "calls": len(times_ms),
        "p50_ms": round(float(np.percentile(times_ms, 50)), 3),
        "p95_ms": round(float(np.percentile(times_ms, 95)), 3),
        "mean_ms": round(float(np.mean(times_ms)), 3),
    }


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine():
    """What the numbers were measured on."""
    return {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def run_child(code, *arguments):
    """Runs Python `code` in a fresh process (in the repository) and returns its last line
    of output, parsed as JSON."""
    child = subprocess.run(
        [sys.executable, "-c", code, *map(str, arguments)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        raise RuntimeError(f"the child process failed:\n{child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def emit(result):
    """Prints the result as JSON and returns it."""
    print(json.dumps(result, indent=2), flush=True)
    return result
