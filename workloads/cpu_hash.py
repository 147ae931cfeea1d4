"""`cpu.hash`: SHA-256 over large buffers, C code that releases the GIL.

Each task hashes its own 8-byte id, then a buffer shared by all tasks, with
`hashlib.sha256`. The buffer's size is `megabytes` MiB (16 by default), or `kilobytes`
KiB when that is given instead (never both), for tasks shorter than the millisecond or
two that 1 MiB takes here: the map suite runs it from tens of microseconds up. CPython
releases the GIL while it hashes 2048 bytes or more in one call (`HASHLIB_GIL_MINSIZE`
in its hashlib.h), so, unlike pure-Python work, threads scale here: this is the case
that shows that the GIL is about bytecode, not about threads (the smallest size, 1 KiB,
holds the GIL throughout; the map uses 32 KiB and up). The buffer is built once per
process and cached, so tasks measure hashing, not buffer creation. The expected digests
are computed once serially in the cell with the same function.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from typing import Any

from workloads.spec import Param, Workload, run_on_loop
from workloads.vocabulary import Category

# Both sizes are omitted from a cell's parameters at their defaults, so that giving one
# never carries the other's default along (and the exclusive check holds however often
# the parameters are resolved); every suite names its size.
KILOBYTES_HELP = "KiB hashed per task, instead of megabytes (0: megabytes decides)"
PARAMS = {
    "megabytes": Param(16, "MiB hashed per task", 1, 4096, omit_default=True),
    "kilobytes": Param(0, KILOBYTES_HELP, 0, 4096 * 2**10, omit_default=True),
}


@cache
def shared_buffer(nbytes: int) -> bytes:
    pattern = bytes(range(256))
    return (pattern * (nbytes // 256 + 1))[:nbytes]


def task_bytes(params: Mapping[str, Any]) -> int:
    """Bytes hashed per task: `kilobytes` KiB when given, else `megabytes` MiB."""
    kilobytes = int(params.get("kilobytes", 0))
    if kilobytes:
        return kilobytes * 2**10
    return int(params.get("megabytes", PARAMS["megabytes"].default)) * 2**20


def sha256_of_task(item: tuple[int, int]) -> str:
    task_id, nbytes = item
    hasher = hashlib.sha256(task_id.to_bytes(8, "little"))
    hasher.update(shared_buffer(nbytes))
    return hasher.hexdigest()


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[tuple[int, int]]:
    nbytes = task_bytes(params)
    shared_buffer(nbytes)  # built before any timing
    return [(i, nbytes) for i in range(tasks)]


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
    exclusive_params=("megabytes", "kilobytes"),
)
