"""`ceiling`: not a concurrency model but the machine's parallel ceiling for a workload.

`workers` plain OS processes, forked before the clock starts, each holding an equal
share of the inputs (round-robin, so that tasks whose cost grows along the input list
are spread evenly), all waiting on one event; the timed run only releases
the event and collects each process's list of results. No pool, no queue, no
scheduler, no per-task messages: the least any model must pay to run these tasks on
`workers` cores. Speedup against the ceiling (`efficiency vs ceiling` in the report)
then says how much of what this machine allows a model achieves, rather than blaming
the model for shared cores, frequency scaling or neighbours. The split is static: when
task costs vary, a model that balances load as it goes (Pool.map's chunks) can come out
slightly above it, and the report shows that too.
"""

from __future__ import annotations

import multiprocessing
import sys
from typing import Any

from comparisons.backends.base import Backend
from workloads.spec import Workload


def _run_share(function: Any, share: list[Any], ready: Any, go: Any, results: Any) -> None:
    ready.wait()
    go.wait()
    results.send([function(item) for item in share])
    results.close()


def equal_shares(inputs: list[Any], parts: int) -> list[list[Any]]:
    """Round-robin shares (task i goes to share i % parts): sizes differ by at most one."""
    return [inputs[index::parts] for index in range(parts)]


class CeilingBackend(Backend):
    name = "ceiling"
    summary = "reference, not a model: `workers` pre-forked processes released together"
    parallel = True
    reference = True

    def setup(self) -> None:
        method = "fork" if sys.platform.startswith("linux") else None
        self.context = multiprocessing.get_context(method)
        self.staged: list[tuple[Any, Any]] = []

    def prepare(self, workload: Workload, inputs: list[Any]) -> None:
        """Fork the processes and give each its share, before the clock starts."""
        shares = [s for s in equal_shares(inputs, self.workers) if s]
        self.ready = self.context.Barrier(len(shares) + 1)
        self.go = self.context.Event()
        self.staged = []
        for share in shares:
            receiver, sender = self.context.Pipe(duplex=False)
            proc = self.context.Process(
                target=_run_share, args=(workload.sync, share, self.ready, self.go, sender)
            )
            proc.start()
            sender.close()
            self.staged.append((proc, receiver))
        self.ready.wait()

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        self.go.set()
        results: list[Any] = [None] * len(inputs)
        parts = len(self.staged)
        for index, (proc, receiver) in enumerate(self.staged):
            results[index::parts] = receiver.recv()
            receiver.close()
            proc.join()
        self.staged = []
        return results

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        raise NotImplementedError("the ceiling is a yardstick, not probed for faults")

    def teardown(self) -> None:
        for proc, receiver in self.staged:
            proc.kill()
            proc.join()
            receiver.close()
        self.staged = []

    def describe(self) -> dict[str, Any]:
        return {"start_method": self.context.get_start_method(), "shares": "equal, round-robin"}
