"""The cell contract: what defines a cell (`CellSpec`) and the cell resolved to its
workload and backend (`ResolvedCell`).

Both sides of the harness read it: the parent plans, skips and records cells by it
(`comparisons.run`), the child measures one (`comparisons.cell.child`). It imports only
the backend and workload registries, so a cell process that loads it loads nothing else
of the parent's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from comparisons.backends import backend_class
from comparisons.backends.base import Backend
from workloads import load_workload
from workloads.spec import Workload
from workloads.vocabulary import Kind

# The cell's exit status when it gave up on an external cluster that did not answer in
# time (the harness then fails later cells on that address at once).
EXIT_GAVE_UP = 3


def measuring_flag(result_path: str | Path) -> Path:
    """The file that exists, beside the cell's result file, while its measured repeats
    run: the harness then watches its tree with a lighter hand (`TreeWatcher`)."""
    return Path(result_path).with_name("measuring")


def point_flag(result_path: str | Path) -> Path:
    """In a process that measures several points (`process_key`), the file where the
    cell writes the index of the point it is about to start; it then waits for the
    harness to answer in `point_answer` (`comparisons.cell.child.PointBoundary`), so each
    point's memory and CPU are read over its own window."""
    return Path(result_path).with_name("point")


def point_answer(result_path: str | Path) -> Path:
    return Path(result_path).with_name("point-read")


@dataclass(frozen=True)
class CellSpec:
    """Everything that defines a cell; its `key` identifies it across runs.

    `min_repeat_s` calibrates short cells as pyperf does: when one run of the tasks is
    shorter, each measured repeat runs them `loops` times back to back and its sample is
    the mean time of one run, so timer and scheduling noise stay small beside the work.
    """

    workload: str
    backend: str
    workers: int
    tasks: int
    params: dict[str, Any] = field(default_factory=dict)
    repeats: int = 5
    warmups: int = 1
    timeout_s: float = 600.0
    min_repeat_s: float = 0.0
    # Where the cell runs, not what it measures, so neither is part of `key`: a run on
    # an external cluster pairs cell by cell with a local run in `make diff`.
    address: str | None = None
    service_host: str = "127.0.0.1"
    # Which fresh process of the cell this is (0-based) and how many the suite runs:
    # run-to-run variance is measured across them (pyperf's "runs").
    invocation: int = 0
    invocations: int = 1

    @property
    def invocation_key(self) -> str:
        """Identifies one fresh process of the cell: what a resumed run skips."""
        return f"{self.key}#{self.invocation}"

    @property
    def key(self) -> str:
        params = ",".join(f"{k}={self.params[k]}" for k in sorted(self.params))
        return f"{self.workload}|{self.backend}|w={self.workers}|t={self.tasks}|{params}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CellSpec:
        return cls(**data)

    def resolve(self) -> ResolvedCell:
        """Look the workload and backend up once, for everything downstream to read.

        Raises the user's error for an unknown name or a bad parameter, and
        ModuleNotFoundError when the backend's module needs a package this interpreter
        lacks.
        """
        workload = load_workload(self.workload)
        return ResolvedCell(
            self, workload, backend_class(self.backend), workload.resolve_params(self.params)
        )


@dataclass(frozen=True)
class ResolvedCell:
    """A cell with its workload, backend class and checked parameters looked up."""

    spec: CellSpec
    workload: Workload
    backend: type[Backend]
    params: dict[str, Any]

    @property
    def in_flight(self) -> int:
        return in_flight(self.spec.workers, self.spec.tasks)


def process_key(spec: CellSpec) -> tuple[Any, ...]:
    """What points must share to be measured in one fresh process with the model set up
    once: the same model, worker count, cluster, repeats and invocation (they differ in
    tasks and parameters only)."""
    return (
        spec.workload,
        spec.backend,
        spec.workers,
        spec.address,
        spec.service_host,
        spec.repeats,
        spec.warmups,
        spec.min_repeat_s,
        spec.invocation,
    )


def can_share_process(cell: ResolvedCell) -> bool:
    """Whether a point may share its process with others of the same `process_key`: not
    a fault probe (it may leave the model broken), nor a workload whose set-up depends
    on the point (a shared input delivered at set-up, a hand-off's placement)."""
    workload = cell.workload
    return (
        workload.kind != Kind.FAULT and workload.shared_input is None and workload.produce is None
    )


def in_flight(workers: int, tasks: int) -> int:
    """Tasks that can be in flight at once: the pool size or limit, at most the tasks.

    Rows are compared only at equal in-flight counts: a model given more concurrency
    has not beaten one given less.
    """
    return min(workers, tasks)
