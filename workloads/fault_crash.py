"""`fault.crash`: the last task kills the process it runs in (`os._exit`).

Probes what a model does when a worker dies mid-task: retry or reschedule it, raise an
error to the caller (BrokenProcessPool, KilledWorker, WorkerCrashedError), or wait
forever. In models whose tasks run in the caller's own process (serial, threads,
asyncio, Trio) the whole program dies, and the record says so.
"""

from __future__ import annotations

import asyncio
import os

import trio

from workloads.faults_common import (
    OTHER_TASK_S,
    PATIENCE,
    honest_work,
    mark,
    one_faulty_task_last,
    task_ids,
)
from workloads.spec import Workload
from workloads.vocabulary import Category

EXIT_CODE = 3


def crash_or_work(item: tuple[int, bool]) -> int:
    task_id, crashes = item
    if crashes:
        mark(f"crashed-{os.getpid()}")
        os._exit(EXIT_CODE)
    return honest_work(task_id)


async def crash_or_work_asyncio(item: tuple[int, bool]) -> int:
    task_id, crashes = item
    if crashes:
        os._exit(EXIT_CODE)
    await asyncio.sleep(OTHER_TASK_S)
    mark(f"done-{task_id}")
    return task_id


async def crash_or_work_trio(item: tuple[int, bool]) -> int:
    task_id, crashes = item
    if crashes:
        os._exit(EXIT_CODE)
    await trio.sleep(OTHER_TASK_S)
    mark(f"done-{task_id}")
    return task_id


WORKLOAD = Workload(
    name="fault.crash",
    kind="fault",
    description="the last task kills its own process; retry, raise, or hang?",
    sync=crash_or_work,
    asyncio=crash_or_work_asyncio,
    trio=crash_or_work_trio,
    make_inputs=one_faulty_task_last,
    expected=task_ids,
    params=PATIENCE,
    category=Category.FAULTS,
)
