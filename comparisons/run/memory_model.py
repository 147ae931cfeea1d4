"""`python -m comparisons.run.memory_model`: measure what each process-per-worker model costs
in memory, to refit the thresholds that skip cells which would not fit.

For every backend that declares `bytes_per_worker` (one or more processes per worker),
it runs a light cell (`io.sleep` of 0.3 s, one task per worker, so every worker is alive
when the tree is sampled) at 1, 2 and 4 workers through the
harness, reads the tree's peak PSS (shared pages split among sharers, so a forked
child is not charged its parent's pages) and the median USS of the worker processes, and
fits PSS = fixed + workers x per-worker by least squares. It prints one line per backend
with the fit and the values the backend declares now; the declared values are set from
such a run (the numbers in each backend's class come from it, on the machine named in
the issue note). Skips use them: a cell is skipped when `fixed + workers x per-worker`
exceeds half of the memory available at that moment (`base.too_many_processes`).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np

from comparisons.backends import REGISTRY, TWINS, backend_class
from comparisons.cell.contract import CellSpec
from comparisons.cell.outcome import Status
from comparisons.run.harness import run_cell

WORKER_COUNTS = (1, 2, 4)


def fit(points: list[tuple[int, int]]) -> tuple[float, float]:
    """(fixed, per worker) bytes of a least-squares line through (workers, bytes)."""
    workers = np.array([p[0] for p in points], dtype=float)
    memory = np.array([p[1] for p in points], dtype=float)
    per_worker, fixed = np.polyfit(workers, memory, 1)
    return max(0.0, float(fixed)), max(0.0, float(per_worker))


@dataclass(frozen=True)
class MemoryFit:
    """One backend's peak PSS at each worker count, its fit, and its workers' USS."""

    backend: str
    points: list[tuple[int, int]]
    fixed: float
    per_worker: float
    child_uss: list[int | None]


def measure(backend: str, counts: tuple[int, ...] = WORKER_COUNTS) -> MemoryFit | str:
    """The fit for `backend`, or why it could not be measured."""
    points, child_uss = [], []
    for workers in counts:
        record = run_cell(
            CellSpec("io.sleep", backend, workers, workers, {"latency": 0.3}, repeats=2)
        )
        pss = record["peak_pss_bytes"]
        if record["status"] != Status.OK or not pss:
            return record["error"] or "no PSS reading"
        points.append((workers, pss))
        child_uss.append((record["memory"] or {}).get("child_uss_median_bytes"))
    fixed, per_worker = fit(points)
    return MemoryFit(backend, points, fixed, per_worker, child_uss)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backends", help="comma-separated names (default: every process-per-worker backend)"
    )
    args = parser.parse_args(argv)
    names = (
        args.backends.split(",")
        if args.backends
        else [
            n for n in REGISTRY if n not in TWINS and backend_class(n).bytes_per_worker is not None
        ]
    )
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        print(
            f"error: unknown backend {', '.join(unknown)} (valid: {', '.join(REGISTRY)})",
            file=sys.stderr,
        )
        return 2
    mib = 2**20
    print(
        "| backend | peak PSS at 1 / 2 / 4 workers | fit: fixed + per worker "
        "| worker USS | declared now |"
    )
    print("|---|---|---|---|---|")
    for name in names:
        result = measure(name)
        declared = backend_class(name)
        now = f"{declared.bytes_fixed / mib:.0f} + {(declared.bytes_per_worker or 0) / mib:.0f} MiB"
        if isinstance(result, str):
            print(f"| {name} | {result} | | | {now} |")
            continue
        peaks = " / ".join(f"{memory / mib:.0f}" for _, memory in result.points)
        uss = " / ".join(f"{u / mib:.0f}" if u else "–" for u in result.child_uss)
        print(
            f"| {name} | {peaks} MiB | {result.fixed / mib:.0f} + "
            f"{result.per_worker / mib:.0f} MiB | {uss} MiB | {now} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
