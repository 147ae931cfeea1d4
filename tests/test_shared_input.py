"""One big read-only input every task reads (`cpu.shared`): verified on every broadcast
idiom and on the naive form, each record naming its idiom and the bytes it implies; a
size that would not fit is skipped before anything starts; the report pairs the forms.

Every model's default idiom runs in test_backends.py (cpu.shared is a workload like the
rest); here are the variants whose idiom differs, and the naive form."""

from __future__ import annotations

import numpy as np
import psutil
import pytest

from comparisons.cell.contract import CellSpec
from comparisons.report.sections.shared_input import idiom_pairs
from comparisons.report.sections.shared_input import idiom_table as render_shared_input
from comparisons.run.harness import run_cell
from workloads import load_workload
from workloads.sharing import SharedMemoryArray, resolve

SMALL = {"megabytes": 1, "passes": 2}
MIB = 2**20


def shared_cell(backend: str, per_task: int = 0, workers: int = 2, **params) -> dict:
    spec = CellSpec(
        "cpu.shared",
        backend,
        workers,
        tasks=5,
        params={**SMALL, "per_task": per_task, **params},
        repeats=2,
        warmups=1,
        timeout_s=120,
    )
    return run_cell(spec)


def test_the_expected_sums_are_what_the_tasks_compute():
    workload = load_workload("cpu.shared")
    params = workload.resolve_params({"megabytes": 1, "passes": 3})
    array = workload.shared_input(params)
    got = [workload.sync((array, part)) for part in workload.make_inputs(7, params)]
    assert got == workload.expected(7, params)
    assert not array.flags.writeable
    assert workload.shared_bytes(params) == array.nbytes == MIB


def test_a_shared_memory_handle_opens_to_the_same_array_without_a_copy():
    from multiprocessing import shared_memory

    array = np.arange(1000, dtype=np.int64)
    block = shared_memory.SharedMemory(create=True, size=array.nbytes)
    try:
        np.ndarray(array.shape, dtype=array.dtype, buffer=block.buf)[...] = array
        opened = resolve(SharedMemoryArray(block.name, array.shape, array.dtype.str))
        assert np.array_equal(opened, array) and not opened.flags.writeable
        assert resolve(array) is array  # a plain object is its own handle
        del opened
    finally:
        from workloads import sharing

        attached, _ = sharing._ATTACHED.pop(block.name)
        attached.close()
        block.close()
        block.unlink()


@pytest.mark.parametrize(
    ("backend", "crossing"),
    [
        ("processes:spawn", "per worker"),
        ("processes:forkserver", "per worker"),
        ("processes:executor", "inherited"),
        ("processes:shared-memory", "once"),
        ("processes:joblib", "per run"),
        ("asyncio:process-pool", "inherited"),
        ("dask:threads-per-worker", "per worker"),
        ("ray:actors", "once"),
        ("ray:batched", "once"),
    ],
)
def test_each_broadcast_variant_runs_verified_and_names_its_idiom(backend, crossing):
    record = shared_cell(backend)
    assert record["status"] == "ok", record["error"]
    assert record["verification"]["ok"] and record["verification"]["repeats_checked"] == 3
    shared = record["shared_input"]
    assert shared["crossing"] == crossing and shared["idiom"]
    assert shared["per_task_form"] is False
    assert record["share_s"] is not None and record["leftover_processes"] == []


@pytest.mark.parametrize(
    ("backend", "idiom_crossing"),
    [("processes", "inherited"), ("dask", "per worker"), ("ray", "once"), ("threads", "none")],
)
def test_the_naive_form_passes_the_array_with_every_task(backend, idiom_crossing):
    idiom, naive = shared_cell(backend), shared_cell(backend, per_task=1)
    for record in (idiom, naive):
        assert record["status"] == "ok", record["error"]
        assert record["verification"]["ok"]
    assert idiom["shared_input"]["crossing"] == idiom_crossing
    if backend == "threads":  # in-process: both forms are the same object, nothing moves
        assert naive["shared_input"]["crossing"] == "none"
        assert naive["shared_input"]["bytes_copied_per_run"] == 0
    else:
        assert naive["shared_input"]["crossing"] == "per task"
        assert naive["shared_input"]["idiom"].startswith("passed with every task")
        assert naive["shared_input"]["bytes_copied_per_run"] == 5 * MIB
        assert idiom["shared_input"]["bytes_copied_per_run"] == 0
    assert naive["shared_input"]["per_task_form"] is True
    pairs = idiom_pairs([idiom, naive])
    assert [(a["backend"], b["backend"]) for a, b in pairs] == [(backend, backend)]
    table = render_shared_input([idiom, naive])
    assert len(table) == 3 and backend in table[2]


def test_the_shared_memory_variant_says_it_only_differs_for_a_shared_input():
    record = run_cell(CellSpec("overhead.noop", "processes:shared-memory", 2, tasks=4, repeats=1))
    assert record["status"] == "skipped"
    assert "only for a workload with a shared input" in record["error"]


def test_a_shared_input_too_big_for_the_memory_is_skipped_before_anything_starts():
    # 4 GiB with 5 in flight is counted as 7 copies, 28 GiB.
    if psutil.virtual_memory().available > 56 * 2**30:
        pytest.skip("this machine has room for 28 GiB: the case cannot be made here")
    record = shared_cell("processes", workers=8, megabytes=4096)
    assert record["status"] == "skipped"
    assert "shared input of 4096 MiB would need" in record["error"]
    assert "give a smaller megabytes or fewer workers" in record["error"]
    assert record["exit_code"] is None
