"""`ceiling`: not a concurrency model but the machine's parallel ceiling for a workload.

`workers` plain OS processes forked before the clock starts, once per cell, and kept
for every repeat, so the warm-up warms them exactly as it warms a model's pool. They
inherit the inputs through fork (nothing is sent per task), take the next task index
from one shared counter as soon as they finish the last (dynamic self-scheduling: the
shortest finish, whatever the tasks' costs), keep their results locally and send them
in one message when the counter runs out; the timed run only resets the counter, wakes
the processes and collects each process's results as they arrive
(`multiprocessing.connection.wait`). No pool, no queue, no scheduler, no per-task
messages: the least any model must pay to run these tasks on `workers` cores.

A model's *share of the ceiling* (its time over the ceiling's) then says how much of
what this machine allows it achieves, rather than blaming the model for shared cores,
frequency scaling or neighbours. The report gives that share with an interval; a model
faster than the ceiling (over 100% of it, whatever its interval) is named and marks
the ceiling unreliable; the ceiling's own time is never replaced by the model's.
"""

from __future__ import annotations

import multiprocessing
import sys
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from comparisons.backends.base import BATCHED, Backend
from workloads.spec import Workload


def _serve(function: Any, inputs: list[Any], counter: Any, orders: Connection) -> None:
    """A ceiling worker: on each order, take tasks off the counter until none is left."""
    while orders.recv():
        done = []
        while True:
            with counter.get_lock():
                index = counter.value
                counter.value = index + 1
            if index >= len(inputs):
                break
            done.append((index, function(inputs[index])))
        orders.send(done)
    orders.close()


class CeilingBackend(Backend):
    yardstick = True
    name = "ceiling"
    summary = "reference, not a model: `workers` pre-forked processes sharing one task counter"
    parallel = True
    reference = True
    executor = "{n} pre-forked processes sharing one task counter"
    # Nothing is sent per task (inputs inherited, indices taken off a shared counter);
    # each process's results come back in one message.
    dispatch = BATCHED

    def setup(self) -> None:
        method = "fork" if sys.platform.startswith("linux") else None
        # Any: a concrete context (fork/spawn); typeshed's BaseContext lacks Process.
        self.context: Any = multiprocessing.get_context(method)
        self.staged_for: tuple[Any, Any] | None = None
        self.processes: list[tuple[Any, Connection]] = []
        self.counter = self.context.Value("q", 0)

    def prepare(self, workload: Workload, inputs: list[Any]) -> None:
        """Fork the workers with the inputs, once per cell (untimed, before any run)."""
        if self.staged_for is not None and self.staged_for == (workload.sync, id(inputs)):
            return
        self._stop_workers()
        for _ in range(min(self.workers, len(inputs))):
            mine, theirs = self.context.Pipe(duplex=True)
            proc = self.context.Process(
                target=_serve, args=(workload.sync, inputs, self.counter, theirs), daemon=True
            )
            proc.start()
            theirs.close()
            self.processes.append((proc, mine))
        self.staged_for = (workload.sync, id(inputs))

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        with self.counter.get_lock():
            self.counter.value = 0
        for _, connection in self.processes:
            connection.send(True)
        results: list[Any] = [None] * len(inputs)
        pending = [connection for _, connection in self.processes]
        while pending:
            for ready in wait(pending):
                connection = cast(Connection, ready)  # wait() returns what it was given
                for index, value in connection.recv():
                    results[index] = value
                pending.remove(connection)
        return results

    def _stop_workers(self) -> None:
        for _, connection in self.processes:
            try:
                connection.send(False)
            except OSError:
                pass
        for proc, connection in self.processes:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
            connection.close()
        self.processes = []
        self.staged_for = None

    def teardown(self) -> None:
        self._stop_workers()

    def describe(self) -> dict[str, Any]:
        return {
            "start_method": self.context.get_start_method(),
            "scheduling": "persistent pre-forked workers, one shared task counter",
        }
