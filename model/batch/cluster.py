"""The batch job on Dask distributed: a scheduler's address, or a local cluster of processes.

Every worker loads the model once, when it joins (a worker plugin carrying the model's
files), and reads the pictures where they are: the paths or fsspec URLs must be reachable
from every worker. Chunks go out a bounded number at a time and come back in order of
completion.
"""

import logging
from collections import deque
from contextlib import contextmanager

import dask
from distributed import Client, LocalCluster, as_completed
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.scheduler import KilledWorker

from model.batch.job import chunk_size, chunks_of, died_row
from model.batch.work import install, read_chunk
from model.errors import UsageError

IN_FLIGHT_PER_THREAD = 2
TRIM_SETTING = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
CONNECT_TIMEOUT = "30s"


class LoadModel(WorkerPlugin):
    """Loads the job's model in each worker process as it joins the cluster."""

    def __init__(self, model):
        self.model = model

    def setup(self, worker):
        # One interpreter thread a task: the worker's own threads use the cores.
        install(self.model, threads=1)


def _client(scheduler, local_workers):
    if local_workers:
        # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc map and
        # unmap every picture-sized buffer afresh: measured here, 2.7x the CPU a photo costs
        # and 1.4x a canvas. The local cluster's workers keep glibc's own tuning.
        with dask.config.set({TRIM_SETTING: None}):
            cluster = LocalCluster(
                n_workers=local_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT), None
    except (OSError, TimeoutError, ValueError) as error:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None


@contextmanager
def dask_rows(model, page, scheduler=None, local_workers=None):
    """Yields a function from chunks of sources to their rows, read on a Dask cluster.

    Args:
        model: the `work.ModelFiles` every worker loads.
        page: read every number on a sheet.
        scheduler: the scheduler's address (tcp://host:8786), or
        local_workers: the worker processes of a local cluster on 127.0.0.1.

    Raises:
        UsageError: the scheduler cannot be reached, or a worker cannot load the model.
    """
    client, cluster = _client(scheduler, local_workers)
    try:
        try:
            client.register_plugin(LoadModel(model), name=f"digits-model-{model.key}")
        except Exception as error:
            raise UsageError(f"a Dask worker could not load the model: {error}") from None

        def rows(sources, largest):
            """Rows of chunks in order of completion. A worker that dies has its tasks run
            again elsewhere by Dask; a chunk that killed workers again and again is read
            one picture a task, so that only the picture that kills is recorded as failed."""
            threads = max(1, sum(client.nthreads().values()))
            chunks = deque(chunks_of(sources, chunk_size(len(sources), threads, largest)))
            pending, submitted = as_completed(), {}

            def submit(chunk):
                future = client.submit(read_chunk, chunk, *task, pure=False)
                submitted[future.key] = chunk
                pending.add(future)

            for _ in range(threads * IN_FLIGHT_PER_THREAD):
                if chunks:
                    submit(chunks.popleft())
            for future in pending:
                chunk = submitted.pop(future.key)
                try:
                    batch = future.result()
                except KilledWorker:
                    if len(chunk) == 1:
                        batch = [died_row(chunk[0], model.version)]
                    else:
                        chunks.extendleft(reversed([[source] for source in chunk]))
                        batch = []
                future.release()
                if chunks:
                    submit(chunks.popleft())
                if batch:
                    yield batch

        task = (model.key, model.version, page)
        yield rows
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
