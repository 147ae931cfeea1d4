"""`processes:joblib`: `joblib.Parallel(n_jobs=workers)` over `delayed(fn)(x)`, loky backend.

Idiom: `Parallel(n_jobs=N)(delayed(f)(x) for x in inputs)`, the form joblib's documentation
(and scikit-learn) uses everywhere. Its default backend, loky, keeps a reusable pool of
worker processes started with a spawn-like method, and `batch_size="auto"` groups tasks
so that each batch lasts a fraction of a second, tuning itself as it goes. The pool
outlives a `Parallel` call on purpose (reuse is loky's point), so teardown shuts it down
rather than leaving idle workers for their 300 s timeout.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from comparisons.backends.base import BATCHED, Backend, DeadlineExceeded
from workloads.spec import Workload


class JoblibBackend(Backend):
    name = "processes:joblib"
    summary = "joblib.Parallel(n_jobs=workers) with delayed(), loky backend, batch_size auto"
    source = "joblib.readthedocs.io/en/stable/parallel.html"
    parallel = True
    executor = "a pool of {n} processes"
    # batch_size="auto": a batch grows until it lasts a fraction of a second, each one
    # message to a loky worker.
    dispatch = BATCHED
    # A loky worker starts a fresh interpreter, like spawn.
    # Peak PSS measured by `python -m comparisons.run.memory_model`:
    # 14 + 43 MiB (loky's workers are spawned).
    bytes_fixed = 32 * 2**20
    bytes_per_worker = 50 * 2**20
    # joblib's own idiom for large arrays is automatic: any NumPy array over `max_nbytes`
    # (1 MB) in a task's arguments is dumped to a memory-mapped file once per call and
    # each worker maps that file instead of unpickling a copy.
    shared_idiom = "passed with every task; joblib memory-maps arrays over 1 MB instead"
    shared_crossing = "per run"

    def setup(self) -> None:
        from joblib import Parallel

        self.runner = Parallel(n_jobs=self.workers, backend="loky")
        # Start the pool now, so its start-up is set-up time, as for the other pools.
        self.runner(self._delayed(abs)(i) for i in range(self.workers))

    def _delayed(self, function: Any) -> Any:
        from joblib import delayed

        return delayed(function)

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        task = self._delayed(workload.sync)
        return self.runner(task(item) for item in inputs)

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`Parallel(timeout=)`: a task running past it raises TimeoutError and loky
        terminates the pool's workers."""
        from joblib import Parallel

        task = self._delayed(workload.sync)
        try:
            return Parallel(n_jobs=self.workers, backend="loky", timeout=deadline_s)(
                task(item) for item in inputs
            )
        except (TimeoutError, multiprocessing.TimeoutError):  # loky raises the latter
            raise DeadlineExceeded(
                f"Parallel(timeout={deadline_s:g}) expired; loky terminated its workers"
            ) from None

    def teardown(self) -> None:
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)

    def describe(self) -> dict[str, Any]:
        import joblib

        return {"joblib": joblib.__version__, "backend": "loky", "batch_size": "auto"}
