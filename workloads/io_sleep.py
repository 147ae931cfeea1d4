"""`io.sleep`: simulated I/O latency, waited with each model's own non-blocking wait.

Each task waits `latency` seconds and returns its id: `time.sleep` in threads,
processes, Dask and Ray (the OS thread blocks, the GIL is released), `asyncio.sleep`
on an asyncio loop, `trio.sleep` under Trio. It reproduces the tutorial's classic
demonstration: 3 tasks of 2 s take about 6 s serially and about 2 s on any model that
runs them concurrently. The expected result is the list of task ids in input order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import trio

from workloads.spec import Param, Workload, waits_in_rounds
from workloads.vocabulary import Category

PARAMS = {
    "latency": Param(0.1, "seconds each task waits", minimum=0.0, maximum=3600.0),
}


def sleep_blocking(item: tuple[int, float]) -> int:
    task_id, latency = item
    time.sleep(latency)
    return task_id


async def sleep_asyncio(item: tuple[int, float]) -> int:
    task_id, latency = item
    await asyncio.sleep(latency)
    return task_id


async def sleep_trio(item: tuple[int, float]) -> int:
    task_id, latency = item
    await trio.sleep(latency)
    return task_id


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[tuple[int, float]]:
    return [(i, float(params["latency"])) for i in range(tasks)]


def expected_ids(tasks: int, params: Mapping[str, Any]) -> list[int]:
    return list(range(tasks))


WORKLOAD = Workload(
    name="io.sleep",
    kind="io",
    description="each task waits `latency` s with the model's own wait, returns its id",
    sync=sleep_blocking,
    asyncio=sleep_asyncio,
    trio=sleep_trio,
    make_inputs=make_inputs,
    expected=expected_ids,
    params=PARAMS,
    category=Category.WAITING_IO,
    ideal_s=waits_in_rounds("latency"),
)
