"""`trio`: `trio.run` with one nursery task per input, under a `CapacityLimiter(workers)`.

Idiom: structured concurrency. A nursery owns every task, so none can outlive the call or
be lost on error, and a `trio.CapacityLimiter` bounds how many run at once (Trio's
documented primitive for "at most N at a time"). `workers` is that limit; there is one OS
thread. CPU work runs on it and blocks the scheduler, as in plain Trio code. Trio has no
loop object that persists between runs, so set-up is empty and each repeat is one
`trio.run`, whose own start cost (well under a millisecond) is part of the work time.
"""

from __future__ import annotations

from typing import Any

import trio

from comparisons.backends.base import Backend, DeadlineExceeded
from workloads.spec import Workload


class TrioBackend(Backend):
    name = "trio"
    summary = "trio.run: a nursery task per input under a CapacityLimiter(workers)"
    parallel = False
    event_loop = True

    def setup(self) -> None:
        pass

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return trio.run(self._run_all, workload, inputs)

    async def _run_all(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        limiter = trio.CapacityLimiter(self.workers)
        results: list[Any] = [None] * len(inputs)

        async def one(index: int, item: Any) -> None:
            async with limiter:
                results[index] = await workload.trio(item)

        async with trio.open_nursery() as nursery:
            for index, item in enumerate(inputs):
                nursery.start_soon(one, index, item)
        return results

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
