"""`trio`: `trio.run` with one nursery task per input, under a `CapacityLimiter(workers)`.

Idiom: structured concurrency. A nursery owns every task, so none can outlive the call or
be lost on error, and a `trio.CapacityLimiter` bounds how many run at once (Trio's
documented primitive for "at most N at a time"). `workers` is that limit; there is one OS
thread. CPU work runs on it and blocks the scheduler, as in plain Trio code. Trio has no
loop object that persists between runs, so set-up is empty and each repeat is one
`trio.run`, whose own start cost (well under a millisecond) is part of the work time.

Variant `trio:to-thread`: each task's blocking (sync) form through
`trio.to_thread.run_sync` with the limiter passed to it, Trio's documented way to call
blocking code (its threads are cached between calls).
"""

from __future__ import annotations

from typing import Any

import trio

from comparisons.backends.base import Backend, DeadlineExceeded
from workloads.spec import Workload


class TrioBackend(Backend):
    in_process = True
    name = "trio"
    summary = "trio.run: a nursery task per input under a CapacityLimiter(workers)"
    source = (
        "trio.readthedocs.io/en/stable/reference-core.html#tasks-let-you-do-multiple-things-at-once"
    )
    parallel = False
    event_loop = True

    def setup(self) -> None:
        pass

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return trio.run(self._run_all, workload, inputs)

    async def _run_all(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        limiter = trio.CapacityLimiter(self.workers)
        # A workload's own `trio.to_thread` (file I/O) uses the default limiter (40
        # threads): give it `workers`, as every model gets.
        trio.to_thread.current_default_thread_limiter().total_tokens = self.workers
        results: list[Any] = [None] * len(inputs)

        async def one(index: int, item: Any) -> None:
            results[index] = await self._task(workload, item, limiter)

        async with trio.open_nursery() as nursery:
            for index, item in enumerate(inputs):
                nursery.start_soon(one, index, item)
        return results

    async def _task(self, workload: Workload, item: Any, limiter: trio.CapacityLimiter) -> Any:
        async with limiter:
            return await workload.trio(item)

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`trio.move_on_after(deadline)` around the nursery: on the deadline the cancel
        scope cancels every task in it."""

        async def bounded() -> list[Any] | None:
            with trio.move_on_after(deadline_s):
                return await self._run_all(workload, inputs)
            return None

        results = trio.run(bounded)
        if results is None:
            raise DeadlineExceeded(
                f"move_on_after({deadline_s:g}) expired; the nursery's tasks were cancelled"
            )
        return results

    def teardown(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"trio": trio.__version__}


class TrioToThreadBackend(TrioBackend):
    name = "trio:to-thread"
    summary = "a nursery of trio.to_thread.run_sync(sync task, limiter=CapacityLimiter(workers))"
    source = "trio.readthedocs.io/en/stable/reference-core.html#trio.to_thread.run_sync"
    event_loop = False  # the work runs in threads; the scheduler stays free

    async def _task(self, workload: Workload, item: Any, limiter: trio.CapacityLimiter) -> Any:
        # abandon_on_cancel: on a deadline Trio stops waiting for a thread it cannot stop.
        return await trio.to_thread.run_sync(
            workload.sync, item, limiter=limiter, abandon_on_cancel=True
        )
