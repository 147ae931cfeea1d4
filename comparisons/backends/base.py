"""The one small interface every concurrency model implements.

A backend is built with a worker count, set up once (pool, event loop, cluster), asked
to run a workload over a list of inputs any number of times, and torn down. The cell
runner (`comparisons.cell.child`) times `setup`, each `run` and `teardown` separately, so
start-up cost is never mixed into steady-state cost. A backend knows its model's idiom
and nothing about any particular workload beyond `workloads.spec.Workload`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import psutil

from workloads.spec import Workload


def too_many_processes(
    name: str, workers: int, bytes_per_worker: int, bytes_fixed: int = 0
) -> str | None:
    """A reason to skip when `workers` processes would need over half the free memory.

    The need is `bytes_fixed + workers * bytes_per_worker`: each backend's values come
    from `python -m comparisons.run.memory_model`, which fits the peak PSS of a light cell at
    1, 2 and 4 workers (daemons are the fixed part; a forked worker costs only the pages
    it owns, not its parent's again). A worker's own data adds to that per workload.
    """
    needed = bytes_fixed + workers * bytes_per_worker
    available = over_half_of_available(needed)
    if available is None:
        return None
    return (
        f"{workers} {name} worker processes would need about {needed / 2**30:.1f} GiB "
        f"(~{bytes_per_worker / 2**20:.0f} MiB each), more than half of the "
        f"{available / 2**30:.1f} GiB available"
    )


def over_half_of_available(needed: int) -> int | None:
    """The bytes available now when `needed` is more than half of them (a cell that
    would risk the out-of-memory killer, for others and itself), else None."""
    available = psutil.virtual_memory().available
    return available if needed > available / 2 else None


# How tasks reach what runs them (`Backend.dispatch`): each on its own, several to a
# message, or run by the caller itself.
PER_TASK = "per task"
BATCHED = "batched"
IN_LINE = "in-line"
DISPATCHES = (PER_TASK, BATCHED, IN_LINE)


class CellSkipped(Exception):
    """Raised by `setup` when this cell cannot run here (an external cluster too small);
    the cell is recorded as skipped with the message as its reason."""


class DeadlineExceeded(TimeoutError):
    """A batch did not finish by the caller's deadline; what could be cancelled was."""


class Backend(ABC):
    """Runs a workload's tasks with one concurrency model.

    Class attributes:
        name: registry name.
        summary: one line for `python -m comparisons list`.
        parallel: True when tasks can execute Python bytecode on several cores at once.
        fixed_workers: when set, the only worker count this model accepts (serial: 1).
        event_loop: True when tasks are coroutines on one event-loop thread (asyncio,
            Trio), so CPU work in a task blocks every other task.
        can_give_up: False when the caller cannot stop waiting for a task (a plain loop);
            `run_until` then blocks like `run`.
        reference: True for a yardstick that is not a concurrency model (the machine's
            ceiling); suites' "all" leaves it out and the report shows it apart.
        one_worker_per_task: True for idioms that start one thread or process per task
            (the tutorial's form); a cell's `workers` is then its `tasks`.
        source: where the idiom is documented (shown by `python -m comparisons list`).
        in_process: True when every task runs in the caller's process (threads, event
            loops, the serial loop): inputs and results move no bytes, so on a transfer
            workload the row is a reference, not a contender.
        caveats: notes the report prints beside this backend's rows of one kind of work
            (keyed by the workload's category): a default of the model's that decides
            those numbers, and where to see the alternative.
        yardstick: True for rows that measure the machine, not a way to run the work
            (the serial loop, the ceiling): shown, never ranked as a winner.
        cluster_engine: for models that can run on an external cluster ("dask", "ray"),
            the engine whose address (`--dask-address`, `--ray-address`) they accept; the
            backend then gets it as `address` and starts no cluster of its own.
        minimum_python: the oldest (major, minor) the model runs on; under an older
            interpreter its cells are skipped before a process starts, with
            `minimum_python_note` saying what provides it from that version.
        handoff: for engines whose workers hand a task's data straight to another
            worker (Dask, Ray), how (`run_handoff` implements it); None for the rest,
            which would route it through the caller, and for variants whose own idiom
            has no hand-off of its own.
        executor: what runs the work, in words, `{n}` standing for the worker count
            ("a pool of {n} processes", "{n} threads", "an event loop");
            rows whose words match run the work the same way, whatever the front end
            (`executor_label` fills in the count). A backend's pool object, where it
            has one, is `self.pool`, never `self.executor`.
        dispatch: how tasks reach what runs them, one of `DISPATCHES`: "per task" (each
            task its own submission or message), "batched" (several tasks travel in one
            message: `Pool.map` chunks, `ray:batched`, `dask:bag`) or "in-line" (the
            caller runs each task itself; nothing crosses anything). Per-task costs are
            compared only between rows that dispatch alike.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    parallel: ClassVar[bool]
    fixed_workers: ClassVar[int | None] = None
    event_loop: ClassVar[bool] = False
    reference: ClassVar[bool] = False
    in_process: ClassVar[bool] = False
    yardstick: ClassVar[bool] = False
    caveats: ClassVar[dict[str, str]] = {}
    can_give_up: ClassVar[bool] = True
    cluster_engine: ClassVar[str | None] = None
    one_worker_per_task: ClassVar[bool] = False
    # Models that start a process per worker: peak RSS fitted to our own cells (fixed
    # part + per worker), so a cell that would need over half the free memory is skipped.
    bytes_per_worker: ClassVar[int | None] = None
    bytes_fixed: ClassVar[int] = 0
    source: ClassVar[str] = ""
    minimum_python: ClassVar[tuple[int, int] | None] = None
    minimum_python_note: ClassVar[str] = ""
    handoff: ClassVar[str | None] = None
    # What runs the work ("{n}" is the worker count) and how tasks are dispatched to it
    # (one of DISPATCHES); every concrete backend declares both (tests/test_dispatch.py).
    executor: ClassVar[str]
    dispatch: ClassVar[str]
    # How this model gets a workload's one shared read-only input to its tasks (`share`)
    # and how often the object crosses a process boundary: "per task", "per worker",
    # "once" (into a store every worker reads), "inherited" (fork) or "none".
    shared_idiom: ClassVar[str] = "passed with every task (pickled for each)"
    shared_crossing: ClassVar[str] = "per task"
    # Set by the cell before set-up when the workload has a shared input and the idiom
    # (not the naive per-task form) is asked for; set-ups that need it early use it.
    shared_input: Any = None
    # Set by the cell for a hand-off workload: task i's second stage runs on the worker
    # `handoff_shift` places after its first stage's (0: the same worker).
    handoff_shift: int = 1
    # Set by the cell when a run was cut short (an exception, or the harness's stop
    # signal, mid-run): teardown must not wait for tasks that may never finish.
    interrupted: bool = False

    def __init__(self, workers: int, address: str | None = None) -> None:
        self.workers = workers
        self.address = address

    def setup(self) -> None:  # noqa: B027
        """Start what the model needs before any task runs (timed as set-up); a model
        with nothing to start (a plain loop, Trio) keeps this no-op."""

    def prepare(self, workload: Workload, inputs: list[Any]) -> None:  # noqa: B027
        """Stage a run before the clock starts (untimed); most models need nothing."""

    @abstractmethod
    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        """Run one task per input and return the results in input order (timed)."""

    def job(self, workload: Workload) -> Callable[[Workload, list[Any]], list[Any]]:
        """What the cell times for `workload`: `run`, or `run_handoff` for a two-stage
        workload (chosen before the clock starts)."""
        return self.run if workload.produce is None else self.run_handoff

    def run_handoff(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        """Each task in two stages: `workload.produce(item)` on worker k (task i's k
        is i modulo the workers), `workload.sync` of its output on worker k +
        `handoff_shift`, the data handed between them by the engine; results in input
        order (timed). Only where `handoff` is set."""
        raise NotImplementedError(f"{self.name} has no worker-to-worker hand-off")

    @classmethod
    def has_deadline(cls) -> bool:
        """True when this backend implements `run_until` (fault probes need it)."""
        return cls.run_until is not Backend.run_until

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`run` with a deadline, by the model's own means (used by the fault probes).

        On the deadline, cancel what the model can cancel and raise DeadlineExceeded;
        a task's own exception propagates as the model delivers it.
        """
        raise NotImplementedError(f"{self.name} has no run_until")

    def share(self, shared: Any) -> Any:
        """Deliver the workload's one read-only input by this model's idiom, after
        set-up (timed apart, as `share_s`), and return what each task gets in its place:
        the object itself (the default: passed with every task, or, in-process, simply
        the same object) or a `workloads.sharing.SharedHandle` opened where it runs."""
        return shared

    def sharing(self) -> tuple[str, str]:
        """(idiom, crossing) of `share` as this instance runs it (see `shared_idiom`)."""
        if self.in_process:
            return self.naive_sharing()
        return self.shared_idiom, self.shared_crossing

    def naive_sharing(self) -> tuple[str, str]:
        """(idiom, crossing) when the object is simply passed with every task."""
        if self.in_process:
            return "the same object: tasks run in this process, nothing is copied", "none"
        return Backend.shared_idiom, Backend.shared_crossing

    def cannot_run_workload(self, workload: Workload) -> str | None:
        """Why this model cannot run `workload` here (the cell is then skipped), found
        after set-up and before any task runs, untimed; None when it can. Most models
        run everything; subinterpreters cannot load some C extensions."""
        return None

    def teardown(self) -> None:  # noqa: B027
        """Stop everything `setup` started and wait for it (timed as teardown). Called
        also when `setup` failed part-way, so it must cope with what was not started:
        subclasses give such attributes class-level defaults (None) to test against."""

    @classmethod
    def cannot_run(cls, workers: int) -> str | None:
        """Why this model cannot run with `workers` here (the cell is skipped), or None:
        a fixed worker count, or (for models with `bytes_per_worker`) too little memory."""
        if cls.fixed_workers is not None and workers != cls.fixed_workers:
            return f"{cls.name} runs with exactly {cls.fixed_workers} worker(s)"
        if cls.bytes_per_worker is not None:
            return too_many_processes(cls.name, workers, cls.bytes_per_worker, cls.bytes_fixed)
        return None

    @classmethod
    def too_old(cls, python: tuple[int, int, int]) -> str | None:
        """Why this model cannot run under Python `python` (major, minor, micro), or None."""
        if cls.minimum_python is None or python[:2] >= cls.minimum_python:
            return None
        oldest = ".".join(map(str, cls.minimum_python))
        note = f" ({cls.minimum_python_note})" if cls.minimum_python_note else ""
        return (
            f"{cls.name} needs Python {oldest}+{note}; the cells ran under "
            f"{'.'.join(map(str, python))}: give PYTHON=<a {oldest}+ interpreter>"
        )

    def describe(self) -> dict[str, Any]:
        """Settings worth recording (chunk size, start method, addresses, versions)."""
        return {}

    @classmethod
    def executor_label(cls, workers: int) -> str:
        """`executor` with the worker count filled in: "a pool of 2 processes"."""
        return cls.executor.format(n=workers)
