"""The instruments read right: shared pages counted once, exited children's CPU kept,
CPU and wall time over the same window, the event loop's lag, the run order."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from comparisons.cell.child import measure_cell
from comparisons.cell.contract import CellSpec
from comparisons.measure.process_tree import (
    MEASURING_INTERVAL_S,
    SAMPLE_INTERVAL_S,
    CpuCgroup,
    JoinInChild,
    MemoryCgroup,
    TreeWatcher,
)
from comparisons.run.harness import run_cell
from comparisons.run.runner import run_order

SHARED_BYTES = 100 * 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="needs Linux smaps")
def test_two_forked_processes_sharing_100_mib_report_100_mib_pss_not_200():
    script = (
        "import multiprocessing as mp, sys\n"
        f"buffer = bytearray(b'x' * {SHARED_BYTES})\n"
        "ready, stop = mp.Event(), mp.Event()\n"
        "def hold():\n"
        "    ready.set(); stop.wait(30)\n"
        "child = mp.get_context('fork').Process(target=hold)\n"
        "child.start(); ready.wait(10)\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline(); stop.set(); child.join()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        watcher = TreeWatcher(proc.pid)
        watcher.sample()
        memory = watcher.memory_summary()
        assert memory["measure"] == "pss" and memory["processes_at_peak"] == 2
        assert 0.9 * SHARED_BYTES < memory["peak_pss_bytes"] < 1.5 * SHARED_BYTES, memory
        assert memory["peak_rss_sum_bytes"] > 1.9 * SHARED_BYTES, memory  # RSS counts twice
        assert memory["child_uss_median_bytes"] < SHARED_BYTES / 4  # the child owns little
    finally:
        proc.communicate("stop\n", timeout=30)


def test_a_process_per_task_cell_keeps_its_exited_childrens_cpu():
    """What `time` reports for the cell (its rusage, reaped children included) is what
    the record counts, and none of it is blamed on other programs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    record = run_cell(CellSpec("cpu.primes", "processes:per-task", 8, 8, {"span": 6000}, repeats=3))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert record["status"] == "ok", record["error"]
    timed = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert record["cpu_s_total"] >= 0.9 * timed
    if CpuCgroup.create("comparisons-probe") is not None:
        _remove_probe()
        # Where a cgroup can be made, the whole tree's CPU is read from it, and the group
        # is gone once the cell is.
        assert record["cpu_accounting"] == "cgroup"
        assert not [p for p in _cgroup_dirs() if "comparisons-" in p]
    cores = len(os.sched_getaffinity(0))
    # CPU per second over the same window cannot exceed the cores.
    assert record["cpu_utilisation"] <= cores * 1.05


def test_a_child_reaped_by_its_parent_is_counted_once_without_a_cgroup():
    """The fallback reading (no CPU cgroup): a member sampled while it ran, then reaped by
    its parent, is in the parent's reaped-children time; its last sample is dropped."""
    burn = "import time\nend = time.process_time() + {s}\nwhile time.process_time() < end: pass\n"
    child = burn.format(s=0.2) + "print('half', flush=True)\ninput()\n" + burn.format(s=0.2)
    parent = (
        "import subprocess, sys\n"
        f"c = subprocess.Popen([sys.executable, '-c', {child!r}], stdin=subprocess.PIPE,"
        " stdout=subprocess.PIPE, text=True)\n"
        "print(c.stdout.readline().strip(), flush=True)\n"
        "c.stdin.write(input() + '\\n'); c.stdin.flush(); c.wait()\n"
        "print('reaped', flush=True)\n"
        "input()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", parent], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        watcher = TreeWatcher(proc.pid)
        assert proc.stdout.readline().strip() == "half"
        watcher.sample()
        running = watcher.tree_cpu_seconds() - watcher.cpu_seen[proc.pid]
        assert running >= 0.2  # the child's CPU so far, sampled
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "reaped"
        watcher.sample()
        # Only the parent is left, its reaped-children time holding the child's 0.4 s.
        assert watcher.cpu_seen.keys() == {proc.pid}
        assert watcher.tree_cpu_seconds() == watcher.cpu_seen[proc.pid] >= 0.4
    finally:
        proc.communicate("stop\n", timeout=30)


def _bases() -> list[str]:
    return [base for kind in (CpuCgroup, MemoryCgroup) for base, _ in kind.bases()]


def _cgroup_dirs() -> list[str]:
    return [entry for base in _bases() if os.path.isdir(base) for entry in os.listdir(base)]


def _remove_probe() -> None:
    for base in _bases():
        path = os.path.join(base, "comparisons-probe")
        if os.path.isdir(path):
            os.rmdir(path)


SPIKE_BYTES = 64 * 2**20


def test_the_kernels_peak_counter_sees_a_spike_shorter_than_any_sample_interval():
    """A 64 MiB buffer that lives 20 ms, in a process that joined the group before it
    ran anything: the group's peak holds it however seldom the tree is sampled."""
    group = MemoryCgroup.create("comparisons-spike-test")
    if group is None:
        pytest.skip("no memory cgroup can be made here (not root, or no cgroup file system)")
    join = JoinInChild([group])
    script = (
        "import time\n"
        "time.sleep(0.3)\n"
        f"spike = bytearray({SPIKE_BYTES}); spike[::4096] = b'x' * len(spike[::4096])\n"
        "time.sleep(0.02); del spike; time.sleep(0.3)\n"
    )
    try:
        proc = subprocess.Popen([sys.executable, "-c", script], preexec_fn=join)
        join.close()
        assert group.add(proc.pid)  # it is in the group already: adding again is a no-op
        assert proc.wait(30) == 0
        assert group.peak_bytes() >= SPIKE_BYTES
        assert "peak" in group.counter or "max_usage" in group.counter
    finally:
        group.remove()
    assert not os.path.isdir(group.path)


def test_a_cell_record_carries_the_kernels_memory_peak_where_one_can_be_read():
    record = run_cell(CellSpec("cpu.hash", "threads", 2, 4, {"megabytes": 8}, repeats=2))
    assert record["status"] == "ok", record["error"]
    memory = record["memory"]
    assert memory["samples"] >= 1 and memory["peak_pss_bytes"] > 0
    if MemoryCgroup.create("comparisons-probe") is None:
        assert "kernel_peak_bytes" not in memory
        return
    _remove_probe()
    # The tree's anonymous memory is charged to it: at least the 2 x 8 MiB of input held.
    assert memory["kernel_peak_bytes"] > 8 * 2**20
    assert memory["kernel_peak_counter"].startswith("cgroup v")
    assert not [p for p in _cgroup_dirs() if "comparisons-" in p]


def test_the_tree_is_sampled_seldom_while_the_measured_repeats_run():
    watcher = TreeWatcher(os.getpid())
    assert watcher.sample_due(measuring=False)
    watcher.sample()
    assert watcher.samples == 1
    # Just sampled: not due either way; a cheap sample is due after SAMPLE_INTERVAL_S
    # outside the repeats and only after MEASURING_INTERVAL_S during them.
    assert not watcher.sample_due(measuring=False) and not watcher.sample_due(measuring=True)
    watcher.sample_cost_s = 0.0
    watcher.sampled_at -= SAMPLE_INTERVAL_S
    assert watcher.sample_due(measuring=False) and not watcher.sample_due(measuring=True)
    watcher.sampled_at -= MEASURING_INTERVAL_S
    assert watcher.sample_due(measuring=True)
    # A costly sample (a tree of many processes) waits in proportion to its own cost.
    watcher.sample_cost_s = 0.1
    assert not watcher.sample_due(measuring=True) and not watcher.sample_due(measuring=False)


def test_the_cell_says_when_its_measured_repeats_run_and_probes_around_each():
    calls: list[bool] = []
    outcome = measure_cell(
        CellSpec("cpu.primes", "threads", 2, 4, {"span": 200}, repeats=3, warmups=1),
        on_measuring=calls.append,
    )
    assert outcome.error is None and len(outcome.samples_s) == 3
    assert calls == [True, False]
    assert len(outcome.speed_probes_s) == 4 and all(p > 0 for p in outcome.speed_probes_s)


def test_cpu_use_of_a_serial_loop_is_one_core_at_most():
    record = run_cell(CellSpec("overhead.noop", "serial", 1, 500, repeats=3, min_repeat_s=0.05))
    assert record["status"] == "ok", record["error"]
    assert record["cpu_utilisation"] <= 1.1


def test_the_event_loops_lag_shows_blocking_work_and_not_to_thread():
    cells = {
        backend: run_cell(CellSpec("cpu.primes", backend, 2, 8, {"span": 3000}, repeats=2))
        for backend in ("asyncio", "asyncio:to-thread")
    }
    blocked = cells["asyncio"]["backend_info"]["loop_lag_max_s"]
    free = cells["asyncio:to-thread"]["backend_info"]["loop_lag_max_s"]
    one_task = cells["asyncio"]["stats"].median / 8
    assert blocked >= 0.8 * one_task and blocked > 2 * free


def test_a_per_task_form_runs_only_where_all_tasks_are_in_flight():
    skipped = run_cell(CellSpec("io.sleep", "threads:per-task", 2, 4, {"latency": 0.01}))
    assert skipped["status"] == "skipped" and "4 are in flight" in skipped["error"]
    ran = run_cell(CellSpec("io.sleep", "threads:per-task", 4, 4, {"latency": 0.01}, repeats=2))
    assert ran["status"] == "ok" and ran["in_flight"] == 4


def test_run_order_interleaves_invocations_by_seed_and_repeats_exactly():
    cells = [CellSpec("cpu.primes", b, 2, 4, invocations=3) for b in ("threads", "trio", "ray")]
    cells.append(CellSpec("cpu.primes", "serial", 1, 4, invocations=3))
    first = run_order(cells, seed=1)
    assert [c.invocation_key for c in first] == [c.invocation_key for c in run_order(cells, 1)]
    assert len(first) == 12 and first[0].backend == "serial"
    rounds = [c.invocation for c in first]
    assert rounds == sorted(rounds)  # round by round
    orders = {tuple(c.backend for c in run_order(cells, seed)[4:8]) for seed in range(20)}
    assert len(orders) > 1  # the seed decides the order within a round
