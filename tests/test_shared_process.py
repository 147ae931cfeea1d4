"""Points of one model sharing a fresh process (the maps' `shared_processes`): which
points share (`process_units`), what one shared process records per point
(`run_points`: the shared set-up, each point's own memory and CPU window), and a failed
point's effect on the points after it (`measure_points`)."""

from __future__ import annotations

import math

import pytest

from comparisons.cell.child import measure_points
from comparisons.cell.contract import CellSpec, process_key
from comparisons.run.harness import run_points
from comparisons.run.runner import process_units, run_order
from comparisons.run.suite import expand_suite


def _points(backend: str, spans: list[int], invocations: int = 2) -> list[CellSpec]:
    return [
        CellSpec("cpu.primes", backend, 2, 8, {"span": span}, repeats=2, invocations=invocations)
        for span in spans
    ]


def test_points_of_one_model_share_a_process_per_round_in_their_shuffled_order():
    cells = [*_points("threads", [100, 200, 300]), *_points("processes", [100, 200])]
    cells.append(CellSpec("cpu.primes", "threads", 1, 8, {"span": 100}, repeats=2, invocations=2))
    order = run_order(cells, seed=5)
    units = process_units(order, shared=True)
    # Every invocation runs exactly once, and a unit never mixes models, worker counts
    # or rounds.
    assert sorted(c.invocation_key for u in units for c in u) == sorted(
        c.invocation_key for c in order
    )
    for unit in units:
        assert len({process_key(c) for c in unit}) == 1
    # Two rounds: two of the three threads points lead a process in one round (2 + 1
    # points), the third in the other (all 3); each processes point leads one round (2
    # and 2); the lone point at 1 worker is a process of its own in both.
    sizes = sorted(len(u) for u in units)
    assert sizes == [1, 1, 1, 2, 2, 2, 3]
    # Inside a unit the leader runs first, then the others in the order the seeded
    # shuffle gave them, which differs between rounds for some seed: no point keeps a
    # fixed place.
    position = {c.invocation_key: i for i, c in enumerate(order)}
    for unit in units:
        rest = [position[c.invocation_key] for c in unit[1:]]
        assert rest == sorted(rest)
    orders = set()
    for seed in range(12):
        for unit in process_units(run_order(cells[:3], seed=seed), shared=True, seed=seed):
            orders.add(tuple(c.params["span"] for c in unit))
    assert len(orders) > 1
    # Without sharing, every invocation is a process of its own.
    assert all(len(u) == 1 for u in process_units(order, shared=False))


@pytest.mark.parametrize(
    ("points", "rounds", "per_round"), [(11, 3, [4, 4, 3]), (3, 3, [1, 1, 1]), (2, 3, [1, 1, 1])]
)
def test_every_point_leads_a_process_in_some_round(points, rounds, per_round):
    # A point's first run and memory are read only where it came first in its process:
    # each point must lead one, with no more processes than that takes.
    cells = _points("ray", [100 * (i + 1) for i in range(points)], invocations=rounds)
    for seed in range(5):
        units = process_units(run_order(cells, seed=seed), shared=True, seed=seed)
        assert sorted(c.invocation_key for u in units for c in u) == sorted(
            c.invocation_key for c in run_order(cells, seed=seed)
        )
        assert {u[0].key for u in units} == {c.key for c in cells}
        counts = [sum(1 for u in units if u[0].invocation == r) for r in range(rounds)]
        assert sorted(counts, reverse=True) == per_round
        for r in range(rounds):
            sizes = [len(u) for u in units if u[0].invocation == r]
            assert sum(sizes) == points and max(sizes) - min(sizes) <= 1


def test_the_leaders_follow_the_seed():
    cells = _points("dask", [100 * (i + 1) for i in range(6)], invocations=2)
    firsts = {
        tuple(
            sorted(
                (u[0].invocation, u[0].params["span"])
                for u in process_units(run_order(cells, seed=s), shared=True, seed=s)
            )
        )
        for s in range(8)
    }
    assert len(firsts) > 1


def test_fault_probes_and_shared_input_workloads_keep_a_process_each():
    cells = [
        CellSpec("fault.raise", "threads", 2, 4),
        CellSpec("fault.raise", "threads", 2, 8),
        CellSpec("cpu.shared", "threads", 2, 4),
        CellSpec("cpu.shared", "threads", 2, 8),
    ]
    assert [len(u) for u in process_units(cells, shared=True)] == [1, 1, 1, 1]


def test_a_suite_says_whether_its_points_share_processes(tmp_path):
    suite = tmp_path / "s.toml"
    body = '[[cells]]\nworkload = "cpu.primes"\nbackends = ["threads"]\n'
    suite.write_text("shared_processes = true\n" + body)
    assert expand_suite(suite)[0]["shared_processes"] is True
    suite.write_text(body)
    assert expand_suite(suite)[0]["shared_processes"] is False
    suite.write_text('shared_processes = "yes"\n' + body)
    with pytest.raises(Exception, match="shared_processes must be true or false"):
        expand_suite(suite)


def test_one_process_measures_each_point_with_one_set_up_and_its_own_window():
    specs = _points("processes", [300, 3000], invocations=1)
    records = run_points(specs)
    assert [r["status"] for r in records] == ["ok", "ok"], [r["error"] for r in records]
    a, b = records
    assert a["key"] != b["key"] and a["params"]["span"] == 300 and b["params"]["span"] == 3000
    # One set-up and one teardown, carried by both.
    assert a["setup_s"] == b["setup_s"] > 0 and a["teardown_s"] == b["teardown_s"]
    shared = [a["shared_process"][0], b["shared_process"][0]]
    assert [s["points"] for s in shared] == [2, 2]
    assert sorted(s["position"] for s in shared) == [0, 1]
    wall = shared[0]["process_wall_s"]
    assert wall == shared[1]["process_wall_s"]
    # Each point's wall time is its window plus an equal share of the rest: together
    # they are the process's.
    assert math.isclose(a["cell_wall_s"] + b["cell_wall_s"], wall, rel_tol=1e-9)
    # Each window read the tree: the pool's processes, its memory and its CPU; the
    # larger point (10x the work) spent more CPU in its window.
    for r in records:
        assert r["peak_processes"] >= 3 and r["peak_pss_bytes"] > 0
        assert r["cpu_s_total"] is not None and r["cpu_s_total"] > 0
    assert b["cpu_s_total"] > a["cpu_s_total"]


def test_a_point_that_fails_leaves_the_points_after_it_unrun():
    # io.http outside the harness has no latency server: its run fails, a real failure.
    specs = [
        CellSpec("io.http", "threads", 2, 2, {"delay": d}, repeats=1, warmups=0)
        for d in (0.01, 0.02)
    ]
    first, second = measure_points(specs)
    assert first.error is not None and "COMPARISONS_SERVICE_LATENCY_SERVER" in first.error
    assert second.error is not None and second.error.startswith("not run: an earlier point")
    assert not second.samples_s
    assert first.setup_s == second.setup_s and first.teardown_s is not None


def test_the_report_says_where_points_shared_a_process_and_only_there():
    from test_maps import io_grid

    from comparisons.report.sections import maps, reading_guide
    from comparisons.report.sections.context import Context

    alone = io_grid()
    assert "shared a fresh process" not in "\n".join(maps.render(alone, Context()))
    assert reading_guide.SHARED_PROCESSES not in reading_guide.render(alone, Context())
    # Each model's three waits at one in-flight count in one process, in one round.
    shared = io_grid()
    for cell in shared:
        cell["shared_process"] = [{"points": 2, "position": 0, "process_wall_s": 1.0}]
    text = "\n".join(maps.render(shared, Context()))
    assert "12 point measurements in 6 processes" in text
    assert reading_guide.SHARED_PROCESSES in reading_guide.render(shared, Context())


def _invocation(invocation: int, position: int | None, pss: int, warm: float, lag: float):
    import made_up

    shared = [] if position is None else [{"points": 3, "position": position}]
    return made_up.record(
        backend="asyncio",
        invocation=invocation,
        invocations=3,
        shared_process=shared,
        memory={"peak_pss_bytes": pss},
        peak_pss_bytes=pss,
        warmup_s=[warm],
        backend_info={"loop_lag_max_s": lag, "loop": "asyncio"},
    )


def test_what_earlier_points_left_is_not_read_as_a_later_points_own():
    from comparisons.records.cells import merge_invocations
    from comparisons.records.ranking import has_own_first_run, one_shot_winners

    # First in its process, then after two other points, then in an own (extra) process.
    (cell,) = merge_invocations(
        [
            _invocation(0, 0, 100, 0.5, 0.01),
            _invocation(1, 2, 900, 0.1, 0.7),
            _invocation(2, None, 120, 0.6, 0.02),
        ]
    )
    assert cell["peak_pss_bytes"] == 110 and cell["memory"]["peak_pss_bytes"] == 110
    assert cell["warmup_s"] == [0.5, 0.6]
    assert cell["backend_info"]["loop_lag_max_s"] == 0.02
    assert has_own_first_run(cell)
    # Measured only after other points: no memory, no first run of its own, no part in
    # the run-once ranking, and no lag figure.
    (later,) = merge_invocations(
        [_invocation(0, 1, 900, 0.1, 0.7), _invocation(1, 2, 800, 0.1, 0.6)]
    )
    assert later["peak_pss_bytes"] is None and later["memory"] is None
    assert later["warmup_s"] == [] and "loop_lag_max_s" not in later["backend_info"]
    assert not has_own_first_run(later)
    assert one_shot_winners([later]) == []
    assert one_shot_winners([cell, later]) == [cell]


def test_a_models_points_that_shared_processes_are_resampled_by_the_same_rounds():
    import made_up
    import numpy as np

    from comparisons.measure.stats import resampled_percentiles
    from comparisons.records.crossover import _rng

    # Round 0 ran slow for every point of the process; a replicate that picks round 0
    # for one point picks it for the others too.
    runs = [[1.3, 1.31, 1.32], [1.0, 1.01, 1.02], [1.0, 1.02, 1.01]]
    shared = [{"points": 2, "position": 0}]

    def draws(backend: str, shared_process: list, stream: np.random.Generator):
        cell = made_up.cell(runs, backend=backend, shared_process=shared_process)
        return resampled_percentiles(runs, 25, _rng(cell, stream, 7))

    stream = np.random.default_rng(1)
    a, b = draws("ray", shared, stream), draws("ray", shared, stream)
    assert np.array_equal(a, b)
    # Another model's processes, or cells of their own processes, are drawn apart.
    assert not np.array_equal(a, draws("dask", shared, stream))
    assert not np.array_equal(draws("ray", [], stream), draws("ray", [], stream))
