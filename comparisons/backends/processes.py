"""`processes`: `multiprocessing.Pool` of `workers` processes, `Pool.map` with a chunksize.

Idiom: `pool.map(fn, inputs, chunksize)`. Sending tasks one by one costs a pickle and a
pipe round trip each; the documentation recommends a chunksize for long iterables, and
the one used here is the heuristic `Pool.map` applies itself when none is given
(ceil(len / (4 * workers))), written out so the record states it. The start method is
the platform's default (fork on Linux before Python 3.14) and is recorded.

Variants: the same Pool under the `forkserver` and `spawn` start methods (start-up and
memory differ a lot: spawn starts a fresh interpreter per worker and imports the task's
module there); `concurrent.futures.ProcessPoolExecutor.map` with its default chunksize
of 1; and one `multiprocessing.Process` per task with results on a Queue, as in the
tutorial.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue, SimpleQueue
from typing import Any, ClassVar

from comparisons.backends.base import BATCHED, PER_TASK, DeadlineExceeded
from comparisons.backends.mechanics import ExecutorMap, ProcessWorkerBackend, shut_down_processes
from workloads.spec import Workload

START_TIMEOUT_S = 120.0
# How often set-up looks for a worker's "started" (a few ms of a pool's set-up).
READY_POLL_S = 0.002


def _signal_started(started: SimpleQueue[int], shared: Any = None) -> None:
    """A worker's initializer: install the shared input (if any), then say it is up.

    On a `SimpleQueue`, whose `put` writes at once: a `Queue`'s `put` starts a feeder
    thread that then lives in the worker for the whole run, a thread a user's pool does
    not have. A script driving this backend ran fidelity's processes case 1.032x
    (1.018-1.046) a plain script's time with a Queue and 0.987x (0.974-1.002) with a
    SimpleQueue, in one experiment of 20 paired rounds on the 2-core VM."""
    global _INSTALLED
    _INSTALLED = shared
    started.put(os.getpid())


# The shared input a worker's initializer installed (`InstalledShared` opens it). With
# fork it is the parent's own object, inherited page by page; with spawn or forkserver
# it arrived pickled, once per worker.
_INSTALLED: Any = None


@dataclass(frozen=True)
class InstalledShared:
    """What each task gets when the pool's initializer installed the shared input."""

    def open_shared(self) -> Any:
        if _INSTALLED is None:
            raise RuntimeError("no shared input installed in this worker")
        return _INSTALLED


class InstallsShared:
    """Pool and executor idiom for a shared input: give it to every worker through the
    initializer (the documentation's "inherit rather than pickle": with fork the workers
    inherit it, with spawn and forkserver it is pickled once per worker, never per task)."""

    shared_input: Any
    mp_context: Callable[[], BaseContext]  # from ProcessWorkerBackend, or the class's own
    # Whose initializer the record names: a Pool's or an executor's.
    initializer_of: ClassVar[str] = "pool"

    def share(self, shared: Any) -> Any:
        return InstalledShared() if self.shared_input is not None else shared

    def sharing(self) -> tuple[str, str]:
        given = f"given to the {self.initializer_of}'s initializer"
        if self.mp_context().get_start_method() == "fork":
            return f"{given}, inherited by fork", "inherited"
        return f"{given}, pickled once per worker", "per worker"


def wait_for_workers(started: SimpleQueue[int], count: int) -> None:
    """Block until `count` worker processes have run their initializer.

    A pool returns before its workers exist (spawn starts a fresh interpreter each);
    waiting here makes set-up mean "every worker ready", so start-up cost is never
    charged to the first run instead. A SimpleQueue's `get` has no timeout: it is read
    only when not empty, until the deadline.
    """
    deadline = time.monotonic() + START_TIMEOUT_S
    for _ in range(count):
        while started.empty():
            if time.monotonic() >= deadline:
                raise RuntimeError(f"worker processes did not start within {START_TIMEOUT_S:g} s")
            time.sleep(READY_POLL_S)
        started.get()


def pool_chunksize(tasks: int, workers: int) -> int:
    """The chunk size `Pool.map` itself picks: about four chunks per worker."""
    return max(1, math.ceil(tasks / (4 * workers)))


class ProcessesBackend(InstallsShared, ProcessWorkerBackend):
    name = "processes"
    summary = "multiprocessing.Pool.map over `workers` processes, default chunksize rule"
    source = "docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.map"
    executor = "a pool of {n} processes"
    # Pool.map sends chunks of ceil(tasks / (4 * workers)) inputs, one message each (the
    # record's `chunksize`); the start-method and shared-memory variants inherit this.
    dispatch = BATCHED
    terminated = False  # set when run_until had to terminate the pool

    def setup(self) -> None:
        context = self.mp_context()
        started = context.SimpleQueue()
        self.pool = context.Pool(
            processes=self.workers,
            initializer=_signal_started,
            initargs=(started, self.shared_input),
        )
        wait_for_workers(started, self.workers)

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        self.last_chunksize = pool_chunksize(len(inputs), self.workers)
        return self.pool.map(workload.sync, inputs, chunksize=self.last_chunksize)

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`map_async(...).get(timeout)`; on timeout the only way to stop workers is
        `pool.terminate()`, which kills them all."""
        chunksize = pool_chunksize(len(inputs), self.workers)
        pending = self.pool.map_async(workload.sync, inputs, chunksize=chunksize)
        try:
            return pending.get(timeout=deadline_s)
        except multiprocessing.TimeoutError:
            self.pool.terminate()
            self.terminated = True
            raise DeadlineExceeded(
                f"AsyncResult.get timed out after {deadline_s:g} s; pool terminated"
            ) from None

    def teardown(self) -> None:
        if self.terminated or self.interrupted:
            # `close` then `join` would wait for tasks that may never finish.
            self.pool.terminate()
        else:
            self.pool.close()
        self.pool.join()


class ForkserverPoolBackend(ProcessesBackend):
    name = "processes:forkserver"
    summary = "the same Pool.map, start method forkserver (workers forked from a clean server)"
    source = "docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods"
    start_method = "forkserver"
    # Peak PSS measured by `python -m comparisons.run.memory_model`:
    # 41 + 16 MiB; workers fork from a server of their own.
    bytes_fixed = 48 * 2**20
    bytes_per_worker = 20 * 2**20


class SpawnPoolBackend(ProcessesBackend):
    name = "processes:spawn"
    summary = "the same Pool.map, start method spawn (a fresh interpreter per worker)"
    source = "docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods"
    start_method = "spawn"
    # A spawned worker imports the task's modules afresh: more memory than a forked one.
    # Peak PSS measured by `python -m comparisons.run.memory_model`:
    # 34 + 18 MiB.
    bytes_fixed = 40 * 2**20
    bytes_per_worker = 22 * 2**20


def start_executor(context: BaseContext, workers: int, shared: Any = None) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor with all `workers` processes started and ready, `shared`
    installed in each by the initializer.

    It starts a process per submission while none is idle, so `workers` quick no-op
    submissions made back to back start them all; the initializer says when each is up.
    """
    started = context.SimpleQueue()
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_signal_started,
        initargs=(started, shared),
    )
    for future in [executor.submit(abs, i) for i in range(workers)]:
        future.result()
    wait_for_workers(started, workers)
    return executor


class ProcessPoolExecutorBackend(ExecutorMap, InstallsShared, ProcessWorkerBackend):
    """`processes:executor`: `ProcessPoolExecutor(workers).map(fn, inputs)`.

    As the documentation's example writes it, with map's default chunksize of 1: one
    pickle and pipe round trip per task, where `Pool.map` batches about a quarter of a
    worker's share per message. On a deadline pending tasks are cancelled, and a running
    one cannot be stopped (`terminate_workers` arrives only in 3.14): teardown kills it.
    """

    name = "processes:executor"
    summary = "concurrent.futures.ProcessPoolExecutor.map, default chunksize 1"
    source = "docs.python.org/3/library/concurrent.futures.html#processpoolexecutor-example"
    executor = "a pool of {n} processes"
    dispatch = PER_TASK  # map's chunksize 1: one pickle and pipe message per task
    last_chunksize = 1

    def setup(self) -> None:
        self.pool = start_executor(self.mp_context(), self.workers, self.shared_input)

    def teardown(self) -> None:
        shut_down_processes(self.pool, stuck=self.stuck or self.interrupted)


class ChunkedExecutorBackend(ProcessPoolExecutorBackend):
    """`processes:executor-chunked`: the same `ProcessPoolExecutor.map` with a chunksize,
    the one `Pool.map` picks itself (about four chunks per worker): the documentation's
    advice for very long iterables, tried against `processes:executor`'s default of 1 on
    the same executor, so the claim compares one API at two chunk sizes.
    """

    name = "processes:executor-chunked"
    summary = "the same ProcessPoolExecutor.map with Pool.map's chunksize (four chunks a worker)"
    source = "docs.python.org/3/library/concurrent.futures.html#concurrent.futures.Executor.map"
    dispatch = BATCHED

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        self.last_chunksize = pool_chunksize(len(inputs), self.workers)
        return list(self.pool.map(workload.sync, inputs, chunksize=self.last_chunksize))

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        self.last_chunksize = pool_chunksize(len(inputs), self.workers)
        try:
            return list(
                self.pool.map(
                    workload.sync, inputs, timeout=deadline_s, chunksize=self.last_chunksize
                )
            )
        except TimeoutError:
            self.stuck = True
            raise DeadlineExceeded(
                f"executor.map timed out after {deadline_s:g} s; pending chunks cancelled, "
                f"{self.running_task_note}"
            ) from None


class SharedMemoryPoolBackend(ProcessesBackend):
    """`processes:shared-memory`: the same `Pool.map`; a shared input (a NumPy array)
    is copied once into a `multiprocessing.shared_memory` block and each task gets the
    block's name, attaching to it where it runs (no pickling of the data at all, with
    any start method). It differs from `processes` only for a workload with a shared
    input (`cpu.shared`); other workloads are skipped, saying so.
    """

    name = "processes:shared-memory"
    summary = "the same Pool.map; a shared input goes into multiprocessing.shared_memory once"
    source = "docs.python.org/3/library/multiprocessing.shared_memory.html"
    shared_idiom = "copied once into multiprocessing.shared_memory; tasks attach by name"
    shared_crossing = "once"
    block: Any = None

    def setup(self) -> None:
        self.shared_input = None  # the block, not the initializer, carries it
        super().setup()

    def cannot_run_workload(self, workload: Workload) -> str | None:
        if workload.shared_input is None:
            return (
                f"{self.name} differs from processes only for a workload with a shared "
                f"input (cpu.shared); {workload.name} has none"
            )
        return None

    def share(self, shared: Any) -> Any:
        from multiprocessing import shared_memory

        import numpy as np

        from workloads.sharing import SharedMemoryArray

        if not isinstance(shared, np.ndarray):
            raise TypeError(f"{self.name} shares NumPy arrays, not {type(shared).__name__}")
        self.block = shared_memory.SharedMemory(create=True, size=max(1, shared.nbytes))
        np.ndarray(shared.shape, dtype=shared.dtype, buffer=self.block.buf)[...] = shared
        return SharedMemoryArray(self.block.name, tuple(shared.shape), shared.dtype.str)

    def sharing(self) -> tuple[str, str]:
        return self.shared_idiom, self.shared_crossing

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            if self.block is not None:
                self.block.close()
                self.block.unlink()


def _run_one(function: Any, index: int, item: Any, results: Queue[Any]) -> None:
    try:
        results.put((index, True, function(item)))
    except BaseException as exc:
        results.put((index, False, exc))


class ProcessPerTaskBackend(ProcessWorkerBackend):
    """`processes:per-task`: one `multiprocessing.Process` per task, results on a Queue.

    The tutorial's form: start a Process per task, read one result per task from a
    `multiprocessing.Queue` (before joining, as the documentation warns: a child that
    has put data on a queue is not joined until the data is read), then join them all.
    Every task pays a process start; concurrency is the number of tasks.
    """

    name = "processes:per-task"
    summary = "one multiprocessing.Process per task, results on a Queue (the tutorial's form)"
    source = "docs.python.org/3/library/multiprocessing.html#exchanging-objects-between-processes"
    one_worker_per_task = True
    executor = "one process per task"
    dispatch = PER_TASK

    def sharing(self) -> tuple[str, str]:
        if self.mp_context().get_start_method() == "fork":
            return "passed in each Process's arguments, inherited by fork", "inherited"
        return "passed in each Process's arguments, pickled for each", "per task"

    def _start(self, workload: Workload, inputs: list[Any]) -> tuple[list[BaseProcess], Queue[Any]]:
        context: Any = self.mp_context()  # a concrete context: typeshed's base lacks Process
        results = context.Queue()
        procs = [
            context.Process(target=_run_one, args=(workload.sync, i, item, results))
            for i, item in enumerate(inputs)
        ]
        for proc in procs:
            proc.start()
        return procs, results

    def _collect(
        self, procs: list[BaseProcess], results: Queue[Any], count: int, deadline: float | None
    ) -> list[Any]:
        values: list[Any] = [None] * count
        for _ in range(count):
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                index, ok, value = results.get(timeout=timeout)
            except queue.Empty:
                for proc in procs:
                    proc.kill()
                for proc in procs:
                    proc.join()
                raise DeadlineExceeded("Queue.get timed out; every task's process killed") from None
            if not ok:
                for proc in procs:
                    proc.join()
                raise value
            values[index] = value
        for proc in procs:
            proc.join()
        return values

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        procs, results = self._start(workload, inputs)
        return self._collect(procs, results, len(inputs), None)

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """Each result read with the time left; on the deadline every process is killed.
        A task whose process dies puts nothing, so only the deadline notices it."""
        procs, results = self._start(workload, inputs)
        return self._collect(procs, results, len(inputs), time.monotonic() + deadline_s)
