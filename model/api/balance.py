"""Keep-alive connections spread evenly over the worker processes of `serve --workers N`.

uvicorn's workers share one listening socket, and the first to wake accepts every
connection waiting: 8 clients connecting at once were split 5/3, 6/2 or 7/1 as often as 4/4,
and the worker holding more was the bottleneck (the issue's 546 to 1,081 requests/s from one
run to the next). Here each worker keeps its count of open connections in a small table
shared by the workers (`BalancedHttpToolsProtocol`), and a worker holding more than its
share (all connections / N, rounded up) answers with `Connection: close` (`shed`): the
client's next connection is accepted by the worker that is free first, mostly the one with
fewer. A client that keeps a connection open sees one reconnect; an even split sheds none.
"""

import contextlib
import fcntl
import os
import tempfile

import numpy as np
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

BALANCE_ENV = "DIGITS_API_BALANCE"  # "<workers>:<table file>", set by `serve`
_SLOT = np.dtype([("pid", "<i8"), ("connections", "<i8")])


class _Table:
    """This worker's slot in the table (a file mapped in memory by every worker): the pid
    and the open connections of each worker."""

    def __init__(self, path, workers):
        self.path = path
        self.slots = np.memmap(path, _SLOT, mode="r+", shape=(workers,))
        self.workers = workers
        self.index = self._claim()

    def _claim(self):
        """The first slot that is free or whose worker died, under a lock on the file; None
        when every slot is taken (a worker started while the one it replaces is still
        exiting): this worker then neither counts nor sheds."""
        with open(self.path, "rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for index, pid in enumerate(self.slots["pid"]):
                if pid == 0 or not _alive(int(pid)):
                    self.slots[index] = (os.getpid(), 0)
                    return index
        return None

    def count(self, connections):
        if self.index is not None:
            self.slots["connections"][self.index] = connections

    def over_share(self):
        if self.index is None:
            return False
        counts = self.slots["connections"]
        return counts[self.index] > -(-int(counts.sum()) // self.workers)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_table = None


def _worker_table():
    """This process's slot, or None when it is the only worker (no $DIGITS_API_BALANCE)."""
    global _table
    if _table is None:
        setting = os.environ.get(BALANCE_ENV)
        if not setting:
            return None
        workers, path = setting.split(":", 1)
        _table = _Table(path, int(workers))
    return _table


def shed():
    """Whether this worker holds more than its share of the connections: its answer should
    close the connection."""
    table = _worker_table()
    return table is not None and table.over_share()


class BalancedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, counting this worker's open connections in the table."""

    def connection_made(self, transport):
        super().connection_made(transport)
        table = _worker_table()
        if table is not None:
            table.count(len(self.connections))

    def connection_lost(self, exc):
        super().connection_lost(exc)
        table = _worker_table()
        if table is not None:
            table.count(len(self.connections))


@contextlib.contextmanager
def shared_table(workers):
    """Sets up the table for `workers` processes (in $DIGITS_API_BALANCE) while the server
    runs; nothing for one worker."""
    if workers < 2:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="digits-api-") as folder:
        path = os.path.join(folder, "connections")
        np.zeros(workers, _SLOT).tofile(path)
        os.environ[BALANCE_ENV] = f"{workers}:{path}"
        try:
            yield
        finally:
            os.environ.pop(BALANCE_ENV, None)
