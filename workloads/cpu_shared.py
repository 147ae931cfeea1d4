"""`cpu.shared`: every task reads one large read-only array and computes a small result.

The common job this stands for: a model, a lookup table or an image loaded once, then
many tasks that each compute something small from it. The array (`megabytes` MiB of
int64, 0, 1, 2, ...) is built once per cell; task i of N sums every N-th element from i
on, `passes` times over (scaled by the pass number), so each task reads its own stride
of the whole array and the tasks together read all of it. What separates the models is
how the array reaches the workers: each model's idiom for a shared input
(`Backend.share`: inherited by fork, `client.scatter(broadcast=True)`, `ray.put`, shared
memory) by default, or, with `per_task=1`, the naive form that passes the array with
every task (pickled per task by processes, Dask and Ray). The expected sums come from
the closed form of an arithmetic series, not from summing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from workloads.sharing import resolve
from workloads.spec import Param, Workload, run_on_loop
from workloads.vocabulary import Category

PARAMS = {
    "megabytes": Param(64, "MiB of the shared array (int64)", 1, 4096),
    "passes": Param(10, "passes over a task's stride (the work per task)", 1, 100_000),
    "per_task": Param(
        0, "1: pass the array with every task (the naive form) instead of the idiom", 0, 1
    ),
}

Part = tuple[int, int, int]  # (task index, stride = task count, passes)


def length(params: Mapping[str, Any]) -> int:
    return int(params["megabytes"]) * 2**20 // 8


def make_shared(params: Mapping[str, Any]) -> np.ndarray:
    array = np.arange(length(params), dtype=np.int64)
    array.flags.writeable = False
    return array


def shared_bytes(params: Mapping[str, Any]) -> int:
    return length(params) * 8


def strided_sums(item: tuple[Any, Part]) -> int:
    shared, (index, stride, passes) = item
    view = resolve(shared)[index::stride]
    return sum(int((view * scale).sum()) for scale in range(1, passes + 1))


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[Part]:
    return [(i, tasks, int(params["passes"])) for i in range(tasks)]


def expected_sums(tasks: int, params: Mapping[str, Any]) -> list[int]:
    n, passes = length(params), int(params["passes"])
    sums = []
    for i in range(tasks):
        count = max(0, (n - i + tasks - 1) // tasks)
        series = count * i + tasks * count * (count - 1) // 2
        sums.append(series * passes * (passes + 1) // 2)
    return sums


WORKLOAD = Workload(
    name="cpu.shared",
    kind="cpu",
    description="every task reads one big read-only array: each model's broadcast idiom",
    sync=strided_sums,
    asyncio=run_on_loop(strided_sums),
    trio=run_on_loop(strided_sums),
    make_inputs=make_inputs,
    expected=expected_sums,
    params=PARAMS,
    blocks_event_loop=True,
    category=Category.SHARED_INPUT,
    shared_input=make_shared,
    shared_bytes=shared_bytes,
)
