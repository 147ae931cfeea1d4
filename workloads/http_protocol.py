"""The small piece of HTTP/1.1 that the latency server and the I/O workloads share.

Response bodies are a pure function of (task id, size), so a client's result can be
verified without the server, and the request/response framing is kept to what the
latency server speaks: `GET /?id=I&size=N&delay=S HTTP/1.1`, answered with
`Content-Length` and `Connection: close`. Parsing is shared by the asyncio and Trio
clients, which read raw bytes from their own streams.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

HEADER_END = b"\r\n\r\n"


def response_body(task_id: int, size: int) -> bytes:
    seed = hashlib.sha256(f"body-{task_id}".encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def body_digest(task_id: int, size: int) -> str:
    return hashlib.sha256(response_body(task_id, size)).hexdigest()


def request_target(task_id: int, size: int, delay: float) -> str:
    return f"/?id={task_id}&size={size}&delay={delay!r}"


def request_bytes(host: str, port: int, target: str) -> bytes:
    return (f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n").encode()


def parse_target(target: str) -> tuple[int, int, float]:
    """(task id, body size, delay) from a request target; ValueError when malformed."""
    query = parse_qs(urlsplit(target).query)
    return int(query["id"][0]), int(query["size"][0]), float(query["delay"][0])


def content_length(head: bytes) -> int:
    """Status must be 200; returns the Content-Length of a response head."""
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or status[1] != "200":
        raise ValueError(f"unexpected status line {lines[0]!r}")
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return int(value.strip())
    raise ValueError("response has no Content-Length")
