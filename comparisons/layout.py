"""The run folder, named in one place: `results/<run-id>/` and what each file in it is.

The runner writes `env.json`, `cells.json` and `records.jsonl` (`comparisons.run`);
`make report` derives everything else from them (`comparisons.report`); `latest` in the
results root points at the newest run.
"""

from __future__ import annotations

# Raw records, one JSON line per invocation of a cell: the source of truth.
RECORDS_FILE = "records.jsonl"
# The run's cell list and suite settings: what `--resume` and a target's report need.
CELLS_FILE = "cells.json"
# The machine and software at the start of the run.
ENV_FILE = "env.json"
# Derived from the records by `make report`:
REPORT_FILE = "REPORT.md"  # the front page: the answer in two minutes
DETAILS_FILE = "DETAILS.md"  # everything else, one click from the front page
SUMMARY_FILE = "summary.csv"
VERDICT_FILE = "verdict.json"
PYPERF_FILE = "pyperf.json"
PLOTS_DIR = "plots"
# The link in the results root that names the newest run.
LATEST_LINK = "latest"
