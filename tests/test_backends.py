"""Every backend runs every workload in a real subprocess and verifies every repeat.

These are the real engines (Ray daemons, a Dask LocalCluster, process pools) at tiny
sizes. They check correctness and the record's shape, never speed.
"""

from __future__ import annotations

import pytest
from python_helper import model_params

from comparisons.cell import CellSpec
from comparisons.harness import run_cell
from comparisons.records import REQUIRED_FIELDS
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


MEASURED = [name for name in WORKLOADS if load_workload(name).kind != "fault"]


# Variants (model:variant) have their own, lighter matrix in test_variants.py.
@pytest.mark.parametrize("backend", [*model_params(), "ceiling"])
@pytest.mark.parametrize("workload", MEASURED)
def test_backend_runs_workload_and_verifies_every_repeat(backend, workload):
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
    assert record["env"]["python"]["version"]
    assert min(record["samples_s"]) <= record["stats"]["median"] <= max(record["samples_s"])
