"""`io.http`: real HTTP/1.1 requests over TCP to the project's latency server.

Each task opens a connection to the latency server on 127.0.0.1 (started by the harness
for the cell, `workloads.latency_server`), asks for `kilobytes` KiB after a server-side
wait of `delay` seconds, reads the whole response and returns the SHA-256 of its body,
which is verified against the body computed locally. One connection per request
(`Connection: close`), the same for every model, so that differences come from the
models and not from connection reuse.

Clients, each the model's idiomatic one from the standard library or the model itself:
`http.client.HTTPConnection` (blocking; threads, processes, Dask and Ray tasks release
the GIL while they wait), `asyncio.open_connection` streams for asyncio, and
`trio.open_tcp_stream` for Trio. No third-party HTTP client, so no client library's
own pooling or parsing speed decides the comparison.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import os
from collections.abc import Mapping
from typing import Any

import trio

from workloads.http_protocol import (
    HEADER_END,
    body_digest,
    content_length,
    request_bytes,
    request_target,
)
from workloads.spec import Param, Workload, waits_in_rounds
from workloads.vocabulary import Category

SERVICE = "latency_server"
SERVICE_VARIABLE = "COMPARISONS_SERVICE_LATENCY_SERVER"
CONNECT_TIMEOUT_S = 60.0
PARAMS = {
    "delay": Param(0.05, "seconds the server waits before answering", 0.0, 3600.0),
    "kilobytes": Param(4, "KiB in each response body", 0, 2**20),
}

Item = tuple[str, int, int, int, float]  # host, port, task id, body bytes, delay


def server_address() -> tuple[str, int]:
    """The latency server the harness started for this cell (host, port)."""
    try:
        host, _, port = os.environ[SERVICE_VARIABLE].rpartition(":")
        return host, int(port)
    except (KeyError, ValueError):
        raise RuntimeError(
            f"{SERVICE_VARIABLE} is not set: the harness starts the latency server; run "
            "this workload through `python -m comparisons`"
        ) from None


def fetch_blocking(item: Item) -> str:
    host, port, task_id, size, delay = item
    connection = http.client.HTTPConnection(host, port, timeout=CONNECT_TIMEOUT_S + delay)
    try:
        connection.request(
            "GET", request_target(task_id, size, delay), headers={"Connection": "close"}
        )
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"latency server answered {response.status}")
        return hashlib.sha256(response.read()).hexdigest()
    finally:
        connection.close()


async def fetch_asyncio(item: Item) -> str:
    host, port, task_id, size, delay = item
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request_bytes(host, port, request_target(task_id, size, delay)))
        await writer.drain()
        head = await reader.readuntil(HEADER_END)
        body = await reader.readexactly(content_length(head))
        return hashlib.sha256(body).hexdigest()
    finally:
        writer.close()
        await writer.wait_closed()


async def fetch_trio(item: Item) -> str:
    host, port, task_id, size, delay = item
    async with await trio.open_tcp_stream(host, port) as stream:
        await stream.send_all(request_bytes(host, port, request_target(task_id, size, delay)))
        received = bytearray()
        while HEADER_END not in received:
            chunk = await stream.receive_some()
            if not chunk:
                raise RuntimeError("connection closed before the response head")
            received += chunk
        head, _, first = bytes(received).partition(HEADER_END)
        length = content_length(head + HEADER_END)
        body = bytearray(first)
        while len(body) < length:
            chunk = await stream.receive_some()
            if not chunk:
                raise RuntimeError("connection closed before the whole body")
            body += chunk
        return hashlib.sha256(bytes(body[:length])).hexdigest()


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[Item]:
    host, port = server_address()
    size = int(params["kilobytes"]) * 1024
    return [(host, port, i, size, float(params["delay"])) for i in range(tasks)]


def expected_digests(tasks: int, params: Mapping[str, Any]) -> list[str]:
    size = int(params["kilobytes"]) * 1024
    return [body_digest(i, size) for i in range(tasks)]


def bytes_per_task(params: Mapping[str, Any]) -> int:
    return int(params["kilobytes"]) * 1024


WORKLOAD = Workload(
    name="io.http",
    kind="io",
    description="HTTP/1.1 GETs to a local latency server (delay, body size), bodies verified",
    sync=fetch_blocking,
    asyncio=fetch_asyncio,
    trio=fetch_trio,
    make_inputs=make_inputs,
    expected=expected_digests,
    params=PARAMS,
    bytes_per_task=bytes_per_task,
    services=(SERVICE,),
    category=Category.NETWORK_IO,
    ideal_s=waits_in_rounds("delay"),
)
