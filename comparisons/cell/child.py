"""One cell, measured inside its own fresh interpreter (the child side of the harness).

A cell is one (workload, backend, workers, tasks, params) point (`CellSpec`; resolved
once into its workload and backend class, `ResolvedCell`). `measure_cell` runs it in
named steps, each filling the `CellOutcome` (`comparisons.cell.outcome`) it returns:
`set_up` (timed as set-up), then `measure` (warm-ups, `calibrate`, and the measured
repeats, each a `run_repeat`: `time.perf_counter()` around the backend's `run` only,
every run verified against the workload's expected results, the tree's CPU over the
same window) or, for a fault workload, `probe`; then `tear_down` (timed).
`comparisons.run.harness` starts this in a subprocess (`python -m comparisons.cell SPEC
RESULT`, `comparisons.cell.__main__`) and adds what can only be seen from outside:
memory of the whole tree, timeouts, crashes.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import resource
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

from comparisons.backends.base import Backend, CellSkipped
from comparisons.backends.clusters import CONNECT_TIMEOUT_S
from comparisons.cell.contract import (
    EXIT_GAVE_UP,
    CellSpec,
    ResolvedCell,
    measuring_flag,
    point_answer,
    point_flag,
)
from comparisons.cell.faults import probe_fault, probe_host_loss
from comparisons.cell.outcome import CellOutcome, Checked
from comparisons.measure.environment import capture_environment
from comparisons.measure.machine_speed import probe_cpu_s
from comparisons.measure.process_tree import (
    TOKEN_VARIABLE,
    TreeWatcher,
    cpu_with_reaped_children,
    end_processes,
)
from workloads import load_workload
from workloads.fault_host_loss import COMMAND_VARIABLE as HOST_LOSS_COMMAND
from workloads.fault_host_loss import WORKLOAD as HOST_LOSS_WORKLOAD
from workloads.fault_host_loss import undisturbed_s
from workloads.spec import Verification, Workload
from workloads.vocabulary import Kind

MAX_LOOPS = 10_000
# What a model's own teardown left running gets this long to exit before it is ended.
LEFTOVER_GRACE_S = 5.0
# How long a point boundary waits for the harness to read the tree (`PointBoundary`).
POINT_ANSWER_WAIT_S = 5.0
POINT_POLL_S = 0.005
STDLIB_HELPERS = (
    "multiprocessing.resource_tracker",
    "multiprocessing.forkserver",
    "loky.backend.resource_tracker",
)


def tree_cpu_seconds() -> float:
    """User+system CPU seconds of this process and its descendants, each with the
    children it has reaped (a worker's short-lived children keep their time)."""
    me = psutil.Process()
    total = cpu_with_reaped_children(me.cpu_times())
    for child in me.children(recursive=True):
        try:
            total += cpu_with_reaped_children(child.cpu_times())
        except psutil.Error:
            continue  # exited between listing and reading: its time is lost, not doubled
    return total


def measure_cell(
    spec: CellSpec,
    on_setup_done: Callable[[], None] | None = None,
    on_measuring: Callable[[bool], None] | None = None,
) -> CellOutcome:
    """Set up, warm up, measure, verify and tear down one cell; return what it measured.

    `on_measuring(True)` is called as the measured repeats begin, `(False)` once they end.
    """
    try:
        cell = spec.resolve()
    except ModuleNotFoundError as exc:
        workload = load_workload(spec.workload)
        return CellOutcome(
            params=workload.resolve_params(spec.params),
            skip_reason=_missing_package(spec.backend, exc),
        )
    inputs = cell.workload.make_inputs(spec.tasks, cell.params)
    backend = cell.backend(spec.workers, spec.address)
    outcome = CellOutcome(params=cell.params, verification=Checked())
    shared = None
    if cell.workload.shared_input is not None:
        # Built before set-up, as a job loads its data before starting a pool: set-ups
        # whose idiom needs it early (a pool's initializer) take it from here.
        shared = cell.workload.shared_input(cell.params)
        if not cell.params.get("per_task"):
            backend.shared_input = shared
    if cell.workload.produce is not None:
        backend.handoff_shift = 0 if cell.params.get("same_worker") else 1
    if set_up(backend, spec.backend, outcome):
        if on_setup_done is not None:
            on_setup_done()
        if admits(backend, cell.workload, outcome):
            if shared is not None:
                inputs = share(backend, shared, inputs, outcome)
            if outcome.error is None and cell.workload.name == HOST_LOSS:
                probe_lost_host(backend, cell, inputs, outcome)
            elif outcome.error is None and cell.workload.kind == Kind.FAULT:
                probe(backend, cell.workload, inputs, outcome)
            elif outcome.error is None:
                measure(spec, backend, cell.workload, inputs, outcome, on_measuring)
    tear_down(backend, outcome)
    return outcome


def measure_points(
    specs: list[CellSpec],
    on_setup_done: Callable[[], None] | None = None,
    on_measuring: Callable[[bool], None] | None = None,
    on_point: Callable[[int], None] | None = None,
) -> list[CellOutcome]:
    """Several points of one model in this one process (`process_key`): the model set up
    once, then each point in the order given (its inputs made, its own warm-ups and
    measured repeats, as `measure_cell`), then torn down once; one outcome per point.

    Every outcome carries the shared set-up and teardown times (what running any one of
    the points once costs) and `process_points`. `on_point(i)` is called before point i
    starts, so the harness can close the previous point's memory and CPU window. A point
    whose run fails leaves the model in doubt: the points after it are not run and say so.
    """
    if len(specs) == 1:
        return [measure_cell(specs[0], on_setup_done, on_measuring)]
    try:
        cells = [spec.resolve() for spec in specs]
    except ModuleNotFoundError as exc:
        reason = _missing_package(specs[0].backend, exc)
        return [
            CellOutcome(
                params=load_workload(s.workload).resolve_params(s.params), skip_reason=reason
            )
            for s in specs
        ]
    first = cells[0].spec
    backend = cells[0].backend(first.workers, first.address)
    outcomes = [
        CellOutcome(params=c.params, verification=Checked(), process_points=len(cells))
        for c in cells
    ]
    started = CellOutcome(params=cells[0].params)
    if set_up(backend, first.backend, started):
        if on_setup_done is not None:
            on_setup_done()
        broken: str | None = None
        for index, (cell, outcome) in enumerate(zip(cells, outcomes, strict=True)):
            outcome.process_position = index
            outcome.setup_s = started.setup_s
            if broken is not None:
                outcome.fail(broken)
                continue
            if on_point is not None:
                on_point(index)
            if admits(backend, cell.workload, outcome):
                try:
                    inputs = cell.workload.make_inputs(cell.spec.tasks, cell.params)
                except BaseException:
                    outcome.fail("making the inputs failed: " + traceback.format_exc(limit=8))
                else:
                    measure(cell.spec, backend, cell.workload, inputs, outcome, on_measuring)
                    del inputs
            if outcome.error is not None:
                broken = (
                    f"not run: an earlier point in this process ({cell.spec.key}) failed, "
                    "so the model's state is in doubt"
                )
        if on_point is not None:
            on_point(len(cells))  # the last point's window closes before teardown
    for outcome in outcomes:
        if started.skip_reason is not None:
            outcome.skip_reason = started.skip_reason
        if started.error is not None:
            outcome.fail(started.error)
    ended = CellOutcome()
    tear_down(backend, ended)
    for outcome in outcomes:
        outcome.teardown_s = ended.teardown_s
        if ended.error is not None:
            outcome.fail(ended.error)
    return outcomes


def set_up(backend: Backend, name: str, outcome: CellOutcome) -> bool:
    """Start the model, timed as set-up; False (with the reason in `outcome`) when it
    cannot run here or failed to start."""
    started = time.perf_counter()
    try:
        backend.setup()
    except CellSkipped as exc:
        outcome.skip_reason = str(exc)
        return False
    except ModuleNotFoundError as exc:
        outcome.skip_reason = _missing_package(name, exc)
        return False
    except BaseException:
        outcome.fail("set-up failed: " + traceback.format_exc(limit=8))
        return False
    outcome.setup_s = time.perf_counter() - started
    return True


def share(backend: Backend, shared: Any, parts: list[Any], outcome: CellOutcome) -> list[Any]:
    """Deliver the workload's shared input by the model's idiom (timed as `share_s`),
    or, for the naive form (`per_task`), hand the object itself to every task; return
    the tasks' items, `(shared or its handle, part)`."""
    naive = bool(outcome.params.get("per_task"))
    began = time.perf_counter()
    try:
        if naive and type(backend).share is not Backend.share:
            handle, (idiom, crossing) = shared, backend.naive_sharing()
        else:
            handle, (idiom, crossing) = backend.share(shared), backend.sharing()
    except BaseException:
        outcome.fail("sharing the input failed: " + traceback.format_exc(limit=8))
        return parts
    outcome.share_s = time.perf_counter() - began
    outcome.shared_idiom, outcome.shared_crossing = idiom, crossing
    return [(handle, part) for part in parts]


def admits(backend: Backend, workload: Workload, outcome: CellOutcome) -> bool:
    """True when the started model can run this workload here; otherwise the reason is
    in `outcome` (a skip), or the check's own failure is the cell's error."""
    try:
        outcome.skip_reason = backend.cannot_run_workload(workload)
    except BaseException:
        outcome.fail("checking the workload failed: " + traceback.format_exc(limit=8))
        return False
    return outcome.skip_reason is None


HOST_LOSS = HOST_LOSS_WORKLOAD.name


def probe_lost_host(
    backend: Backend, cell: ResolvedCell, inputs: list[Any], outcome: CellOutcome
) -> None:
    """The host-loss probe (`comparisons.cell.faults.probe_host_loss`); `why_not_run` has
    made sure there is a cluster and a command."""
    try:
        outcome.fault = probe_host_loss(
            backend,
            cell.workload,
            inputs,
            os.environ[HOST_LOSS_COMMAND],
            cell.backend.cluster_engine or cell.spec.backend,
        )
        outcome.fault["undisturbed_s"] = undisturbed_s(len(inputs), cell.spec.workers)
        outcome.verification = Checked(ok=True, detail="fault probe")
    except BaseException:
        outcome.fail("host-loss probe failed: " + traceback.format_exc(limit=8))


def probe(backend: Backend, workload: Workload, inputs: list[Any], outcome: CellOutcome) -> None:
    """A fault probe, not a benchmark: one batch under a deadline (the workload's
    `patience`), then what was left."""
    try:
        outcome.fault = probe_fault(backend, workload, inputs, float(outcome.params["patience"]))
        outcome.verification = Checked(ok=True, detail="fault probe")
    except BaseException:
        backend.interrupted = True
        outcome.fail("fault probe failed: " + traceback.format_exc(limit=8))


@dataclass(frozen=True)
class Repeat:
    """One repeat: `loops` runs back to back, each verified before the next starts."""

    run_s: float  # the timed runs together (the backend's `run` only)
    cpu_s: float  # the tree's CPU over the whole window
    window_s: float  # wall time over the same window (runs, staging and checks alike)
    check: Verification
    runs_checked: int


def run_repeat(
    backend: Backend, workload: Workload, inputs: list[Any], expected: list[Any], loops: int
) -> Repeat:
    """Time `loops` runs; stop at the first whose results are wrong.

    CPU and wall time are read over the same span so that their ratio is a true
    utilisation; results are checked outside the timed span, every run.
    """
    window_begin = time.perf_counter()
    cpu_before = tree_cpu_seconds()
    timed = 0.0
    checked = 0
    check = Verification(False, "not run")
    job = backend.job(workload)
    for _ in range(loops):
        backend.prepare(workload, inputs)
        begin = time.perf_counter()
        results = job(workload, inputs)
        timed += time.perf_counter() - begin
        check = workload.verify(results, expected)
        checked += 1
        if not check.ok:
            break
    cpu_spent = tree_cpu_seconds() - cpu_before
    return Repeat(timed, cpu_spent, time.perf_counter() - window_begin, check, checked)


def measure(
    spec: CellSpec,
    backend: Backend,
    workload: Workload,
    inputs: list[Any],
    outcome: CellOutcome,
    on_measuring: Callable[[bool], None] | None = None,
) -> None:
    """Warm-ups (kept apart: the first call pays what warm-up hides, imports, code
    shipping, caches, part of what a user who runs the job once waits for), then the
    measured repeats, calibrated to `min_repeat_s`, with the machine's speed probed
    before the first and after each, outside every timed span."""
    expected = workload.expected(spec.tasks, outcome.params)
    checked = 0
    last: float | None = None
    loops = 1
    measuring = on_measuring or (lambda active: None)
    try:
        for repeat in range(spec.warmups + spec.repeats):
            measured = repeat >= spec.warmups
            if repeat == spec.warmups:
                loops = calibrate(backend, workload, inputs, spec.min_repeat_s, last)
                outcome.speed_probes_s.append(probe_cpu_s())
                measuring(True)
            result = run_repeat(backend, workload, inputs, expected, loops if measured else 1)
            if measured:
                outcome.speed_probes_s.append(probe_cpu_s())
            checked += result.runs_checked
            outcome.verification = Checked(result.check.ok, result.check.detail, checked)
            if not result.check.ok:
                outcome.fail(f"verification failed on repeat {repeat}: {result.check.detail}")
                break
            last = result.run_s
            if measured:
                outcome.samples_s.append(result.run_s / loops)
                outcome.cpu_s.append(result.cpu_s / loops)
                outcome.cpu_window_s.append(result.window_s / loops)
            else:
                outcome.warmup_s.append(result.run_s)
        outcome.loops = loops
        outcome.backend_info = backend.describe()
    except BaseException:
        backend.interrupted = True
        outcome.fail("run failed: " + traceback.format_exc(limit=8))
    finally:
        measuring(False)


def _missing_package(backend: str, exc: ModuleNotFoundError) -> str:
    """Why a backend cannot run under this interpreter (another --python may lack a
    package: Ray has no build for free-threaded CPython, uvloop none for Windows)."""
    return (
        f"{backend} needs the package {exc.name!r}, which is not installed for "
        f"{sys.executable} (Python {sys.version.split()[0]})"
    )


def calibrate(
    backend: Backend,
    workload: Workload,
    inputs: list[Any],
    min_repeat_s: float,
    last: float | None,
) -> int:
    """Runs per measured repeat so that a repeat lasts at least `min_repeat_s`."""
    if min_repeat_s <= 0:
        return 1
    if last is None:  # no warm-up: time one unmeasured run to calibrate on
        job = backend.job(workload)
        backend.prepare(workload, inputs)
        begin = time.perf_counter()
        job(workload, inputs)
        last = time.perf_counter() - begin
    return max(1, min(MAX_LOOPS, math.ceil(min_repeat_s / max(last, 1e-9))))


def tear_down(backend: Backend, outcome: CellOutcome) -> None:
    """Stop the model, timed as teardown; also after a failed or skipped set-up."""
    begin = time.perf_counter()
    try:
        backend.teardown()
    except BaseException:
        outcome.fail("teardown failed: " + traceback.format_exc(limit=8))
        return
    outcome.teardown_s = time.perf_counter() - begin


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _die_with_harness() -> None:
    """Ask Linux to send SIGTERM here if the harness dies, even by SIGKILL.

    SIGTERM becomes SystemExit, which `measure_cell` turns into a normal teardown, so a
    Ray instance or Dask cluster is shut down by its own API instead of being orphaned.
    """
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the harness died before the request was made
        raise SystemExit(128 + signal.SIGTERM)


def raise_soft_limits() -> dict[str, list[int]]:
    """Raise the soft limits a process may raise itself (open files, processes).

    Thousands of sockets or threads in flight need them; the record keeps the values.
    """
    limits = {}
    for name in ("RLIMIT_NOFILE", "RLIMIT_NPROC"):
        which = getattr(resource, name, None)
        if which is None:
            continue
        soft, hard = resource.getrlimit(which)
        if soft != hard:
            try:
                resource.setrlimit(which, (hard, hard))
                soft = hard
            except (ValueError, OSError):
                pass
        limits[name.removeprefix("RLIMIT_").lower()] = [soft, hard]
    return limits


def _end_own_leftovers() -> list[str]:
    """End what the model left running after its teardown, from inside the cell.

    The harness does the same from outside; doing it here too covers a harness that was
    killed outright (the cell then runs this after its SIGTERM-driven teardown).
    """
    watcher = TreeWatcher(os.getpid(), os.environ.get(TOKEN_VARIABLE))

    def leftovers() -> list[psutil.Process]:
        return [p for p in watcher.survivors() if not _ends_with_cell(p)]

    deadline = time.monotonic() + LEFTOVER_GRACE_S
    while leftovers():
        if time.monotonic() >= deadline:
            return end_processes(leftovers)
        time.sleep(0.1)
    return []


def _ends_with_cell(proc: psutil.Process) -> bool:
    """Helper processes (the stdlib's, loky's) that exit by themselves with the cell."""
    try:
        command = " ".join(proc.cmdline())
    except psutil.Error:
        return True
    return any(helper in command for helper in STDLIB_HELPERS)


def _connect_watchdog(spec: CellSpec, result_path: str) -> threading.Timer | None:
    """For a cell on an external cluster: give up if set-up (connecting, shipping the
    code) outlasts CONNECT_TIMEOUT_S, with one line, instead of waiting on a client
    library's own retries (Ray's keep a driver waiting for minutes)."""
    if spec.address is None:
        return None

    def give_up() -> None:
        outcome = CellOutcome(
            error=f"set-up did not finish within {CONNECT_TIMEOUT_S:g} s: no working "
            f"cluster answered at {spec.address} (is it the right address and engine?)",
            env=capture_environment(),
        )
        Path(result_path).write_text(json.dumps(outcome.to_json(), default=repr))
        os._exit(EXIT_GAVE_UP)

    timer = threading.Timer(CONNECT_TIMEOUT_S, give_up)
    timer.daemon = True
    timer.start()
    return timer


def _flag_measuring(flag: Path) -> Callable[[bool], None]:
    """Show the harness when the measured repeats run: the flag file exists meanwhile."""

    def measuring(active: bool) -> None:
        if active:
            flag.touch()
        else:
            flag.unlink(missing_ok=True)

    return measuring


class PointBoundary:
    """Tells the harness that point `i` is about to start (or, past the last, that the
    points are done) and waits until it has read the tree at that boundary, so the
    point's memory and CPU window starts there; without an answer within
    `POINT_ANSWER_WAIT_S` (no harness watching) it goes on, the windows then blurred."""

    def __init__(self, result_path: str) -> None:
        self.flag = point_flag(result_path)
        self.answer = point_answer(result_path)

    def __call__(self, index: int) -> None:
        temporary = self.flag.with_name(self.flag.name + ".new")
        temporary.write_text(str(index))
        temporary.replace(self.flag)
        deadline = time.monotonic() + POINT_ANSWER_WAIT_S
        while time.monotonic() < deadline:
            try:
                if self.answer.read_text() == str(index):
                    return
            except OSError:
                pass
            time.sleep(POINT_POLL_S)


def cell_main(spec_path: str, result_path: str) -> int:
    """Entry point of the cell subprocess: read the spec (one cell, or a list of points
    sharing the process: `measure_points`), measure, write the result (one outcome, or
    a list in the same order)."""
    _die_with_harness()
    limits = raise_soft_limits()
    data = json.loads(Path(spec_path).read_text())
    specs = [CellSpec.from_json(d) for d in (data if isinstance(data, list) else [data])]
    watchdog = _connect_watchdog(specs[0], result_path)
    try:
        outcomes = measure_points(
            specs,
            on_setup_done=watchdog.cancel if watchdog else None,
            on_measuring=_flag_measuring(measuring_flag(result_path)),
            on_point=PointBoundary(result_path) if len(specs) > 1 else None,
        )
    except BaseException:
        error = "cell failed: " + traceback.format_exc(limit=8)
        outcomes = [CellOutcome(error=error) for _ in specs]
    env = capture_environment()
    leftovers = _end_own_leftovers()
    for outcome in outcomes:
        outcome.limits = limits
        outcome.env = env
        outcome.leftover_processes = leftovers
    written = [o.to_json() for o in outcomes] if isinstance(data, list) else outcomes[0].to_json()
    # Written to a file rather than stdout: Ray and Dask may print there.
    Path(result_path).write_text(json.dumps(written, default=repr))
    sys.stdout.flush()
    sys.stderr.flush()
    if any(outcome.fault is not None for outcome in outcomes):
        # A thread stuck in a hung task would keep the interpreter from exiting (it joins
        # worker threads at exit); everything is written and torn down, so leave now.
        os._exit(0)
    return 0
