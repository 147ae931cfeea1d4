"""`trio:parallel`: CPU work from Trio to worker processes with `trio_parallel.run_sync`.

Idiom: inside a nursery, `await trio_parallel.run_sync(fn, x, limiter=CapacityLimiter(N))`
per task, the library's documented call. Its workers live in a worker context, which is
an async context manager bound to one `trio.run`; opening it per repeat would start the
processes again every repeat, which no long-running Trio program does. So set-up starts
one `trio.run` on a host thread that opens the context (workers start there, timed as
set-up) and serves the repeats: `run` hands each batch to it with `trio.from_thread.run`,
and teardown lets the context close, which stops the workers gracefully.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from comparisons.backends.base import PER_TASK, Backend
from comparisons.backends.mechanics import TaskGroupRuns
from comparisons.backends.trio_nursery import TRIO
from workloads.spec import Workload


class TrioParallelBackend(TaskGroupRuns, Backend):
    name = "trio:parallel"
    summary = "trio_parallel.run_sync(sync task) in a nursery, CapacityLimiter(workers)"
    source = "trio-parallel.readthedocs.io/en/latest/reference.html#trio_parallel.run_sync"
    parallel = True
    executor = "a pool of {n} processes"
    dispatch = PER_TASK  # one run_sync, one message to a worker, per task
    deadline_note = "cancelled tasks' workers were killed"
    primitives = TRIO
    # Peak PSS measured by `python -m comparisons.run.memory_model`:
    # 34 + 17 MiB (spawned worker processes).
    bytes_fixed = 40 * 2**20
    bytes_per_worker = 22 * 2**20
    # Set by the host thread once its trio.run is serving; None if set-up failed first.
    stop: trio.Event | None = None
    host: threading.Thread | None = None

    def setup(self) -> None:
        self.ready = threading.Event()
        self.failure: BaseException | None = None
        self.host = threading.Thread(target=self._host, name="trio-parallel-host", daemon=True)
        self.host.start()
        self.ready.wait()
        if self.failure is not None:
            raise self.failure

    def _host(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as exc:
            self.failure = exc
            self.ready.set()

    async def _serve(self) -> None:
        import trio_parallel

        self.token = trio.lowlevel.current_trio_token()
        stop = self.stop = trio.Event()
        async with trio_parallel.open_worker_context() as context:
            self.context = context
            limiter = trio.CapacityLimiter(self.workers)

            async def start_one(i: int) -> None:
                await context.run_sync(abs, i, limiter=limiter)

            async with trio.open_nursery() as nursery:  # start every worker now
                for i in range(self.workers):
                    nursery.start_soon(start_one, i)
            self.ready.set()
            await stop.wait()

    def call_async(self, function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        return trio.from_thread.run(function, *args, trio_token=self.token)

    async def _task(
        self, workload: Workload, item: Any, limiter: trio.CapacityLimiter, deadline: bool
    ) -> Any:
        # kill_on_cancel under a deadline: trio_parallel kills the worker of a cancelled
        # task, so nothing is left running.
        return await self.context.run_sync(
            workload.sync, item, limiter=limiter, kill_on_cancel=deadline
        )

    def teardown(self) -> None:
        if self.stop is not None:
            trio.from_thread.run_sync(self.stop.set, trio_token=self.token)
        if self.host is not None:
            self.host.join()

    def describe(self) -> dict[str, Any]:
        from importlib.metadata import version

        return {"trio_parallel": version("trio-parallel")}
