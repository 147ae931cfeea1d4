"""`ray`: Ray remote tasks on a local Ray instance started with `num_cpus=workers`.

Idiom: submit every task first (`[f.remote(x) for x in inputs]`) and fetch them with one
`ray.get(list)`, which the Ray documentation's "Tips for first-time users" gives as the
way to keep tasks running in parallel (calling `ray.get` inside the loop serialises
them). Each task asks for one CPU, so at most `workers` run at once. The dashboard is
off and usage statistics are disabled, so no traffic leaves the machine. The daemons (GCS,
raylet, workers) are children of the cell process, so their memory and CPU count toward
the cell.

Loopback only: on Linux, Ray replaces a node address of 127.0.0.1 with the machine's
routable address and binds its gRPC servers there and on every interface. Setting
`RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0` (ray/_private/ray_constants.py: single-node mode,
as on macOS and Windows) makes `get_node_ip_address()` return the loopback address, and
every Ray server then listens on 127.0.0.1 alone (checked with `ss -ltn`).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from comparisons.backends.base import Backend, DeadlineExceeded, too_many_processes
from workloads.spec import Workload


class RayBackend(Backend):
    name = "ray"
    summary = "Ray remote tasks, ray.init(num_cpus=workers) on loopback, one ray.get(list)"
    parallel = True
    # Peak RSS fitted to our own cells at 1-3 workers: fixed part + a Ray worker.
    bytes_fixed = 550 * 2**20
    bytes_per_worker = 100 * 2**20

    @classmethod
    def cannot_run(cls, workers: int) -> str | None:
        return too_many_processes(cls.name, workers, cls.bytes_per_worker, cls.bytes_fixed)

    def setup(self) -> None:
        # Before the import: Ray reads both when its modules load, and its daemons inherit them.
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        import ray

        self.ray = ray
        self.context = ray.init(
            num_cpus=self.workers,
            include_dashboard=False,
            logging_level=logging.ERROR,
            log_to_driver=True,
        )
        self.remote_functions: dict[str, Any] = {}

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        remote = self._remote(workload)
        return self.ray.get([remote.remote(item) for item in inputs])

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`ray.get(refs, timeout=)`; on timeout `ray.cancel(ref, force=True)` for each,
        which kills the worker running a task."""
        remote = self._remote(workload)
        refs = [remote.remote(item) for item in inputs]
        try:
            return self.ray.get(refs, timeout=deadline_s)
        except self.ray.exceptions.GetTimeoutError:
            for ref in refs:
                self.ray.cancel(ref, force=True)
            raise DeadlineExceeded(
                f"ray.get timed out after {deadline_s:g} s; tasks force-cancelled"
            ) from None

    def _remote(self, workload: Workload) -> Any:
        remote = self.remote_functions.get(workload.name)
        if remote is None:
            remote = self.remote_functions[workload.name] = self.ray.remote(num_cpus=1)(
                workload.sync
            )
        return remote

    def teardown(self) -> None:
        self.ray.shutdown()

    def describe(self) -> dict[str, Any]:
        return {
            "ray": self.ray.__version__,
            "gcs_address": getattr(self.context, "address_info", {}).get("gcs_address"),
        }
