"""The machine's own speed while a cell runs: the probe, its summary, how a record and a
merged cell carry it, and how `make diff` uses it (an explanation, never a change)."""

from __future__ import annotations

from test_verdict import row

from comparisons.cell.contract import CellSpec
from comparisons.measure.machine_speed import SLOW_BY, SpeedProbe, probe_cpu_s
from comparisons.records.cells import merge_invocations
from comparisons.report.diff import classify, machine_ratio
from comparisons.report.sections.machine import machine_speed as machine_speed_lines
from comparisons.run.harness import run_cell

USUAL = 0.001


def test_the_probe_counts_cpu_time_of_real_work() -> None:
    assert 0 < probe_cpu_s(loops=1_000) < probe_cpu_s(loops=1_000) * 1_000


def test_a_window_is_judged_against_the_usual_speed_both_ways() -> None:
    probe = SpeedProbe(history=[USUAL] * 20)
    probe.window = [USUAL, USUAL * 1.01, USUAL * 0.99]
    quick = probe.summary()
    assert quick["slowdown"] == 1.0 and quick["slow_share"] == 0
    probe.window = [USUAL * 1.5, USUAL * 1.6, USUAL]
    slow = probe.summary()
    assert slow["slowdown"] == 1.5 and slow["slow_share"] == 2 / 3
    assert probe.summary()["usual_probe_cpu_s"] == USUAL


def test_the_usual_speed_is_the_fast_end_not_the_fastest() -> None:
    probe = SpeedProbe(history=[USUAL / 2] + [USUAL] * 7 + [USUAL * 2] * 2)
    assert probe.usual_s == USUAL


def test_each_invocations_probes_make_its_window_and_join_the_usual_speed() -> None:
    probe = SpeedProbe()
    probe.add_window([USUAL, USUAL * 2])
    probe.add_window([USUAL])
    assert probe.window == [USUAL] and probe.history == [USUAL, USUAL * 2, USUAL]
    # An invocation that measured no repeat has no probe and says nothing of the machine.
    probe.add_window([])
    assert probe.summary() is None


def test_a_record_carries_a_probe_before_and_after_each_measured_repeat() -> None:
    record = run_cell(CellSpec("cpu.primes", "serial", 1, 4, {"span": 200}, repeats=2))
    machine = record["machine"]
    assert record["status"] == "ok" and machine["probes"] == 3
    assert machine["slowdown"] > 0 and 0 <= machine["slow_share"] <= 1
    assert "before its first measured repeat" in machine["taken"]


def machine(slowdown: float, share: float = 0.0) -> dict[str, float | int]:
    return {
        "probes": 4,
        "probe_cpu_s": USUAL * slowdown,
        "usual_probe_cpu_s": USUAL,
        "slowdown": slowdown,
        "slow_share": share,
    }


def test_merged_cells_keep_each_invocations_slowdown_and_the_report_says_so() -> None:
    first = dict(row("serial", 1.0, workers=1), invocation=0, machine=machine(1.0))
    second = dict(first, invocation=1, machine=machine(1.4, 0.75))
    third = dict(first, invocation=2, machine=machine(1.02))
    for record in (first, second, third):
        del record["runs_s"]
        record.update(samples_s=[1.0, 1.0], cpu_s_per_repeat=[1, 1], leftover_processes=[])
    (cell,) = merge_invocations([first, second, third])
    assert cell["machine"]["run_slowdowns"] == [1.0, 1.4, 1.02]
    assert cell["machine"]["slowdown"] == 1.02
    (line,) = machine_speed_lines([cell])
    report = line
    assert "1 of 3 invocations over" in report and f"{SLOW_BY * 50:.0f}% slow" in report


def test_diff_flags_a_change_the_machine_moved_with_but_still_counts_it() -> None:
    a = row("threads", 1.0, machine={"slowdown": 1.0})
    b = row("threads", 1.3, machine={"slowdown": 1.3})
    assert machine_ratio(a, b) == 1.3
    result = classify(a, b, 0.10, 1.0, machine_ratio(a, b))
    assert result.verdict == "slower" and result.machine_too
    # The machine ran at its usual speed both times: a change, and no hint.
    steady = row("threads", 1.3, machine={"slowdown": 1.0})
    result = classify(a, steady, 0.10, 1.0, machine_ratio(a, steady))
    assert result.verdict == "slower" and not result.machine_too


def test_diff_never_makes_a_change_out_of_the_machine() -> None:
    # Waiting I/O does not slow down with the CPU: same time, slower machine, still same.
    a = row("asyncio", 2.0, kind="io", machine={"slowdown": 1.0})
    b = row("asyncio", 2.0, kind="io", machine={"slowdown": 1.4})
    result = classify(a, b, 0.10, 1.0, machine_ratio(a, b))
    assert result.verdict == "same" and not result.machine_too
    # Runs from before the probe: nothing to explain with.
    assert machine_ratio(row("asyncio", 2.0), row("asyncio", 2.0)) == 1.0
