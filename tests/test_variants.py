"""Every variant (`model:variant`) runs a real workload verified, says why when it cannot,
gives up on a hung task without hanging, and is named, expanded and checked like the rest.

One mixed workload per variant (network wait, CPU work and bytes in each task, so the
sync, asyncio and Trio forms all run), at tiny sizes: correctness, never speed.
"""

from __future__ import annotations

import pytest
from cli_helper import run_cli

from comparisons.backends import REGISTRY, backend_class, model_of, variant_names
from comparisons.cell.contract import CellSpec
from comparisons.errors import UserError
from comparisons.run.harness import run_cell
from comparisons.run.suite import check_cell, expand_suite

VARIANTS = [name for name in variant_names() if ":" in name]
# Variants that differ from their model only for a shared input: tested on cpu.shared
# (test_shared_input.py), and shown here to say so on any other workload.
SHARED_ONLY = ["processes:shared-memory"]
MIXED = {"delay": 0.01, "kilobytes": 1, "span": 200}


def mixed_cell(backend: str, tasks: int = 5) -> CellSpec:
    # A thread or process per task runs with all its tasks in flight.
    workers = tasks if backend_class(backend).one_worker_per_task else 2
    return check_cell(
        CellSpec(
            "mixed.pipeline",
            backend,
            workers,
            tasks,
            params=MIXED,
            repeats=2,
            warmups=1,
            timeout_s=120,
        )
    )


@pytest.mark.parametrize("backend", [v for v in VARIANTS if v not in SHARED_ONLY])
def test_variant_runs_a_mixed_workload_and_verifies_every_repeat(backend):
    record = run_cell(mixed_cell(backend))
    assert record["status"] == "ok", record["error"]
    assert record["verification"]["ok"] and record["verification"]["repeats_checked"] == 3
    assert record["model"] == model_of(backend)
    assert record["variant"] == backend.partition(":")[2]
    assert record["leftover_processes"] == []


# Variants with a deadline of their own (not inherited from their model's default).
OWN_DEADLINE = [
    "threads:per-task",
    "processes:executor",
    "processes:per-task",
    "processes:joblib",
    "asyncio:process-pool",
    "trio:parallel",
    "trio:anyio",
    "ray:actors",
]


@pytest.mark.parametrize("backend", OWN_DEADLINE)
def test_a_hung_task_does_not_hang_the_variant(backend):
    record = run_cell(
        CellSpec(
            "fault.hang",
            backend,
            4,
            tasks=4,
            repeats=1,
            warmups=0,
            timeout_s=60,
            params={"patience": 2.0},
        )  # fmt: skip
    )
    assert record["status"] == "ok", record["error"]
    finding = record["fault"]
    assert finding["outcome"] == "timed out", finding
    assert finding["others_completed"] == 3


def test_the_cooperative_variant_verifies_and_records_its_loops_lag():
    """CPU work awaiting between chunks keeps the loop freer than the same work in
    coroutines that never await; both cells record the loop's worst lag."""
    cells = {
        backend: run_cell(CellSpec("cpu.primes", backend, 2, 8, {"span": 3000}, repeats=2))
        for backend in ("asyncio", "asyncio:cooperative")
    }
    for record in cells.values():
        assert record["status"] == "ok", record["error"]
        assert record["verification"]["ok"] and record["verification"]["repeats_checked"] == 3
        assert record["backend_info"]["loop_lag_max_s"] >= 0
    cooperative = cells["asyncio:cooperative"]
    assert cooperative["model"] == "asyncio" and cooperative["variant"] == "cooperative"
    blocked = cells["asyncio"]["backend_info"]["loop_lag_max_s"]
    assert 2 * cooperative["backend_info"]["loop_lag_max_s"] < blocked


def test_the_cooperative_variant_skips_a_workload_without_that_form():
    record = run_cell(CellSpec("io.sleep", "asyncio:cooperative", 2, 4, {"latency": 0.01}))
    assert record["status"] == "skipped"
    assert "io.sleep has no" in record["error"] and "asyncio.sleep(0)" in record["error"]


def test_variants_without_a_deadline_skip_fault_probes_with_the_reason():
    record = run_cell(CellSpec("fault.raise", "dask:threaded", 2, tasks=4, repeats=1, warmups=0))
    assert record["status"] == "skipped" and "no way to wait with a deadline" in record["error"]


def test_an_unknown_variant_is_one_line_naming_the_models_variants():
    with pytest.raises(UserError) as caught:
        check_cell(CellSpec("cpu.primes", "processes:threads", 2, 4))
    message = str(caught.value)
    assert "unknown backend 'processes:threads'" in message
    assert "processes:spawn" in message and "\n" not in message


def test_suites_expand_all_to_models_and_model_star_to_its_variants(tmp_path):
    suite = tmp_path / "s.toml"
    suite.write_text(
        '[[cells]]\nworkload = "cpu.primes"\nbackends = ["all", "processes:*"]\n'
        "workers = 2\ntasks = 4\n"
    )
    _, cells = expand_suite(suite)
    names = [c.backend for c in cells]
    assert names[:7] == ["serial", "threads", "processes", "asyncio", "trio", "dask", "ray"]
    assert [n for n in names if model_of(n) == "processes"] == [
        n for n in REGISTRY if model_of(n) == "processes"
    ]
    suite.write_text('[[cells]]\nworkload = "cpu.primes"\nbackends = ["nope:*"]\n')
    with pytest.raises(UserError, match="unknown model 'nope'"):
        expand_suite(suite)


def test_list_shows_every_variant_with_its_source():
    done = run_cli("list")
    assert done.returncode == 0, done.stderr
    for name in VARIANTS:
        assert f"    {name} " in done.stdout
        assert backend_class(name).source


def test_the_report_groups_variants_under_their_model(tmp_path):
    suite = tmp_path / "v.toml"
    suite.write_text(
        'repeats = 3\n[[cells]]\nworkload = "cpu.primes"\n'
        'backends = ["serial", "processes", "processes:executor", "asyncio", '
        '"asyncio:process-pool"]\nworkers = 2\ntasks = 6\nparams = { span = 800 }\n'
    )
    done = run_cli("compare", "--suite", str(suite), "--results", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "out" / "latest" / "DETAILS.md").read_text()
    section = report.split("## Which way of using each model", 1)[1].split("\n## ", 1)[0]
    assert "### processes" in section and "### asyncio" in section
    processes = section.split("### processes", 1)[1].split("###", 1)[0]
    rows = [line for line in processes.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == ["processes", "processes:executor"]
    assert "1 (the model's default)" in rows[0]
    # Whichever model this machine made faster, the loop is a yardstick, never "the best
    # default idiom", and a changed answer compares rows at one concurrency (2 in flight).
    assert "serial" not in section
    changes = [line for line in section.split("###", 1)[0].splitlines() if line.startswith("- ")]
    assert changes, section
    assert all(
        line == "- nowhere in this run: the default idioms' ranking stands."
        or (", 2 in flight: `" in line and "workers against" not in line)
        for line in changes
    ), changes
