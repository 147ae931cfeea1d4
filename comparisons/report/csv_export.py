"""`summary.csv`: one flat row per cell, for spreadsheets and pandas."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

COLUMNS = (
    "run_id",
    "suite",
    "workload",
    "kind",
    "backend",
    "variant",
    "workers",
    "tasks",
    "params",
    "status",
    "verified",
    "median_s",
    "ci95_low_s",
    "ci95_high_s",
    "iqr_s",
    "cv",
    "min_s",
    "max_s",
    "n",
    "outliers",
    "unstable",
    "throughput_tasks_per_s",
    "gb_per_s",
    "speedup",
    "speedup_ci95_low",
    "speedup_ci95_high",
    "efficiency",
    "setup_s",
    "teardown_s",
    "peak_pss_bytes",
    "peak_rss_bytes",
    "in_flight",
    "invocations",
    "first_run_s",
    "cpu_utilisation",
    "cpu_s_total",
    "error",
)


def row(record: dict[str, Any]) -> dict[str, Any]:
    stats = record.get("stats") or {}
    baseline = record.get("baseline") or {}
    low, high = baseline.get("speedup_ci95") or (None, None)
    error = record.get("error") or ""
    return {
        "run_id": record["run_id"],
        "suite": record["suite"],
        "workload": record["workload"],
        "kind": record["kind"],
        "backend": record["backend"],
        "variant": record["variant"],
        "workers": record["workers"],
        "tasks": record["tasks"],
        "params": json.dumps(record["params"], sort_keys=True),
        "status": record["status"],
        "verified": record["verification"].get("ok"),
        "median_s": stats.get("median"),
        "ci95_low_s": stats.get("ci95_low"),
        "ci95_high_s": stats.get("ci95_high"),
        "iqr_s": stats.get("iqr"),
        "cv": stats.get("cv"),
        "min_s": stats.get("min"),
        "max_s": stats.get("max"),
        "n": stats.get("n"),
        "outliers": stats.get("outliers"),
        "unstable": stats.get("unstable"),
        "throughput_tasks_per_s": record.get("throughput_tasks_per_s"),
        "gb_per_s": (
            record["bytes_per_task"] * record["tasks"] / stats["median"] / 1e9
            if record.get("bytes_per_task") and stats.get("median")
            else None
        ),
        "speedup": baseline.get("speedup"),
        "speedup_ci95_low": low,
        "speedup_ci95_high": high,
        "efficiency": baseline.get("efficiency"),
        "setup_s": record.get("setup_s"),
        "teardown_s": record.get("teardown_s"),
        "peak_pss_bytes": record.get("peak_pss_bytes"),
        "peak_rss_bytes": record.get("peak_rss_bytes"),
        "in_flight": record.get("in_flight"),
        "invocations": len(record.get("runs_s") or []) or None,
        "first_run_s": (record.get("warmup_s") or [None])[0],
        "cpu_utilisation": record.get("cpu_utilisation"),
        "cpu_s_total": record.get("cpu_s_total"),
        "error": error.strip().splitlines()[-1] if error.strip() else "",
    }


def render_csv(records: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(row(record))
    return buffer.getvalue()
