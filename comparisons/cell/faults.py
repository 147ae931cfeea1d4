"""Fault probes: how a model behaves when a task raises, kills its worker, or hangs.

For a `fault.*` workload the cell does not time repeats; it calls the backend's
`run_until` once, with a deadline, and records what came back: results, an exception
(its type, whether the task's own message and a traceback naming the task function
reached the caller, and how long that took), or the deadline passing. Then it waits
until well-behaved tasks would have finished and reads the marker files the tasks left
(`workloads.faults_common`): how many other tasks completed, and whether a hung task
is still beating its heartbeat after the caller gave up and cancelled.

`fault.host_loss` (external clusters only) has its own probe, `probe_host_loss`: no
marker files (the workers are on other hosts), a host removed by a command while the
job runs, and the results themselves checked for completeness and correctness.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
import time
import traceback
from typing import Any

from comparisons import formatting as fmt
from comparisons.backends.base import Backend, DeadlineExceeded
from workloads.faults_common import (
    HEARTBEAT_S,
    OTHER_TASK_S,
    clear_markers,
    completed_others,
    heartbeat_age,
)
from workloads.spec import Workload

MESSAGE_MARK = "on purpose"


def probe_fault(
    backend: Backend, workload: Workload, inputs: list[Any], deadline_s: float
) -> dict[str, Any]:
    """Run the faulty batch once under a deadline (the workload's `patience`) and
    describe what the caller saw."""
    clear_markers()
    begin = time.perf_counter()
    finding: dict[str, Any] = {"deadline_s": deadline_s, "can_give_up": backend.can_give_up}
    try:
        results = backend.run_until(workload, inputs, deadline_s)
        finding["outcome"] = "returned"
        finding["detail"] = f"returned {len(results)} results"
    except DeadlineExceeded as exc:
        finding["outcome"] = "timed out"
        finding["detail"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - any exception type is the finding itself
        text = "".join(traceback.format_exception(exc))
        finding["outcome"] = "raised"
        finding["exception"] = f"{type(exc).__module__}.{type(exc).__qualname__}"
        finding["message_reached_caller"] = MESSAGE_MARK in text
        finding["traceback_names_task"] = workload.sync.__name__ in text or (
            workload.asyncio.__name__ in text or workload.trio.__name__ in text
        )
        finding["detail"] = (str(exc).strip().splitlines() or [""])[0][:300]
    finding["seconds_to_outcome"] = time.perf_counter() - begin
    # Give well-behaved tasks the time they need, then read what they left behind.
    time.sleep(OTHER_TASK_S + 0.5)
    finding["others_completed"] = completed_others()
    finding["others_total"] = len(inputs) - 1
    age = heartbeat_age()
    finding["hung_task_still_running"] = None if age is None else age < 10 * HEARTBEAT_S
    return finding


# Host loss: the host goes after the tasks have started, the caller waits this long.
LOSS_AFTER_S = 0.5
HOST_LOSS_DEADLINE_S = 40.0


def probe_host_loss(
    backend: Backend, workload: Workload, inputs: list[Any], command: str, engine: str
) -> dict[str, Any]:
    """Run the job; `LOSS_AFTER_S` in, run `command` (with `{engine}` filled in) to
    remove a worker host; describe what the caller got and when."""
    argv = shlex.split(command.format(engine=engine))
    lost: dict[str, Any] = {}

    def lose_host() -> None:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=os.environ)
        lost["command"] = shlex.join(argv)
        lost["exit_code"] = done.returncode
        lost["output"] = (done.stdout + done.stderr).strip()[-300:]

    finding: dict[str, Any] = {
        "deadline_s": HOST_LOSS_DEADLINE_S,
        "can_give_up": backend.can_give_up,
    }
    loser = threading.Timer(LOSS_AFTER_S, lose_host)
    begin = time.perf_counter()
    loser.start()
    try:
        results = backend.run_until(workload, inputs, HOST_LOSS_DEADLINE_S)
        check = workload.verify(results, workload.expected(len(inputs), {}))
        finding["outcome"] = "returned"
        finding["results_correct"] = check.ok
        finding["detail"] = check.detail
    except DeadlineExceeded as exc:
        finding["outcome"] = "timed out"
        finding["detail"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - any exception type is the finding itself
        finding["outcome"] = "raised"
        finding["exception"] = f"{type(exc).__module__}.{type(exc).__qualname__}"
        finding["detail"] = (str(exc).strip().splitlines() or [""])[0][:300]
    finding["seconds_to_outcome"] = time.perf_counter() - begin
    loser.cancel()
    loser.join()
    finding["host_loss"] = lost or {"command": shlex.join(argv), "exit_code": None}
    return finding


def describe(finding: dict[str, Any]) -> str:
    outcome = finding.get("outcome")
    parts = []
    if outcome == "raised":
        name = finding["exception"].rsplit(".", 1)[-1]
        parts.append(f"raises `{name}` after {fmt.seconds(finding['seconds_to_outcome'])}")
        parts.append(
            "task's message kept"
            if finding.get("message_reached_caller")
            else "task's message lost"
        )
        parts.append(
            "traceback names the task"
            if finding.get("traceback_names_task")
            else "traceback does not name the task"
        )
    elif outcome == "timed out":
        parts.append(f"caller gives up at the {fmt.seconds(finding['deadline_s'])} deadline")
    elif outcome == "returned" and "results_correct" in finding:
        verdict = "all correct" if finding["results_correct"] else "not all correct"
        undisturbed = finding.get("undisturbed_s")
        against = f" (undisturbed: {fmt.seconds(undisturbed)})" if undisturbed else ""
        parts.append(
            f"returns after {fmt.seconds(finding['seconds_to_outcome'])}{against}, results "
            f"{verdict}: the lost host's tasks ran elsewhere"
        )
    elif outcome == "returned":
        parts.append(
            f"returns all results after {fmt.seconds(finding['seconds_to_outcome'])}"
            " (the failure was retried or absorbed)"
        )
    else:
        parts.append(finding.get("detail") or str(outcome))
    loss = finding.get("host_loss")
    if loss and loss.get("exit_code") not in (0, None):
        parts.append(f"(removing the host failed: {loss.get('output') or loss['exit_code']})")
    if "others_total" in finding:
        parts.append(f"others: {finding['others_completed']}/{finding['others_total']} completed")
    if finding.get("hung_task_still_running") is True:
        parts.append("hung task still running")
    elif finding.get("hung_task_still_running") is False:
        parts.append("hung task stopped")
    return "; ".join(parts)
