"""What the test server's own CPU says of an I/O cell: the latency server is one process
on this machine's cores, so a row that kept it busy most of a core was paced by the
server, not by the model (*server-bound*: the report's rows and the I/O map's points say
so).
"""

from __future__ import annotations

from comparisons.records.cells import Cell, median_s

# A row whose repeat kept the server busy this share of a core or more is server-bound.
SERVER_BOUND_SHARE = 0.8


def server_cpu_per_request(r: Cell) -> float | None:
    """CPU seconds the latency server spent per request it answered for this row."""
    requests, cpu = r["service_requests"], r["service_cpu_s"]
    if not requests or cpu is None:
        return None
    return cpu / requests


def server_share(r: Cell) -> float | None:
    """Share of a core the service used during one repeat of this row."""
    per_request = server_cpu_per_request(r)
    if per_request is None or not r["stats"]:
        return None
    return per_request * r["tasks"] / median_s(r)


def server_bound(r: Cell) -> bool:
    share = server_share(r)
    return share is not None and share >= SERVER_BOUND_SHARE
