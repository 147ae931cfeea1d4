"""The latency server: an HTTP/1.1 server on 127.0.0.1 that answers after a delay.

`python -m workloads.latency_server --ready-file F` binds 127.0.0.1 on a free port (or
`--host`/`--port`), writes `host:port` to F once it accepts connections, and serves
`GET /?id=I&size=N&delay=S` by waiting S seconds (asyncio.sleep, so waits overlap) and
answering N bytes that depend only on I and N (`workloads.http_protocol`). It raises its
open-file limit to the hard limit and listens with a large backlog, so that 10,000
concurrent connections are accepted. The harness starts one per cell that needs it, in
a process of its own outside the cell's tree, and stops it when the cell ends.

It runs on uvloop where installed (it is a project dependency): about twice the
requests per CPU second of the default loop, so that the client, not the server, is
what the I/O cells measure for as long as possible. The harness records the server's
CPU apart from the cell's, and the report flags cells where the server was the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal
import sys
from pathlib import Path

from workloads.http_protocol import HEADER_END, parse_target, response_body

BACKLOG = 65_535  # the kernel caps it at net.core.somaxconn


def raise_open_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(HEADER_END)
        target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
        task_id, size, delay = parse_target(target)
        if delay > 0:
            await asyncio.sleep(delay)
        body = response_body(task_id, size)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    except (ValueError, IndexError, KeyError):
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(host: str, port: int, ready_file: Path | None) -> None:
    server = await asyncio.start_server(handle, host, port, backlog=BACKLOG)
    bound_host, bound_port = server.sockets[0].getsockname()[:2]
    if ready_file is not None:
        partial = ready_file.with_name(ready_file.name + ".partial")
        partial.write_text(f"{bound_host}:{bound_port}")
        partial.replace(ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", type=Path, default=None)
    args = parser.parse_args(argv)
    raise_open_file_limit()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.host, args.port, args.ready_file))
    else:
        uvloop.run(serve(args.host, args.port, args.ready_file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
