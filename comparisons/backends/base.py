"""The one small interface every concurrency model implements.

A backend is built with a worker count, set up once (pool, event loop, cluster), asked
to run a workload over a list of inputs any number of times, and torn down. The cell
runner (`comparisons.cell`) times `setup`, each `run` and `teardown` separately, so
start-up cost is never mixed into steady-state cost. A backend knows its model's idiom
and nothing about any particular workload beyond `workloads.spec.Workload`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from workloads.spec import Workload


class Backend(ABC):
    """Runs a workload's tasks with one concurrency model.

    Class attributes:
        name: registry name.
        summary: one line for `python -m comparisons list`.
        parallel: True when tasks can execute Python bytecode on several cores at once.
        fixed_workers: when set, the only worker count this model accepts (serial: 1).
        event_loop: True when tasks are coroutines on one event-loop thread (asyncio,
            Trio), so CPU work in a task blocks every other task.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    parallel: ClassVar[bool]
    fixed_workers: ClassVar[int | None] = None
    event_loop: ClassVar[bool] = False

    def __init__(self, workers: int) -> None:
        self.workers = workers

    @abstractmethod
    def setup(self) -> None:
        """Start what the model needs before any task runs (timed as set-up)."""

    @abstractmethod
    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        """Run one task per input and return the results in input order (timed)."""

    @abstractmethod
    def teardown(self) -> None:
        """Stop everything `setup` started and wait for it (timed as teardown)."""

    def describe(self) -> dict[str, Any]:
        """Settings worth recording (chunk size, start method, addresses, versions)."""
        return {}
