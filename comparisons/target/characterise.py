"""What kind of work a user's function is, measured before the race.

`make compare TARGET=...` first runs this probe once, serially, in a fresh process of the
cells' interpreter (with the services the target asks for): it times a first call and a
steady one, runs a batch of tasks in one thread and the same batch on two threads, and
reads CPU time, input and result sizes and memory. The batches alternate, twice each,
and the faster of each kind is kept. From that it files the work as
GIL-bound CPU, GIL-releasing CPU or waiting (`classify`), and `comparisons.target.plan`
sizes the suite from it. The report opens with what it found.

A function that raises here stops everything with its exception and traceback (exit 2):
no model should race on a function that does not run serially.
"""

from __future__ import annotations

import json
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from comparisons.errors import UserError
from comparisons.measure.environment import PROJECT_ROOT
from comparisons.run.services import ServiceError, running_services
from comparisons.run.worker_env import worker_environment
from workloads import load_workload
from workloads.spec import Workload
from workloads.target import has_native_form

# The probe's batch lasts about this long serially (fewer tasks when one task is long).
PROBE_BATCH_S = 0.5
PROBE_TASKS = (4, 256)
PROBE_ROUNDS = 2
# Below this share of one core the function mostly waits.
WAITING_CPU_SHARE = 0.5
# Two threads at least this much faster than one: the work releases the GIL.
RELEASES_GIL_SPEEDUP = 1.3
PROBE_TIMEOUT_S = 600.0
EXIT_RAISED = 3


class ProbeFailed(UserError):
    """The user's function (or its inputs) failed on the probe: nothing else runs."""


def classify(cpu_share: float, two_thread_speedup: float, cores: int) -> tuple[str, str]:
    """(work, why): `waiting` when a task uses under half a core, `released` when two
    threads beat one (the GIL is let go), else `gil`. On one core threads cannot show
    it, so CPU work is filed as GIL-bound and the reason says why."""
    if cpu_share < WAITING_CPU_SHARE:
        return "waiting", f"a task used {cpu_share:.0%} of a core: it mostly waits"
    if cores < 2:
        return "gil", "one usable core: threads cannot show whether the GIL is released"
    if two_thread_speedup >= RELEASES_GIL_SPEEDUP:
        return (
            "released",
            f"{cpu_share:.0%} of a core per task, and two threads ran "
            f"{two_thread_speedup:.2f}x one: it releases the GIL",
        )
    return (
        "gil",
        f"{cpu_share:.0%} of a core per task, and two threads ran {two_thread_speedup:.2f}x "
        "one: it holds the GIL",
    )


def _timed(run: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _pickled_size(value: Any) -> int | None:
    try:
        return len(pickle.dumps(value))
    except Exception:
        return None


def _median_size(values: Sequence[Any]) -> int | None:
    sizes = [_pickled_size(v) for v in values]
    known = [s for s in sizes if s is not None]
    return int(statistics.median(known)) if len(known) == len(sizes) and known else None


def _max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def probe(workload: Workload, cores: int) -> dict[str, Any]:
    """Run the probe in this process and return what it found."""
    rss_before = _max_rss_bytes()
    first_items = workload.make_inputs(1, {})
    _, first_s, _ = _timed(lambda: workload.sync(first_items[0]))
    _, second_s, _ = _timed(lambda: workload.sync(first_items[0]))
    low, high = PROBE_TASKS
    tasks = max(low, min(high, int(PROBE_BATCH_S / max(second_s, 1e-6))))
    try:
        items = workload.make_inputs(tasks, {})
    except UserError:
        tasks = low
        items = workload.make_inputs(tasks, {})
    # Alternated and the faster of two kept: a vCPU's slow spell lasts seconds, and
    # meeting one in only one of the two would read as a GIL effect.
    serial_runs, thread_runs = [], []
    with ThreadPoolExecutor(2) as pool:
        for _ in range(PROBE_ROUNDS):
            serial_runs.append(_timed(lambda: [workload.sync(i) for i in items]))
            thread_runs.append(_timed(lambda: list(pool.map(workload.sync, items))))
    results, serial_s, serial_cpu_s = min(serial_runs, key=lambda run: run[1])
    threaded, threads_s, _ = min(thread_runs, key=lambda run: run[1])
    check = workload.verify(threaded, results)
    cpu_share = serial_cpu_s / serial_s if serial_s > 0 else 1.0
    speedup = serial_s / threads_s if threads_s > 0 else 1.0
    work, why = classify(cpu_share, speedup, cores)
    return {
        "target": workload.name,
        "description": workload.description,
        "first_call_s": first_s,
        "task_s": serial_s / tasks,
        "probe_tasks": tasks,
        "cpu_share": cpu_share,
        "two_thread_speedup": speedup,
        "work": work,
        "why": why,
        "input_bytes": _median_size(items),
        "result_bytes": _median_size(results),
        "peak_rss_growth_bytes": max(0, _max_rss_bytes() - rss_before),
        "crossing_problem": workload.crossing_problem,
        "async_forms": {
            "asyncio": has_native_form(workload.asyncio),
            "trio": has_native_form(workload.trio),
        },
        "deterministic": check.ok,
        "determinism_detail": check.detail,
        "cores": cores,
    }


def _probe_main(name: str, out: str, cores: int) -> int:
    """In the probe's own process: load, probe, write JSON; the user's failure is a
    one-line summary plus its traceback on stderr and exit status `EXIT_RAISED`."""
    try:
        workload = load_workload(name)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        found = probe(workload, cores)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BaseException as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return EXIT_RAISED
    Path(out).write_text(json.dumps(found, indent=2, sort_keys=True))
    return 0


def characterise(workload: Workload, python: str, cores: int) -> dict[str, Any]:
    """Probe `workload` in a fresh `python` process, with its services running."""
    with tempfile.TemporaryDirectory(prefix="cmp-probe-") as scratch:
        out = Path(scratch) / "probe.json"
        try:
            with running_services(workload.services, python, Path(scratch)) as services:
                env = worker_environment(extra=services.variables)
                done = subprocess.run(
                    [
                        python,
                        "-m",
                        "comparisons.target.characterise",
                        workload.name,
                        str(out),
                        str(cores),
                    ],
                    capture_output=True,
                    text=True,
                    cwd=PROJECT_ROOT,
                    env=env,
                    timeout=PROBE_TIMEOUT_S,
                )
        except ServiceError as exc:
            raise UserError(f"the target's services did not start: {exc}") from None
        except subprocess.TimeoutExpired:
            raise ProbeFailed(
                f"the probe of {workload.name} ran over {PROBE_TIMEOUT_S:g} s; "
                "give a smaller input (the probe runs at most a few hundred tasks)"
            ) from None
        if done.returncode == EXIT_RAISED:
            raise ProbeFailed(
                f"your function raised on the serial probe, so nothing else runs:\n"
                f"{done.stderr.rstrip()}"
            )
        if done.returncode != 0 or not out.is_file():
            last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            raise UserError(last.removeprefix("error: "))
        found: dict[str, Any] = json.loads(out.read_text())
    return found


if __name__ == "__main__":
    sys.exit(_probe_main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
