"""Mechanics several backends share, as mixins and helpers they combine with `Backend`.

Each piece is one idiom's plumbing, written once (as joblib's `_parallel_backends`
does with `PoolManagerMixin` and `AutoBatchingMixin`):

- `ExecutorMap`: `executor.map(fn, inputs)` on a `concurrent.futures` executor, with
  `run_until` through map's own `timeout=` (thread, interpreter and process pools);
- `shut_down_threads`, `shut_down_processes`: end a pool whether or not a task is
  hung in it;
- `TaskGroupRuns`: structured concurrency (a Trio nursery, an AnyIO task group), one
  task per input under a capacity limiter, results by index, and `run_until` as a
  `move_on_after` cancel scope around the group; `StructuredConcurrency` names the
  three primitives it takes from the library;
- `ProcessWorkerBackend`: the base of models whose workers are processes of one
  `multiprocessing` start method (their context, their description).

A mixin comes before `Backend` in a class's bases, so its `run`/`run_until` are the ones
`Backend.has_deadline` finds.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any, ClassVar

import psutil

from comparisons.backends.base import Backend, DeadlineExceeded
from workloads.spec import Workload


class ExecutorMap:
    """`run` as `executor.map(workload.sync, inputs)` on `self.pool`, the executor.

    On the deadline `map` cancels the tasks not yet started; a running one cannot be
    stopped, so `stuck` is set for teardown to know.
    """

    pool: Executor
    stuck: bool = False
    # How the DeadlineExceeded message ends: what happens to a task already running.
    running_task_note: ClassVar[str] = "the running one cannot be stopped"

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return list(self.pool.map(workload.sync, inputs))

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`executor.map(..., timeout=)`: on timeout, map cancels the pending tasks."""
        try:
            return list(self.pool.map(workload.sync, inputs, timeout=deadline_s))
        except TimeoutError:
            self.stuck = True
            raise DeadlineExceeded(
                f"executor.map timed out after {deadline_s:g} s; pending tasks cancelled, "
                f"{self.running_task_note}"
            ) from None


def kill_child_processes() -> None:
    """Kill this process's worker processes that a hung task keeps from exiting."""
    for child in psutil.Process().children(recursive=True):
        try:
            child.kill()
        except psutil.Error:
            continue


def shut_down_threads(executor: Executor | None) -> None:
    """End a thread (or interpreter) pool without waiting: one stuck in a hung task
    never returns and cannot be killed, so waiting would block the cell forever."""
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)


def shut_down_processes(executor: Executor | None, *, stuck: bool) -> None:
    """End a process pool and wait for its workers, unless a task is stuck in one:
    then cancel what is pending and kill the workers, since `shutdown(wait=True)` would
    wait forever (`terminate_workers` arrives only in 3.14)."""
    if executor is None:
        return
    if not stuck:
        executor.shutdown(wait=True)
        return
    executor.shutdown(wait=False, cancel_futures=True)
    kill_child_processes()


@dataclass(frozen=True)
class StructuredConcurrency:
    """The primitives `TaskGroupRuns` takes from a structured-concurrency library: Trio's,
    or AnyIO's, which has the same three under its own names."""

    open_task_group: Callable[[], AbstractAsyncContextManager[Any]]
    move_on_after: Callable[[float], AbstractContextManager[Any]]
    capacity_limiter: Callable[[int], Any]


class TaskGroupRuns:
    """One task per input in a task group, at most `workers` at once, results by index.

    A concrete class names its library's `primitives`, says how to enter async code
    from the cell's thread (`call_async`) and what one task does (`_task`). `run_until`
    wraps the group in `move_on_after`: on the deadline the scope cancels every task in
    it, and `deadline_note` ends the DeadlineExceeded message.
    """

    workers: int
    primitives: ClassVar[StructuredConcurrency]
    deadline_note: ClassVar[str] = "the nursery's tasks were cancelled"

    def call_async(self, function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        raise NotImplementedError

    def new_limiter(self) -> Any:
        """The capacity limiter of one run: `workers` tokens."""
        return self.primitives.capacity_limiter(self.workers)

    async def _task(self, workload: Workload, item: Any, limiter: Any, deadline: bool) -> Any:
        """One task's result; `deadline` is True under `run_until` (the scope may cancel)."""
        raise NotImplementedError

    async def _run_all(
        self, workload: Workload, inputs: list[Any], deadline: bool = False
    ) -> list[Any]:
        limiter = self.new_limiter()
        results: list[Any] = [None] * len(inputs)

        async def one(index: int, item: Any) -> None:
            results[index] = await self._task(workload, item, limiter, deadline)

        async with self.primitives.open_task_group() as group:
            for index, item in enumerate(inputs):
                group.start_soon(one, index, item)
        return results

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return self.call_async(self._run_all, workload, inputs)

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`move_on_after(deadline)` around the task group cancels every task in it."""

        async def bounded() -> list[Any] | None:
            with self.primitives.move_on_after(deadline_s):
                return await self._run_all(workload, inputs, deadline=True)
            return None

        results = self.call_async(bounded)
        if results is None:
            raise DeadlineExceeded(f"move_on_after({deadline_s:g}) expired; {self.deadline_note}")
        return results


class ProcessWorkerBackend(Backend):
    """A model whose workers are processes started by one `multiprocessing` method.

    `start_method` None is the platform's default (fork on Linux before Python 3.14);
    the record states the one used, and the chunk size when the idiom has one.
    """

    parallel = True
    start_method: ClassVar[str | None] = None
    last_chunksize: int | None = None
    # Peak PSS measured by `python -m comparisons.run.memory_model`:
    # 27 + 2 MiB; forked workers share the parent's pages.
    bytes_fixed = 32 * 2**20
    bytes_per_worker = 4 * 2**20

    def mp_context(self) -> BaseContext:
        return multiprocessing.get_context(self.start_method)

    def describe(self) -> dict[str, Any]:
        return {
            "start_method": self.mp_context().get_start_method(),
            "chunksize": self.last_chunksize,
        }
