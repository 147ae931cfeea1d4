"""The verdict's four words on made-up cells, each both ways: best, tied (interval wholly
inside the tie band), slower (wholly beyond), undecided (straddling); a row where every
model loses to a plain loop; `verdict.json`; and `make diff` counting contradictions."""

from __future__ import annotations

import json

import made_up

from comparisons.measure.stats import Ratio
from comparisons.records.cells import Cell, cells_from
from comparisons.records.ranking import (
    Outcome,
    measured_once,
    outcome_of,
    twin_checks,
    verdict_rows,
)
from comparisons.report.diff import compare_verdicts
from comparisons.report.verdict_export import render_verdict_json


def row(backend: str, time_s: float, spread: float = 0.005, **fields: object) -> Cell:
    """Three processes of three repeats around `time_s`, as `load_cells` returns them."""
    return made_up.around(backend, time_s, spread, **fields)


def ratio(low: float, high: float) -> Ratio:
    return Ratio((low + high) / 2, low, high, significant=low > 1, meaningful=False)


def test_each_word_is_decided_by_where_the_whole_interval_lies():
    assert outcome_of(ratio(1.01, 1.09)) is Outcome.TIED
    assert outcome_of(ratio(0.95, 1.05)) is Outcome.TIED
    assert outcome_of(ratio(1.11, 1.4)) is Outcome.SLOWER
    assert outcome_of(ratio(1.05, 1.2)) is Outcome.UNDECIDED  # straddles the edge
    assert outcome_of(ratio(0.8, 1.05)) is Outcome.UNDECIDED  # reaches below the band


def test_a_row_names_best_tied_slower_and_undecided_models():
    (v,) = verdict_rows(
        [
            row("processes", 1.0),
            row("ray", 1.04),
            row("dask", 1.5),
            row("threads", 1.12, spread=0.2),
        ]
    )
    words = {s.cell["backend"]: s.outcome for s in v.standings}
    assert words == {
        "processes": Outcome.BEST,
        "ray": Outcome.TIED,
        "dask": Outcome.SLOWER,
        "threads": Outcome.UNDECIDED,
    }
    assert v.runner is not None and v.runner["backend"] == "dask"


def test_a_row_where_every_model_loses_to_a_plain_loop_says_so():
    serial = row("serial", 0.65, workers=1)
    losing = [serial, row("ray", 0.88), row("processes", 1.1)]
    (v,) = verdict_rows(losing)
    assert v.slower_than_serial is not None and v.slower_than_serial.ratio > 1.3
    winning = [serial, row("ray", 0.4), row("processes", 0.35)]
    (w,) = verdict_rows(winning)
    assert w.slower_than_serial is None
    # A transfer's serial loop moves no bytes: no model "loses" to it.
    moving = [
        row("serial", 0.005, workers=1, measures_transfer=True),
        row("ray", 0.06, measures_transfer=True),
        row("processes", 0.1, measures_transfer=True),
    ]
    (t,) = verdict_rows(moving)
    assert t.slower_than_serial is None


def test_verdict_json_lists_every_models_outcome_with_its_interval():
    cells = [row("processes", 1.0), row("ray", 1.5)]
    document = json.loads(render_verdict_json(cells))
    assert document["tie_band"] == 0.1 and "lower quartile" in document["estimator"]
    (entry,) = document["rows"]
    assert entry["in_flight"] == 2 and entry["workload"] == "cpu.primes"
    best, slower = entry["models"]
    assert best["outcome"] == "best" and best["ratio"] is None
    assert slower["outcome"] == "slower" and slower["ci95"][0] > 1.1
    assert best["executor"] and slower["model"] == "ray"


def test_only_a_model_best_or_tied_in_one_run_and_slower_in_the_other_contradicts():
    a = [row("processes", 1.0), row("processes:executor", 0.9), row("threads", 2.0)]
    b = [row("processes", 0.9), row("processes:executor", 1.0), row("threads", 2.0)]
    same = compare_verdicts(a, b)
    assert same.rows == 1 and same.contradictions == [] and same.best_kept == 1
    # Ray ties in one run and is undecided in the other: not a contradiction.
    tied = [row("processes", 1.0), row("ray", 1.03), row("threads", 2.0)]
    unsure = [row("processes", 1.0), row("ray", 1.1, spread=0.2), row("threads", 2.0)]
    soft = compare_verdicts(tied, unsure)
    assert soft.contradictions == [] and soft.undecided[1] > 0
    # Threads best in one run, slower in the other: a contradiction, named.
    flipped = [row("processes", 2.0), row("threads", 1.0)]
    hard = compare_verdicts(a, flipped)
    assert len(hard.contradictions) == 2 and hard.best_kept == 0
    assert "threads" in " ".join(hard.contradictions)


def test_made_up_cells_pass_through_the_read_side_unchanged_in_kind():
    # The cells the tests build are what `cells_from` would build from their records.
    (cell,) = cells_from([made_up.record(samples_s=[1.0, 1.1, 1.2])])
    assert set(cell) == set(row("threads", 1.0))


def test_twins_are_tied_when_equal_and_a_false_decision_when_the_design_splits_them():
    equal = [row("processes", 1.0), row("twin-processes", 1.02)]
    (check,) = twin_checks(equal)
    assert check.outcome is Outcome.TIED and check.original == "processes"
    split = [row("threads", 1.0), row("twin-threads", 1.3)]
    assert twin_checks(split)[0].outcome is Outcome.SLOWER
    noisy = [row("asyncio", 1.0, spread=0.2), row("twin-asyncio", 1.08, spread=0.2)]
    assert twin_checks(noisy)[0].outcome is Outcome.UNDECIDED
    assert twin_checks([row("processes", 1.0), row("threads", 1.0)]) == []
    document = json.loads(render_verdict_json(split))
    assert document["aa_control"][0]["outcome"] == "slower"


def test_models_measured_once_are_named_apart_and_never_ranked():
    once = [
        made_up.cell([[2.0]], backend=name, workers=3, tasks=3) for name in ("threads", "asyncio")
    ]
    assert verdict_rows(once) == []
    assert measured_once(once) == [("cpu.primes (3 tasks)", 3, ["threads", "asyncio"])]
    twice = [row("threads", 1.0), row("asyncio", 1.0)]
    assert measured_once(twice) == [] and len(verdict_rows(twice)) == 1


def test_a_best_model_within_noise_of_a_plain_loop_is_undecided_against_it():
    unsure = [row("serial", 1.0, workers=1, spread=0.2), row("ray", 1.05), row("threads", 2.0)]
    (v,) = verdict_rows(unsure)
    assert v.slower_than_serial is None and v.undecided_against_serial is not None
    clear = [row("serial", 2.0, workers=1), row("ray", 1.0), row("threads", 2.1)]
    (w,) = verdict_rows(clear)
    assert w.undecided_against_serial is None and w.slower_than_serial is None


def test_a_shared_inputs_naive_form_is_a_way_of_running_the_work_not_other_work():
    """Passing the input with every task and the model's idiom compete in one row, each
    model judged by its faster form, as by its best variant."""

    def shared(backend: str, time_s: float, per_task: int) -> Cell:
        form = {
            "idiom": "naive" if per_task else "put",
            "crossing": "per task" if per_task else "once",
            "per_task_form": bool(per_task),
        }
        return row(
            backend,
            time_s,
            workload="cpu.shared",
            key=f"cpu.shared|{backend}|w=2|t=16|per_task={per_task}",
            params={"megabytes": 64, "per_task": per_task},
            shared_input=form,
        )

    (v,) = verdict_rows(
        [
            shared("ray", 0.5, 0),
            shared("ray", 1.4, 1),
            shared("processes", 0.3, 0),
            shared("processes", 2.0, 1),
        ]
    )
    assert [(s.cell["backend"], s.cell["params"]["per_task"]) for s in v.standings] == [
        ("processes", 0),
        ("ray", 0),
    ]
    assert "per_task" not in v.work and "megabytes=64" in v.work
    # Other parameters still make other work: two sizes, two rows.
    bigger = [
        row(
            b,
            t,
            workload="cpu.shared",
            params={"megabytes": 256, "per_task": 0},
            shared_input={"per_task_form": False},
        )
        for b, t in (("ray", 2.0), ("processes", 1.0))
    ]
    assert len(verdict_rows([shared("ray", 0.5, 0), shared("processes", 0.3, 0), *bigger])) == 2
