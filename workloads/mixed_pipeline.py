"""`mixed.pipeline`: fetch an item over HTTP, then crunch it with pure-Python CPU work.

Each task downloads its item from the latency server (as `io.http` does, with the same
clients) and then counts the primes in a range chosen by the item (as `cpu.primes`
does), returning both the body's digest and the count. Real pipelines look like this:
waiting on the network, then holding the GIL. Models that only overlap waits (threads,
asyncio, Trio) are bounded by the CPU part; models with several processes overlap both;
hybrids (an event loop handing CPU work to a process pool) aim at the best of both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workloads.cpu_primes import count_primes, count_primes_cooperatively, expected_counts
from workloads.io_http import (
    SERVICE,
    expected_digests,
    fetch_asyncio,
    fetch_blocking,
    fetch_trio,
)
from workloads.io_http import make_inputs as http_inputs
from workloads.spec import Param, Workload
from workloads.vocabulary import Category

PARAMS = {
    "delay": Param(0.05, "seconds the server waits before answering", 0.0, 3600.0),
    "kilobytes": Param(4, "KiB in each response body", 0, 2**20),
    "span": Param(20_000, "integers examined for primes per task (CPU part)", 1, 10**8),
}
START = 1_000_000

Item = tuple[tuple[str, int, int, int, float], tuple[int, int]]


def fetch_then_count(item: Item) -> tuple[str, int]:
    request, bounds = item
    return fetch_blocking(request), count_primes(bounds)


async def fetch_then_count_asyncio(item: Item) -> tuple[str, int]:
    request, bounds = item
    return await fetch_asyncio(request), count_primes(bounds)


async def fetch_then_count_cooperatively(item: Item) -> tuple[str, int]:
    """The asyncio form whose CPU part awaits between chunks, so other tasks' fetches
    move on while this one counts."""
    request, bounds = item
    return await fetch_asyncio(request), await count_primes_cooperatively(bounds)


async def fetch_then_count_trio(item: Item) -> tuple[str, int]:
    request, bounds = item
    return await fetch_trio(request), count_primes(bounds)


def _prime_params(params: Mapping[str, Any]) -> dict[str, int]:
    return {"start": START, "span": int(params["span"])}


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[Item]:
    span = int(params["span"])
    bounds = [(START + i * span, START + (i + 1) * span) for i in range(tasks)]
    return list(zip(http_inputs(tasks, params), bounds, strict=True))


def expected_results(tasks: int, params: Mapping[str, Any]) -> list[tuple[str, int]]:
    digests = expected_digests(tasks, params)
    counts = expected_counts(tasks, _prime_params(params))
    return list(zip(digests, counts, strict=True))


def matches(got: Any, want: tuple[str, int]) -> bool:
    # Ray and Dask may hand a tuple back as a list.
    return isinstance(got, (tuple, list)) and tuple(got) == want


WORKLOAD = Workload(
    name="mixed.pipeline",
    kind="mixed",
    description="fetch each item over HTTP, then count primes in it (I/O then GIL-bound CPU)",
    sync=fetch_then_count,
    asyncio=fetch_then_count_asyncio,
    trio=fetch_then_count_trio,
    asyncio_cooperative=fetch_then_count_cooperatively,
    make_inputs=make_inputs,
    expected=expected_results,
    params=PARAMS,
    blocks_event_loop=True,
    services=(SERVICE,),
    matches=matches,
    category=Category.MIXED,
)
