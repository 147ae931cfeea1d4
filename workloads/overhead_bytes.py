"""`overhead.bytes`: ship a `bytes` buffer to a worker and get a small result back.

The same measure as `overhead.transfer` (moving a task's input to where it runs, as
effective GB/s) with a payload every model can load: a plain `bytes` object instead of
a NumPy array, so it also runs where NumPy cannot (a subinterpreter refuses NumPy's C
extension). Task i's buffer holds `kilobytes` KiB of the byte i mod 256 and the task
returns how many bytes equal it (one C-speed pass, so moving the data stays the cost);
the expected count is the buffer's length.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workloads.spec import Param, Workload, run_on_loop
from workloads.vocabulary import Category

PARAMS = {"kilobytes": Param(1024, "KiB per buffer (1 = 1 KiB ... 65536 = 64 MiB)", 1, 2**20)}


def count_fill(buffer: bytes) -> int:
    return buffer.count(buffer[:1])


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[bytes]:
    size = int(params["kilobytes"]) * 1024
    return [bytes([i % 256]) * size for i in range(tasks)]


def expected_counts(tasks: int, params: Mapping[str, Any]) -> list[int]:
    return [int(params["kilobytes"]) * 1024] * tasks


def bytes_per_task(params: Mapping[str, Any]) -> int:
    return int(params["kilobytes"]) * 1024


WORKLOAD = Workload(
    name="overhead.bytes",
    kind="overhead",
    description="send a bytes buffer to the worker, get a count back: effective GB/s",
    sync=count_fill,
    asyncio=run_on_loop(count_fill),
    trio=run_on_loop(count_fill),
    make_inputs=make_inputs,
    expected=expected_counts,
    params=PARAMS,
    bytes_per_task=bytes_per_task,
    category=Category.DATA_TRANSFER,
    measures_transfer=True,
)
