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
from typing import Any

import trio

from comparisons.backends.base import Backend, DeadlineExceeded
from workloads.spec import Workload


class TrioParallelBackend(Backend):
    name = "trio:parallel"
    summary = "trio_parallel.run_sync(sync task) in a nursery, CapacityLimiter(workers)"
    source = "trio-parallel.readthedocs.io/en/latest/reference.html#trio_parallel.run_sync"
    parallel = True
    # Peak PSS measured by `python -m comparisons.memory_model`:
    # 34 + 17 MiB (spawned worker processes).
    bytes_fixed = 40 * 2**20
    bytes_per_worker = 22 * 2**20

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
        self.stop = trio.Event()
        async with trio_parallel.open_worker_context() as context:
            self.context = context
            limiter = trio.CapacityLimiter(self.workers)
            async with trio.open_nursery() as nursery:  # start every worker now
                for i in range(self.workers):
                    nursery.start_soon(lambda i=i: context.run_sync(abs, i, limiter=limiter))
            self.ready.set()
            await self.stop.wait()

    async def _run_all(
        self, workload: Workload, inputs: list[Any], kill_on_cancel: bool = False
    ) -> list[Any]:
        limiter = trio.CapacityLimiter(self.workers)
        results: list[Any] = [None] * len(inputs)

        async def one(index: int, item: Any) -> None:
            results[index] = await self.context.run_sync(
                workload.sync, item, limiter=limiter, kill_on_cancel=kill_on_cancel
            )

        async with trio.open_nursery() as nursery:
            for index, item in enumerate(inputs):
                nursery.start_soon(one, index, item)
        return results

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return trio.from_thread.run(self._run_all, workload, inputs, trio_token=self.token)

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`trio.move_on_after(deadline)` with `kill_on_cancel=True`: trio_parallel kills
        the worker of a cancelled task, so nothing is left running."""

        async def bounded() -> list[Any] | None:
            with trio.move_on_after(deadline_s):
                return await self._run_all(workload, inputs, kill_on_cancel=True)
            return None

        results = trio.from_thread.run(bounded, trio_token=self.token)
        if results is None:
            raise DeadlineExceeded(
                f"move_on_after({deadline_s:g}) expired; cancelled tasks' workers were killed"
            )
        return results

    def teardown(self) -> None:
        if getattr(self, "stop", None) is not None:
            trio.from_thread.run_sync(self.stop.set, trio_token=self.token)
        self.host.join()

    def describe(self) -> dict[str, Any]:
        from importlib.metadata import version

        return {"trio_parallel": version("trio-parallel")}
