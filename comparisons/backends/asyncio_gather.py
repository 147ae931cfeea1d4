"""`asyncio`: one event loop, `asyncio.gather` of all tasks under a `Semaphore(workers)`.

Idiom: create every coroutine up front and `gather` them, bounding how many are in flight
with an `asyncio.Semaphore`, the pattern the asyncio documentation and most guides give
for "run many requests, at most N at once". `workers` is that concurrency limit; there is
one OS thread. Workloads' CPU work runs on that thread and blocks the loop, exactly as it
does in plain asyncio code (the report marks those rows).

Variants: the same code on uvloop's loop; blocking calls handed to threads with
`asyncio.to_thread` (the sync form of each task, on a default executor of `workers`
threads); CPU work kept on the loop but written cooperatively (the workload's form that
awaits `asyncio.sleep(0)` between chunks of its work); and the standard hybrid for CPU
work, `loop.run_in_executor` on a `ProcessPoolExecutor(workers)`, which takes the work
off the loop and off the GIL. Every variant on this loop records its worst lag.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any

from comparisons.backends.base import PER_TASK, Backend, DeadlineExceeded
from comparisons.backends.mechanics import shut_down_processes, shut_down_threads
from comparisons.backends.processes import InstallsShared, start_executor
from workloads.spec import Workload

# How often the event loop's heartbeat wakes to measure the loop's lag.
HEARTBEAT_S = 0.005


class AsyncioBackend(Backend):
    in_process = True
    name = "asyncio"
    summary = "asyncio.gather under a Semaphore(workers), one thread, default loop"
    source = "docs.python.org/3/library/asyncio-task.html#running-tasks-concurrently"
    parallel = False
    event_loop = True
    executor = "an event loop"
    dispatch = PER_TASK  # gather wraps each coroutine in a task of its own

    worst_loop_lag_s = 0.0

    def setup(self) -> None:
        self.loop = self.new_loop()
        # A workload's own `to_thread` (file I/O) runs on the default executor: give it
        # `workers` threads so the concurrency limit means what it means elsewhere
        # (asyncio's default is min(32, cores + 4)).
        self.threads = ThreadPoolExecutor(max_workers=self.workers)
        self.loop.set_default_executor(self.threads)

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return self.loop.run_until_complete(self._gather(workload, inputs))

    async def _gather(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        limit = asyncio.Semaphore(self.workers)

        async def bounded(item: Any) -> Any:
            async with limit:
                return await self._task(workload, item)

        heartbeat = asyncio.ensure_future(self._heartbeat())
        try:
            return list(await asyncio.gather(*(bounded(item) for item in inputs)))
        finally:
            heartbeat.cancel()

    async def _heartbeat(self) -> None:
        """Wake every HEARTBEAT_S and keep the worst lateness: how long the loop could
        not answer anything else (blocking work in a coroutine shows here)."""
        loop = asyncio.get_running_loop()
        while True:
            planned = loop.time() + HEARTBEAT_S
            try:
                await asyncio.sleep(HEARTBEAT_S)
            finally:
                # Also when cancelled at the end of the run: a loop blocked to the end
                # never woke the heartbeat, and that wait is the lag.
                self.worst_loop_lag_s = max(self.worst_loop_lag_s, loop.time() - planned)

    async def _task(self, workload: Workload, item: Any) -> Any:
        return await workload.asyncio(item)

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
        shut_down_threads(self.threads)

    def describe(self) -> dict[str, Any]:
        return {
            "loop": type(self.loop).__module__ + "." + type(self.loop).__name__,
            "loop_lag_max_s": self.worst_loop_lag_s,
            "heartbeat_s": HEARTBEAT_S,
        }


class UvloopBackend(AsyncioBackend):
    name = "asyncio:uvloop"
    summary = "the same asyncio code on uvloop's event loop (libuv)"
    source = "uvloop.readthedocs.io"

    def new_loop(self) -> asyncio.AbstractEventLoop:
        import uvloop

        return uvloop.new_event_loop()


class ToThreadBackend(AsyncioBackend):
    """`asyncio:to-thread`: each task's blocking (sync) form via `asyncio.to_thread`.

    The documented way to call blocking code from asyncio. `to_thread` runs on the
    loop's default executor; it is set to `workers` threads so the concurrency limit
    means what it means elsewhere (asyncio's own default is min(32, cores + 4)).
    """

    name = "asyncio:to-thread"
    summary = (
        "asyncio.gather of asyncio.to_thread(sync task), default executor of `workers` threads"
    )
    source = "docs.python.org/3/library/asyncio-task.html#running-in-threads"
    event_loop = False  # the work runs in threads; the loop stays free
    executor = "{n} threads"

    async def _task(self, workload: Workload, item: Any) -> Any:
        return await asyncio.to_thread(workload.sync, item)


class CooperativeBackend(AsyncioBackend):
    """`asyncio:cooperative`: the same gather, each task the workload's cooperative form.

    CPU work stays on the loop's one thread but yields to it between chunks (`await
    asyncio.sleep(0)`, which asyncio's documentation gives for long-running code that
    must not block the loop), so other tasks, and the heartbeat, run between chunks.
    Beside `asyncio`, whose CPU work never awaits, its loop lag says how much of the
    stall comes from not awaiting. A workload without such a form (`asyncio_cooperative`
    in its spec) is skipped, saying so.
    """

    name = "asyncio:cooperative"
    summary = (
        "asyncio.gather of each task's cooperative form: its CPU work in chunks, "
        "await asyncio.sleep(0) between them"
    )
    source = "docs.python.org/3/library/asyncio-task.html#asyncio.sleep"

    def cannot_run_workload(self, workload: Workload) -> str | None:
        if workload.asyncio_cooperative is None:
            return (
                f"{self.name} runs a workload's cooperative form (its CPU work in chunks, "
                f"awaiting asyncio.sleep(0) between them); {workload.name} has none "
                "(cpu.primes has one)"
            )
        return None

    async def _task(self, workload: Workload, item: Any) -> Any:
        cooperative = workload.asyncio_cooperative
        if cooperative is None:  # `cannot_run_workload` skips such cells before any task
            raise TypeError(f"{workload.name} has no cooperative form")
        return await cooperative(item)


class ProcessPoolHybridBackend(InstallsShared, AsyncioBackend):
    """`asyncio:process-pool`: `loop.run_in_executor(ProcessPoolExecutor(workers), fn, x)`.

    The standard asyncio answer to CPU-bound work (asyncio docs, "Executing code in
    thread or process pools"): coroutines stay on the loop, the work goes to processes.
    """

    in_process = False
    initializer_of = "executor"

    name = "asyncio:process-pool"
    summary = "asyncio.gather of loop.run_in_executor(ProcessPoolExecutor(workers), sync task)"
    source = (
        "docs.python.org/3/library/asyncio-eventloop.html#executing-code-in-thread-or-process-pools"
    )
    parallel = True
    event_loop = False
    executor = "a pool of {n} processes"
    dispatch = PER_TASK  # one run_in_executor submission, one pipe message, per task
    # Peak PSS measured by `python -m comparisons.run.memory_model`:
    # 27 + 2 MiB (forked workers).
    bytes_fixed = 32 * 2**20
    bytes_per_worker = 4 * 2**20

    stuck = False

    def setup(self) -> None:
        super().setup()
        self.processes = start_executor(self.mp_context(), self.workers, self.shared_input)

    def mp_context(self) -> BaseContext:
        return multiprocessing.get_context()

    async def _task(self, workload: Workload, item: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.processes, workload.sync, item)

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        try:
            return super().run_until(workload, inputs, deadline_s)
        except DeadlineExceeded:
            self.stuck = True
            raise DeadlineExceeded(
                f"asyncio.wait_for timed out after {deadline_s:g} s; the awaiting tasks "
                "were cancelled, the running process task cannot be"
            ) from None

    def teardown(self) -> None:
        super().teardown()
        shut_down_processes(self.processes, stuck=self.stuck or self.interrupted)
