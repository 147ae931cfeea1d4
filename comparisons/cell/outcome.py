"""What crosses the rooms of one cell's measurement, as typed values.

Flow: the cell process (`comparisons.cell.child`) measures inside and writes a `CellOutcome`
as JSON to its result file; the harness (`comparisons.run.harness`) watches from outside and
fills a `Monitor`; `classify` decides from both, and from nothing else, what became of
the cell (its `Status`, error line and fault finding); `comparisons.records.schema.build_record`
then writes the record. Each type has `to_json`/`from_json`, so the result file and
tests use the same shapes the code does, and an unknown key is an error, not a silently
dropped field.
"""

from __future__ import annotations

import dataclasses
import signal
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self


class Status(StrEnum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


class _JsonFields:
    """`to_json`/`from_json` for a flat dataclass of JSON-ready fields."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{cls.__name__} has no field {', '.join(unknown)}")
        return cls(**data)


@dataclass
class Checked(_JsonFields):
    """How verification went over the runs checked so far."""

    ok: bool = False
    detail: str = "not run"
    repeats_checked: int = 0


@dataclass
class CellOutcome(_JsonFields):
    """What a cell measured inside its own process (see `comparisons.cell.child`).

    Timings are seconds: `samples_s` one per measured repeat (the mean of its `loops`
    runs), `warmup_s` one per warm-up run, `cpu_s` the tree's CPU per run over
    `cpu_window_s` of wall time, `speed_probes_s` the machine's speed between repeats.
    `skip_reason` says why the cell could not run here; `error` what failed; `fault` is
    a fault probe's finding.
    """

    params: dict[str, Any] = field(default_factory=dict)
    samples_s: list[float] = field(default_factory=list)
    warmup_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    cpu_window_s: list[float] = field(default_factory=list)
    verification: Checked | None = None
    setup_s: float | None = None
    teardown_s: float | None = None
    # A shared input's delivery (`Backend.share`), timed apart from set-up: its idiom
    # and how often it crosses a process boundary (`comparisons.backends.base`).
    share_s: float | None = None
    shared_idiom: str | None = None
    shared_crossing: str | None = None
    loops: int = 1
    error: str | None = None
    skip_reason: str | None = None
    fault: dict[str, Any] | None = None
    backend_info: dict[str, Any] = field(default_factory=dict)
    limits: dict[str, list[int]] | None = None
    env: dict[str, Any] | None = None
    leftover_processes: list[str] = field(default_factory=list)
    # The machine's speed probe (`comparisons.measure.machine_speed`), CPU seconds of a
    # fixed loop: one before the first measured repeat and one after each.
    speed_probes_s: list[float] = field(default_factory=list)
    # Points measured in this one process with the model set up once
    # (`comparisons.cell.child.measure_points`), and this point's place among them.
    process_points: int = 1
    process_position: int = 0

    def fail(self, error: str) -> None:
        """Keep the first error: a teardown failing after a run failed is not the news."""
        if self.error is None:
            self.error = error

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        checked = data.get("verification")
        outcome = super().from_json({k: v for k, v in data.items() if k != "verification"})
        outcome.verification = Checked.from_json(checked) if checked else None
        return outcome


@dataclass
class Monitor(_JsonFields):
    """What the harness saw of a cell from outside: its process tree's memory, CPU and
    exit, the machine around it, or why it was never started."""

    started_at: str
    finished_at: str
    python: str
    cell_wall_s: float = 0.0
    # The whole process's wall time where it measured several points (each point's
    # `cell_wall_s` is then its own window and a share of the rest).
    process_wall_s: float | None = None
    exit_code: int | None = None
    timed_out: bool = False
    peak_rss_bytes: int | None = None
    peak_processes: int | None = None
    memory: dict[str, Any] = field(default_factory=dict)
    cpu_s_total: float | None = None
    cpu_accounting: str | None = None
    service_cpu_s: float | None = None
    kernel_cpu_s: float | None = None
    load_before: list[float] | None = None
    other_cpu_cores: float | None = None
    leftover_processes: list[str] = field(default_factory=list)
    output_tail: str = ""
    services: list[str] = field(default_factory=list)
    # The machine's own speed while the cell ran (`comparisons.measure.machine_speed`).
    machine: dict[str, float | int | str] | None = None
    # A cell never started: skipped for this reason, or failed to start with this error.
    skip_reason: str | None = None
    start_error: str | None = None


@dataclass(frozen=True)
class Classification:
    status: Status
    error: str | None = None
    fault: dict[str, Any] | None = None


def classify(
    *, is_fault_probe: bool, timeout_s: float, outcome: CellOutcome | None, monitor: Monitor
) -> Classification:
    """What became of a cell, from what it reported (`outcome`, None when it died
    without a result) and what the harness saw (`monitor`). The first that applies:

    skipped (either side said why) > could not start > a fault probe's finding >
    timeout > died without a result > the cell's own error > no measured repeats > ok.

    For a fault probe, the cell dying or blocking is the finding, not a failure (a
    blocked cell stopped by the harness reports SystemExit; that is not news).
    """
    skip_reason = monitor.skip_reason or (outcome.skip_reason if outcome else None)
    if skip_reason:
        return Classification(Status.SKIPPED, skip_reason)
    if monitor.start_error:
        return Classification(Status.ERROR, monitor.start_error)
    fault = outcome.fault if outcome else None
    if is_fault_probe and fault is None:
        if monitor.timed_out:
            fault = {
                "outcome": "blocked",
                "detail": "the caller cannot give up on the hung "
                f"task; the harness killed the cell after {timeout_s:g} s",
            }
        elif outcome is None and monitor.exit_code is not None:
            fault = {
                "outcome": "program died",
                "detail": f"the whole process {describe_exit(monitor.exit_code)}",
            }
    if fault is not None:
        return Classification(Status.OK, None, fault)
    if monitor.timed_out:
        return Classification(
            Status.TIMEOUT, f"cell exceeded its {timeout_s:g} s timeout; tree killed"
        )
    if outcome is None:
        return Classification(
            Status.ERROR,
            f"cell process {describe_exit(monitor.exit_code)} and left no result; "
            f"last output: {monitor.output_tail[-600:].strip() or '(none)'}",
        )
    if outcome.error:
        return Classification(Status.ERROR, outcome.error)
    if not outcome.samples_s:
        return Classification(Status.ERROR, "no measured repeats")
    return Classification(Status.OK)


def describe_exit(code: int | None) -> str:
    """'exited with code 1', or 'was killed by SIGSEGV' for a negative Popen code."""
    if code is None or code >= 0:
        return f"exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    hint = " (the kernel's out-of-memory killer sends this)" if name == "SIGKILL" else ""
    return f"was killed by {name}{hint}"
