"""`dask:threaded` and `dask:multiprocessing`: Dask's single-machine schedulers, no cluster.

Idiom: `dask.compute(*[dask.delayed(fn)(x) for x in inputs], scheduler=..., num_workers=N)`,
the delayed interface with the scheduler chosen per call (docs.dask.org, "Scheduling").
The threaded scheduler runs tasks on a thread pool in this process (the GIL applies);
the multiprocessing scheduler, as Dask does when no pool is configured, creates a
process pool for the call and shuts it down afterwards, so every run pays its start-up.
Neither has a deadline or cancellation, so fault probes are not run on them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from comparisons.backends.base import BATCHED, PER_TASK, Backend
from workloads.spec import Workload


class DaskThreadedSchedulerBackend(Backend):
    in_process = True
    name = "dask:threaded"
    summary = "dask.delayed + dask.compute(scheduler='threads', num_workers=workers)"
    source = "docs.dask.org/en/stable/scheduling.html#local-threads"
    parallel = False
    scheduler: ClassVar[str] = "threads"
    executor = "{n} threads"
    dispatch = PER_TASK  # the local scheduler's chunksize: 1 for threads

    def setup(self) -> None:
        import dask

        self.dask = dask

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        task = self.dask.delayed(workload.sync, pure=False)
        return list(
            self.dask.compute(
                *(task(item) for item in inputs),
                scheduler=self.scheduler,
                num_workers=self.workers,
            )
        )

    def describe(self) -> dict[str, Any]:
        return {"dask": self.dask.__version__, "scheduler": self.scheduler}


class DaskProcessesSchedulerBackend(DaskThreadedSchedulerBackend):
    in_process = False
    name = "dask:multiprocessing"
    summary = "dask.delayed + dask.compute(scheduler='processes'): a new pool per compute"
    source = "docs.dask.org/en/stable/scheduling.html#local-processes"
    parallel = True
    scheduler = "processes"
    executor = "a pool of {n} processes"
    # dask.multiprocessing.get sends ready tasks in chunks (its `chunksize`, 6 unless
    # configured), one pickled message per chunk.
    dispatch = BATCHED

    # A fresh pool of spawned-size processes per compute.
    # Peak PSS measured by `python -m comparisons.run.memory_model`:
    # 87 MiB, workers' USS 25 MiB each.
    bytes_fixed = 88 * 2**20
    bytes_per_worker = 30 * 2**20
