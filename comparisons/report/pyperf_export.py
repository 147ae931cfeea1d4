"""`pyperf.json`: a run in pyperf's own format, written with pyperf's API.

One pyperf benchmark per successful cell, named by the cell's key, with one pyperf run
per fresh process of the cell and its measured values (seconds per run of all tasks), so that
`python -m pyperf stats` and `python -m pyperf compare_to A/pyperf.json B/pyperf.json`
work on our runs and a pyperf user can check our numbers with tools they trust.
"""

from __future__ import annotations

from pathlib import Path

from comparisons.cell.outcome import Status
from comparisons.records.cells import Cell, samples_of


def write_pyperf(records: list[Cell], path: Path) -> Path | None:
    """Write the ok cells of `records` to `path`; None when no cell succeeded."""
    import pyperf

    benchmarks = []
    for record in sorted(records, key=lambda r: r["key"]):
        if record["status"] != Status.OK or not record["samples_s"]:
            continue
        env = record.get("env") or {}
        metadata = {
            "name": record["key"],
            "unit": "second",
            "loops": int(record.get("loops") or 1),
            "description": f"{record['workload']} on {record['backend']}",
        }
        if env.get("logical_cores"):
            metadata["cpu_count"] = int(env["logical_cores"])
        if env.get("cpu_model"):
            metadata["cpu_model_name"] = env["cpu_model"]
        if env.get("python"):
            metadata["python_version"] = env["python"]["version"]
        runs = [
            pyperf.Run([float(v) for v in values], metadata=metadata, collect_metadata=False)
            for values in samples_of(record)
            if values
        ]
        benchmarks.append(pyperf.Benchmark(runs))
    if not benchmarks:
        return None
    partial = path.with_name(path.name + ".partial")
    pyperf.BenchmarkSuite(benchmarks).dump(str(partial), replace=True)
    partial.replace(path)
    return path
