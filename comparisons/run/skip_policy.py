"""Which cells are skipped before anything starts, and why (the skip policy).

`why_not_run` is asked by the harness (`comparisons.run.harness.run_cell`) for every
cell: an interpreter older than the model needs, a shared input too big for the memory,
a function that cannot be sent to the model's workers, a placement an external cluster
cannot serve, a hand-off on a model without one, a fault probe on a model that cannot
wait with a deadline, a one-worker-per-task idiom at the wrong concurrency, or the
model's own limits. A skip is recorded with its reason, never silently dropped.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache

from comparisons.backends.base import over_half_of_available
from comparisons.backends.clusters import PARSERS, is_loopback
from comparisons.cell.contract import ResolvedCell
from comparisons.run.python_env import PythonEnvError, describe_interpreter
from workloads.fault_host_loss import COMMAND_VARIABLE as HOST_LOSS_COMMAND
from workloads.fault_host_loss import WORKLOAD as HOST_LOSS
from workloads.vocabulary import Kind


@cache
def interpreter_version(python: str) -> tuple[int, int, int]:
    """(major, minor, micro) of the interpreter that runs the cells; the harness's own
    when it cannot tell (the cell process then reports the problem itself)."""
    if python == sys.executable:
        return sys.version_info[:3]
    try:
        full = str(describe_interpreter(python)["full"])
    except PythonEnvError:
        return sys.version_info[:3]
    found = re.match(r"(\d+)\.(\d+)\.(\d+)", full)  # "3.14.0rc1" is 3.14.0
    if found is None:
        return sys.version_info[:3]
    return int(found[1]), int(found[2]), int(found[3])


def why_not_run(cell: ResolvedCell, python: tuple[int, int, int]) -> str | None:
    """Why a cell is skipped before anything starts, or None: an interpreter older than
    the model needs (`python` is the cells' version), a shared input too big for the
    memory, a function that cannot be sent to the model's workers, where it would run, a
    worker-to-worker hand-off on a model without one (`handoff_problem`), a fault probe
    on a model that cannot wait with a deadline, a one-worker-per-task idiom at fewer
    workers than tasks, or the model's own limits (`Backend.cannot_run`)."""
    spec, backend = cell.spec, cell.backend
    too_old = backend.too_old(python)
    if too_old:
        return too_old
    too_big = shared_input_too_big(cell)
    if too_big:
        return too_big
    if cell.workload.crossing_problem and not backend.in_process:
        return (
            f"{spec.backend} sends the function to other processes or interpreters, and "
            f"{cell.workload.crossing_problem}: define it at the top level of a module"
        )
    if spec.address:
        reason = placement_problem(cell)
        if reason:
            return reason
    handoff = handoff_problem(cell)
    if handoff:
        return handoff
    if cell.workload.name == HOST_LOSS.name and not spec.address:
        return (
            "the host-loss probe needs an external cluster whose hosts can be lost "
            "(DASK_ADDRESS / RAY_ADDRESS; tests/multihost.py makes one)"
        )
    if cell.workload.kind == Kind.FAULT and not backend.has_deadline():
        return (
            f"{spec.backend} has no way to wait with a deadline or cancel, so the fault "
            "probe (which needs one) is not run on it"
        )
    if backend.one_worker_per_task and spec.workers != spec.tasks:
        return (
            f"{spec.backend} starts one worker per task, so {spec.tasks} are in flight; "
            f"this cell compares models at {spec.workers} in flight (give workers = tasks)"
        )
    return None if spec.address else backend.cannot_run(spec.workers)


def handoff_problem(cell: ResolvedCell) -> str | None:
    """Why a worker-to-worker hand-off workload cannot run on this cell, or None."""
    if cell.workload.produce is None:
        return None
    if cell.backend.handoff is None:
        return (
            f"{cell.spec.backend}'s workers do not hand data to each other (it would go "
            "through the caller, which overhead.transfer measures); dask and ray run it"
        )
    if cell.spec.workers < 2 and not cell.params.get("same_worker"):
        return "a hand-off between workers needs at least 2 workers (or same_worker=1)"
    return None


def shared_input_too_big(cell: ResolvedCell) -> str | None:
    """Why a workload's shared input would not fit, or None. Counted at its worst: the
    parent's copy, one being pickled, and one per task in flight in a worker (the naive
    form, or an idiom that sends a copy to each worker); one copy for a model whose
    tasks run in the cell's own process. Over half the memory available is refused
    before anything starts, rather than risking the machine's out-of-memory killer."""
    workload = cell.workload
    if workload.shared_bytes is None:
        return None
    size = workload.shared_bytes(cell.params)
    copies = 1 if cell.backend.in_process else 2 + cell.in_flight
    needed = size * copies
    available = over_half_of_available(needed)
    if available is None:
        return None
    return (
        f"{workload.name}'s shared input of {size / 2**20:.0f} MiB would need up to "
        f"{needed / 2**30:.1f} GiB here ({copies} copies with {cell.in_flight} in flight), "
        f"more than half of the {available / 2**30:.1f} GiB available: give a smaller "
        "megabytes or fewer workers"
    )


def placement_problem(cell: ResolvedCell) -> str | None:
    """Why a cell sent to an external cluster is skipped there, or None.

    Fault probes stay local: a task that never returns would hold a worker of somebody's
    cluster until it is restarted. A workload whose service (the latency server) listens
    on loopback cannot be reached by workers on other machines.
    """
    spec = cell.spec
    engine = cell.backend.cluster_engine or "cluster"
    if cell.workload.name == HOST_LOSS.name:
        if not os.environ.get(HOST_LOSS_COMMAND):
            return (
                f"no command to remove a host ({HOST_LOSS_COMMAND} is not set; "
                "tests/multihost.py sets it for its emulated hosts)"
            )
        return None
    if cell.workload.kind == Kind.FAULT:
        return (
            f"fault probes are not sent to an external {engine} cluster (a hung task "
            "would hold one of its workers); run them without the address"
        )
    parse = PARSERS.get(engine)
    host = parse(spec.address) if parse is not None and spec.address else None
    if (
        cell.workload.services
        and host is not None
        and not host.loopback
        and is_loopback(spec.service_host)
    ):
        return (
            f"the latency server would listen on {spec.service_host}, which workers of "
            f"the cluster at {spec.address} cannot reach; set SERVICE_HOST to an address "
            "of this machine they can reach"
        )
    return None
