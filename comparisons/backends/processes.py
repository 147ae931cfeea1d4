"""`processes`: `multiprocessing.Pool` of `workers` processes, `Pool.map` with a chunksize.

Idiom: `pool.map(fn, inputs, chunksize)`. Sending tasks one by one costs a pickle and a
pipe round trip each; the documentation recommends a chunksize for long iterables, and
the one used here is the heuristic `Pool.map` applies itself when none is given
(ceil(len / (4 * workers))), written out so the record states it. The start method is
the platform's default (fork on Linux before Python 3.14) and is recorded.
"""

from __future__ import annotations

import math
import multiprocessing
from typing import Any

from comparisons.backends.base import Backend, DeadlineExceeded, too_many_processes
from workloads.spec import Workload


def pool_chunksize(tasks: int, workers: int) -> int:
    """The chunk size `Pool.map` itself picks: about four chunks per worker."""
    return max(1, math.ceil(tasks / (4 * workers)))


class ProcessesBackend(Backend):
    name = "processes"
    summary = "multiprocessing.Pool.map over `workers` processes, default chunksize rule"
    parallel = True
    # Peak RSS fitted to our own cells at 1-3 workers: fixed part + a forked Pool worker.
    bytes_fixed = 32 * 2**20
    bytes_per_worker = 23 * 2**20

    @classmethod
    def cannot_run(cls, workers: int) -> str | None:
        return too_many_processes(cls.name, workers, cls.bytes_per_worker, cls.bytes_fixed)

    def setup(self) -> None:
        self.context = multiprocessing.get_context()
        self.pool = self.context.Pool(processes=self.workers)
        self.last_chunksize: int | None = None

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        self.last_chunksize = pool_chunksize(len(inputs), self.workers)
        return self.pool.map(workload.sync, inputs, chunksize=self.last_chunksize)

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`map_async(...).get(timeout)`; on timeout the only way to stop workers is
        `pool.terminate()`, which kills them all."""
        chunksize = pool_chunksize(len(inputs), self.workers)
        pending = self.pool.map_async(workload.sync, inputs, chunksize=chunksize)
        try:
            return pending.get(timeout=deadline_s)
        except multiprocessing.TimeoutError:
            self.pool.terminate()
            self.terminated = True
            raise DeadlineExceeded(
                f"AsyncResult.get timed out after {deadline_s:g} s; pool terminated"
            ) from None

    def teardown(self) -> None:
        if not getattr(self, "terminated", False):
            self.pool.close()
        self.pool.join()

    def describe(self) -> dict[str, Any]:
        return {
            "start_method": self.context.get_start_method(),
            "chunksize": self.last_chunksize,
        }
