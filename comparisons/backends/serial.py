"""`serial`: the baseline every speedup is measured against.

A plain loop in the calling thread, `[workload.sync(x) for x in inputs]`: what the code
looks like before anyone reaches for concurrency. Speedup and efficiency of every other
backend are ratios to this backend's median time on the same workload and size.
"""

from __future__ import annotations

from typing import Any

from comparisons.backends.base import IN_LINE, Backend
from workloads.spec import Workload


class SerialBackend(Backend):
    yardstick = True
    in_process = True
    name = "serial"
    summary = "a plain for-loop in one thread: the baseline for speedup"
    parallel = False
    fixed_workers = 1
    executor = "one thread (a plain loop)"
    dispatch = IN_LINE  # the loop calls each task itself
    can_give_up = False  # a plain loop cannot stop waiting for the call it is in

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return [workload.sync(item) for item in inputs]

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        return self.run(workload, inputs)
