"""`asyncio:anyio` and `trio:anyio`: the same tasks written once against AnyIO.

Idiom: `anyio.run(main, backend=...)`; `main` opens a task group, starts one task per input
and bounds them with an `anyio.CapacityLimiter(workers)` (AnyIO's documented primitives,
Trio's structured concurrency on either event loop). What it measures is AnyIO's cost
over the native code (`asyncio`, `trio`) on each loop. AnyIO runs asyncio-native and
Trio-native coroutines on their own backends, so each task is the workload's asyncio or
Trio form. Each repeat is one `anyio.run`, as for Trio.
"""

from __future__ import annotations

from typing import Any, ClassVar

from comparisons.backends.base import Backend, DeadlineExceeded
from workloads.spec import Workload


class AnyioAsyncioBackend(Backend):
    in_process = True
    name = "asyncio:anyio"
    summary = "anyio.run(backend='asyncio'): a task group under a CapacityLimiter(workers)"
    source = "anyio.readthedocs.io/en/stable/tasks.html"
    parallel = False
    event_loop = True
    anyio_backend: ClassVar[str] = "asyncio"

    def setup(self) -> None:
        import anyio

        self.anyio = anyio

    def _form(self, workload: Workload) -> Any:
        return workload.asyncio if self.anyio_backend == "asyncio" else workload.trio

    async def _run_all(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        limiter = self.anyio.CapacityLimiter(self.workers)
        results: list[Any] = [None] * len(inputs)
        task = self._form(workload)

        async def one(index: int, item: Any) -> None:
            async with limiter:
                results[index] = await task(item)

        async with self.anyio.create_task_group() as group:
            for index, item in enumerate(inputs):
                group.start_soon(one, index, item)
        return results

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return self.anyio.run(self._run_all, workload, inputs, backend=self.anyio_backend)

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`anyio.move_on_after(deadline)` around the task group cancels every task."""

        async def bounded() -> list[Any] | None:
            with self.anyio.move_on_after(deadline_s):
                return await self._run_all(workload, inputs)
            return None

        results = self.anyio.run(bounded, backend=self.anyio_backend)
        if results is None:
            raise DeadlineExceeded(
                f"move_on_after({deadline_s:g}) expired; the task group's tasks were cancelled"
            )
        return results

    def teardown(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        from importlib.metadata import version

        return {"anyio": version("anyio"), "backend": self.anyio_backend}


class AnyioTrioBackend(AnyioAsyncioBackend):
    name = "trio:anyio"
    summary = "anyio.run(backend='trio'): a task group under a CapacityLimiter(workers)"
    anyio_backend = "trio"
