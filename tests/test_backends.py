"""Every backend runs every workload in a real subprocess and verifies every repeat.

These are the real engines (Ray daemons, a Dask LocalCluster, process pools) at tiny
sizes. They check correctness and the record's shape, never speed. The matrix and the
check live in `backend_matrix.py`; Ray's cells other than `LOCAL_RAY` run on a loopback
cluster in `test_clusters.py`.
"""

from __future__ import annotations

import pytest
from backend_matrix import LOCAL_RAY, MEASURED, run_verified
from python_helper import model_params

CELLS = [
    pytest.param(workload, *model.values, marks=model.marks, id=f"{workload}-{model.values[0]}")
    for workload in MEASURED
    for model in [*model_params(), pytest.param("ceiling")]
    if model.values[0] != "ray" or workload in LOCAL_RAY
]


# Variants (model:variant) have their own, lighter matrix in test_variants.py.
@pytest.mark.parametrize(("workload", "backend"), CELLS)
def test_backend_runs_workload_and_verifies_every_repeat(workload, backend):
    run_verified(workload, backend)


def test_set_up_that_waits_for_workers_gives_up_with_one_line(monkeypatch) -> None:
    import multiprocessing

    from comparisons.backends import processes

    monkeypatch.setattr(processes, "START_TIMEOUT_S", 0.05)
    started = multiprocessing.get_context().SimpleQueue()
    started.put(1)  # one of two workers said it is up
    with pytest.raises(RuntimeError, match="did not start within 0.05 s"):
        processes.wait_for_workers(started, 2)
