"""Turning a run's records into its outputs: `summary.csv` and `REPORT.md`.

`build_report(run_dir)` reads `records.jsonl` alone (nothing else in the run directory),
re-attaches serial baselines and writes each exporter's file. Each format is one small
module (`csv_export`, `markdown`) reading the same loaded records.
"""

from __future__ import annotations

from pathlib import Path

from comparisons.errors import UserError
from comparisons.records import CorruptRecords, attach_baselines, load_records, unique_records
from comparisons.report.csv_export import render_csv
from comparisons.report.markdown import render_markdown

RECORDS_FILE = "records.jsonl"


def build_report(run_dir: Path) -> Path:
    """Write summary.csv and REPORT.md for `run_dir`; return the report's path."""
    records_path = run_dir / RECORDS_FILE
    if not records_path.is_file():
        raise UserError(f"{run_dir} is not a run directory (it has no {RECORDS_FILE})")
    try:
        records = load_records(records_path)
    except CorruptRecords as exc:
        raise UserError(str(exc)) from None
    if not records:
        raise UserError(f"{records_path} holds no records yet")
    records = attach_baselines(unique_records(records))
    _write(run_dir / "summary.csv", render_csv(records))
    report_path = run_dir / "REPORT.md"
    _write(report_path, render_markdown(records))
    return report_path


def _write(path: Path, text: str) -> None:
    # Write beside, then rename: a reader never sees half a report.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)
