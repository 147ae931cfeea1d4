"""`dask`: a `distributed.LocalCluster` of `workers` single-threaded worker processes.

Idiom: `client.map(fn, inputs)` then `client.gather(futures)`, the futures API's batched
submission (one scheduler message for the whole list rather than one `submit` per task,
dask.org "Futures" and "Best practices"). `pure=False` because a repeat must compute again
rather than reuse a previous repeat's results under the same keys. The cluster listens on
127.0.0.1 only, with the dashboards off; workers are separate processes with one thread
each, so pure-Python work runs in parallel like `multiprocessing`.
"""

from __future__ import annotations

import logging
from typing import Any

from comparisons.backends.base import Backend, DeadlineExceeded, too_many_processes
from workloads.spec import Workload


class DaskBackend(Backend):
    name = "dask"
    summary = "distributed.LocalCluster, `workers` 1-thread worker processes, client.map"
    parallel = True
    # Peak RSS fitted to our own cells at 1-3 workers: fixed part + a nanny plus its worker.
    bytes_fixed = 70 * 2**20
    bytes_per_worker = 70 * 2**20

    @classmethod
    def cannot_run(cls, workers: int) -> str | None:
        return too_many_processes(cls.name, workers, cls.bytes_per_worker, cls.bytes_fixed)

    def setup(self) -> None:
        from distributed import Client, LocalCluster

        self.cluster = LocalCluster(
            n_workers=self.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        self.client = Client(self.cluster)
        self.client.wait_for_workers(self.workers)

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        futures = self.client.map(workload.sync, inputs, pure=False)
        return self.client.gather(futures)

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`distributed.wait(futures, timeout)` then `gather`; on timeout
        `client.cancel(futures)` (a task already running in a worker is not interrupted)."""
        from distributed import wait

        futures = self.client.map(workload.sync, inputs, pure=False)
        try:
            wait(futures, timeout=deadline_s)
        except TimeoutError:
            self.client.cancel(futures)
            raise DeadlineExceeded(
                f"distributed.wait timed out after {deadline_s:g} s; futures cancelled"
            ) from None
        return self.client.gather(futures)

    def teardown(self) -> None:
        self.client.close()
        self.cluster.close()

    def describe(self) -> dict[str, Any]:
        import distributed

        return {
            "scheduler_address": self.cluster.scheduler_address,
            "threads_per_worker": 1,
            "distributed": distributed.__version__,
        }
