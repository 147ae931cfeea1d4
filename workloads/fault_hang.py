"""`fault.hang`: the last task never returns; the caller gives up after a deadline.

Probes whether the caller can time out and cancel a hung task with the model's own
tools (futures' wait and cancel, `AsyncResult.get(timeout)` and `terminate`,
`asyncio.wait_for`, Trio's `move_on_after`, Dask's `wait` and `cancel`, `ray.get`
with a timeout and `ray.cancel`), and whether the hung task is still running
afterwards (it beats a heartbeat file while it runs). The hang is a blocking sleep in
threads and processes, and a cancellable sleep in asyncio and Trio, as in real code.
"""

from __future__ import annotations

import asyncio
import time

import trio

from workloads.faults_common import (
    HEARTBEAT_S,
    OTHER_TASK_S,
    PATIENCE,
    heartbeat,
    honest_work,
    mark,
    one_faulty_task_last,
    task_ids,
)
from workloads.spec import Workload
from workloads.vocabulary import Category


def hang_or_work(item: tuple[int, bool]) -> int:
    task_id, hangs = item
    if hangs:
        while True:
            heartbeat()
            time.sleep(HEARTBEAT_S)
    return honest_work(task_id)


async def hang_or_work_asyncio(item: tuple[int, bool]) -> int:
    task_id, hangs = item
    if hangs:
        while True:
            heartbeat()
            await asyncio.sleep(HEARTBEAT_S)
    await asyncio.sleep(OTHER_TASK_S)
    mark(f"done-{task_id}")
    return task_id


async def hang_or_work_trio(item: tuple[int, bool]) -> int:
    task_id, hangs = item
    if hangs:
        while True:
            heartbeat()
            await trio.sleep(HEARTBEAT_S)
    await trio.sleep(OTHER_TASK_S)
    mark(f"done-{task_id}")
    return task_id


WORKLOAD = Workload(
    name="fault.hang",
    kind="fault",
    description="the last task never returns; can the caller time it out and cancel it?",
    sync=hang_or_work,
    asyncio=hang_or_work_asyncio,
    trio=hang_or_work_trio,
    make_inputs=one_faulty_task_last,
    expected=task_ids,
    params=PATIENCE,
    category=Category.FAULTS,
)
