"""What the `fault.*` workloads share: marker files that tell what each task did.

Fault workloads are probes, not benchmarks: one task misbehaves (raises, kills its
worker process, hangs) while the others do a second of honest work, and each task
leaves marker files in a folder every process of the cell can see (under TMPDIR, which
the harness points at the cell's scratch space and which workers inherit). After the
model has answered, `comparisons.cell.faults` reads the markers to say which other tasks
completed, and whether a hung task is still running after the caller gave up on it.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workloads.spec import Param

OTHER_TASK_S = 1.0  # how long each well-behaved task works
HEARTBEAT_S = 0.05
# The caller's patience: how long it waits for the batch before giving up (and
# cancelling what the model can), well past the honest tasks' second by default.
PATIENCE = {
    "patience": Param(
        4 * OTHER_TASK_S, "seconds the caller waits before giving up", 1.5 * OTHER_TASK_S, 3600.0
    )
}


def marker_dir() -> Path:
    folder = Path(tempfile.gettempdir(), "fault-markers")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def mark(name: str) -> None:
    (marker_dir() / name).write_text(str(os.getpid()))


def honest_work(task_id: int) -> int:
    """A well-behaved task: about a second of sleeping, then a 'done' marker."""
    time.sleep(OTHER_TASK_S)
    mark(f"done-{task_id}")
    return task_id


def completed_others() -> int:
    return len(list(marker_dir().glob("done-*")))


def heartbeat() -> None:
    (marker_dir() / "heartbeat").touch()


def heartbeat_age() -> float | None:
    """Seconds since the hung task last beat, or None if it never started."""
    path = marker_dir() / "heartbeat"
    if not path.exists():
        return None
    return time.time() - path.stat().st_mtime


def clear_markers() -> None:
    for path in marker_dir().iterdir():
        path.unlink(missing_ok=True)


def one_faulty_task_last(tasks: int, params: Mapping[str, Any]) -> list[tuple[int, bool]]:
    """Inputs of every fault probe: (task id, misbehaves?), only the last one misbehaves.

    Last, so that a model which returns results in input order shows that it waits
    for the others before it reports the failure.
    """
    return [(i, i == tasks - 1) for i in range(tasks)]


def task_ids(tasks: int, params: Mapping[str, Any]) -> list[int]:
    """What the batch would return if no task misbehaved."""
    return list(range(tasks))
