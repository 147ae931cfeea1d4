"""Runs one cell in a fresh Python subprocess and turns what it measured into a record.

Flow: `run_cell(spec)` writes the spec to a temporary file, starts
`python -m comparisons _cell SPEC RESULT` (see `comparisons.cell`) in its own session,
samples the whole process tree's memory and CPU while it runs (`TreeWatcher`), kills the
tree if it outlives the cell's timeout, ends anything the cell left running, and builds
the record (`comparisons.records.build_record`). A fresh interpreter per cell, as pyperf
does, keeps one model's imports, pools and daemons from touching another's numbers.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import psutil

from comparisons.backends.base import over_half_of_available
from comparisons.cell import EXIT_GAVE_UP, CellSpec, ResolvedCell
from comparisons.clusters import PARSERS, is_loopback, unreachable
from comparisons.environment import PROJECT_ROOT
from comparisons.machine_speed import PROBE
from comparisons.outcome import CellOutcome, Monitor
from comparisons.process_tree import (
    SAMPLE_INTERVAL_S,
    TOKEN_VARIABLE,
    CpuCgroup,
    TreeWatcher,
    adopting_orphans,
    reap_if_exited,
)
from comparisons.python_env import PythonEnvError, describe_interpreter
from comparisons.records import build_record
from comparisons.services import ServiceError, Services, running_services
from workloads.fault_host_loss import COMMAND_VARIABLE as HOST_LOSS_COMMAND
from workloads.fault_host_loss import WORKLOAD as HOST_LOSS
from workloads.vocabulary import Kind

# Native libraries' own thread pools are pinned to one thread per worker so that
# oversubscription does not masquerade as a model's result (DESIGN.md, fairness rules).
PINNED_NATIVE_THREADS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
# Processes a cell leaves behind get this long to finish exiting on their own.
SHUTDOWN_GRACE_S = 5.0
# A cell asked to stop (timeout, interrupt) gets this long to tear its model down itself.
STOP_GRACE_S = 10.0
OUTPUT_TAIL_CHARS = 2000
# Cluster addresses whose set-up timed out in this process: later cells fail at once.
_GAVE_UP_ON: dict[str, str] = {}


def cell_environment(scratch: Path, token: str) -> dict[str, str]:
    """The environment variables a cell subprocess runs with.

    TMPDIR points into the cell's own scratch directory, so what the engines leave in
    temporary space (Ray's session folders, Dask's scratch space) goes with the cell.
    """
    env = dict(os.environ)
    env.update(PINNED_NATIVE_THREADS)
    env["TMPDIR"] = str(scratch)
    env[TOKEN_VARIABLE] = token
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    return env


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_cell(
    spec: CellSpec,
    *,
    python: str = sys.executable,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Measure `spec` in a fresh `python` subprocess and return its record.

    A cell that cannot run as asked (`why_not_run`) is recorded as `skipped` with the
    reason, without starting anything; a cell whose cluster is unreachable or whose
    services do not start is recorded as an `error`.
    """
    context = context or {}
    started_at = _now()
    cell = spec.resolve()

    def not_started(skip_reason: str | None, error: str | None = None) -> dict[str, Any]:
        monitor = Monitor(
            started_at=started_at,
            finished_at=_now(),
            python=python,
            skip_reason=skip_reason,
            start_error=error,
        )
        return dict(build_record(cell, None, monitor, context))

    reason = why_not_run(cell, interpreter_version(python))
    if reason:
        return not_started(reason)
    if spec.address:
        error = _GAVE_UP_ON.get(spec.address) or unreachable(
            cell.backend.cluster_engine or "", spec.address
        )
        if error:
            return not_started(None, error)
    # A short prefix: Ray's socket paths under TMPDIR must fit in 107 characters.
    with tempfile.TemporaryDirectory(prefix="cmp-", ignore_cleanup_errors=True) as scratch:
        try:
            with running_services(
                cell.workload.services, python, Path(scratch), host=spec.service_host
            ) as services:
                monitor, outcome = _measure(spec, python, Path(scratch), services, started_at)
        except ServiceError as exc:
            return not_started(None, str(exc))
    # Typed where it is written; a plain dict for its readers, which add derived fields.
    record = dict(build_record(cell, outcome, monitor, context))
    if spec.address and monitor.exit_code == EXIT_GAVE_UP:
        _GAVE_UP_ON[spec.address] = f"{record['error']} (an earlier cell; not tried again)"
    return record


@cache
def interpreter_version(python: str) -> tuple[int, int, int]:
    """(major, minor, micro) of the interpreter that runs the cells; the harness's own
    when it cannot tell (the cell process then reports the problem itself)."""
    if python == sys.executable:
        return sys.version_info[:3]
    try:
        full = str(describe_interpreter(python)["full"])
    except PythonEnvError:
        return sys.version_info[:3]
    found = re.match(r"(\d+)\.(\d+)\.(\d+)", full)  # "3.14.0rc1" is 3.14.0
    if found is None:
        return sys.version_info[:3]
    return int(found[1]), int(found[2]), int(found[3])


def why_not_run(cell: ResolvedCell, python: tuple[int, int, int]) -> str | None:
    """Why a cell is skipped before anything starts, or None: an interpreter older than
    the model needs (`python` is the cells' version), a shared input too big for the
    memory, a function that cannot be sent to the model's workers, where it would run, a
    worker-to-worker hand-off on a model without one (`handoff_problem`), a fault probe
    on a model that cannot wait with a deadline, a one-worker-per-task idiom at fewer
    workers than tasks, or the model's own limits (`Backend.cannot_run`)."""
    spec, backend = cell.spec, cell.backend
    too_old = backend.too_old(python)
    if too_old:
        return too_old
    too_big = shared_input_too_big(cell)
    if too_big:
        return too_big
    if cell.workload.crossing_problem and not backend.in_process:
        return (
            f"{spec.backend} sends the function to other processes or interpreters, and "
            f"{cell.workload.crossing_problem}: define it at the top level of a module"
        )
    if spec.address:
        reason = placement_problem(cell)
        if reason:
            return reason
    handoff = handoff_problem(cell)
    if handoff:
        return handoff
    if cell.workload.name == HOST_LOSS.name and not spec.address:
        return (
            "the host-loss probe needs an external cluster whose hosts can be lost "
            "(DASK_ADDRESS / RAY_ADDRESS; tests/multihost.py makes one)"
        )
    if cell.workload.kind == Kind.FAULT and not backend.has_deadline():
        return (
            f"{spec.backend} has no way to wait with a deadline or cancel, so the fault "
            "probe (which needs one) is not run on it"
        )
    if backend.one_worker_per_task and spec.workers != spec.tasks:
        return (
            f"{spec.backend} starts one worker per task, so {spec.tasks} are in flight; "
            f"this cell compares models at {spec.workers} in flight (give workers = tasks)"
        )
    return None if spec.address else backend.cannot_run(spec.workers)


def handoff_problem(cell: ResolvedCell) -> str | None:
    """Why a worker-to-worker hand-off workload cannot run on this cell, or None."""
    if cell.workload.produce is None:
        return None
    if cell.backend.handoff is None:
        return (
            f"{cell.spec.backend}'s workers do not hand data to each other (it would go "
            "through the caller, which overhead.transfer measures); dask and ray run it"
        )
    if cell.spec.workers < 2 and not cell.params.get("same_worker"):
        return "a hand-off between workers needs at least 2 workers (or same_worker=1)"
    return None


def shared_input_too_big(cell: ResolvedCell) -> str | None:
    """Why a workload's shared input would not fit, or None. Counted at its worst: the
    parent's copy, one being pickled, and one per task in flight in a worker (the naive
    form, or an idiom that sends a copy to each worker); one copy for a model whose
    tasks run in the cell's own process. Over half the memory available is refused
    before anything starts, rather than risking the machine's out-of-memory killer."""
    workload = cell.workload
    if workload.shared_bytes is None:
        return None
    size = workload.shared_bytes(cell.params)
    copies = 1 if cell.backend.in_process else 2 + cell.in_flight
    needed = size * copies
    available = over_half_of_available(needed)
    if available is None:
        return None
    return (
        f"{workload.name}'s shared input of {size / 2**20:.0f} MiB would need up to "
        f"{needed / 2**30:.1f} GiB here ({copies} copies with {cell.in_flight} in flight), "
        f"more than half of the {available / 2**30:.1f} GiB available: give a smaller "
        "megabytes or fewer workers"
    )


def placement_problem(cell: ResolvedCell) -> str | None:
    """Why a cell sent to an external cluster is skipped there, or None.

    Fault probes stay local: a task that never returns would hold a worker of somebody's
    cluster until it is restarted. A workload whose service (the latency server) listens
    on loopback cannot be reached by workers on other machines.
    """
    spec = cell.spec
    engine = cell.backend.cluster_engine or "cluster"
    if cell.workload.name == HOST_LOSS.name:
        if not os.environ.get(HOST_LOSS_COMMAND):
            return (
                f"no command to remove a host ({HOST_LOSS_COMMAND} is not set; "
                "tests/multihost.py sets it for its emulated hosts)"
            )
        return None
    if cell.workload.kind == Kind.FAULT:
        return (
            f"fault probes are not sent to an external {engine} cluster (a hung task "
            "would hold one of its workers); run them without the address"
        )
    parse = PARSERS.get(engine)
    host = parse(spec.address) if parse is not None and spec.address else None
    if (
        cell.workload.services
        and host is not None
        and not host.loopback
        and is_loopback(spec.service_host)
    ):
        return (
            f"the latency server would listen on {spec.service_host}, which workers of "
            f"the cluster at {spec.address} cannot reach; set SERVICE_HOST to an address "
            "of this machine they can reach"
        )
    return None


def _measure(
    spec: CellSpec, python: str, scratch: Path, services: Services, started_at: str
) -> tuple[Monitor, CellOutcome | None]:
    load_before = [round(v, 2) for v in os.getloadavg()]
    busy_before = _system_busy_seconds()
    service_cpu_before = services.cpu_seconds()
    harness_cpu_before = _own_cpu_seconds()
    kernel_cpu_before = _kernel_threads_cpu_seconds()
    spec_path = Path(scratch, "spec.json")
    result_path = Path(scratch, "result.json")
    log_path = Path(scratch, "output.log")
    tmp_dir = Path(scratch, "tmp")
    tmp_dir.mkdir()
    spec_path.write_text(json.dumps(spec.to_json()))
    token = secrets.token_hex(8)
    with adopting_orphans():
        begin = time.perf_counter()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [python, "-m", "comparisons", "_cell", str(spec_path), str(result_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**cell_environment(tmp_dir, token), **services.variables},
                cwd=PROJECT_ROOT,
                start_new_session=True,
            )
        PROBE.start_window()
        # Before the cell has started anything (its imports come first): every process
        # it starts from here on is in the group.
        group = CpuCgroup.create(CpuCgroup.PREFIX + token)
        if group is not None and not group.add(proc.pid):
            group.remove()
            group = None
        watcher = _watch(proc, token)
        timed_out = False
        root_cpu: float | None = None
        try:
            while True:
                # wait4 rather than Popen.poll: its rusage keeps the CPU of every
                # descendant the cell reaped, however short-lived.
                code, cpu = reap_if_exited(proc.pid)
                if code is not None:
                    proc.returncode, root_cpu = code, cpu
                    break
                if watcher is not None:
                    watcher.sample()
                    watcher.reap_orphans()
                PROBE.maybe_take()
                if time.perf_counter() - begin > spec.timeout_s:
                    timed_out = True
                    break
                time.sleep(SAMPLE_INTERVAL_S)
        except BaseException:
            _stop_cell(proc, watcher)
            if group is not None:
                group.remove()
            raise
        leftovers: list[str] = []
        survivors_cpu = 0.0
        if timed_out:
            _stop_cell(proc, watcher)
        elif watcher is not None:
            left = watcher.wait_for_survivors(SHUTDOWN_GRACE_S)
            if left:
                watcher.sample()
                survivors_cpu = watcher.cpu_of(left)
                leftovers = watcher.end_survivors()
            watcher.reap_orphans()
    wall_s = time.perf_counter() - begin
    group_cpu = group.cpu_seconds() if group is not None else None
    if group is not None:
        group.remove()
    busy = _system_busy_seconds() - busy_before
    service_cpu = services.cpu_seconds() - service_cpu_before
    kernel_cpu = _kernel_threads_cpu_seconds() - kernel_cpu_before
    busy -= service_cpu + (_own_cpu_seconds() - harness_cpu_before) + kernel_cpu
    if group_cpu is not None and not timed_out:
        tree_cpu: float | None = group_cpu
        accounting = "cgroup"
    elif root_cpu is not None:
        tree_cpu = root_cpu + survivors_cpu + (watcher.orphan_cpu_s if watcher else 0.0)
        accounting = "rusage"
    else:
        tree_cpu, accounting = None, None
    outcome = _read_outcome(result_path)
    output_tail = log_path.read_text(errors="replace")[-OUTPUT_TAIL_CHARS:]

    monitor = Monitor(
        started_at=started_at,
        finished_at=_now(),
        python=python,
        cell_wall_s=wall_s,
        exit_code=proc.returncode,
        timed_out=timed_out,
        peak_rss_bytes=watcher.peak_rss_bytes if watcher else None,
        memory=watcher.memory_summary() if watcher else {},
        peak_processes=watcher.peak_processes if watcher else None,
        cpu_s_total=tree_cpu,
        cpu_accounting=accounting,
        service_cpu_s=service_cpu,
        kernel_cpu_s=kernel_cpu,
        load_before=load_before,
        # CPU the rest of the machine used meanwhile, in cores: neighbours, not the cell,
        # its services, the harness or the kernel's own threads (which free and zero the
        # memory a cell's processes leave: Ray's, mostly).
        other_cpu_cores=(
            max(0.0, busy - tree_cpu) / wall_s if tree_cpu is not None and wall_s > 0 else None
        ),
        leftover_processes=leftovers,
        output_tail=output_tail,
        services=sorted(services.variables),
        machine=PROBE.summary(),
    )
    return monitor, outcome


def _own_cpu_seconds() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


def _kernel_threads_cpu_seconds() -> float:
    """CPU of the kernel's own threads (children of kthreadd, pid 2), on Linux."""
    total = 0.0
    for proc in psutil.process_iter(["ppid", "cpu_times"]):
        if proc.pid == 2 or proc.info["ppid"] == 2:
            times = proc.info["cpu_times"]
            if times is not None:
                total += times.user + times.system
    return total


def _system_busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _watch(proc: subprocess.Popen, token: str) -> TreeWatcher | None:
    try:
        return TreeWatcher(proc.pid, token)
    except psutil.Error:
        return None  # exited before it could be watched; its exit code tells why


def _stop_cell(proc: subprocess.Popen, watcher: TreeWatcher | None) -> None:
    """Ask the cell to tear down (SIGTERM), then kill whatever of its tree remains."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
    if watcher is not None:
        watcher.wait_for_survivors(SHUTDOWN_GRACE_S if proc.poll() is not None else 0)
        watcher.end_all(grace_s=1.0)
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _read_outcome(result_path: Path) -> CellOutcome | None:
    """What the cell wrote, or None when it died before writing a readable result."""
    try:
        return CellOutcome.from_json(json.loads(result_path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
