"""`classify` as a table, the typed outcome's JSON round trip, and the checked vocabulary."""

from __future__ import annotations

import json

import pytest

from comparisons.cell.outcome import (
    CellOutcome,
    Checked,
    Monitor,
    Status,
    classify,
    describe_exit,
)
from workloads import load_workload
from workloads.spec import Workload
from workloads.vocabulary import Category, waits_on_peers

TIMEOUT_S = 30.0


def monitor(**fields: object) -> Monitor:
    base: dict[str, object] = {"started_at": "t0", "finished_at": "t1", "python": "py"}
    return Monitor(**{**base, **fields})  # type: ignore[arg-type]


MEASURED = CellOutcome(samples_s=[0.1, 0.2], verification=Checked(True, "2 match", 3))
FAULT = {"outcome": "raised", "detail": "ValueError"}

# (case, is_fault_probe, outcome, monitor, expected status, error contains, fault outcome)
CASES = [
    ("measured", False, MEASURED, monitor(exit_code=0), Status.OK, None, None),
    (
        "skipped by the harness",
        False,
        None,
        monitor(skip_reason="needs 3.14"),
        Status.SKIPPED,
        "needs 3.14",
        None,
    ),
    (
        "skipped by the cell",
        False,
        CellOutcome(skip_reason="cluster too small"),
        monitor(exit_code=0),
        Status.SKIPPED,
        "cluster too small",
        None,
    ),
    (
        "skip wins over a start error",
        True,
        None,
        monitor(skip_reason="no deadline", start_error="unreachable"),
        Status.SKIPPED,
        "no deadline",
        None,
    ),
    (
        "could not start",
        False,
        None,
        monitor(start_error="cannot reach the dask cluster"),
        Status.ERROR,
        "cannot reach",
        None,
    ),
    (
        "timed out",
        False,
        None,
        monitor(timed_out=True, exit_code=-9),
        Status.TIMEOUT,
        "30 s timeout",
        None,
    ),
    (
        "died without a result",
        False,
        None,
        monitor(exit_code=-11, output_tail="Segmentation fault\n"),
        Status.ERROR,
        "killed by SIGSEGV",
        None,
    ),
    (
        "the cell's own error",
        False,
        CellOutcome(error="set-up failed: boom", samples_s=[0.1]),
        monitor(exit_code=0),
        Status.ERROR,
        "set-up failed",
        None,
    ),
    (
        "no measured repeats",
        False,
        CellOutcome(),
        monitor(exit_code=0),
        Status.ERROR,
        "no measured repeats",
        None,
    ),
    (
        "a probe's finding",
        True,
        CellOutcome(fault=FAULT),
        monitor(exit_code=0),
        Status.OK,
        None,
        "raised",
    ),
    (
        "a probe blocked: the finding is the block",
        True,
        None,
        monitor(timed_out=True, exit_code=-9),
        Status.OK,
        None,
        "blocked",
    ),
    (
        "a probe killed the program",
        True,
        None,
        monitor(exit_code=-9),
        Status.OK,
        None,
        "program died",
    ),
    (
        "a probe whose cell failed otherwise is an error",
        True,
        CellOutcome(error="fault probe failed: ..."),
        monitor(exit_code=0),
        Status.ERROR,
        "fault probe failed",
        None,
    ),
    (
        "a benchmark that timed out is not a finding",
        False,
        CellOutcome(samples_s=[0.1]),
        monitor(timed_out=True),
        Status.TIMEOUT,
        "timeout",
        None,
    ),
]


@pytest.mark.parametrize(
    ("is_fault_probe", "outcome", "seen", "status", "error", "fault"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_classify(
    is_fault_probe: bool,
    outcome: CellOutcome | None,
    seen: Monitor,
    status: Status,
    error: str | None,
    fault: str | None,
) -> None:
    got = classify(
        is_fault_probe=is_fault_probe, timeout_s=TIMEOUT_S, outcome=outcome, monitor=seen
    )
    assert got.status == status
    if error is None:
        assert got.error is None
    else:
        assert got.error is not None and error in got.error
    assert (got.fault or {}).get("outcome") == fault


def test_died_without_result_quotes_the_last_output() -> None:
    got = classify(
        is_fault_probe=False,
        timeout_s=TIMEOUT_S,
        outcome=None,
        monitor=monitor(exit_code=1, output_tail="Traceback...\nImportError: no module x\n"),
    )
    assert "exited with code 1" in (got.error or "")
    assert "ImportError: no module x" in (got.error or "")


def test_describe_exit_names_signals_and_the_oom_killer() -> None:
    assert describe_exit(2) == "exited with code 2"
    assert describe_exit(-15) == "was killed by SIGTERM"
    assert "out-of-memory" in describe_exit(-9)


def test_outcome_round_trips_through_json() -> None:
    outcome = CellOutcome(
        params={"n": 3},
        samples_s=[0.5],
        cpu_s=[0.4],
        cpu_window_s=[0.6],
        verification=Checked(True, "3 results match", 2),
        fault=None,
        limits={"nofile": [1024, 4096]},
    )
    again = CellOutcome.from_json(json.loads(json.dumps(outcome.to_json())))
    assert again == outcome
    assert isinstance(again.verification, Checked)


def test_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match="no field surprise"):
        CellOutcome.from_json({"samples_s": [], "surprise": 1})


def test_first_error_is_kept() -> None:
    outcome = CellOutcome()
    outcome.fail("run failed")
    outcome.fail("teardown failed")
    assert outcome.error == "run failed"


def test_monitor_round_trips_through_json() -> None:
    seen = monitor(exit_code=0, memory={"peak_pss_bytes": 10}, services=["latency"])
    assert Monitor.from_json(json.loads(json.dumps(seen.to_json()))) == seen


def test_misspelt_category_fails_when_the_workload_is_built() -> None:
    base = load_workload("cpu.primes")
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    with pytest.raises(ValueError, match="category 'GIL bound CPU' is not one of"):
        Workload(**{**fields, "category": "GIL bound CPU"})
    with pytest.raises(ValueError, match="kind 'gpu' is not one of"):
        Workload(**{**fields, "kind": "gpu"})
    # The plain string of a member is accepted: records and suites carry plain values.
    assert Workload(**{**fields, "category": "GIL-bound CPU"}).category == Category.GIL_BOUND_CPU


def test_waits_on_peers_leaves_file_io_out() -> None:
    assert waits_on_peers("io", Category.NETWORK_IO)
    assert waits_on_peers("io", "waiting I/O")
    assert not waits_on_peers("io", Category.FILE_IO)
    assert not waits_on_peers("cpu", Category.GIL_BOUND_CPU)
