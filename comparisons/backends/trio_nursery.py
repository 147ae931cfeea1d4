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

from collections.abc import Awaitable, Callable
from typing import Any

import trio

from comparisons.backends.base import PER_TASK, Backend
from comparisons.backends.mechanics import StructuredConcurrency, TaskGroupRuns
from workloads.spec import Workload

# Trio's nursery, cancel scope and limiter, for every Trio backend's task group.
TRIO = StructuredConcurrency(trio.open_nursery, trio.move_on_after, trio.CapacityLimiter)


class TrioBackend(TaskGroupRuns, Backend):
    in_process = True
    name = "trio"
    summary = "trio.run: a nursery task per input under a CapacityLimiter(workers)"
    source = (
        "trio.readthedocs.io/en/stable/reference-core.html#tasks-let-you-do-multiple-things-at-once"
    )
    parallel = False
    event_loop = True
    executor = "an event loop"
    dispatch = PER_TASK  # start_soon per input
    primitives = TRIO

    def call_async(self, function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        return trio.run(function, *args)

    def new_limiter(self) -> trio.CapacityLimiter:
        # A workload's own `trio.to_thread` (file I/O) uses the default limiter (40
        # threads): give it `workers`, as every model gets.
        trio.to_thread.current_default_thread_limiter().total_tokens = self.workers
        return super().new_limiter()

    async def _task(
        self, workload: Workload, item: Any, limiter: trio.CapacityLimiter, deadline: bool
    ) -> Any:
        async with limiter:
            return await workload.trio(item)

    def describe(self) -> dict[str, Any]:
        return {"trio": trio.__version__}


class TrioToThreadBackend(TrioBackend):
    name = "trio:to-thread"
    summary = "a nursery of trio.to_thread.run_sync(sync task, limiter=CapacityLimiter(workers))"
    source = "trio.readthedocs.io/en/stable/reference-core.html#trio.to_thread.run_sync"
    event_loop = False  # the work runs in threads; the scheduler stays free
    executor = "{n} threads"

    async def _task(
        self, workload: Workload, item: Any, limiter: trio.CapacityLimiter, deadline: bool
    ) -> Any:
        # abandon_on_cancel: on a deadline Trio stops waiting for a thread it cannot stop.
        return await trio.to_thread.run_sync(
            workload.sync, item, limiter=limiter, abandon_on_cancel=True
        )
