"""The fault-semantics table: what each model did when a task raised, crashed or hung.

One row per model, one column per `fault.*` workload, each cell a sentence built from
the probe's finding (`comparisons.faults`): how the failure reached the caller and how
fast, whether the traceback still names the task, what happened to the other tasks,
and whether a hung task kept running after the caller gave up.
"""

from __future__ import annotations

from typing import Any

from comparisons.backends import display_order
from comparisons.report import formatting as fmt


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


def render_faults(records: list[dict[str, Any]]) -> list[str]:
    probes = [r for r in records if r.get("fault")]
    if not probes:
        return []
    workloads = sorted({r["workload"] for r in probes})
    backends = sorted({r["backend"] for r in probes}, key=display_order)
    cells = {(r["backend"], r["workload"]): describe(r["fault"]) for r in probes}
    lines = [
        "| model | " + " | ".join(f"`{w}`" for w in workloads) + " |",
        "|---|" + "---|" * len(workloads),
    ]
    for backend in backends:
        row = [cells.get((backend, w), "not run") for w in workloads]
        lines.append(f"| {backend} | " + " | ".join(row) + " |")
    return lines
