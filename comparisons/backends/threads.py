"""`threads`: `concurrent.futures.ThreadPoolExecutor` with `workers` threads.

Idiom: `executor.map(fn, inputs)`, the standard library's documented way to apply one
function over many inputs in a thread pool (docs.python.org, concurrent.futures). Threads
share one interpreter: on a GIL build, pure-Python work runs one thread at a time, while
blocking I/O and C code that releases the GIL (hashlib, NumPy) overlap.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from comparisons.backends.base import Backend, DeadlineExceeded
from workloads.spec import Workload


class ThreadsBackend(Backend):
    name = "threads"
    summary = "concurrent.futures.ThreadPoolExecutor.map with `workers` threads"
    parallel = False  # for GIL-holding bytecode on a GIL build

    def setup(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=self.workers)

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return list(self.executor.map(workload.sync, inputs))

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`executor.map(..., timeout=)`: on timeout, map cancels the tasks not yet
        started; a running thread cannot be stopped and keeps running."""
        try:
            return list(self.executor.map(workload.sync, inputs, timeout=deadline_s))
        except TimeoutError:
            raise DeadlineExceeded(
                f"executor.map timed out after {deadline_s:g} s; pending tasks cancelled, "
                "running threads cannot be stopped"
            ) from None

    def teardown(self) -> None:
        # A thread stuck in a hung task never returns: do not wait for it.
        self.executor.shutdown(wait=False, cancel_futures=True)
