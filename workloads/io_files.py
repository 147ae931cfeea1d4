"""`io.files`: write, fsync, read back and checksum one file per task.

Each task writes `kilobytes` KiB of deterministic data to its own file, fsyncs it (so
the disk, not the page cache, is part of the cost), reads it back, deletes it and
returns the SHA-256 of what it read. Files go under the temporary directory of the
process that runs the task (the harness points TMPDIR at the cell's scratch space).

asyncio and Trio have no native asynchronous file I/O on Linux. Each uses its own
documented way: asyncio runs the blocking function in a worker thread with
`asyncio.to_thread`; Trio uses `trio.open_file` / `trio.Path`, whose methods run in
Trio's worker threads, with `trio.to_thread.run_sync` for the fsync. The expected digests
are computed from the data alone, without touching a file.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import Mapping
from typing import Any

import trio

from workloads.spec import Param, Workload
from workloads.vocabulary import Category

PARAMS = {"kilobytes": Param(256, "KiB written, synced and read back per task", 1, 2**20)}


def task_data(task_id: int, kilobytes: int) -> bytes:
    seed = hashlib.sha256(task_id.to_bytes(8, "little")).digest()
    return (seed * (kilobytes * 1024 // len(seed) + 1))[: kilobytes * 1024]


def task_path(task_id: int) -> str:
    folder = os.path.join(tempfile.gettempdir(), "io-files")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, f"task-{os.getpid()}-{task_id}.bin")


def write_sync_read(item: tuple[int, int]) -> str:
    task_id, kilobytes = item
    path = task_path(task_id)
    with open(path, "wb") as handle:
        handle.write(task_data(task_id, kilobytes))
        handle.flush()
        os.fsync(handle.fileno())
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    os.unlink(path)
    return digest


async def write_sync_read_asyncio(item: tuple[int, int]) -> str:
    return await asyncio.to_thread(write_sync_read, item)


async def write_sync_read_trio(item: tuple[int, int]) -> str:
    task_id, kilobytes = item
    path = trio.Path(task_path(task_id))
    async with await trio.open_file(path, "wb") as handle:
        await handle.write(task_data(task_id, kilobytes))
        await handle.flush()
        await trio.to_thread.run_sync(os.fsync, handle.fileno())
    digest = hashlib.sha256(await path.read_bytes()).hexdigest()
    await path.unlink()
    return digest


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[tuple[int, int]]:
    return [(i, int(params["kilobytes"])) for i in range(tasks)]


def expected_digests(tasks: int, params: Mapping[str, Any]) -> list[str]:
    return [
        hashlib.sha256(task_data(i, int(params["kilobytes"]))).hexdigest() for i in range(tasks)
    ]


def bytes_per_task(params: Mapping[str, Any]) -> int:
    return int(params["kilobytes"]) * 1024


WORKLOAD = Workload(
    name="io.files",
    kind="io",
    description="write, fsync, read back and checksum a file per task",
    sync=write_sync_read,
    asyncio=write_sync_read_asyncio,
    trio=write_sync_read_trio,
    make_inputs=make_inputs,
    expected=expected_digests,
    params=PARAMS,
    bytes_per_task=bytes_per_task,
    category=Category.FILE_IO,
)
