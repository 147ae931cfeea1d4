"""`overhead.noop`: empty tasks, so what is measured is the model's cost per task.

Each task returns its input unchanged. Throughput (tasks/s) and time per task are then
the price of submitting, scheduling and collecting one task in each model: pickling and
pipes for processes, the scheduler for Dask, the object store and raylet for Ray, a
coroutine step for asyncio and Trio.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workloads.spec import Workload
from workloads.vocabulary import Category


def identity(item: int) -> int:
    return item


async def identity_async(item: int) -> int:
    return item


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[int]:
    return list(range(tasks))


WORKLOAD = Workload(
    name="overhead.noop",
    kind="overhead",
    description="empty tasks: the model's own cost per task",
    sync=identity,
    asyncio=identity_async,
    trio=identity_async,
    make_inputs=make_inputs,
    expected=make_inputs,
    category=Category.TINY_TASKS,
)
