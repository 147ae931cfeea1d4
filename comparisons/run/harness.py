"""Runs one cell in a fresh Python subprocess and turns what it measured into a record.

Flow: `run_cell(spec)` writes the spec to a temporary file, starts
`python -m comparisons.cell SPEC RESULT` (see `comparisons.cell.child`) in its own session,
samples the whole process tree's memory and CPU while it runs (`TreeWatcher`), kills the
tree if it outlives the cell's timeout, ends anything the cell left running, and builds
the record (`comparisons.records.schema.build_record`). A fresh interpreter per cell, as pyperf
does, keeps one model's imports, pools and daemons from touching another's numbers.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from comparisons.backends.clusters import unreachable
from comparisons.cell.contract import (
    EXIT_GAVE_UP,
    CellSpec,
    ResolvedCell,
    measuring_flag,
    point_answer,
    point_flag,
)
from comparisons.cell.outcome import CellOutcome, Monitor
from comparisons.measure.environment import PROJECT_ROOT
from comparisons.measure.machine_speed import PROBE
from comparisons.measure.process_tree import (
    SAMPLE_INTERVAL_S,
    TOKEN_VARIABLE,
    CellCgroup,
    CpuCgroup,
    JoinInChild,
    MemoryCgroup,
    TreeWatcher,
    adopting_orphans,
    reap_if_exited,
)
from comparisons.records.schema import Record, build_record
from comparisons.run.services import ServiceError, Services, running_services
from comparisons.run.skip_policy import interpreter_version, why_not_run
from comparisons.run.worker_env import worker_environment

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
    return worker_environment(extra={"TMPDIR": str(scratch), TOKEN_VARIABLE: token})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_cell(
    spec: CellSpec,
    *,
    python: str = sys.executable,
    context: dict[str, Any] | None = None,
    skip_reason: str | None = None,
) -> Record:
    """Measure `spec` in a fresh `python` subprocess and return its record.

    A cell that cannot run as asked (`why_not_run`), or that the caller skips
    (`skip_reason`: a run's budget), is recorded as `skipped` with the reason, without
    starting anything; a cell whose cluster is unreachable or whose services do not
    start is recorded as an `error`.
    """
    return run_points([spec], python=python, context=context, skip_reason=skip_reason)[0]


def run_points(
    specs: list[CellSpec],
    *,
    python: str = sys.executable,
    context: dict[str, Any] | None = None,
    skip_reason: str | None = None,
) -> list[Record]:
    """Measure points of one `process_key` in one fresh `python` subprocess, the model
    set up once (`comparisons.cell.child.measure_points`); one record per point, in
    order. Each point's memory and CPU are read over its own window of the process
    (`PointWindows`); its set-up and teardown are the process's. A point that cannot
    run as asked is recorded as skipped without joining the process."""
    context = context or {}
    started_at = _now()
    cells = [spec.resolve() for spec in specs]

    def not_started(
        cell: ResolvedCell, skip_reason: str | None, error: str | None = None
    ) -> Record:
        monitor = Monitor(
            started_at=started_at,
            finished_at=_now(),
            python=python,
            skip_reason=skip_reason,
            start_error=error,
        )
        return build_record(cell, None, monitor, context)

    records: dict[int, Record] = {}
    for index, cell in enumerate(cells):
        reason = skip_reason or why_not_run(cell, interpreter_version(python))
        if reason:
            records[index] = not_started(cell, reason)
    runnable = [i for i in range(len(cells)) if i not in records]
    first = specs[runnable[0]] if runnable else None
    if first is not None and first.address:
        error = _GAVE_UP_ON.get(first.address) or unreachable(
            cells[runnable[0]].backend.cluster_engine or "", first.address
        )
        if error:
            records |= {i: not_started(cells[i], None, error) for i in runnable}
            runnable = []
    if runnable:
        points = [specs[i] for i in runnable]
        workload = cells[runnable[0]].workload
        # A short prefix: Ray's socket paths under TMPDIR must fit in 107 characters.
        with tempfile.TemporaryDirectory(prefix="cmp-", ignore_cleanup_errors=True) as scratch:
            try:
                with running_services(
                    workload.services, python, Path(scratch), host=points[0].service_host
                ) as services:
                    measured = _measure(points, python, Path(scratch), services, started_at)
            except ServiceError as exc:
                measured = []
                records |= {i: not_started(cells[i], None, str(exc)) for i in runnable}
        for index, (monitor, outcome) in zip(runnable, measured, strict=False):
            records[index] = build_record(cells[index], outcome, monitor, context)
        first_record = records[runnable[0]]
        if first is not None and first.address and first_record["exit_code"] == EXIT_GAVE_UP:
            _GAVE_UP_ON[first.address] = (
                f"{first_record['error']} (an earlier cell; not tried again)"
            )
    return [records[i] for i in range(len(cells))]


def _measure(
    specs: list[CellSpec], python: str, scratch: Path, services: Services, started_at: str
) -> list[tuple[Monitor, CellOutcome | None]]:
    """Start the cell process, watch its tree until it exits or times out, end what it
    left, and return what was seen from outside with what the cell wrote: one pair per
    point (`specs` share one process when there are several)."""
    load_before = [round(v, 2) for v in os.getloadavg()]
    around = CpuAround.start(services)
    paths = _CellFiles.make(scratch, specs)
    token = secrets.token_hex(8)
    groups = _CellGroups.create(token)
    windows = PointWindows(paths, groups, services, len(specs)) if len(specs) > 1 else None
    with adopting_orphans():
        begin = time.perf_counter()
        proc = _start(python, paths, token, services, groups)
        groups.confirm(proc.pid)
        watcher = _watch(proc, token)
        try:
            timeout_s = sum(spec.timeout_s for spec in specs)
            timed_out, root_cpu = _wait(proc, watcher, begin, timeout_s, paths.measuring, windows)
        except BaseException:
            _stop_cell(proc, watcher)
            groups.remove()
            raise
        leftovers, survivors_cpu = _end_leftovers(proc, watcher, timed_out)
    wall_s = time.perf_counter() - begin
    group_cpu = groups.cpu.cpu_seconds() if groups.cpu is not None else None
    kernel_peak = groups.memory.peak_bytes() if groups.memory is not None else None
    memory = watcher.memory_summary() if watcher else {}
    if kernel_peak is not None and groups.memory is not None:
        memory |= {"kernel_peak_bytes": kernel_peak, "kernel_peak_counter": groups.memory.counter}
    groups.remove()
    others = around.finish(services)
    if group_cpu is not None and not timed_out:
        tree_cpu: float | None = group_cpu
        accounting: str | None = "cgroup"
    elif root_cpu is not None:
        tree_cpu = root_cpu + survivors_cpu + (watcher.orphan_cpu_s if watcher else 0.0)
        accounting = "rusage"
    else:
        tree_cpu, accounting = None, None
    outcomes = _read_outcomes(paths.result, len(specs))
    for outcome in outcomes:
        PROBE.add_window(outcome.speed_probes_s if outcome else [])
    monitor = Monitor(
        started_at=started_at,
        finished_at=_now(),
        python=python,
        cell_wall_s=wall_s,
        exit_code=proc.returncode,
        timed_out=timed_out,
        peak_rss_bytes=watcher.peak_rss_bytes if watcher else None,
        memory=memory,
        peak_processes=watcher.peak_processes if watcher else None,
        cpu_s_total=tree_cpu,
        cpu_accounting=accounting,
        service_cpu_s=others.service_s,
        kernel_cpu_s=others.kernel_s,
        load_before=load_before,
        other_cpu_cores=others.neighbours_cores(tree_cpu, wall_s),
        leftover_processes=leftovers,
        output_tail=paths.log.read_text(errors="replace")[-OUTPUT_TAIL_CHARS:],
        services=sorted(services.variables),
        machine=PROBE.summary(),
    )
    if windows is None:
        return [(monitor, outcomes[0])]
    return list(zip(windows.monitors(monitor), outcomes, strict=True))


@dataclass(frozen=True)
class _WindowStart:
    at: float
    cpu_s: float | None
    around: CpuAround


@dataclass(frozen=True)
class PointWindow:
    """What the harness read of the tree over one point of a shared process."""

    wall_s: float
    cpu_s: float | None
    cpu_accounting: str
    others: OtherCpu
    memory: dict[str, Any]
    peak_rss_bytes: int
    peak_processes: int


class PointWindows:
    """The windows of a process that measures several points: when the cell announces
    the next point (`point_flag`), the tree is read at that boundary (its CPU, the
    services' and the rest of the machine's, and the memory peaks since the last
    boundary, which then start again), and the cell is answered (`point_answer`)."""

    def __init__(self, paths: _CellFiles, groups: _CellGroups, services: Services, points: int):
        self.paths = paths
        self.groups = groups
        self.services = services
        self.points = points
        self.current: int | None = None
        self.started: _WindowStart | None = None
        self.closed: dict[int, PointWindow] = {}
        self.kernel_peaks = groups.memory is not None

    def poll(self, watcher: TreeWatcher | None) -> None:
        try:
            index = int(self.paths.point.read_text())
        except (OSError, ValueError):
            return
        if index == self.current:
            return
        if watcher is not None:
            watcher.sample()
        self._close(watcher)
        self.current = index
        if index < self.points:
            if watcher is not None:
                watcher.reset_peaks()
                watcher.sample()
            if self.groups.memory is not None:
                self.kernel_peaks = self.kernel_peaks and self.groups.memory.reset_peak()
            self.started = _WindowStart(
                time.perf_counter(), self._cpu_s(watcher), CpuAround.start(self.services)
            )
        answer = self.paths.point_answer
        temporary = answer.with_name(answer.name + ".new")
        temporary.write_text(str(index))
        temporary.replace(answer)

    def _cpu_s(self, watcher: TreeWatcher | None) -> float | None:
        if self.groups.cpu is not None:
            return self.groups.cpu.cpu_seconds()
        return watcher.tree_cpu_seconds() if watcher is not None else None

    def _close(self, watcher: TreeWatcher | None) -> None:
        if self.current is None or self.started is None or self.current >= self.points:
            return
        wall = time.perf_counter() - self.started.at
        cpu_now = self._cpu_s(watcher)
        cpu = (
            cpu_now - self.started.cpu_s
            if cpu_now is not None and self.started.cpu_s is not None
            else None
        )
        memory = watcher.memory_summary() if watcher is not None else {}
        if self.kernel_peaks and self.groups.memory is not None:
            peak = self.groups.memory.peak_bytes()
            if peak is not None:
                memory |= {
                    "kernel_peak_bytes": peak,
                    "kernel_peak_counter": self.groups.memory.counter,
                }
        self.closed[self.current] = PointWindow(
            wall_s=wall,
            cpu_s=cpu,
            cpu_accounting="cgroup" if self.groups.cpu is not None else "sampled",
            others=self.started.around.finish(self.services),
            memory=memory,
            peak_rss_bytes=watcher.peak_rss_bytes if watcher is not None else 0,
            peak_processes=watcher.peak_processes if watcher is not None else 0,
        )
        self.started = None

    def monitors(self, process: Monitor) -> list[Monitor]:
        """Each point's monitor: the process's, with the point's own window where it was
        read (memory, CPU, the machine around it) and, as its wall time, its window plus
        an equal share of what no window holds (start, set-up, teardown, exit)."""
        if len(self.closed) < self.points:
            return [process] * self.points  # the cell died before its points ran
        unshared = max(0.0, process.cell_wall_s - sum(w.wall_s for w in self.closed.values()))
        found = []
        for index in range(self.points):
            window = self.closed[index]
            found.append(
                replace(
                    process,
                    cell_wall_s=window.wall_s + unshared / self.points,
                    process_wall_s=process.cell_wall_s,
                    peak_rss_bytes=window.peak_rss_bytes or None,
                    memory=window.memory,
                    peak_processes=window.peak_processes or None,
                    cpu_s_total=window.cpu_s,
                    cpu_accounting=window.cpu_accounting,
                    service_cpu_s=window.others.service_s,
                    kernel_cpu_s=window.others.kernel_s,
                    other_cpu_cores=window.others.neighbours_cores(window.cpu_s, window.wall_s),
                )
            )
        return found


@dataclass
class _CellGroups:
    """The cell's own control groups, for its CPU and for the kernel's memory peak
    (either None where it cannot be made), joined by the cell process before it runs."""

    cpu: CpuCgroup | None
    memory: MemoryCgroup | None

    @classmethod
    def create(cls, token: str) -> _CellGroups:
        name = CellCgroup.PREFIX + token
        return cls(CpuCgroup.create(name), MemoryCgroup.create(name))

    @property
    def made(self) -> list[CellCgroup]:
        return [g for g in (self.cpu, self.memory) if g is not None]

    def confirm(self, pid: int) -> None:
        """Keep only the groups the cell is in (a failed join in the child is caught
        here; the cell then counts by rusage and PSS samples alone)."""
        if self.cpu is not None and not self.cpu.add(pid):
            self.cpu.remove()
            self.cpu = None
        if self.memory is not None and not self.memory.add(pid):
            self.memory.remove()
            self.memory = None

    def remove(self) -> None:
        for group in self.made:
            group.remove()


@dataclass(frozen=True)
class _CellFiles:
    """The files a cell process reads and writes in its scratch folder."""

    spec: Path
    result: Path
    log: Path
    tmp: Path
    measuring: Path  # exists while the measured repeats run
    point: Path  # the point a shared process is about to start
    point_answer: Path

    @classmethod
    def make(cls, scratch: Path, specs: list[CellSpec]) -> _CellFiles:
        """The files, with the spec written: one cell's, or a list of points."""
        result = scratch / "result.json"
        files = cls(
            scratch / "spec.json",
            result,
            scratch / "output.log",
            scratch / "tmp",
            measuring_flag(result),
            point_flag(result),
            point_answer(result),
        )
        files.tmp.mkdir()
        written = specs[0].to_json() if len(specs) == 1 else [s.to_json() for s in specs]
        files.spec.write_text(json.dumps(written))
        return files


def _start(
    python: str, paths: _CellFiles, token: str, services: Services, groups: _CellGroups
) -> subprocess.Popen:
    """The cell process, in a session of its own and in the cell's control groups from
    before its first instruction, its output to the log."""
    join = JoinInChild(groups.made) if groups.made else None
    try:
        with open(paths.log, "wb") as log:
            return subprocess.Popen(
                [python, "-m", "comparisons.cell", str(paths.spec), str(paths.result)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**cell_environment(paths.tmp, token), **services.variables},
                cwd=PROJECT_ROOT,
                start_new_session=True,
                preexec_fn=join,
            )
    finally:
        if join is not None:
            join.close()


def _wait(
    proc: subprocess.Popen,
    watcher: TreeWatcher | None,
    begin: float,
    timeout_s: float,
    measuring: Path,
    windows: PointWindows | None = None,
) -> tuple[bool, float | None]:
    """Sample the tree until the cell exits (its CPU, children reaped included) or
    outlives `timeout_s`: (timed out, the root's CPU seconds or None). While the cell's
    measured repeats run (`measuring` exists) the tree is sampled far less often."""
    while True:
        # wait4 rather than Popen.poll: its rusage keeps the CPU of every
        # descendant the cell reaped, however short-lived.
        code, cpu = reap_if_exited(proc.pid)
        if code is not None:
            proc.returncode = code
            return False, cpu
        if windows is not None:
            windows.poll(watcher)
        if watcher is not None and watcher.sample_due(measuring.exists()):
            watcher.sample()
            watcher.reap_orphans()
        if time.perf_counter() - begin > timeout_s:
            return True, None
        time.sleep(SAMPLE_INTERVAL_S)


def _end_leftovers(
    proc: subprocess.Popen, watcher: TreeWatcher | None, timed_out: bool
) -> tuple[list[str], float]:
    """Stop a timed-out cell; otherwise give what it left running a grace period, then
    end it: (what was ended, the CPU seconds those survivors had used)."""
    if timed_out:
        _stop_cell(proc, watcher)
        return [], 0.0
    if watcher is None:
        return [], 0.0
    leftovers: list[str] = []
    survivors_cpu = 0.0
    left = watcher.wait_for_survivors(SHUTDOWN_GRACE_S)
    if left:
        watcher.sample()
        survivors_cpu = watcher.cpu_of(left)
        leftovers = watcher.end_survivors()
    watcher.reap_orphans()
    return leftovers, survivors_cpu


@dataclass(frozen=True)
class OtherCpu:
    """CPU seconds spent beside a cell, by whom: the machine's busy time less the
    cell's services, the harness and the kernel's own threads (`busy_s`), and those
    two apart."""

    busy_s: float
    service_s: float
    kernel_s: float

    def neighbours_cores(self, tree_cpu: float | None, wall_s: float) -> float | None:
        """CPU the rest of the machine used meanwhile, in cores: neighbours, not the
        cell, its services, the harness or the kernel's own threads (which free and zero
        the memory a cell's processes leave: Ray's, mostly)."""
        if tree_cpu is None or wall_s <= 0:
            return None
        return max(0.0, self.busy_s - tree_cpu) / wall_s


@dataclass(frozen=True)
class CpuAround:
    """The machine's CPU counters when a cell starts; `finish` reads what was spent."""

    busy_s: float
    service_s: float
    harness_s: float
    kernel_s: float

    @classmethod
    def start(cls, services: Services) -> CpuAround:
        return cls(
            _system_busy_seconds(),
            services.cpu_seconds(),
            _own_cpu_seconds(),
            _kernel_threads_cpu_seconds(),
        )

    def finish(self, services: Services) -> OtherCpu:
        busy = _system_busy_seconds() - self.busy_s
        service = services.cpu_seconds() - self.service_s
        kernel = _kernel_threads_cpu_seconds() - self.kernel_s
        busy -= service + (_own_cpu_seconds() - self.harness_s) + kernel
        return OtherCpu(busy, service, kernel)


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


def _read_outcomes(result_path: Path, points: int) -> list[CellOutcome | None]:
    """What the cell wrote, one per point, or None for each when it died before writing
    a readable result."""
    try:
        data = json.loads(result_path.read_text())
        found = [CellOutcome.from_json(d) for d in (data if points > 1 else [data])]
    except (OSError, ValueError, TypeError, AttributeError):
        return [None] * points
    if len(found) != points:
        return [None] * points
    return list(found)
