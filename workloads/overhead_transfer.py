"""`overhead.transfer`: ship a NumPy array to a worker and get a small result back.

Each task receives its own array of `kilobytes` KiB (int64 values) and returns the
array's sum, so the cost measured is moving the data to where the task runs: nothing
for threads, asyncio and Trio (a reference), pickling through pipes for processes,
Dask's comms, Ray's object store. The report turns it into effective GB/s. The expected
sums come from the closed form of the values, not from summing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from workloads.spec import Param, Workload, run_on_loop
from workloads.vocabulary import Category

PARAMS = {"kilobytes": Param(1024, "KiB per array (1 = 1 KiB ... 65536 = 64 MiB)", 1, 2**20)}


def array_sum(array: np.ndarray) -> int:
    return int(array.sum())


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[np.ndarray]:
    length = int(params["kilobytes"]) * 1024 // 8
    # Task i's array is i, i+1, ..., i+length-1: distinct per task, closed-form sum.
    return [np.arange(i, i + length, dtype=np.int64) for i in range(tasks)]


def expected_sums(tasks: int, params: Mapping[str, Any]) -> list[int]:
    length = int(params["kilobytes"]) * 1024 // 8
    return [length * i + length * (length - 1) // 2 for i in range(tasks)]


def bytes_per_task(params: Mapping[str, Any]) -> int:
    return int(params["kilobytes"]) * 1024


WORKLOAD = Workload(
    name="overhead.transfer",
    kind="overhead",
    description="send a NumPy array to the worker, get its sum back: effective GB/s",
    sync=array_sum,
    asyncio=run_on_loop(array_sum),
    trio=run_on_loop(array_sum),
    make_inputs=make_inputs,
    expected=expected_sums,
    params=PARAMS,
    bytes_per_task=bytes_per_task,
    category=Category.DATA_TRANSFER,
    measures_transfer=True,
)
