"""`fault.host_loss`: a worker host is lost while the job runs; what does the caller get?

For external clusters only (`tests/multihost.py` provides the hosts). Each task works
for about a second (a sleep, so the 2-core machine is not the limit) and returns its id;
while they run, the probe (`comparisons.cell.faults.probe_host_loss`) runs the command in
`COMPARISONS_HOST_LOSS` with `{engine}` filled in, which removes one worker host's
processes of that engine. The finding is what the caller saw (results, an exception or
its deadline passing), how long it took against the undisturbed job, and whether the
results were complete and correct: Dask reschedules a lost worker's tasks on the others,
Ray retries them on other nodes when it has room.
"""

from __future__ import annotations

import time

from workloads.spec import Workload, run_on_loop
from workloads.vocabulary import Category

TASK_S = 1.0
COMMAND_VARIABLE = "COMPARISONS_HOST_LOSS"


def undisturbed_s(tasks: int, workers: int) -> float:
    """How long the job takes with no host lost: rounds of one-second tasks."""
    return -(-tasks // max(1, workers)) * TASK_S


def work_a_second(task_id: int) -> int:
    time.sleep(TASK_S)
    return task_id


WORKLOAD = Workload(
    name="fault.host_loss",
    kind="fault",
    description="a worker host is lost mid-job (clusters only): what the caller gets, and when",
    sync=work_a_second,
    asyncio=run_on_loop(work_a_second),
    trio=run_on_loop(work_a_second),
    make_inputs=lambda tasks, params: list(range(tasks)),
    expected=lambda tasks, params: list(range(tasks)),
    category=Category.FAULTS,
)
