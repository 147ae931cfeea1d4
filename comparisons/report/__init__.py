"""Turning a run's records into its outputs: `summary.csv`, `pyperf.json`, `REPORT.md`.

`build_report(run_dir)` reads `records.jsonl` (and, for a run on a user's function, the
probe kept with the suite in `cells.json`), re-attaches serial baselines and writes each
exporter's file. Each format is one small
module (`csv_export`, `pyperf_export`, `markdown`) reading the same loaded records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from comparisons.layout import (
    CELLS_FILE,
    DETAILS_FILE,
    PLOTS_DIR,
    PYPERF_FILE,
    REPORT_FILE,
    SUMMARY_FILE,
    VERDICT_FILE,
)
from comparisons.records.cells import load_cells
from comparisons.report.csv_export import render_csv
from comparisons.report.markdown import render_details, render_markdown
from comparisons.report.plots import write_plots
from comparisons.report.pyperf_export import write_pyperf
from comparisons.report.sections.target import shown
from comparisons.report.verdict_export import render_verdict_json


def build_report(run_dir: Path) -> Path:
    """Write summary.csv, pyperf.json, plots/, verdict.json, DETAILS.md and REPORT.md (the
    front page) for `run_dir`; return the front page's path."""
    records = load_cells(run_dir)
    _write(run_dir / SUMMARY_FILE, render_csv(records))
    write_pyperf(records, run_dir / PYPERF_FILE)
    figures = write_plots([shown(r) for r in records if not r["fault"]], run_dir / PLOTS_DIR)
    _write(run_dir / VERDICT_FILE, render_verdict_json(records))
    suite = _suite(run_dir)
    _write(run_dir / DETAILS_FILE, render_details(records, figures, suite=suite))
    report_path = run_dir / REPORT_FILE
    _write(report_path, render_markdown(records, figures, suite=suite))
    return report_path


def _suite(run_dir: Path) -> dict[str, Any] | None:
    """The run's suite settings from `cells.json` (a target's probe is there), if any."""
    try:
        suite = json.loads((run_dir / CELLS_FILE).read_text()).get("suite")
    except (OSError, ValueError, AttributeError):
        return None
    return suite if isinstance(suite, dict) else None


def _write(path: Path, text: str) -> None:
    # Write beside, then rename: a reader never sees half a report.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)
