"""`asyncio:anyio` and `trio:anyio`: the same tasks written once against AnyIO.

Idiom: `anyio.run(main, backend=...)`; `main` opens a task group, starts one task per input
and bounds them with an `anyio.CapacityLimiter(workers)` (AnyIO's documented primitives,
Trio's structured concurrency on either event loop). What it measures is AnyIO's cost
over the native code (`asyncio`, `trio`) on each loop. AnyIO runs asyncio-native and
Trio-native coroutines on their own backends, so each task is the workload's asyncio or
Trio form. Each repeat is one `anyio.run`, as for Trio.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import anyio

from comparisons.backends.base import PER_TASK, Backend
from comparisons.backends.mechanics import StructuredConcurrency, TaskGroupRuns
from workloads.spec import Workload


class AnyioAsyncioBackend(TaskGroupRuns, Backend):
    in_process = True
    name = "asyncio:anyio"
    summary = "anyio.run(backend='asyncio'): a task group under a CapacityLimiter(workers)"
    source = "anyio.readthedocs.io/en/stable/tasks.html"
    parallel = False
    event_loop = True
    executor = "an event loop"
    dispatch = PER_TASK  # start_soon per input
    anyio_backend: ClassVar[str] = "asyncio"
    deadline_note = "the task group's tasks were cancelled"
    primitives = StructuredConcurrency(
        anyio.create_task_group, anyio.move_on_after, anyio.CapacityLimiter
    )

    def call_async(self, function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        return anyio.run(function, *args, backend=self.anyio_backend)

    async def _task(
        self, workload: Workload, item: Any, limiter: anyio.CapacityLimiter, deadline: bool
    ) -> Any:
        form = workload.asyncio if self.anyio_backend == "asyncio" else workload.trio
        async with limiter:
            return await form(item)

    def describe(self) -> dict[str, Any]:
        from importlib.metadata import version

        return {"anyio": version("anyio"), "backend": self.anyio_backend}


class AnyioTrioBackend(AnyioAsyncioBackend):
    name = "trio:anyio"
    summary = "anyio.run(backend='trio'): a task group under a CapacityLimiter(workers)"
    anyio_backend = "trio"
