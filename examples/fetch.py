"""A function that calls a web service: one HTTP GET per task, the body's digest back.

Try it: `make compare TARGET=examples/fetch.py:fetch BUDGET=3m`.

The service is the project's loopback latency server (`fetch_services` asks the harness
to start it beside every cell, on 127.0.0.1; its address arrives in
`COMPARISONS_SERVICE_LATENCY_SERVER`): each request waits `DELAY` seconds on the server,
as a slow API would, then returns 4 KiB. `fetch` uses `urllib.request`, as plain code
would; `fetch_asyncio` is the same call with asyncio's streams, so asyncio runs it
natively, while Trio, given no form of its own, runs `fetch` through `to_thread`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import urllib.request

DELAY = 0.05
SIZE = 4096
fetch_services = ("latency_server",)


def _address() -> str:
    address = os.environ.get("COMPARISONS_SERVICE_LATENCY_SERVER")
    if not address:
        raise RuntimeError("run this through `make compare TARGET=...`: it starts the server")
    return address


def fetch(item: tuple[str, int]) -> str:
    address, task_id = item
    url = f"http://{address}/?id={task_id}&size={SIZE}&delay={DELAY!r}"
    with urllib.request.urlopen(url, timeout=60) as response:
        return hashlib.sha256(response.read()).hexdigest()


async def fetch_asyncio(item: tuple[str, int]) -> str:
    address, task_id = item
    host, _, port = address.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            f"GET /?id={task_id}&size={SIZE}&delay={DELAY!r} HTTP/1.1\r\n"
            f"Host: {address}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return hashlib.sha256(await reader.readexactly(length)).hexdigest()
    finally:
        writer.close()
        await writer.wait_closed()


def fetch_inputs(tasks: int) -> list[tuple[str, int]]:
    address = _address()
    return [(address, task_id) for task_id in range(tasks)]
