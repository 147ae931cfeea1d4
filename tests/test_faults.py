"""Fault probes on real backends: what each model does when a task fails, dies or hangs.

These pin down behaviour the report states, so that an engine upgrade that changes it
is noticed: a task's exception reaching the caller, a hung task cancelled or left
running, a crashed worker taking the whole program down or leaving a pool waiting.
"""

from __future__ import annotations

import pytest
from cli_helper import run_cli
from python_helper import model_params

from comparisons.cell.contract import CellSpec
from comparisons.report.sections.faults import fault_table as render_faults
from comparisons.run.harness import run_cell

# The caller's patience, shorter than the default 4 s: the honest tasks take 1 s.
PATIENCE = 2.0


def probe(workload: str, backend: str, timeout_s: float = 60) -> dict:
    workers = 1 if backend == "serial" else 4
    spec = CellSpec(workload, backend, workers, tasks=4, repeats=1, warmups=0,
                    timeout_s=timeout_s, params={"patience": PATIENCE})  # fmt: skip
    record = run_cell(spec)
    assert record["status"] == "ok", record["error"]
    assert record["leftover_processes"] == [] or backend in ("threads", "dask")
    return record


@pytest.mark.parametrize("backend", model_params())
def test_a_raising_task_reaches_the_caller_with_its_message(backend):
    finding = probe("fault.raise", backend)["fault"]
    assert finding["outcome"] == "raised", finding
    assert finding["message_reached_caller"], finding
    assert finding["others_total"] == 3


@pytest.mark.parametrize(
    ("backend", "still_running"),
    [("asyncio", False), ("trio", False), ("processes", False), ("threads", True)],
)
def test_a_hung_task_is_timed_out_and_cancelled_or_left_running(backend, still_running):
    finding = probe("fault.hang", backend)["fault"]
    assert finding["outcome"] == "timed out", finding
    assert finding["deadline_s"] == PATIENCE and finding["seconds_to_outcome"] >= PATIENCE
    assert finding["hung_task_still_running"] is still_running
    assert finding["others_completed"] == 3


def test_a_plain_loop_cannot_give_up_on_a_hung_task():
    finding = probe("fault.hang", "serial", timeout_s=6)["fault"]
    assert finding["outcome"] == "blocked"


@pytest.mark.parametrize(
    ("backend", "outcome"), [("threads", "program died"), ("processes", "timed out")]
)
def test_a_crashing_task_kills_the_program_or_leaves_the_pool_waiting(backend, outcome):
    record = probe("fault.crash", backend)
    assert record["fault"]["outcome"] == outcome, record["fault"]
    if outcome == "program died":
        assert record["exit_code"] == 3


def test_the_fault_table_has_a_row_per_model_and_a_column_per_fault():
    records = [
        {
            "backend": "asyncio",
            "workload": "fault.hang",
            "fault": {
                "outcome": "timed out",
                "deadline_s": 4.0,
                "others_completed": 3,
                "others_total": 3,
                "hung_task_still_running": False,
            },
        },
        {
            "backend": "threads",
            "workload": "fault.crash",
            "fault": {"outcome": "program died", "detail": "the whole process exited with 3"},
        },
    ]
    lines = render_faults(records)
    assert lines[0] == "| model | `fault.crash` | `fault.hang` |"
    rows = {line.split(" | ")[0].strip("| "): line for line in lines[2:]}
    assert list(rows) == ["threads", "asyncio"]  # the models' usual order
    assert "caller gives up at the 4.00 s deadline" in rows["asyncio"]
    assert "hung task stopped" in rows["asyncio"] and "not run" in rows["asyncio"]
    assert "exited with 3" in rows["threads"]


def test_a_suite_with_fault_probes_reports_them(tmp_path):
    suite = tmp_path / "faults.toml"
    suite.write_text(
        "[[cells]]\nworkload='fault.raise'\nbackends=['serial','threads']\nworkers=2\n"
        "tasks=3\nrepeats=1\nwarmups=0\ntimeout_s=30\n"
    )
    done = run_cli("compare", "--suite", str(suite), "--results", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "out" / "latest" / "DETAILS.md").read_text()
    assert "## When things go wrong" in report
    assert "| serial | raises `DeliberateFailure`" in report


def test_the_host_loss_probe_runs_only_on_a_cluster_with_a_way_to_lose_a_host(monkeypatch):
    local = run_cell(CellSpec("fault.host_loss", "dask", 2, tasks=4, repeats=1, warmups=0))
    assert local["status"] == "skipped" and "needs an external cluster" in local["error"]
    monkeypatch.delenv("COMPARISONS_HOST_LOSS", raising=False)
    spec = CellSpec("fault.host_loss", "ray", 2, tasks=4, repeats=1, warmups=0,
                    address="127.0.0.1:1")  # fmt: skip
    unset = run_cell(spec)
    assert unset["status"] == "skipped" and "COMPARISONS_HOST_LOSS is not set" in unset["error"]


@pytest.mark.parametrize(
    ("finding", "says"),
    [
        (
            {"outcome": "returned", "results_correct": True, "seconds_to_outcome": 5.2,
             "host_loss": {"exit_code": 0}},
            "returns after 5.20 s, results all correct",
        ),
        (
            {"outcome": "timed out", "deadline_s": 40.0, "host_loss": {"exit_code": 0}},
            "caller gives up at the 40.0 s deadline",
        ),
        (
            {"outcome": "returned", "results_correct": True, "seconds_to_outcome": 2.0,
             "host_loss": {"exit_code": 1, "output": "killed 0 dask processes"}},
            "removing the host failed: killed 0 dask processes",
        ),
    ],
)  # fmt: skip
def test_the_fault_table_says_what_a_lost_host_did(finding, says):
    from comparisons.cell.faults import describe

    assert says in describe(finding)
