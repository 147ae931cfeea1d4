"""`asyncio`: one event loop, `asyncio.gather` of all tasks under a `Semaphore(workers)`.

Idiom: create every coroutine up front and `gather` them, bounding how many are in flight
with an `asyncio.Semaphore`, the pattern the asyncio documentation and most guides give
for "run many requests, at most N at once". `workers` is that concurrency limit; there is
one OS thread. Workloads' CPU work runs on that thread and blocks the loop, exactly as it
does in plain asyncio code (the report marks those rows); handing work to executors is a
separate variant.
"""

from __future__ import annotations

import asyncio
from typing import Any

from comparisons.backends.base import Backend, DeadlineExceeded
from workloads.spec import Workload


class AsyncioBackend(Backend):
    name = "asyncio"
    summary = "asyncio.gather under a Semaphore(workers), one thread, default loop"
    parallel = False
    event_loop = True

    def setup(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return self.loop.run_until_complete(self._gather(workload, inputs))

    async def _gather(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        limit = asyncio.Semaphore(self.workers)

        async def bounded(item: Any) -> Any:
            async with limit:
                return await workload.asyncio(item)

        return list(await asyncio.gather(*(bounded(item) for item in inputs)))

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`asyncio.wait_for(gather(...), deadline)`: on timeout every task is cancelled."""
        try:
            return self.loop.run_until_complete(
                asyncio.wait_for(self._gather(workload, inputs), deadline_s)
            )
        except TimeoutError:
            raise DeadlineExceeded(
                f"asyncio.wait_for timed out after {deadline_s:g} s; tasks cancelled"
            ) from None

    def teardown(self) -> None:
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def describe(self) -> dict[str, Any]:
        return {"loop": type(self.loop).__module__ + "." + type(self.loop).__name__}
