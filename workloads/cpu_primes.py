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
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any

from workloads.spec import Param, Workload, run_on_loop
from workloads.vocabulary import Category

PARAMS = {
    "span": Param(20_000, "integers examined per task (task size)", minimum=1, maximum=10**8),
    "start": Param(
        1_000_000, "first integer of task 0; task i covers the i-th range after it", minimum=0
    ),
}
# Integers the cooperative form examines between two awaits: about 1 ms of trial division
# near a million on the 2-core reference machine, small beside a task (7,000 integers in
# the default suite), large beside one await's cost (a few microseconds).
COOPERATIVE_CHUNK = 500


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


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[tuple[int, int]]:
    start, span = params["start"], params["span"]
    return [(start + i * span, start + (i + 1) * span) for i in range(tasks)]


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


WORKLOAD = Workload(
    name="cpu.primes",
    kind="cpu",
    description="count primes by trial division in pure Python (holds the GIL)",
    sync=count_primes,
    asyncio=run_on_loop(count_primes),
    trio=run_on_loop(count_primes),
    asyncio_cooperative=count_primes_cooperatively,
    make_inputs=make_inputs,
    expected=expected_counts,
    params=PARAMS,
    blocks_event_loop=True,
    category=Category.GIL_BOUND_CPU,
)
