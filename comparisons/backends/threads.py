"""`threads`: `concurrent.futures.ThreadPoolExecutor` with `workers` threads.

Idiom: `executor.map(fn, inputs)`, the standard library's documented way to apply one
function over many inputs in a thread pool (docs.python.org, concurrent.futures). Threads
share one interpreter: on a GIL build, pure-Python work runs one thread at a time, while
blocking I/O and C code that releases the GIL (hashlib, NumPy) overlap.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from comparisons.backends.base import Backend
from workloads.spec import Workload


class ThreadsBackend(Backend):
    name = "threads"
    summary = "concurrent.futures.ThreadPoolExecutor.map with `workers` threads"
    parallel = False  # for GIL-holding bytecode on a GIL build

    def setup(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=self.workers)

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return list(self.executor.map(workload.sync, inputs))

    def teardown(self) -> None:
        self.executor.shutdown(wait=True)
