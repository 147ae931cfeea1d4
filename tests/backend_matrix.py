"""The workload matrix every model runs (`test_backends.py`), and the check each cell of
it must pass: verified on every repeat, a complete record, nothing left running.

Ray starts its daemons in each local cell (seconds here): a local Ray runs `LOCAL_RAY`'s
workloads, and the rest run on the loopback Ray cluster `test_clusters.py` starts for its
own tests, through the same remote-function path. Ray's local start is also in the
fault, variant, shared-input and interruption tests.
"""

from __future__ import annotations

from comparisons.cell.contract import CellSpec
from comparisons.records.schema import REQUIRED_FIELDS
from comparisons.run.harness import run_cell
from workloads import REGISTRY as WORKLOADS
from workloads import load_workload

# Fault probes (fault.*) have their own tests in test_faults.py.
TINY_PARAMS = {
    "cpu.primes": {"span": 500},
    "cpu.mandelbrot": {"width": 20, "max_iter": 20},
    "cpu.numpy": {"size": 16, "products": 3},
    "cpu.hash": {"megabytes": 1},
    "cpu.shared": {"megabytes": 1, "passes": 2},
    "io.sleep": {"latency": 0.01},
    "io.http": {"delay": 0.01, "kilobytes": 2},
    "io.files": {"kilobytes": 8},
    "mixed.pipeline": {"delay": 0.01, "kilobytes": 1, "span": 200},
    "overhead.noop": {},
    "overhead.transfer": {"kilobytes": 64},
    "overhead.bytes": {"kilobytes": 64},
}

# Hand-offs between workers (overhead.handoff) run on Dask and Ray only: test_clusters.py.
MEASURED = [
    name
    for name in WORKLOADS
    if load_workload(name).kind != "fault" and load_workload(name).produce is None
]
LOCAL_RAY = ("cpu.primes", "io.http", "overhead.transfer")
RAY_ON_CLUSTER = [name for name in MEASURED if name not in LOCAL_RAY]


def run_verified(workload: str, backend: str, address: str | None = None) -> dict:
    """Run one small cell of the matrix and check it; return its record."""
    workers = 1 if backend == "serial" else 2
    spec = CellSpec(
        workload,
        backend,
        workers,
        tasks=5,
        params=TINY_PARAMS[workload],
        repeats=2,
        warmups=1,
        timeout_s=120,
        address=address,
    )
    record = run_cell(spec)

    assert record["status"] == "ok", record["error"]
    assert record["verification"] == {
        "ok": True,
        "detail": "5 results match",
        "repeats_checked": 3,
    }
    expected_services = (
        ["COMPARISONS_SERVICE_LATENCY_SERVER"] if load_workload(workload).services else []
    )
    assert record["services"] == expected_services
    assert len(record["samples_s"]) == 2 and all(s > 0 for s in record["samples_s"])
    assert set(REQUIRED_FIELDS) <= set(record)
    assert record["setup_s"] >= 0 and record["teardown_s"] >= 0
    assert record["peak_rss_bytes"] > 0
    assert record["leftover_processes"] == []
    assert bool(record["cluster"]) == (address is not None)
    assert record["env"]["python"]["version"]
    assert min(record["samples_s"]) <= record["stats"].median <= max(record["samples_s"])
    return record
