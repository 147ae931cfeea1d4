"""Figures no machine can reach are refused, not published: a speedup above the usable
cores beyond its interval marks the serial baseline unreliable, a row faster than
the ceiling (whatever its interval) marks the ceiling unreliable (and never replaces it), and
every table and plot prints the reason instead of the number. Also: a row where every
model is slower than a plain loop says so instead of crowning the least slow one.

Made-up cells only (`made_up`): the rules are the subject, not the machine."""

from __future__ import annotations

import made_up
import matplotlib.pyplot as plt
import pytest

from comparisons.records.cells import Cell, attach_baselines, attach_ceiling
from comparisons.records.schema import Baseline
from comparisons.report import plots
from comparisons.report.sections import fastest, workloads
from comparisons.report.sections.context import Context

TWO_CORES = {"usable_cores": 2, "logical_cores": 2}
# A serial cell measured in a slow spell: every repeat ~560 ms, against ~250 ms with two
# processes on two cores, 2.24x with a narrow interval (2.23-2.25).
SLOW_SERIAL = [[0.56, 0.561, 0.559], [0.56, 0.562, 0.558]]
TWO_PROCESSES = [[0.25, 0.251, 0.249], [0.25, 0.251, 0.249]]
# 1.88x with an interval of 1.73-2.04: it reaches above the cores, but it is not beyond.
SERIAL = [[0.50, 0.48, 0.52], [0.44, 0.46, 0.45], [0.52, 0.51, 0.49]]
PROCESSES = [[0.25, 0.26, 0.27], [0.24, 0.26, 0.25], [0.27, 0.25, 0.26]]


def row(backend: str, runs: list[list[float]], workers: int = 2, **fields) -> Cell:
    fields.setdefault("env", TWO_CORES)
    return made_up.cell(runs, backend=backend, workers=workers, **fields)


def serial(runs: list[list[float]], **fields) -> Cell:
    return row("serial", runs, workers=1, **fields)


def table(cells: list[Cell]) -> str:
    return "\n".join(workloads.render(cells, Context()))


def test_a_speedup_above_the_cores_marks_the_baseline_unreliable():
    cells = attach_baselines([serial(SLOW_SERIAL), row("processes", TWO_PROCESSES)])
    base = cells[1]["baseline"]
    assert base.speedup == pytest.approx(2.24, abs=0.01) and base.speedup_ci95[0] > 2
    assert base.unreliable == (
        "serial's invocations 560/561/559, 560/562/558 ms: a speedup of 2.24x (2.23–2.25) "
        "for processes on 2 usable cores"
    )
    # The baseline is broken for every row measured against it, the serial row too, and
    # the figures themselves stay as measured (nothing is widened or capped).
    assert cells[0]["baseline"].unreliable == base.unreliable
    assert base.speedup_ci95 == pytest.approx((2.23, 2.25), abs=0.01)


def test_a_speedup_above_the_cores_is_refused_even_when_its_interval_reaches_below():
    # The published figure would be above the cores: a broken baseline, not a finding.
    above = [[0.232, 0.24, 0.236], [0.22, 0.26, 0.238], [0.25, 0.23, 0.237]]
    cells = attach_baselines([serial(SERIAL), row("processes", above)])
    base = cells[1]["baseline"]
    assert base.speedup > 2 and base.speedup_ci95[0] < 2 and base.unreliable is not None
    assert "baseline unreliable" in table(cells)


def test_a_speedup_below_the_cores_is_shown_whatever_its_interval():
    cells = attach_baselines([serial(SERIAL), row("processes", PROCESSES)])
    base = cells[1]["baseline"]
    low, high = base.speedup_ci95
    assert low < 2 < high and base.unreliable is None
    text = table(cells)
    assert "| 1.88x (1.73–2.04) | 94% |" in text and "unreliable" not in text


def test_only_cpu_work_is_bound_by_the_cores_and_only_where_they_were_recorded():
    # Waits overlap: ten requests in flight can be ten times a loop's speed on two cores.
    io = attach_baselines(
        [serial(SLOW_SERIAL, kind="io"), row("threads", [[0.056] * 3, [0.0561] * 3], kind="io")]
    )
    assert io[1]["baseline"].unreliable is None
    unknown = attach_baselines(
        [serial(SLOW_SERIAL, env=None), row("processes", TWO_PROCESSES, env=None)]
    )
    assert unknown[1]["baseline"].unreliable is None
    # A cgroup limit of 1.5 CPUs bounds the speedup below the two usable cores.
    limited = {**TWO_CORES, "cgroup_cpu_limit": 1.5}
    capped = attach_baselines(
        [
            serial([[0.4, 0.401, 0.399], [0.4, 0.402, 0.398]], env=limited),
            row("processes", TWO_PROCESSES, env=limited),
        ]
    )
    assert "on 1.5 usable cores" in capped[1]["baseline"].unreliable


def test_every_table_prints_baseline_unreliable_and_the_reason_instead_of_the_figure():
    cells = attach_baselines(
        [
            serial(SLOW_SERIAL),
            row("processes", TWO_PROCESSES),
            row("threads", [[0.5, 0.501, 0.499], [0.5, 0.502, 0.498]]),
        ]
    )
    text = table(cells)
    assert "| 2.24x (" not in text and "| 112% |" not in text  # not as a finding
    processes = next(line for line in text.splitlines() if "| processes |" in line)
    assert processes.count("baseline unreliable") == 3  # speedup, efficiency, notes
    assert "baseline unreliable: serial's invocations 560/561/559" in processes
    short = "\n".join(fastest.render(cells, Context()))
    assert "| 2.24x |" not in short and "| baseline unreliable |" in short
    assert "- Baseline unreliable, cpu.primes: 32 tasks: serial's invocations" in short


def test_the_speedup_plot_leaves_out_what_an_unreliable_baseline_implies():
    cells = attach_baselines(
        [
            serial(SLOW_SERIAL),
            row("processes", TWO_PROCESSES),
            row("processes", TWO_PROCESSES, workers=4),
        ]
    )
    figure, ax = plt.subplots()
    try:
        plots._speedup_panel(ax, ("cpu.primes", 32, ()), cells)
        drawn = [line.get_label() for line in ax.get_lines()]
        assert "processes" not in drawn
        assert any("baseline unreliable" in t.get_text() for t in ax.texts)
    finally:
        plt.close(figure)


def _with_baseline(backend: str, runs: list[list[float]]) -> Cell:
    made = row(backend, runs)
    made["baseline"] = Baseline("serial", "serial-key", 2.0, 1.0, (1.0, 1.0), 0.5)
    return made


CEILING = [[1.0, 1.01, 0.99, 1.0, 1.02]]


def test_a_ceiling_beaten_beyond_its_interval_is_marked_unreliable_and_not_replaced():
    ceiling = _with_baseline("ceiling", CEILING)
    fast = _with_baseline("processes", [[0.8, 0.81, 0.79, 0.8, 0.82]])
    slow = _with_baseline("threads", [[1.6, 1.61, 1.59, 1.6, 1.62]])
    attach_ceiling(ceiling, [fast, slow])
    assert ceiling["ceiling_beaten_by"] == "processes"
    # Shares stay against the ceiling's own time: the row that beat it is not the ceiling.
    assert fast["baseline"].ceiling_efficiency == pytest.approx(1.25)
    assert slow["baseline"].ceiling_efficiency == pytest.approx(1 / 1.6)
    reason = (
        "ceiling's invocations 1/1.01/0.99/1/1.02 s: processes reached 125% of it "
        f"({fast['baseline'].ceiling_efficiency_ci95[0] * 100:.0f}%–"
        f"{fast['baseline'].ceiling_efficiency_ci95[1] * 100:.0f}%)"
    )
    for r in (fast, slow, ceiling):
        assert r["baseline"].ceiling_beaten_by == "processes"
        assert r["baseline"].ceiling_unreliable == reason
    text = table([ceiling, fast, slow])
    assert "of the machine's ceiling" not in text
    assert text.count(f"ceiling unreliable: {reason}") == 3


def test_a_row_within_the_ceilings_interval_leaves_it_reliable():
    ceiling = _with_baseline("ceiling", [[1.0, 1.05, 0.95, 1.0, 1.02]])
    close = _with_baseline("processes", [[0.99, 1.04, 0.97, 1.01, 1.0]])
    attach_ceiling(ceiling, [close])
    assert ceiling["ceiling_beaten_by"] is None
    assert close["baseline"].ceiling_unreliable is None
    low, high = close["baseline"].ceiling_efficiency_ci95
    assert low < 1 < high
    assert "of the machine's ceiling (" in table([ceiling, close])


def test_a_baseline_stores_its_reasons_only_when_it_has_them():
    plain = Baseline("serial", "k", 1.0, 1.0, (1.0, 1.0), 0.5)
    assert set(plain.to_json()) == {
        "backend",
        "key",
        "median_s",
        "speedup",
        "speedup_ci95",
        "efficiency",
    }
    marked = Baseline("serial", "k", 1.0, 3.0, (2.5, 3.5), 1.5, unreliable="why")
    assert marked.to_json()["unreliable"] == "why"
    assert Baseline.from_json(marked.to_json()) == marked


# Every model slower than a plain loop (serial 652 ms): ray 880 ms, dask 1.0 s.
LOOP = [[0.652, 0.65, 0.654], [0.651, 0.653, 0.652]]
RAY = [[0.88, 0.87, 0.89], [0.88, 0.885, 0.875]]
DASK = [[1.0, 1.01, 0.99], [1.0, 1.02, 0.98]]


def test_a_row_where_every_model_loses_to_a_plain_loop_crowns_no_one():
    cells = attach_baselines([serial(LOOP), row("ray", RAY), row("dask", DASK)])
    text = table(cells)
    ray = next(line for line in text.splitlines() if "| ray |" in line)
    assert "every model is slower than a plain loop here (serial 652 ms)" in ray
    short = fastest.render(cells, Context())[2]
    assert "**ray**" not in short
    assert "every model is slower than a plain loop here (serial 652 ms)" in short
    assert "least slow: ray, 1.35x serial's time" in short


def test_a_row_where_one_model_is_not_slower_than_the_loop_names_the_fastest():
    # processes beats the loop; ray's interval reaches into the tie band: neither loses.
    for contender in (
        row("processes", [[0.4, 0.41, 0.39], [0.4, 0.405, 0.395]]),
        row("ray", [[0.66, 0.7, 0.64], [0.9, 0.92, 0.88]]),
    ):
        cells = attach_baselines([serial(LOOP), contender, row("dask", DASK)])
        assert "slower than a plain loop" not in table(cells)
        short = fastest.render(cells, Context())[2]
        assert f"**{contender['backend']}**" in short and "plain loop" not in short


def test_a_transfer_workload_is_never_said_to_lose_to_a_loop_that_moves_no_bytes():
    cells = attach_baselines(
        [
            serial(LOOP, measures_transfer=True, kind="overhead"),
            row("ray", RAY, measures_transfer=True, kind="overhead"),
            row("dask", DASK, measures_transfer=True, kind="overhead"),
        ]
    )
    assert "plain loop" not in table(cells)
    assert "**ray**" in fastest.render(cells, Context())[2]


def test_threads_on_cpu_with_an_unreliable_baseline_are_judged_by_the_ceiling():
    """The serial cell ran slow (processes 2.24x on 2 cores): the threads row is not
    dropped from the claim but bounded by the ceiling: its share of it (0.48) times the
    2 cores it could use is at most 0.96x, no speedup however the ceiling scales."""
    from comparisons.report.sections import claims

    gil = {"category": "GIL-bound CPU"}
    ceiling = row("ceiling", [[0.25, 0.251, 0.249], [0.25, 0.252, 0.248]], **gil)
    threads = row("threads", [[0.52, 0.521, 0.519], [0.52, 0.522, 0.518]], **gil)
    cells = attach_baselines(
        [serial(SLOW_SERIAL, **gil), row("processes", TWO_PROCESSES, **gil), ceiling, threads]
    )
    attach_ceiling(cells[2], [cells[1], cells[3]])
    assert cells[3]["baseline"].unreliable is not None
    verdict, evidence = claims.threads_do_not_speed_up_cpu(cells)
    assert verdict == "holds"
    assert "cpu.primes with 2 threads 0.96x at most, by the ceiling" in evidence
    # With the ceiling broken too there is nothing to judge by: named, not counted.
    beaten = row("processes", [[0.2, 0.201, 0.199], [0.2, 0.2, 0.2]], **gil)
    cells = attach_baselines([serial(SLOW_SERIAL, **gil), beaten, ceiling, threads])
    attach_ceiling(cells[2], [cells[1], cells[3]])
    verdict, evidence = claims.threads_do_not_speed_up_cpu(cells)
    assert verdict == "not measured" and "not judged: cpu.primes" in evidence
