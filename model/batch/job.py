"""A batch job: every picture of the inputs read once into a results file, with a progress
bar, resumable, in this process, in worker processes (`workers`) or on a Dask cluster.

Pictures go out in chunks, a bounded number at a time (so memory stays flat however large
the archive), and each chunk's rows are written as soon as it is done, in order of
completion.
"""

import multiprocessing
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from model.batch.results import ResultsFile
from model.batch.sources import expand
from model.batch.work import install, read_chunk
from model.errors import UsageError

CHUNK = 64  # pictures a task reads at most; the model reads all of a chunk's digits at once
TASKS_PER_WORKER = 4  # a small job is cut finer, so that every worker has some of it
IN_FLIGHT_PER_WORKER = 2  # chunks queued per worker, so none waits while rows are written


@dataclass
class Summary:
    """What a batch job did.

    pictures: the pictures the inputs name; skipped: those the output already held.
    read: pictures read this run (unsure ones included); unsure: readings flagged unsure;
    failed: pictures that could not be read (their rows say why).
    startup_seconds: starting the workers and loading the model; seconds: reading, after
    that; images_per_second: pictures read (or failed) a second of reading.
    """

    out: str
    model_version: str
    engine: str
    pictures: int
    skipped: int
    read: int
    unsure: int
    failed: int
    startup_seconds: float
    seconds: float
    images_per_second: float
    interrupted: bool = False

    def to_json(self):
        return asdict(self)


def _warn(message):
    print(f"warning: {message}", file=sys.stderr, flush=True)


def chunk_size(count, parallel, largest=CHUNK):
    """Pictures per task: `largest`, or fewer so that every worker gets a few tasks."""
    return max(1, min(largest, -(-count // (parallel * TASKS_PER_WORKER))))


def chunks_of(sources, size):
    """The sources in lists of `size` (the last may be shorter)."""
    return [sources[start : start + size] for start in range(0, len(sources), size)]


def died_row(source, version):
    """The row of a picture that killed the worker process reading it, alone, twice."""
    return {
        "path": source,
        "model_version": version,
        "status": "failed",
        "error": "the worker process reading it died (out of memory, or a crash in a decoder)",
    }


@contextmanager
def _interrupt_after():
    """Holds Ctrl-C back until the block ends (rows written and counted together, so the
    summary counts exactly the rows in the file); a no-op off the main thread or where
    Ctrl-C is not the default KeyboardInterrupt."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    held = []
    signal.signal(signal.SIGINT, lambda number, frame: held.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if held:
        raise KeyboardInterrupt


@contextmanager
def _in_process(model, page):
    install(model)

    def rows(sources, largest):
        for chunk in chunks_of(sources, largest):
            yield read_chunk(chunk, model.key, model.version, page)

    yield rows


@contextmanager
def _processes(model, page, workers):
    # Spawned, not forked: a fresh interpreter per worker, whatever threads this one runs.
    def new_pool():
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=install,
            initargs=(model, 1),
        )
        # Start every worker (each loads the model first) before the clock of reading runs.
        wait([pool.submit(time.sleep, 0.05) for _ in range(workers)])
        return pool

    pool = new_pool()

    def rows(sources, largest):
        """Rows of chunks in order of completion. When a worker dies, the pictures in flight
        are read again one at a time, alone, so that the one that kills a worker is found
        and recorded as failed, and the others are read."""
        nonlocal pool
        queue = deque(chunks_of(sources, chunk_size(len(sources), workers, largest)))
        suspects, running = deque(), {}
        while queue or suspects or running:
            if suspects and not running:
                source = suspects.popleft()
                running[pool.submit(read_chunk, [source], *task)] = ([source], True)
            while queue and not suspects and len(running) < workers * IN_FLIGHT_PER_WORKER:
                chunk = queue.popleft()
                running[pool.submit(read_chunk, chunk, *task)] = (chunk, False)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                (chunk, alone) = running.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    broken = True
                    if alone:
                        yield [died_row(chunk[0], model.version)]
                    else:
                        suspects.extend(chunk)
            if broken:
                for chunk, _ in running.values():
                    suspects.extend(chunk)
                running.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = new_pool()

    task = (model.key, model.version, page)
    try:
        yield rows
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_job(
    inputs,
    out,
    model,
    page=False,
    workers=1,
    scheduler=None,
    dask_local=None,
    chunk=CHUNK,
    progress=True,
    warn=_warn,
):
    """Reads every picture the inputs name into `out`, skipping those it already holds.

    Args:
        inputs: folders, globs, file lists, paths and URLs (see `sources.expand`).
        out: the results file, `.jsonl` (or `.ndjson`) or `.csv`; appended to.
        model: the `work.ModelFiles` to read with.
        page: read every number on each sheet (`Predictor.read_page`).
        workers: processes on this machine; 1 reads in this process.
        scheduler: a Dask scheduler's address (tcp://host:8786) to run on instead.
        dask_local: run on a local Dask cluster of this many worker processes instead.
        chunk: pictures per task.
        progress: show a progress bar on stderr (count, rate, time left).
        warn: called with a message for things worth knowing that stop nothing.

    Returns:
        A `Summary`.

    Raises:
        UsageError: no pictures, a bad option, an output that is not a results file or is in
            use, a Dask scheduler that cannot be reached.
    """
    from tqdm import tqdm

    if chunk < 1 or workers < 1 or (dask_local is not None and dask_local < 1):
        raise UsageError("--chunk, --workers and --dask-local must be at least 1")
    if sum(bool(x) for x in (workers > 1, scheduler, dask_local)) > 1:
        raise UsageError("give one of --workers N, --scheduler and --dask-local")
    sources = expand(inputs, exclude=[out], warn=warn)
    if not sources:
        raise UsageError("the inputs name no pictures")
    if scheduler or dask_local:
        from model.batch.cluster import dask_rows

        engine = f"dask {scheduler}" if scheduler else f"dask local {dask_local}"
        executor = dask_rows(model, page, scheduler, dask_local)
    elif workers > 1:
        engine, executor = f"{workers} processes", _processes(model, page, workers)
    else:
        engine, executor = "in-process", _in_process(model, page)
    counts = {"read": 0, "unsure": 0, "failed": 0}
    interrupted = False
    with ResultsFile(out) as results:
        others = sorted(str(v) for v in results.versions - {model.version})
        if others:
            warn(
                f"{out} holds rows read by model {', '.join(others)}; this run reads with "
                f"{model.version} (each row records its own)"
            )
        todo = [source for source in sources if source not in results.done]
        bar = tqdm(
            total=len(todo),
            unit="img",
            desc="reading",
            file=sys.stderr,
            disable=not progress,
            dynamic_ncols=True,
        )
        started = ready = finished = time.perf_counter()
        try:
            if todo:  # nothing to start when every picture has its row
                with executor as rows:
                    ready = time.perf_counter()
                    for batch in rows(todo, chunk):
                        with _interrupt_after():
                            results.write(batch)
                            finished = time.perf_counter()
                            for row in batch:
                                counts["failed" if row["status"] == "failed" else "read"] += 1
                                counts["unsure"] += row["status"] == "unsure"
                        bar.update(len(batch))
                        bar.set_postfix(
                            failed=counts["failed"], unsure=counts["unsure"], refresh=False
                        )
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.close()
        seconds = max(0.0, finished - ready)  # reading, not stopping the workers
    done = counts["read"] + counts["failed"]
    return Summary(
        out=str(out),
        model_version=model.version,
        engine=engine,
        pictures=len(sources),
        skipped=len(sources) - len(todo),
        startup_seconds=round(ready - started, 3),
        seconds=round(seconds, 3),
        images_per_second=round(done / seconds, 1) if seconds > 0 else 0.0,
        interrupted=interrupted,
        **counts,
    )
