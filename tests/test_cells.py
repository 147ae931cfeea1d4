"""The read side (`comparisons.records.cells`): each field's merge rule, the refusal of
invocations from different machines, and the typed values' stored forms, both ways."""

from __future__ import annotations

import json

import made_up
import pytest

from comparisons.records.cells import load_cells, merge_invocations
from comparisons.records.schema import Baseline, Merge, Record, merge_rules
from comparisons.records.store import CorruptRecords, append_record, load_records

ENV = {
    "hostname": "vm",
    "cpu_model": "AMD EPYC",
    "logical_cores": 2,
    "python": {"implementation": "CPython", "version": "3.11.7", "gil_disabled_build": False},
}


def invocation(number: int, **fields: object) -> Record:
    return made_up.record(**{"invocation": number, "invocations": 3, "env": ENV, **fields})


def test_every_field_of_the_schema_has_a_merge_rule_and_only_those_do():
    rules = merge_rules()
    assert set(rules) == set(Record.__annotations__)
    assert rules["setup_s"] is Merge.MEDIAN and rules["cpu_s_total"] is Merge.SUM
    assert rules["workload"] is Merge.FIRST  # undeclared: the first invocation's


def test_invocations_merge_by_their_fields_rules():
    runs = [
        invocation(
            0,
            setup_s=1.0,
            cpu_s_total=2.0,
            other_cpu_cores=0.1,
            leftover_processes=["a"],
            warmup_s=[5.0, 4.0],
            finished_at="first",
        ),
        invocation(
            1,
            setup_s=3.0,
            cpu_s_total=2.5,
            other_cpu_cores=0.7,
            leftover_processes=[],
            warmup_s=[6.0],
            finished_at="middle",
        ),
        invocation(
            2,
            setup_s=2.0,
            cpu_s_total=None,
            other_cpu_cores=None,
            leftover_processes=["b"],
            warmup_s=[7.0],
            finished_at="last",
        ),
    ]
    (cell,) = merge_invocations(runs)
    assert cell["setup_s"] == 2.0  # median
    assert cell["cpu_s_total"] == 4.5  # total of those measured
    assert cell["other_cpu_cores"] == 0.7  # worst
    assert cell["leftover_processes"] == ["a", "b"]  # every invocation's
    assert cell["warmup_s"] == [5.0, 6.0, 7.0]  # the first run of each process
    assert cell["finished_at"] == "last"
    assert cell["invocations_done"] == 3 and len(cell["runs_s"]) == 3


def test_a_failed_invocation_fails_the_cell_and_keeps_its_samples_out():
    runs = [
        invocation(0, samples_s=[1.0, 1.1]),
        invocation(1, status="error", error="boom", samples_s=[]),
    ]
    (cell,) = merge_invocations(runs)
    assert cell["status"] == "error" and cell["error"] == "invocation 1: boom"
    assert cell["runs_s"] == [[1.0, 1.1]]


def test_invocations_from_different_interpreters_are_refused_one_machine_is_not():
    newer = {**ENV, "python": {**ENV["python"], "version": "3.13.0"}}
    with pytest.raises(CorruptRecords, match="different machines or interpreters"):
        merge_invocations([invocation(0), invocation(1, env=newer)])
    with pytest.raises(CorruptRecords, match="AMD EPYC"):
        merge_invocations([invocation(0), invocation(1, env={**ENV, "cpu_model": "Intel"})])
    # A cell that died before recording its environment does not count against it.
    (cell,) = merge_invocations([invocation(0), invocation(1), invocation(2, env=None)])
    assert cell["invocations_done"] == 3


def test_typed_values_are_stored_as_the_plain_mappings_they_were(tmp_path):
    record = made_up.record(samples_s=[1.0, 1.2, 1.1])
    record["baseline"] = Baseline("serial", "k", 2.0, 1.8, (1.6, 2.0), 0.9)
    path = tmp_path / "records.jsonl"
    append_record(path, record)
    stored = json.loads(path.read_text())
    assert stored["stats"]["median"] == 1.1 and stored["stats"]["runs"] == 1
    # No ceiling fields where no ceiling was measured: the stored form stays as it was.
    assert stored["baseline"] == {
        "backend": "serial",
        "key": "k",
        "median_s": 2.0,
        "speedup": 1.8,
        "speedup_ci95": [1.6, 2.0],
        "efficiency": 0.9,
    }
    (loaded,) = load_records(path)
    assert loaded["stats"] == record["stats"] and loaded["baseline"] == record["baseline"]


def test_a_folder_without_records_is_the_users_error(tmp_path):
    with pytest.raises(Exception, match="not a run directory"):
        load_cells(tmp_path)
    (tmp_path / "records.jsonl").write_text("")
    with pytest.raises(Exception, match="holds no records yet"):
        load_cells(tmp_path)
