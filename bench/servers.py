"""Real servers on free loopback ports: the API (`python -m model serve`) and the app
(`streamlit run app.py`), and the flags Debian's Chromium is driven with; for the benchmarks
that measure them and for the tests that drive them."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.common import ROOT

START_TIMEOUT = 90.0
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ready(url):
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _children(pid):
    """The pids of a process's children (Linux /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def connections_per_worker(server_pid, port):
    """How many established TCP connections on `port` each worker process of a server
    holds, most first, workers holding none left out (Linux /proc; [] elsewhere)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                established.add(fields[9])  # the socket's inode
    counts = []
    for pid in [server_pid, *_children(server_pid)]:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        sockets = sum(link[8:-1] in established for link in links if link.startswith("socket:"))
        if sockets:
            counts.append(sockets)
    return sorted(counts, reverse=True)


@contextlib.contextmanager
def running_server(env=None, workers=1, predictors=2, log=None, started=None):
    """Starts the API on 127.0.0.1 and yields its base URL once /readyz answers 200.

    Args:
        env: extra environment variables (the feedback store, the registry, the API key).
        workers, predictors: as `python -m model serve` takes them.
        log: a file to write the server's output to (default: discarded).
        started: called with the server's `subprocess.Popen` once it is ready.

    Raises:
        RuntimeError: the server exited or was not ready within START_TIMEOUT seconds.
    """
    port = free_port()
    command = [sys.executable, "-m", "model", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--predictors", str(predictors)]
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _ready(url):
            if server.poll() is not None:
                raise RuntimeError(f"the API server exited with {server.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API server was not ready in {START_TIMEOUT:g} s")
            time.sleep(0.1)
        if started:
            started(server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if log:
            output.close()


def start_streamlit(data_dir, log, env=None):
    """Starts `streamlit run app.py` on a free port, its output going to the open file `log`.

    The server gets its own feedback database and model registry in `data_dir`, so it writes
    nothing in the repository's data/; `env` adds environment variables of its own.

    Returns:
        (the server process, its URL).
    """
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DIGITS_FEEDBACK_DB": str(Path(data_dir) / "feedback.db"),
            "DIGITS_REGISTRY": str(Path(data_dir) / "registry"),
            **(env or {}),
        },
    )
    return server, f"http://127.0.0.1:{port}"


def wait_until_healthy(url, server, deadline):
    """Returns once the server answers its health check.

    Raises:
        RuntimeError: it exited, or did not answer before `deadline` (time.monotonic()).
    """
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.05)
    raise RuntimeError("streamlit did not start")
