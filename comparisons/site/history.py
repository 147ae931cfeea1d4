"""Each cell's median with its interval across runs, in time order: the data the
history pages plot. One plot per setting (a cell key without its backend: workload,
workers, tasks, parameters), one trace per machine and model in it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from comparisons.records.cells import is_measured, stats_of
from comparisons.site.collect import Run


@dataclass(frozen=True)
class Point:
    run_id: str
    when: str
    median_s: float
    low_s: float
    high_s: float
    versions: str  # the engine versions of the run, for the hover


def slug(workload: str) -> str:
    """A workload name as a file name (a target's name holds ':' and '/')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", workload)


def setting_of(key: str) -> str:
    """A cell key without its backend: the cells of one setting race each other."""
    parts = key.split("|")
    return "|".join(parts[:1] + parts[2:])


# workload -> setting -> (machine, backend) -> points in time order
History = dict[str, dict[str, dict[tuple[str, str], list[Point]]]]


def history(runs: list[Run]) -> History:
    found: History = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for run in sorted(runs, key=lambda r: r.run_id):
        versions = ", ".join(f"{k} {v}" for k, v in sorted(run.packages.items()))
        for cell in run.cells:
            if not is_measured(cell):
                continue
            stats = stats_of(cell)
            found[cell["workload"]][setting_of(cell["key"])][(run.machine, cell["backend"])].append(
                Point(
                    run.run_id,
                    run.when,
                    stats.median,
                    stats.ci95_low,
                    stats.ci95_high,
                    f"{run.python}; {versions}",
                )
            )
    return {w: {s: dict(t) for s, t in settings.items()} for w, settings in found.items()}
