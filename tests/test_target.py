"""Bring your own workload: a user's function by module or file, its inputs, its
characterisation, the plan sized to a budget, the report's opening, plugins by entry
point, and one clear line (exit 2) for each kind of bad input."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
from cli_helper import run_cli

from comparisons.backends import BASELINE, model_names
from comparisons.cell.contract import CellSpec
from comparisons.cell.outcome import Status
from comparisons.errors import UserError
from comparisons.run.harness import run_cell
from comparisons.target.characterise import ProbeFailed, characterise, classify
from comparisons.target.plan import parse_budget, plan_target
from workloads import ENTRY_POINT_GROUP, all_names, load_workload
from workloads.target import CACHE_VARIABLE, TargetError, TargetSpec, same

BLUR = "target:examples/blur.py:blur"
FETCH = "target:examples/fetch.py:fetch"


@pytest.fixture(autouse=True)
def _restore_paths(monkeypatch):
    """Loading a target puts its directory on sys.path and PYTHONPATH: undo it after."""
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name in ("bad_import", "raises", "lambdas", "noisy", "few_inputs", "plugin_pkg"):
            del sys.modules[name]


def _module(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


# --- names and conventions -------------------------------------------------------


def test_a_target_name_round_trips_with_its_options():
    spec = TargetSpec.parse(
        f"{BLUR}?tolerance=1e-09&work=released&inputs=examples/blur.py:blur_inputs"
    )
    assert spec.function == "examples/blur.py:blur" and spec.tolerance == 1e-9
    assert spec.work == "released" and spec.inputs == "examples/blur.py:blur_inputs"
    assert TargetSpec.parse(spec.name) == spec


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("target:blur", "is not MODULE:FUNCTION"),
        (f"{BLUR}?speed=3", "option 'speed' is unknown"),
        (f"{BLUR}?tolerance=-1", "tolerance must be"),
        (f"{BLUR}?work=fast", "work='fast' is not one of"),
    ],
)
def test_a_malformed_target_name_says_what_is_wrong(name, message):
    with pytest.raises(TargetError, match=message):
        TargetSpec.parse(name)


def test_the_file_example_loads_with_its_conventions(tmp_path, monkeypatch):
    workload = load_workload(BLUR)
    assert workload.make_inputs(3, {}) == [1000, 1001, 1002]
    assert workload.crossing_problem is None
    assert "Trio runs it through to_thread" in workload.description
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path))
    first = workload.expected(2, {})
    assert len(list(tmp_path.glob("*.pkl"))) == 1
    assert workload.expected(2, {}) == first and workload.verify(first, first).ok
    # Every child process imports the file's module by the same name.
    assert str(Path("examples").resolve()) in os.environ["PYTHONPATH"].split(os.pathsep)


def test_a_module_target_and_its_async_form_are_found():
    workload = load_workload(FETCH)
    assert workload.services == ("latency_server",)
    assert workload.asyncio.__name__ == "fetch_asyncio"
    assert "asyncio runs fetch_asyncio" in workload.description
    assert load_workload("target:json:dumps").make_inputs(2, {}) == [0, 1]


def test_results_compare_with_arrays_and_a_tolerance():
    import numpy as np

    assert same([np.arange(3)], [np.arange(3)]) and not same(np.arange(3), np.arange(1, 4))
    assert same({"a": (1.0, 2.0)}, {"a": (1.0, 2.0 + 1e-12)}, tolerance=1e-9)
    assert not same({"a": (1.0, 2.0)}, {"a": (1.0, 2.1)}, tolerance=1e-9)
    assert not same(1.0, 1.0 + 1e-12)


def test_inputs_from_a_jsonl_file_and_their_errors(tmp_path):
    items = tmp_path / "items.jsonl"
    items.write_text("\n".join(json.dumps([i, i + 1]) for i in range(5)))
    workload = load_workload(TargetSpec("json:dumps", inputs=str(items)).name)
    assert workload.make_inputs(3, {}) == [[0, 1], [1, 2], [2, 3]]
    with pytest.raises(TargetError, match="hold 5 items; 9 tasks asked"):
        workload.make_inputs(9, {})
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json")
    with pytest.raises(TargetError, match="do not load"):
        load_workload(TargetSpec("json:dumps", inputs=str(broken)).name).make_inputs(1, {})


def test_an_inputs_function_that_returns_the_wrong_count_is_named(tmp_path):
    path = _module(
        tmp_path, "few_inputs", "def f(x):\n    return x\ndef f_inputs(tasks):\n    return [1]\n"
    )
    workload = load_workload(f"target:{path}:f")
    with pytest.raises(TargetError, match="returned 1 items for 4 tasks"):
        workload.make_inputs(4, {})


# --- the characterisation and the plan ------------------------------------------


@pytest.mark.parametrize(
    ("share", "speedup", "cores", "work"),
    [
        (0.02, 1.9, 2, "waiting"),
        (1.0, 1.9, 2, "released"),
        (1.0, 1.02, 2, "gil"),
        (0.98, 1.9, 1, "gil"),
        (0.6, 1.1, 8, "gil"),
    ],
)
def test_the_work_is_classified_by_cpu_share_and_two_threads(share, speedup, cores, work):
    assert classify(share, speedup, cores)[0] == work


def test_the_probe_files_the_examples_by_what_they_do():
    blur = characterise(load_workload(BLUR), sys.executable, 2)
    assert blur["work"] in ("released", "gil") and blur["deterministic"]
    assert blur["input_bytes"] > 0 and blur["task_s"] > 0
    fetch = characterise(load_workload(FETCH), sys.executable, 2)
    assert fetch["work"] == "waiting", fetch
    assert fetch["async_forms"] == {"asyncio": True, "trio": False}


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("5m", 300), ("1h", 3600), ("45", 45)])
def test_budgets_read_as_people_write_them(text, seconds):
    assert parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["soon", "0", "-5m", "5 parsecs"])
def test_a_bad_budget_is_a_user_error(text):
    with pytest.raises(UserError, match="is not a time"):
        parse_budget(text)


def _found(work: str, task_s: float) -> dict:
    return {
        "target": BLUR,
        "work": work,
        "task_s": task_s,
        "async_forms": {"asyncio": False, "trio": False},
    }


def test_the_plan_compares_every_model_at_the_same_concurrency_and_work():
    plan = plan_target(_found("waiting", 0.05), budget_s=3000, cores=4)
    by_level: dict[int, set[str]] = {}
    for cell in plan.cells:
        assert cell.tasks == plan.cells[0].tasks
        by_level.setdefault(cell.workers, set()).add(cell.backend)
    assert sorted(by_level) == [1, 4, 16]
    assert by_level[1] == {BASELINE}
    assert by_level[4] == by_level[16] and set(model_names()) - {BASELINE} <= by_level[4]
    # No async form: the asyncio variants would only restate to_thread.
    assert "asyncio:uvloop" not in by_level[4] and "ceiling" not in by_level[4]


def test_a_tight_budget_trims_variants_but_never_a_model():
    roomy = plan_target(_found("gil", 0.01), budget_s=3000, cores=2)
    tight = plan_target(_found("gil", 0.01), budget_s=30, cores=2)
    assert not roomy.trimmed and roomy.estimate_s <= 3000
    assert tight.trimmed and len(tight.cells) < len(roomy.cells)
    assert {c.backend for c in tight.cells} >= set(model_names())
    assert all(":" not in c.backend for c in tight.cells)


# --- running it -------------------------------------------------------------------


def test_the_examples_run_verified_on_real_models():
    for name, backend, workers in (
        (BLUR, "processes", 2),
        (FETCH, "asyncio", 4),
        (FETCH, "trio", 4),
    ):
        record = run_cell(CellSpec(name, backend, workers, tasks=8, repeats=2, warmups=1))
        assert record["status"] == Status.OK and record["verification"]["ok"], record["error"]


def test_a_function_that_does_not_pickle_skips_only_the_models_that_send_it(tmp_path):
    path = _module(tmp_path, "lambdas", "square = lambda x: x * x\n")
    name = f"target:{path}:square"
    assert "cannot be pickled" in load_workload(name).crossing_problem
    skipped = run_cell(CellSpec(name, "processes", 2, tasks=4, repeats=1, warmups=0))
    assert skipped["status"] == Status.SKIPPED and "cannot be pickled" in skipped["error"]
    ran = run_cell(CellSpec(name, "threads", 2, tasks=4, repeats=1, warmups=0))
    assert ran["status"] == Status.OK and ran["verification"]["ok"]


def test_a_function_that_raises_on_the_probe_stops_everything_with_its_traceback(tmp_path):
    path = _module(tmp_path, "raises", "def f(x):\n    raise ValueError(f'bad item {x}')\n")
    with pytest.raises(
        ProbeFailed, match=r"(?s)raised on the serial probe.*ValueError: bad item 0.*Traceback"
    ):
        characterise(load_workload(f"target:{path}:f"), sys.executable, 2)


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (
            "import no_such_module_here\ndef f(x):\n    return x\n",
            "f",
            "does not import: ModuleNotFoundError",
        ),
        ("f = 3\n", "f", "is not callable"),
        ("def g(x):\n    return x\n", "f", "has no function 'f' (its callables: g)"),
        (
            "import random\ndef f(x):\n    return random.random()\n",
            "f",
            "different results for the same inputs",
        ),
        ("def f(x):\n    raise KeyError(x)\n", "f", "raised on the serial probe"),
    ],
)
def test_bad_targets_give_one_line_and_exit_2(tmp_path, source, target, message):
    path = _module(tmp_path, "bad_import", source)
    done = run_cli("compare", "--target", f"{path}:{target}", "--results", str(tmp_path / "r"))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr.splitlines()[0]
    assert not (tmp_path / "r").exists()


def test_make_compare_target_writes_a_report_phrased_for_the_function(tmp_path):
    done = run_cli(
        "compare",
        "--target",
        "examples/blur.py:blur",
        "--budget",
        "20s",
        "--backends",
        "threads,processes",
        "--results",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert "filed as" in done.stdout
    report = (tmp_path / "latest" / "DETAILS.md").read_text()
    assert "## Your function" in report and "**For `blur` at 2 in flight**" in report
    assert "Correctness** is relative to serial" in report and "blur (examples/blur.py)" in report
    cells = json.loads((tmp_path / "latest" / "cells.json").read_text())
    assert {c["backend"] for c in cells["cells"]} == {"serial", "threads", "processes"}
    assert cells["suite"]["target"]["work"] in ("released", "gil")


# --- packages that register workloads ---------------------------------------------


def test_a_package_registers_a_workload_by_entry_point(tmp_path, monkeypatch):
    package = tmp_path / "plugin_pkg.py"
    package.write_text(
        textwrap.dedent(
            """
            from workloads.spec import Workload
            from workloads.vocabulary import Category

            def double(x):
                return 2 * x

            async def double_async(x):
                return 2 * x

            WORKLOAD = Workload(
                name="plugin.double",
                kind="cpu",
                description="doubles a number (a plugin's workload)",
                sync=double,
                asyncio=double_async,
                trio=double_async,
                make_inputs=lambda tasks, params: list(range(tasks)),
                expected=lambda tasks, params: [2 * i for i in range(tasks)],
                category=Category.GIL_BOUND_CPU,
            )
            """
        )
    )
    info = tmp_path / "plugin_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plugin-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nplugin.double = plugin_pkg\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ["PYTHONPATH"]]))
    assert "plugin.double" in all_names()
    assert load_workload("plugin.double").description.startswith("doubles")
    record = run_cell(CellSpec("plugin.double", "processes", 2, tasks=6, repeats=1, warmups=0))
    assert record["status"] == Status.OK and record["verification"]["ok"], record["error"]
    listed = run_cli("list", env={"PYTHONPATH": os.environ["PYTHONPATH"]})
    assert "plugin.double" in listed.stdout


def test_inputs_that_cannot_be_pickled_leave_out_every_model_that_needs_them_sent():
    found = {**_found("gil", 0.01), "input_bytes": None, "result_bytes": 10}
    plan = plan_target(found, budget_s=3000, cores=2)
    planned = {c.backend for c in plan.cells}
    assert {"serial", "threads", "asyncio", "trio"} <= planned
    assert not planned & {"processes", "dask", "ray", "ceiling", "subinterpreters"}
    assert plan.trimmed[0].endswith("left out: its inputs cannot be pickled")
    # A probe that pickled both keeps every model.
    kept = plan_target({**found, "input_bytes": 17}, budget_s=3000, cores=2)
    assert {"processes", "dask", "ray"} <= {c.backend for c in kept.cells}
