"""Records written by an older schema still load, upgrade and make a report."""

from __future__ import annotations

import shutil
from pathlib import Path

from comparisons.records.cells import merge_invocations
from comparisons.records.schema import SCHEMA_VERSION
from comparisons.records.store import load_records
from comparisons.report import build_report

SCHEMA_1 = Path(__file__).parent / "data" / "schema1_records.jsonl"


def test_schema_1_records_from_a_committed_run_load_upgraded_and_report(tmp_path):
    records = load_records(SCHEMA_1)
    assert {r["schema_version"] for r in records} == {SCHEMA_VERSION}
    assert all(r["invocation"] == 0 and r["peak_pss_bytes"] is None for r in records)
    serial = next(r for r in records if r["backend"] == "serial")
    assert serial["yardstick"] is True
    cells = merge_invocations(records)
    assert len(cells) == 3 and all(c["stats"].runs == 1 for c in cells)
    shutil.copy(SCHEMA_1, tmp_path / "records.jsonl")
    report = build_report(tmp_path).with_name("DETAILS.md").read_text()
    assert "## Verdict" in report and "RSS" in report
    # Serial is a yardstick: the 3 x 2 s demo is a tie of the models, never serial.
    verdict = report.split("## Verdict", 1)[1].split("## Fastest", 1)[0]
    assert "within 10% or 50.0 ms of it" in verdict and "**serial**" not in verdict
