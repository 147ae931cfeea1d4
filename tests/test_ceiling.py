"""The machine's ceiling: a reference run of pre-forked processes, verified like a model."""

from __future__ import annotations

from comparisons.backends import model_names
from comparisons.backends.ceiling import equal_shares
from comparisons.cell import CellSpec
from comparisons.harness import run_cell
from comparisons.records import attach_baselines


def test_equal_shares_are_round_robin_and_differ_by_at_most_one():
    shares = equal_shares(list(range(10)), 3)
    assert shares == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert equal_shares([1], 3) == [[1], [], []]


def test_the_ceiling_is_a_reference_not_a_model():
    assert "ceiling" not in model_names() and "processes" in model_names()


def test_ceiling_runs_verified_and_gives_models_a_share_of_it():
    params = {"span": 3000}
    records = [
        run_cell(
            CellSpec(
                "cpu.primes",
                backend,
                1 if backend == "serial" else 2,
                tasks=6,
                params=params,
                repeats=3,
                warmups=1,
            )
        )
        for backend in ("serial", "ceiling", "processes")
    ]
    assert all(r["status"] == "ok" and r["verification"]["ok"] for r in records), [
        r["error"] for r in records
    ]
    ceiling, processes = attach_baselines(records)[1:]
    assert ceiling["reference"] is True and processes["reference"] is False
    share = processes["baseline"]["ceiling_efficiency"]
    assert share == processes["baseline"]["speedup"] / ceiling["baseline"]["speedup"]
    assert ceiling["leftover_processes"] == []
