"""Load on the HTTP API: a real uvicorn server on loopback, 1, 8 and 32 concurrent clients
sending 280x280 canvas drawings (PNG) to POST /v1/predict, beside `Predictor.predict` on the
same PNGs in this process.

Every answer is checked against `Predictor.predict` on the same bytes in this process (digit,
confidence and unsure flag), and before the load, MNIST test digits that the ensemble's first
network alone reads otherwise (#2053 among them) are sent once each and checked too.

Each level runs for a fixed time and the server is stopped at the end, however the run ends.
The clients are threads of one child process, each with its own keep-alive connection
(http.client, the cheapest client in the standard library), so the client's own cost is
small but shares the machine's cores with the server. Other programs on the machine slow the
wall-clock figures; the CPU time the server and the clients spent per request is reported too,
since it depends less on them, with where it goes (`cpu_ms_per_request`: decoding, finding
the digit, the model, the HTTP server, the client), and how the connections were spread over
the worker processes halfway through each level.

    python -m bench.api --mnist-dir ../shared/mnist --out bench/api.json  # 2 workers x 1 predictor
    python -m bench.api --quick [--workers N] [--predictors N]  # 1 s a level
"""

import http.client
import io
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench.common import canvases, emit, machine, parser, run_child, summary, time_calls
from bench.servers import connections_per_worker, running_server

CLIENTS = (1, 8, 32)
SECONDS = 8.0
QUICK_SECONDS = 1.0
DRAWINGS = 200
# Issue 26: on this 2-core machine, answers checked, in every run.
TARGET = {"clients": 8, "requests_per_second": 1000, "p95_ms": 20.0}

# MNIST test digits that the bundled ensemble's first network alone reads otherwise.
DISAGREEING = (2053, 2771, 9792, 8326, 4201, 5654, 2720, 1459, 1014, 2182, 2293, 6571)

# Runs in a child process: `clients` threads post the PNGs for `seconds`, then prints the
# latencies (ms), the errors and the answers that differ from the in-process ones
# (expected.json: [digit, confidence, uncertain] per PNG).
_LOAD = """
import http.client, json, sys, threading, time
port, clients, seconds, folder = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
pngs = [open(f"{folder}/{index}.png", "rb").read() for index in range(int(sys.argv[5]))]
expected = json.load(open(f"{folder}/expected.json"))
latencies, errors, different = [], [], []
start = threading.Barrier(clients + 1)

def client(number):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    start.wait()
    stop = time.perf_counter() + seconds
    index = number
    while time.perf_counter() < stop:
        png = index % len(pngs)
        began = time.perf_counter()
        try:
            connection.request("POST", "/v1/predict", pngs[png], {"Content-Type": "image/png"})
            answer = connection.getresponse()
            body = answer.read()
            if answer.status != 200:
                errors.append(f"HTTP {answer.status}")
            else:
                got = json.loads(body)
                if [got["digit"], got["confidence"], got["uncertain"]] != expected[png]:
                    different.append(png)
        except (OSError, http.client.HTTPException) as error:
            errors.append(type(error).__name__)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies.append((time.perf_counter() - began) * 1000)
        index += clients

threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
for thread in threads:
    thread.start()
start.wait()
began, cpu = time.perf_counter(), time.process_time()
for thread in threads:
    thread.join()
elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
print(json.dumps({"latencies": latencies, "errors": errors, "different": different,
                  "seconds": elapsed, "cpu_seconds": cpu}))
"""


def _png(drawing):
    buffer = io.BytesIO()
    Image.fromarray(drawing).save(buffer, format="PNG")
    return buffer.getvalue()


def _tree_cpu_seconds(root):
    """CPU seconds (user and system) of a process and its children so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(stat.parent.name), int(fields[1])
        if root in (pid, parent):
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _expected(answer):
    """What an answer is checked on: the digit, the confidence (as sent) and the flag."""
    answer = answer if isinstance(answer, dict) else answer.to_json()
    return [answer["digit"], answer["confidence"], answer["uncertain"]]


def _level(port, clients, seconds, folder, count, server_pid):
    """One load level's figures."""
    server_cpu = _tree_cpu_seconds(server_pid)
    # How the clients' connections are spread over the workers, looked at halfway.
    split = threading.Timer(seconds / 2, lambda: looks.append(connections_per_worker(*where)))
    looks, where = [], (server_pid, port)
    split.start()
    result = run_child(_LOAD, port, clients, seconds, folder, count)
    split.join()
    server_cpu = _tree_cpu_seconds(server_pid) - server_cpu
    latencies = result["latencies"]
    wrong = len(result["different"])
    errors = len(result["errors"]) + wrong
    return {
        "clients": clients,
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / result["seconds"], 1),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "errors": errors,
        "connections_per_worker": looks[0] if looks else None,
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(latencies)), 2),
        "client_cpu_ms_per_request": round(
            1000 * result["cpu_seconds"] / max(1, len(latencies)), 2
        ),
        **({"error_kinds": sorted(set(result["errors"]))[:5]} if result["errors"] else {}),
        **({"different_answers": wrong} if wrong else {}),
    }


def _check_disagreeing(port, mnist_dir, predictor):
    """Sends the DISAGREEING MNIST test digits once each; returns how many answers differ
    from `predictor`'s on the same bytes."""
    from model.data.mnist import load_mnist

    digits = load_mnist(mnist_dir, validation_size=0).x_test
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    different = 0
    for index in DISAGREEING:
        png = _png(digits[index])
        connection.request("POST", "/v1/predict", png, {"Content-Type": "image/png"})
        answer = connection.getresponse()
        body = json.loads(answer.read())
        different += answer.status != 200 or _expected(body) != _expected(predictor.predict(png))
    connection.close()
    return different


def _cpu_ms(call, inputs):
    """CPU milliseconds (every thread of this process) per call of `call` on `inputs`."""
    started = time.process_time()
    for item in inputs:
        call(item)
    return (time.process_time() - started) * 1000 / len(inputs)


def _predict_steps(predictor, pngs, rounds):
    """CPU milliseconds per picture of `Predictor.predict` and of its steps on the same PNGs,
    after a first pass: decoding, finding the digit and making its 28x28 image, the model
    (both networks and the gate); the rest of predict is what is left (calibration, the
    answer). Each is the least of `rounds` passes, the steps taking turns (a busy spell of
    the machine then slows every step, not one)."""
    from model.inference.engines import limit_opencv_threads
    from model.inference.image_io import load_image_scaled
    from model.inference.preprocess import locate

    limit_opencv_threads(1)  # as in the server's predictors (OpenCV's second thread only spins)

    arrays = [load_image_scaled(png)[0] for png in pngs]
    images = [image for image in (locate(array)[0] for array in arrays) if image is not None]
    for png in pngs:
        predictor.predict(png)
    calls = {
        "predict": (predictor.predict, pngs),
        "decode_png": (load_image_scaled, pngs),
        "find_digit": (locate, arrays),
        "model": (lambda image: predictor.raw_outputs(image[None]), images),
    }
    passes = {name: [] for name in calls}
    for _ in range(rounds):
        for name, (call, inputs) in calls.items():
            passes[name].append(_cpu_ms(call, inputs))
    steps = {name: round(min(times), 3) for name, times in passes.items()}
    parts = steps["decode_png"] + steps["find_digit"] + steps["model"]
    steps["rest_of_predict"] = round(max(0.0, steps["predict"] - parts), 3)
    return steps


def _warm_up(port, png, calls=50):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(calls):
        connection.request("POST", "/v1/predict", png, {"Content-Type": "image/png"})
        connection.getresponse().read()
    connection.close()


def run(mnist_dir=None, quick=False, workers=2, predictors=1):
    """Measures the in-process baseline and the server under load; returns the JSON-ready
    result."""
    from model.inference.predictor import Predictor

    seconds = QUICK_SECONDS if quick else SECONDS
    pngs = [_png(drawing) for drawing in canvases(mnist_dir, DRAWINGS)]
    predictor = Predictor.load()
    expected = [_expected(predictor.predict(png)) for png in pngs]
    in_process = summary(time_calls(predictor.predict, pngs * (1 if quick else 3)))
    in_process["requests_per_second_one_thread"] = round(1000 / in_process["mean_ms"], 1)
    # On one thread, as each of the server's predictors runs.
    steps = _predict_steps(Predictor.load(threads=1), pngs, 2 if quick else 5)

    levels = []
    with tempfile.TemporaryDirectory() as folder:
        for index, png in enumerate(pngs):
            Path(folder, f"{index}.png").write_bytes(png)
        Path(folder, "expected.json").write_text(json.dumps(expected))
        env = {
            "DIGITS_FEEDBACK_DB": str(Path(folder) / "feedback.db"),
            "DIGITS_REGISTRY": str(Path(folder) / "registry"),
            "DIGITS_API_KEY": "",
        }
        server = []
        with running_server(env, workers, predictors, started=server.append) as url:
            port = int(url.rsplit(":", 1)[1])
            _warm_up(port, pngs[0])
            disagreeing_different = _check_disagreeing(port, mnist_dir, predictor)
            for clients in CLIENTS:
                levels.append(_level(port, clients, seconds, folder, len(pngs), server[0].pid))
    at_target = next(level for level in levels if level["clients"] == TARGET["clients"])
    cpu_ms = at_target["server_cpu_ms_per_request"] + at_target["client_cpu_ms_per_request"]
    cores = len(os.sched_getaffinity(0))
    where = {
        **steps,
        # The server's CPU per request beyond predict: HTTP parsing, FastAPI, the thread
        # hand-off, JSON (and predict's own cost being higher in a busy server).
        "http_server": round(
            max(0.0, at_target["server_cpu_ms_per_request"] - steps["predict"]), 3
        ),
        "client": at_target["client_cpu_ms_per_request"],
    }
    return {
        "benchmark": "api",
        "input": "280x280 RGBA canvas as PNG (MNIST test digits re-drawn with an 18 px pen), "
        "POST /v1/predict as the raw body, keep-alive connections",
        "server": {
            "workers": workers,
            "predictors_per_worker": predictors,
            "seconds_per_level": seconds,
        },
        "in_process_predict": {"input": "the same PNG bytes", **in_process},
        "answers_checked": "every answer's digit, confidence and unsure flag against "
        "in-process Predictor.predict on the same bytes (a difference counts as an error)",
        "disagreeing_digits": {
            "input": "MNIST test digits the first network alone reads otherwise, as 28x28 PNGs",
            "indices": list(DISAGREEING),
            "different_answers": disagreeing_different,
        },
        "http": levels,
        "cpu_ms_per_request": {
            "note": f"where a request's CPU time goes, at {TARGET['clients']} clients: "
            "predict's steps measured in this process (one thread, the least of a few "
            "passes), the rest of the server's and the client's CPU per request from the "
            "load level; CPU time depends less on other programs than wall-clock time",
            **where,
        },
        # What the cores could do if nothing else ran: the CPU time a request took, server and
        # client together, at the target's level. An estimate, not a measurement.
        "estimate_idle_machine_requests_per_second": round(cores * 1000 / cpu_ms, 1),
        "target": TARGET,
        "meets_target": None
        if quick
        else at_target["requests_per_second"] >= TARGET["requests_per_second"]
        and at_target["p95_ms"] <= TARGET["p95_ms"]
        and at_target["errors"] == 0
        and disagreeing_different == 0,
        "machine": machine(),
    }


if __name__ == "__main__":
    arguments = parser(__doc__)
    arguments.add_argument("--workers", type=int, default=2)
    arguments.add_argument("--predictors", type=int, default=1)
    arguments.add_argument("--out", help="also write the result to this JSON file")
    arguments = arguments.parse_args()
    result = run(arguments.mnist_dir, arguments.quick, arguments.workers, arguments.predictors)
    if arguments.out:
        Path(arguments.out).write_text(json.dumps(result, indent=2) + "\n")
    emit(result)
