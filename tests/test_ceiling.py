"""The machine's ceiling: pre-forked, warmed workers sharing one task counter, verified
like a model, and a share-of-ceiling rule that cannot print more than 100% unexplained:
a row faster than the ceiling (whatever its interval) marks it unreliable, never replaces it
(the report's side of it: test_impossible_figures.py)."""

from __future__ import annotations

import made_up
import pytest

from comparisons.backends import model_names
from comparisons.cell.contract import CellSpec
from comparisons.records.cells import Cell, attach_ceiling, cells_from
from comparisons.records.schema import Baseline
from comparisons.run.harness import run_cell


def test_the_ceiling_is_a_reference_not_a_model():
    assert "ceiling" not in model_names() and "processes" in model_names()


def _cells(backends: tuple[str, ...], **params: int) -> list[dict]:
    return [
        run_cell(
            CellSpec(
                "cpu.primes",
                backend,
                1 if backend == "serial" else 2,
                tasks=12,
                params=params,
                repeats=5,
                warmups=1,
            )
        )
        for backend in backends
    ]


def test_ceiling_runs_verified_and_no_model_beats_it_beyond_its_interval():
    records = _cells(("serial", "ceiling", "processes"), span=4000)
    assert all(r["status"] == "ok" and r["verification"]["ok"] for r in records), [
        r["error"] for r in records
    ]
    _, ceiling, processes = cells_from(records)
    assert ceiling["yardstick"] is True and processes["yardstick"] is False
    assert ceiling["leftover_processes"] == []
    base = processes["baseline"]
    low, high = base.ceiling_efficiency_ci95
    assert low <= base.ceiling_efficiency <= high
    # Which is faster is the benchmark's finding, not the test's: on a loaded machine a
    # pool can beat the ceiling by luck. The rule must read right either way.
    if base.ceiling_beaten_by is None:
        assert ceiling["ceiling_beaten_by"] is None and base.ceiling_efficiency <= 1.0
        assert base.ceiling_unreliable is None
    else:
        assert base.ceiling_beaten_by == ceiling["ceiling_beaten_by"] == "processes"
        # Over 100% by its median, whatever its interval: marked, and still the ceiling's.
        assert base.ceiling_efficiency > 1.0 and base.ceiling_unreliable


def _row(backend: str, samples: list[float]) -> Cell:
    made = made_up.cell([samples], backend=backend)
    made["baseline"] = Baseline("serial", "serial-key", 2.0, 1.0, (1.0, 1.0), 0.5)
    return made


def test_a_model_that_beats_the_ceiling_marks_it_unreliable_and_is_named():
    ceiling = _row("ceiling", [1.0, 1.01, 0.99, 1.0, 1.02])
    fast = _row("processes", [0.8, 0.81, 0.79, 0.8, 0.82])
    slow = _row("threads", [1.6, 1.61, 1.59, 1.6, 1.62])
    attach_ceiling(ceiling, [fast, slow])
    assert ceiling["ceiling_beaten_by"] == "processes"
    # Not replaced: every share is still against the ceiling's own time.
    assert fast["baseline"].ceiling_efficiency == pytest.approx(1.25)
    assert slow["baseline"].ceiling_efficiency == pytest.approx(0.625)
    assert slow["baseline"].ceiling_beaten_by == "processes"
    assert "processes reached 125% of it" in slow["baseline"].ceiling_unreliable


def test_a_model_within_the_interval_leaves_the_ceiling_alone():
    ceiling = _row("ceiling", [1.0, 1.05, 0.95, 1.0, 1.02])
    close = _row("processes", [0.99, 1.04, 0.97, 1.01, 1.0])
    attach_ceiling(ceiling, [close])
    assert ceiling["ceiling_beaten_by"] is None
    assert close["baseline"].ceiling_unreliable is None
    low, high = close["baseline"].ceiling_efficiency_ci95
    assert low < 1 < high
