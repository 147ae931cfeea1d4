"""The speed gate: when the machine counts as slow, the waits and retries it allows, and
a real run that re-runs an invocation met by a slow spell."""

from __future__ import annotations

from pathlib import Path

from comparisons.cell import CellSpec
from comparisons.machine_speed import (
    SETTLE_MAX_S,
    SETTLE_PAUSE_S,
    SLOW_BY,
    WARM_PROBES,
    SpeedGate,
    probe_s,
)
from comparisons.records import load_records, merge_invocations, unique_records
from comparisons.report.markdown import render_markdown
from comparisons.runner import run_suite, start_run

USUAL = 0.010


def gate_of(values: list[float], invocations: int = 100) -> tuple[SpeedGate, list[float]]:
    sequence = iter([USUAL] * WARM_PROBES + values)
    slept: list[float] = []
    gate = SpeedGate(
        invocations=invocations,
        probe=lambda: next(sequence, USUAL),
        sleep=slept.append,
    )
    return gate, slept


def test_real_probe_times_something() -> None:
    assert 0 < probe_s(loops=1_000, rounds=2) < probe_s(loops=1_000, rounds=1) * 1_000


def test_usual_speed_and_the_slow_threshold_both_ways() -> None:
    gate, _ = gate_of([])
    assert gate.usual_s == USUAL
    assert not gate.is_slow(USUAL * (1 + SLOW_BY * 0.9))
    assert gate.is_slow(USUAL * (1 + SLOW_BY * 1.1))


def test_usual_speed_is_the_fast_end_not_the_fastest() -> None:
    gate, _ = gate_of([])
    gate.probes = [0.005] + [0.010] * 7  # one freak fast probe does not set the bar
    assert gate.usual_s == 0.010


def test_a_quick_machine_is_not_waited_for() -> None:
    gate, slept = gate_of([USUAL])
    value, waited = gate.before()
    assert value == USUAL and waited == 0 and slept == []


def test_a_slow_machine_is_waited_for_until_it_is_back() -> None:
    gate, slept = gate_of([USUAL * 1.5, USUAL * 1.4, USUAL])
    value, waited = gate.before()
    assert value == USUAL and waited == 2 * SETTLE_PAUSE_S and slept == [SETTLE_PAUSE_S] * 2


def test_waiting_stops_at_its_cap() -> None:
    gate, slept = gate_of([USUAL * 2] * 100, invocations=1_000)
    gate.probes = [USUAL] * 500  # a long run's history: a spell does not move the usual
    value, waited = gate.before()
    assert gate.is_slow(value) and waited == SETTLE_MAX_S
    assert len(slept) == int(SETTLE_MAX_S / SETTLE_PAUSE_S)


def test_the_run_wide_wait_budget_scales_with_the_run() -> None:
    gate, _ = gate_of([USUAL * 2] * 100, invocations=10)  # one retry: ten pauses of waiting
    gate.before()
    gate.before()
    assert gate.settled_s == gate.settle_budget_s == 10 * SETTLE_PAUSE_S


def test_a_blip_after_an_invocation_is_not_a_spell() -> None:
    gate, slept = gate_of([USUAL * 1.5, USUAL])
    assert gate.after() == (USUAL * 1.5, False) and slept == [SETTLE_PAUSE_S]
    gate, _ = gate_of([USUAL * 1.5, USUAL * 1.5])
    assert gate.after() == (USUAL * 1.5, True)
    gate, slept = gate_of([USUAL])
    assert gate.after() == (USUAL, False) and slept == []


def test_retries_stop_at_the_budget() -> None:
    gate, _ = gate_of([], invocations=25)  # 8% of 25: 2
    assert [gate.may_retry() for _ in range(4)] == [True, True, False, False]


def test_a_run_reruns_the_invocation_a_slow_spell_met(tmp_path: Path) -> None:
    cells = [
        CellSpec("cpu.primes", "serial", 1, 4, {"span": 200}, repeats=2, warmups=0, invocations=2)
    ]
    suite = {"name": "gate", "path": None, "seed": 1}
    run_dir = start_run(cells, suite=suite, results_root=tmp_path)
    # Probes around the first invocation: quick before, then slow twice (a spell began).
    gate, _ = gate_of([USUAL, USUAL * 1.5, USUAL * 1.5], invocations=2)
    run_suite(run_dir, cells, suite=suite, gate=gate)

    records = load_records(run_dir / "records.jsonl")
    assert len(records) == 3 and len(unique_records(records)) == 2
    first = records[0]
    assert first["machine"]["slow"] and first["machine"]["probe_s"] == [USUAL, USUAL * 1.5]
    again = [r for r in records[1:] if r["invocation"] == first["invocation"]]
    assert len(again) == 1 and not again[0]["machine"]["slow"]
    (cell,) = merge_invocations(records)
    assert cell["machine"]["reruns"] == 1 and cell["machine"]["slow_runs"] == 0
    assert len(cell["runs_s"]) == 2
    report = render_markdown([cell])
    assert "1 of 2 invocations were run again" in report


def test_a_slow_spell_past_the_retry_budget_is_kept_and_marked(tmp_path: Path) -> None:
    cells = [
        CellSpec("cpu.primes", "serial", 1, 4, {"span": 200}, repeats=2, warmups=0, invocations=1)
    ]
    suite = {"name": "gate", "path": None, "seed": 1}
    run_dir = start_run(cells, suite=suite, results_root=tmp_path)
    gate, _ = gate_of([USUAL * 1.5] * 50, invocations=1)
    gate.retries = gate.retry_budget  # spent
    run_suite(run_dir, cells, suite=suite, gate=gate)
    (record,) = load_records(run_dir / "records.jsonl")
    assert record["status"] == "ok" and record["machine"]["slow"]
    (cell,) = merge_invocations([record])
    assert cell["machine"]["slow_runs"] == 1 and cell["machine"]["reruns"] == 0
