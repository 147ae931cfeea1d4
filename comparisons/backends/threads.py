"""`threads`: `concurrent.futures.ThreadPoolExecutor` with `workers` threads.

Idiom: `executor.map(fn, inputs)`, the standard library's documented way to apply one
function over many inputs in a thread pool (docs.python.org, concurrent.futures). Threads
share one interpreter: on a GIL build, pure-Python work runs one thread at a time, while
blocking I/O and C code that releases the GIL (hashlib, NumPy) overlap.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from comparisons.backends.base import PER_TASK, Backend, DeadlineExceeded
from comparisons.backends.mechanics import ExecutorMap, shut_down_threads
from workloads.spec import Workload


class ThreadsBackend(ExecutorMap, Backend):
    in_process = True
    name = "threads"
    summary = "concurrent.futures.ThreadPoolExecutor.map with `workers` threads"
    parallel = False  # for GIL-holding bytecode on a GIL build
    executor = "{n} threads"
    dispatch = PER_TASK  # map submits one work item per input to the pool's queue
    source = "docs.python.org/3/library/concurrent.futures.html#threadpoolexecutor-example"
    running_task_note = "running threads cannot be stopped"

    def setup(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=self.workers)

    def teardown(self) -> None:
        shut_down_threads(self.pool)


class ThreadPerTaskBackend(Backend):
    """`threads:per-task`: one `threading.Thread` per task, all started, then all joined.

    The form of the tutorial this project grew from (and of countless scripts): no pool,
    so concurrency is the number of tasks, and each task pays a thread's start. Results
    come back through a list indexed by task; the first exception is re-raised.
    """

    in_process = True

    name = "threads:per-task"
    summary = "one threading.Thread per task: start all, join all (the tutorial's form)"
    source = "docs.python.org/3/library/threading.html#thread-objects"
    parallel = False
    one_worker_per_task = True
    executor = "one thread per task"
    dispatch = PER_TASK

    def _start(self, workload: Workload, inputs: list[Any]) -> tuple[list, list, list]:
        results: list[Any] = [None] * len(inputs)
        errors: list[BaseException] = []

        def one(index: int, item: Any) -> None:
            try:
                results[index] = workload.sync(item)
            except BaseException as exc:  # handed to the caller, as join() cannot
                errors.append(exc)

        # Daemon threads: a hung task must not keep the cell's interpreter from exiting.
        threads = [
            threading.Thread(target=one, args=(i, item), daemon=True)
            for i, item in enumerate(inputs)
        ]
        for thread in threads:
            thread.start()
        return threads, results, errors

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        threads, results, errors = self._start(workload, inputs)
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return results

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`thread.join(timeout)` against one deadline; threads cannot be cancelled."""
        threads, results, errors = self._start(workload, inputs)
        deadline = time.monotonic() + deadline_s
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if errors:
                raise errors[0]
        alive = sum(t.is_alive() for t in threads)
        if alive:
            raise DeadlineExceeded(
                f"join timed out after {deadline_s:g} s; {alive} thread(s) still running "
                "and cannot be stopped"
            )
        return results
