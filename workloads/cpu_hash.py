"""`cpu.hash`: SHA-256 over large buffers, C code that releases the GIL.

Each task hashes `megabytes` of data (its own 8-byte id, then a buffer shared by all
tasks) with `hashlib.sha256`. CPython releases the GIL while hashing more than 2 KiB,
so, unlike pure-Python work, threads scale here: this is the case that shows that the
GIL is about bytecode, not about threads. The buffer is built once per process and
cached, so tasks measure hashing, not buffer creation. The expected digests are computed
once serially in the cell with the same function.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from typing import Any

from workloads.spec import Param, Workload, run_on_loop
from workloads.vocabulary import Category

PARAMS = {"megabytes": Param(16, "MiB hashed per task", 1, 4096)}


@cache
def shared_buffer(nbytes: int) -> bytes:
    pattern = bytes(range(256))
    return (pattern * (nbytes // 256 + 1))[:nbytes]


def sha256_of_task(item: tuple[int, int]) -> str:
    task_id, megabytes = item
    hasher = hashlib.sha256(task_id.to_bytes(8, "little"))
    hasher.update(shared_buffer(megabytes * 2**20))
    return hasher.hexdigest()


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[tuple[int, int]]:
    shared_buffer(int(params["megabytes"]) * 2**20)  # built before any timing
    return [(i, int(params["megabytes"])) for i in range(tasks)]


def expected_digests(tasks: int, params: Mapping[str, Any]) -> list[str]:
    return [sha256_of_task(item) for item in make_inputs(tasks, params)]


WORKLOAD = Workload(
    name="cpu.hash",
    kind="cpu",
    description="hashlib.sha256 over large buffers (C code that releases the GIL)",
    sync=sha256_of_task,
    asyncio=run_on_loop(sha256_of_task),
    trio=run_on_loop(sha256_of_task),
    make_inputs=make_inputs,
    expected=expected_digests,
    params=PARAMS,
    blocks_event_loop=True,
    category=Category.GIL_RELEASING_CPU,
)
