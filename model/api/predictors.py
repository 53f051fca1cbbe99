"""The active model version's predictors, shared by the API's concurrent requests.

A LiteRT interpreter is not thread-safe, so each request borrows a predictor of its own from a
small pool and gives it back. Each interpreter runs on one thread: the pool, not the
interpreter, spreads the requests over the cores (measured here: one image takes 0.84 ms on one
thread, 1.98 ms on two, when other programs busy the cores).

The registry's manifest is looked at (one `stat`) at most once a second; when another process
activated another version, the next request loads it, so every replica on one registry folder
serves the same version.
"""

import contextlib
import os
import queue
import threading
import time
from dataclasses import dataclass

from model.errors import RegistryError
from model.inference.engines import LiteRTEngine
from model.operations.registry import Registry

CHECK_EVERY = 1.0  # seconds between looks at the registry's manifest


@dataclass
class Pool:
    """The predictors of one model version."""

    version: str
    predictors: queue.Queue
    card: dict


class ModelUnavailable(RuntimeError):
    """No verified model version can be served now; the message says why."""


class Predictors:
    """`borrow()` one of `size` predictors of the registry's active version.

    Args:
        size: predictors (LiteRT interpreters) kept, so that many requests run at once.
        registry_folder: the registry (default: $DIGITS_REGISTRY, else data/registry).
    """

    def __init__(self, size=2, registry_folder=None, interpreter_threads=1):
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        self.size = size
        self.interpreter_threads = interpreter_threads
        self.registry_folder = registry_folder
        self._pool = None
        self._error = None
        self._stamp = object()  # never equal to a manifest's stat: the first look loads
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def registry(self):
        return Registry(self.registry_folder)

    def _manifest_stamp(self, registry):
        try:
            stat = os.stat(registry.manifest_path)
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

    def _fresh(self, now):
        # Looked at recently, and the look settled something (a pool or why there is none).
        settled = self._pool is not None or self._error is not None
        return settled and now - self._checked < CHECK_EVERY

    def refresh(self, force=False):
        """Loads the active version if the manifest changed since the last look; callers
        that arrive while it loads wait for it."""
        if not force and self._fresh(time.monotonic()):
            return
        with self._lock:
            if not force and self._fresh(time.monotonic()):
                return
            try:
                registry = self.registry()
                stamp = self._manifest_stamp(registry)
                if stamp == self._stamp and self._pool is not None and not force:
                    return  # a refused version is looked at again: its files may be mended
                self._stamp = stamp
                if self._pool and self._pool.version == registry.active and not self._error:
                    return
                predictors = queue.Queue()
                for _ in range(self.size):
                    predictors.put(self._load(registry))
                card = predictors.queue[0].card
                self._pool, self._error = Pool(registry.active, predictors, card), None
            except (RegistryError, FileNotFoundError) as error:
                # A refused version is not served, as the app refuses it.
                self._pool, self._error = None, str(error)
            finally:
                self._checked = time.monotonic()

    def _load(self, registry):
        predictor = registry.load_predictor()
        if isinstance(predictor.engine, LiteRTEngine):
            # The same verified flat buffer, on fewer threads (see the module's docstring).
            predictor.engine = LiteRTEngine(predictor.engine.path, self.interpreter_threads)
        return predictor

    def status(self):
        """(version, None) when a verified version is loaded, else (None, why not)."""
        self.refresh()
        pool = self._pool
        return (pool.version, None) if pool else (None, self._error or "no model loaded yet")

    @property
    def card(self):
        pool = self._pool
        return pool.card if pool else {}

    @contextlib.contextmanager
    def borrow(self):
        """Yields (version, predictor); the predictor is the caller's alone until it exits.

        Raises:
            ModelUnavailable: the active version cannot be loaded (tampered, missing).
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
