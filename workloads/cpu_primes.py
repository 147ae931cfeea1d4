"""`cpu.primes`: pure-Python CPU work that holds the GIL.

Each task counts the primes in its own range of `span` consecutive integers by trial
division, in plain Python bytecode, so the interpreter holds the GIL for the whole task.
Threads cannot run two such tasks at once on a GIL build; processes, Dask and Ray
workers can. The expected counts come from a NumPy segmented sieve of Eratosthenes, a
method that shares no code with the task function.

On an event loop the task blocks the loop for its whole length (`asyncio`, `trio`); the
cooperative form (`asyncio:cooperative`) counts the same range in chunks of
`COOPERATIVE_CHUNK` integers and awaits `asyncio.sleep(0)` after each, so the loop can
answer between chunks: the claim that blocking work stalls asyncio compares the two.

With `kilobytes` > 0 each task also carries data both ways, for the map of time per
task against bytes per task: its input holds a payload of that many KiB and it returns
the count with that payload, `(count, payload)`. The task hands the payload back as it
is rather than copying it: a model whose tasks run in the caller's process moves
nothing, which is the point it makes on the map, while every model that crosses a
process or interpreter boundary serialises it twice, once each way. The payload is
pseudo-random (no comms layer can compress it away) and starts with the task's id, so a
payload returned for the wrong task, cut short or altered fails verification. The work,
the primes counted, is the same as at `kilobytes` = 0, which leaves every item, result
and cell key as they were.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from workloads.spec import Param, Workload, run_on_loop
from workloads.vocabulary import Category

PARAMS = {
    "span": Param(20_000, "integers examined per task (task size)", minimum=1, maximum=10**8),
    "start": Param(
        1_000_000, "first integer of task 0; task i covers the i-th range after it", minimum=0
    ),
    "kilobytes": Param(
        0, "KiB of payload each task receives and returns (0: none)", 0, 2**20, omit_default=True
    ),
}
# Integers the cooperative form examines between two awaits: about 1 ms of trial division
# near a million on the 2-core reference machine, small beside a task (7,000 integers in
# the default suite), large beside one await's cost (a few microseconds).
COOPERATIVE_CHUNK = 500

# Bytes at the payload's start that hold the task's id, and bytes after them, at its
# middle and at its end that verification compares: a cheap check beside its size.
ID_BYTES = 8
SAMPLE_BYTES = 16

Bounds = tuple[int, int]
Carrying = tuple[int, int, bytes]


def count_primes(bounds: tuple[int, int]) -> int:
    """Count primes p with lo <= p < hi by trial division (the task function)."""
    lo, hi = bounds
    count = 0
    for n in range(max(lo, 2), hi):
        if n < 4:
            count += 1
            continue
        if n % 2 == 0:
            continue
        limit = math.isqrt(n)
        divisor = 3
        while divisor <= limit:
            if n % divisor == 0:
                break
            divisor += 2
        else:
            count += 1
    return count


async def count_primes_cooperatively(bounds: tuple[int, int]) -> int:
    """`count_primes` over the same range, `COOPERATIVE_CHUNK` integers at a time, with
    `await asyncio.sleep(0)` after each chunk: the documented way for long-running code in
    a coroutine to let the loop run other tasks (`asyncio.sleep`'s docs). The chunks
    split the range, so the count is the same; the work is the same, plus one call and
    one await per chunk."""
    lo, hi = bounds
    count = 0
    for first in range(lo, hi, COOPERATIVE_CHUNK):
        count += count_primes((first, min(first + COOPERATIVE_CHUNK, hi)))
        await asyncio.sleep(0)
    return count


def primes_task(item: Bounds | Carrying) -> int | tuple[int, bytes]:
    """The task function: the count of `count_primes`, with the payload handed back
    when the item carries one."""
    if len(item) == 2:
        return count_primes(item)
    lo, hi, payload = item
    return count_primes((lo, hi)), payload


async def primes_task_cooperatively(item: Bounds | Carrying) -> int | tuple[int, bytes]:
    """`primes_task` with the count taken by `count_primes_cooperatively`."""
    count = await count_primes_cooperatively((item[0], item[1]))
    return count if len(item) == 2 else (count, item[2])


@cache
def payload_body(nbytes: int) -> bytes:
    """Pseudo-random bytes, the same for a size in every process: the payloads' body."""
    return random.Random(nbytes).randbytes(nbytes)


def payload_of(task_id: int, nbytes: int) -> bytes:
    """Task `task_id`'s payload, `nbytes` in all (1 KiB or more): its id, then the body."""
    return task_id.to_bytes(ID_BYTES, "little") + payload_body(nbytes)[ID_BYTES:]


def payload_bytes(params: Mapping[str, Any]) -> int:
    return int(params.get("kilobytes", 0)) * 2**10


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[Bounds] | list[Carrying]:
    start, span = params["start"], params["span"]
    bounds = [(start + i * span, start + (i + 1) * span) for i in range(tasks)]
    nbytes = payload_bytes(params)
    if not nbytes:
        return bounds
    return [(lo, hi, payload_of(i, nbytes)) for i, (lo, hi) in enumerate(bounds)]


def expected_counts(tasks: int, params: Mapping[str, Any]) -> list[int]:
    """Per-task prime counts from a segmented sieve over the whole covered range."""
    # Imported here, where the harness checks results: a worker that only counts (a
    # subinterpreter, which cannot load NumPy, or a process) does not load NumPy.
    import numpy as np

    start, span = params["start"], params["span"]
    end = start + tasks * span
    root = math.isqrt(max(end - 1, 0))
    small = np.ones(root + 1, dtype=bool)
    small[:2] = False
    for p in range(2, math.isqrt(root) + 1):
        if small[p]:
            small[p * p :: p] = False
    is_prime = np.ones(end - start, dtype=bool)
    for p in map(int, np.flatnonzero(small)):
        first = max(p * p, (start + p - 1) // p * p)
        is_prime[first - start :: p] = False
    is_prime[: max(0, 2 - start)] = False
    return [int(c) for c in is_prime.reshape(tasks, span).sum(axis=1)]


def expected_results(tasks: int, params: Mapping[str, Any]) -> list[int] | list[PayloadCheck]:
    """The sieve's counts; with a payload, each with what its payload must be."""
    counts = expected_counts(tasks, params)
    nbytes = payload_bytes(params)
    if not nbytes:
        return counts
    return [PayloadCheck(count, i, nbytes) for i, count in enumerate(counts)]


@dataclass(frozen=True)
class PayloadCheck:
    """What a carrying task must return: its count and its own payload, unaltered.

    Compared by size and by samples at the start (the task's id), middle and end, not
    byte by byte: the check runs after every run, outside the timed span but inside the
    cell's wall time, and a wrong payload from a mix-up or a cut differs at those."""

    count: int
    task_id: int
    nbytes: int

    def accepts(self, got: Any) -> bool:
        if not (isinstance(got, (tuple, list)) and len(got) == 2 and got[0] == self.count):
            return False
        payload = got[1]
        if not isinstance(payload, bytes) or len(payload) != self.nbytes:
            return False
        if payload[:ID_BYTES] != self.task_id.to_bytes(ID_BYTES, "little"):
            return False
        body = payload_body(self.nbytes)
        return all(
            payload[at : at + SAMPLE_BYTES] == body[at : at + SAMPLE_BYTES]
            for at in (ID_BYTES, self.nbytes // 2, self.nbytes - SAMPLE_BYTES)
        )


def result_matches(got: Any, want: int | PayloadCheck) -> bool:
    if isinstance(want, PayloadCheck):
        return want.accepts(got)
    return bool(got == want)


def bytes_per_task(params: Mapping[str, Any]) -> int:
    """Bytes a task moves: its payload there and back."""
    return 2 * payload_bytes(params)


WORKLOAD = Workload(
    name="cpu.primes",
    kind="cpu",
    description="count primes by trial division in pure Python (holds the GIL)",
    sync=primes_task,
    asyncio=run_on_loop(primes_task),
    trio=run_on_loop(primes_task),
    asyncio_cooperative=primes_task_cooperatively,
    make_inputs=make_inputs,
    expected=expected_results,
    matches=result_matches,
    bytes_per_task=bytes_per_task,
    params=PARAMS,
    blocks_event_loop=True,
    category=Category.GIL_BOUND_CPU,
)
