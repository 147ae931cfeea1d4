"""`overhead.handoff`: one worker makes an array, another worker sums it.

The data of a pipeline whose stages run on different workers: task i's first stage
(`make_array`) builds an array of `kilobytes` KiB on one worker, its second stage
(`array_sum`, the same function as `overhead.transfer`'s) runs on the next worker and
gets the array from the first, not from the caller. Only engines whose workers hand
data to each other directly run it (`Backend.handoff`: Dask passes the first stage's
future, and the consuming worker fetches the data from its peer; Ray passes the object
reference, and the consuming node pulls the object from the producer's object store);
other models would route the array through the caller, which `overhead.transfer`
already measures, and are skipped with that reason.

`same_worker=1` runs both stages on one worker: nothing crosses between workers, so
the difference between the two cells is the hand-off itself. On emulated hosts
(`tests/multihost.py`) each hand-off crosses from one worker host's link to the
other's, and the report sets the rate against the link's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from workloads.overhead_transfer import array_sum, expected_sums
from workloads.spec import Param, Workload, run_on_loop
from workloads.vocabulary import Category

PARAMS = {
    "kilobytes": Param(1024, "KiB per array (1 = 1 KiB ... 65536 = 64 MiB)", 1, 2**20),
    "same_worker": Param(0, "1: both stages on one worker (the no-transfer baseline)", 0, 1),
}


def make_array(item: tuple[int, int]) -> np.ndarray:
    """Task `first`'s array: first, first+1, ..., first+length-1 (closed-form sum)."""
    first, length = item
    return np.arange(first, first + length, dtype=np.int64)


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[tuple[int, int]]:
    length = int(params["kilobytes"]) * 1024 // 8
    return [(i, length) for i in range(tasks)]


def bytes_per_task(params: Mapping[str, Any]) -> int:
    """Bytes one hand-off moves between workers (none when both stages share one)."""
    return 0 if params["same_worker"] else int(params["kilobytes"]) * 1024


WORKLOAD = Workload(
    name="overhead.handoff",
    kind="overhead",
    description="make an array on one worker, sum it on another: worker-to-worker GB/s",
    sync=array_sum,
    asyncio=run_on_loop(array_sum),
    trio=run_on_loop(array_sum),
    make_inputs=make_inputs,
    expected=expected_sums,
    params=PARAMS,
    bytes_per_task=bytes_per_task,
    category=Category.DATA_TRANSFER,
    measures_transfer=True,
    produce=make_array,
)
