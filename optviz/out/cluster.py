"""Running a study's tasks on a Dask cluster: one task per (surface, optimizer).

``--workers N`` starts a LocalCluster of N single-threaded worker processes on this machine;
``--scheduler tcp://HOST:PORT`` uses a running cluster. Before any task, every worker loads the
compiled kernels from numba's cache once (:func:`warm_worker`): one worker first, so that on a
node whose cache directory is empty it compiles and writes the cache, then the others, which
load it. A task is a plain (surface, optimizer, protocol) tuple rebuilt by name on the worker,
so results are the same as a local run's, bit for bit.
"""

from __future__ import annotations

import os

from ..engine.study import Entry, Protocol, study_task


def warm_worker() -> str:
    """Load (or compile and cache) every kernel a study task uses, in this worker process."""
    import numpy as np

    from ..engine.optimizers import OPTIMIZERS
    from ..engine.simulate import simulate_batch

    for oid in OPTIMIZERS:
        simulate_batch("quadratic", oid, np.zeros((1, 2)), 1, noise=0.1)
    return os.environ.get("NUMBA_CACHE_DIR", "(numba's default: __pycache__ beside the sources)")


def _task(task: tuple[str, str, dict]) -> Entry:
    surface, optimizer, protocol = task
    return study_task(surface, optimizer, Protocol(**protocol))


def dask_map(tasks: list, *, workers: int | None = None, scheduler: str | None = None, progress=None) -> list[Entry]:
    """The tasks' entries, in order, computed on a Dask cluster (a LocalCluster of ``workers``
    processes, or the one at ``scheduler``)."""
    from dataclasses import asdict

    from distributed import Client, LocalCluster, as_completed

    if scheduler is not None:
        cluster, client = None, Client(scheduler, timeout="30s")
    else:
        env = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # one core per worker: no oversubscription
        if "NUMBA_CACHE_DIR" in os.environ:
            env["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"]
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               host="127.0.0.1", env=env)
        client = Client(cluster)
    try:
        addresses = list(client.scheduler_info()["workers"])
        if not addresses:
            raise RuntimeError("the Dask cluster has no workers")
        client.run(warm_worker, workers=addresses[:1])  # one compiles (if it must) and writes the cache...
        if len(addresses) > 1:
            client.run(warm_worker, workers=addresses[1:])  # ...the rest load it
        futures = client.map(_task, [(s, o, asdict(p)) for s, o, p in tasks], pure=False)
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done / len(futures))
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
