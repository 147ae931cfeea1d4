"""`fault.raise`: the last task raises at once while the others work for a second.

Probes how a model reports a failing task: is the task's own exception (type, message,
traceback naming the task function) raised to the caller, how long after the start,
and do the other tasks run to completion or get cancelled?
"""

from __future__ import annotations

import asyncio

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

MESSAGE = "task {} failed on purpose"


class DeliberateFailure(ValueError):
    """The exception the failing task raises (a subclass, so it is recognisable)."""


def raise_or_work(item: tuple[int, bool]) -> int:
    task_id, fails = item
    if fails:
        raise DeliberateFailure(MESSAGE.format(task_id))
    return honest_work(task_id)


async def raise_or_work_asyncio(item: tuple[int, bool]) -> int:
    task_id, fails = item
    if fails:
        raise DeliberateFailure(MESSAGE.format(task_id))
    await asyncio.sleep(OTHER_TASK_S)
    mark(f"done-{task_id}")
    return task_id


async def raise_or_work_trio(item: tuple[int, bool]) -> int:
    task_id, fails = item
    if fails:
        raise DeliberateFailure(MESSAGE.format(task_id))
    await trio.sleep(OTHER_TASK_S)
    mark(f"done-{task_id}")
    return task_id


WORKLOAD = Workload(
    name="fault.raise",
    kind="fault",
    description="the last task raises at once; does the error reach the caller, and when?",
    sync=raise_or_work,
    asyncio=raise_or_work_asyncio,
    trio=raise_or_work_trio,
    make_inputs=one_faulty_task_last,
    expected=task_ids,
    params=PATIENCE,
    category=Category.FAULTS,
)
