"""`serve --workers 2` on a real server: keep-alive connections end up evenly spread over the
worker processes, whichever accepted them first."""

import http.client
import io
import os
import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from strokes import draw_digit

from bench.server import running_server

CLIENTS = 8
ROUNDS = 4  # a burst of 8 connections lands 4/4 about one time in three by itself


def _png(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _workers(server_pid):
    """The pids of the server's child processes."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server_pid:
            children.append(int(stat.parent.name))
    return children


def _connections_per_worker(pids, port):
    """How many established TCP connections on `port` each process holding any holds, most
    first (Linux /proc)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    established.add(fields[9])  # the socket's inode
    counts = {}
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        counts[pid] = sum(link[8:-1] in established for link in links if link.startswith("sock"))
    return sorted((count for count in counts.values() if count), reverse=True)


def _client(port, png, barrier, stop, errors):
    """Posts `png` on one keep-alive connection until `stop`; http.client opens a new
    connection after an answer that closed the last one."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    barrier.wait()
    while not stop.is_set():
        connection.request("POST", "/v1/predict", png)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            errors.append(answer.status)
    connection.close()


@pytest.mark.slow
def test_keep_alive_connections_are_spread_evenly_over_the_workers(tmp_path):
    png = _png(draw_digit(3, canvas_size=140, width=8))
    env = {
        "DIGITS_FEEDBACK_DB": str(tmp_path / "feedback.db"),
        "DIGITS_REGISTRY": str(tmp_path / "registry"),
        "DIGITS_API_KEY": "",
    }
    started = []
    with running_server(env, workers=2, predictors=1, started=started.append) as url:
        port = int(url.rsplit(":", 1)[1])
        pids = _workers(started[0].pid)
        for _ in range(ROUNDS):
            barrier, stop, errors = threading.Barrier(CLIENTS + 1), threading.Event(), []

            threads = [
                threading.Thread(target=_client, args=(port, png, barrier, stop, errors))
                for _ in range(CLIENTS)
            ]
            for thread in threads:
                thread.start()
            barrier.wait()
            time.sleep(3)
            splits = [_connections_per_worker(pids, port)]
            for _ in range(4):
                time.sleep(0.25)
                splits.append(_connections_per_worker(pids, port))
            stop.set()
            for thread in threads:
                thread.join()
            assert not errors
            # A connection may be being replaced at the moment of a look, not at all of them.
            assert [4, 4] in splits, splits
