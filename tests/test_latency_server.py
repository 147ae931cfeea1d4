"""The latency server: correct bodies, loopback only, and 10,000 connections at once."""

from __future__ import annotations

import asyncio
import resource
import socket
import sys

import pytest

from comparisons.run.services import ServiceError, running_services, variable_name
from workloads.http_protocol import body_digest
from workloads.io_http import fetch_asyncio, fetch_blocking

SERVICE = "latency_server"


@pytest.fixture
def server(tmp_path):
    with running_services((SERVICE,), sys.executable, tmp_path) as services:
        host, _, port = services.variables[variable_name(SERVICE)].rpartition(":")
        yield host, int(port)


def test_it_listens_on_loopback_and_serves_verifiable_bodies(server):
    host, port = server
    assert host == "127.0.0.1"
    for task_id, size in [(0, 0), (7, 100), (3, 70_000)]:
        assert fetch_blocking((host, port, task_id, size, 0.0)) == body_digest(task_id, size)


def test_a_malformed_request_gets_400(server):
    host, port = server
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(b"GET /?id=x HTTP/1.1\r\nHost: h\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 400")


def test_it_holds_ten_thousand_concurrent_connections(server):
    host, port = server
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 10_500:
        pytest.skip(f"the open-file hard limit here is {hard}, below 10,500")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def all_at_once() -> list[str]:
        # Every request waits 2 s at the server, so all 10,000 are open at the same time.
        items = [(host, port, i, 16, 2.0) for i in range(10_000)]
        return await asyncio.gather(*(fetch_asyncio(item) for item in items))

    try:
        digests = asyncio.run(all_at_once())
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert digests == [body_digest(i, 16) for i in range(10_000)]


def test_an_unknown_service_is_refused(tmp_path):
    with pytest.raises(ServiceError, match="unknown service"):
        with running_services(("nope",), sys.executable, tmp_path):
            pass
