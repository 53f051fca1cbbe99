"""The model version's predictors, shared by the API's concurrent requests.

Each predictor is built as the app, the CLI and `Predictor.load` build theirs
(`serving_model`, then `Predictor.load`: every member of the ensemble), so the API gives the
same digit, confidence and unsure flag for the same bytes. A LiteRT interpreter is not
thread-safe, so each request borrows a predictor of its own from a small pool and gives it
back. Each interpreter runs on one thread: the pool, not the interpreter, spreads the requests
over the cores (measured here: one image takes 0.84 ms on one thread, 1.98 ms on two, when
other programs busy the cores).

The registry's manifest is looked at (one `stat`) at most once a second; when another process
activated another version, the next request loads it, so every replica on one registry folder
serves the same version. A registry that cannot be read, or an active version that is refused,
makes the API read with the bundled v1, checked against its committed checksums, as the app
does; it is looked at again every second until it is mended.
"""

import contextlib
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from model import paths
from model.errors import RegistryError
from model.inference.engines import limit_opencv_threads
from model.inference.predictor import Predictor
from model.operations.registry import Registry, default_folder, serving_model, verify_bundled

CHECK_EVERY = 1.0  # seconds between looks at the registry's manifest


@dataclass
class Pool:
    """The predictors of one model version.

    problem: why the bundled v1 is served instead of the registry's active version (None
        when it is the active one).
    """

    version: str
    model_file: Path
    predictors: queue.Queue
    card: dict
    problem: str | None = None


class ModelUnavailable(RuntimeError):
    """No verified model version can be served now; the message says why."""


class Predictors:
    """`borrow()` one of `size` predictors of the registry's active version.

    Args:
        size: predictors (LiteRT interpreters) kept, so that many requests run at once.
        registry_folder: the registry (default: $DIGITS_REGISTRY, else data/registry).
        interpreter_threads: threads per LiteRT interpreter.
    """

    def __init__(self, size=2, registry_folder=None, interpreter_threads=1):
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        self.size = size
        self.interpreter_threads = interpreter_threads
        # Requests are the parallelism here: OpenCV's threads within one would only cost CPU.
        limit_opencv_threads(interpreter_threads)
        self.registry_folder = registry_folder
        self._pool = None
        self._error = None
        self._stamp = object()  # never equal to a manifest's stat: the first look loads
        self._checked = float("-inf")
        self._lock = threading.Lock()

    @property
    def folder(self):
        return Path(self.registry_folder) if self.registry_folder else default_folder()

    def _manifest_stamp(self):
        try:
            stat = os.stat(self.folder / paths.MANIFEST_FILE)
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

    def _fresh(self, now):
        # Looked at recently, and the look settled something (a pool or why there is none).
        settled = self._pool is not None or self._error is not None
        return settled and now - self._checked < CHECK_EVERY

    def refresh(self, force=False):
        """Loads the model to serve if the manifest changed since the last look (or the
        active version was refused: its files may be mended); callers that arrive while it
        loads wait for it."""
        if not force and self._fresh(time.monotonic()):
            return
        with self._lock:
            if not force and self._fresh(time.monotonic()):
                return
            try:
                stamp = self._manifest_stamp()
                pool = self._pool
                healthy = pool is not None and pool.problem is None
                if stamp == self._stamp and healthy and not force:
                    return
                self._stamp = stamp
                serving = serving_model(self.folder)
                if (
                    pool
                    and pool.version == serving.version
                    and pool.model_file == serving.model_file
                ):
                    pool.problem = serving.problem
                    self._error = None
                    return
                predictors = queue.Queue()
                for _ in range(self.size):
                    predictors.put(self._load(serving.model_file))
                card = predictors.queue[0].card
                self._pool = Pool(
                    serving.version, serving.model_file, predictors, card, serving.problem
                )
                self._error = None
            except (RegistryError, FileNotFoundError) as error:
                # Even the bundled v1 is refused: nothing is served.
                self._pool, self._error = None, str(error)
            finally:
                self._checked = time.monotonic()

    def _load(self, model_file):
        # The one way a reader is built (see the module's docstring), on fewer threads.
        return Predictor.load(model_file, threads=self.interpreter_threads)

    def status(self):
        """(version, None) when a verified version is loaded, else (None, why not)."""
        self.refresh()
        pool = self._pool
        return (pool.version, None) if pool else (None, self._error or "no model loaded yet")

    def serving(self):
        """The pool now served (after a look at the registry), or None when none can be."""
        self.refresh()
        return self._pool

    def checksums(self, pool):
        """ "ok" when the served version's files still match their checksums, else why not."""
        if pool is None:
            return self._error or "no model loaded yet"
        try:
            if pool.problem:
                verify_bundled()
            else:
                Registry(self.folder).verify(pool.version)
        except RegistryError as error:
            return str(error)
        return "ok"

    @property
    def card(self):
        pool = self._pool
        return pool.card if pool else {}

    @contextlib.contextmanager
    def borrow(self):
        """Yields (version, predictor); the predictor is the caller's alone until it exits.

        Raises:
            ModelUnavailable: no verified version can be loaded (even the bundled v1 is
                refused).
        """
        self.refresh()
        pool = self._pool
        if pool is None:
            raise ModelUnavailable(self._error or "no model loaded yet")
        predictor = pool.predictors.get()
        try:
            yield pool.version, predictor
        finally:
            pool.predictors.put(predictor)
