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

On an external cluster (`address`, from `--ray-address` / `RAY_ADDRESS`: the head's GCS
`host:port`, or `ray://host:port` for Ray Client) the driver connects instead of starting
Ray, ships the `workloads` package (and a user's target code, `workloads.target`) with
`runtime_env={"py_modules": [...]}` (Ray's
documented way to make local modules importable on every node), and reserves `workers`
one-CPU bundles in a placement group (strategy SPREAD), whose bundles the tasks are
scheduled into: at most `workers` tasks run at once, spread over the nodes, as on one
machine. A cluster with fewer free CPUs skips the cell. Teardown removes the placement
group and disconnects; the cluster is the user's. Ray's own environment variables
(`RAY_AUTH_TOKEN` and friends for a cluster with token authentication) pass through.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, ClassVar

from comparisons.backends.base import BATCHED, PER_TASK, Backend, CellSkipped, DeadlineExceeded
from workloads.sharing import RayShared
from workloads.spec import Workload

# How long each start-up task holds its worker, and how many rounds of them set-up runs
# at most before it measures with the workers it has (`RayBackend._await_workers`).
WORKER_HOLD_S = 0.2
WORKER_START_ROUNDS = 50


def _worker_pid(hold_s: float) -> int:
    """The worker process's id, after holding the worker for `hold_s`."""
    time.sleep(hold_s)
    return os.getpid()


class RayBackend(Backend):
    name = "ray"
    summary = "Ray remote tasks, ray.init(num_cpus=workers) on loopback, one ray.get(list)"
    source = "docs.ray.io/en/latest/ray-core/tips-for-first-time.html"
    parallel = True
    executor = "{n} Ray worker processes"
    dispatch = PER_TASK  # f.remote per input; ray:actors' pool.map is one call per task too
    cluster_engine = "ray"
    # Peak PSS measured by `python -m comparisons.run.memory_model`:
    # 348-368 + 45-59 MiB (daemons, then a worker each; the object
    # store's shared pages counted once).
    bytes_fixed = 400 * 2**20
    bytes_per_worker = 64 * 2**20
    # Set by set-up; None until then (teardown also runs after a failed set-up).
    ray: Any = None
    placement_group: Any = None
    shared_idiom = "ray.put once into the object store; tasks get the reference"
    shared_crossing = "once"
    handoff: ClassVar[str | None] = (
        "the first task's object reference is the second's argument; on a cluster each "
        "is placed in its bundle and the second's node pulls the object from the first's"
    )

    def share(self, shared: Any) -> Any:
        """Ray's idiom for a large object many tasks read ("Anti-pattern: passing the
        same large argument by value repeatedly"): `ray.put` it once; NumPy arrays are
        then read zero-copy from the shared-memory object store by every worker."""
        return RayShared(self.ray.put(shared))

    def setup(self) -> None:
        # Before the import: Ray reads both when its modules load, and its daemons inherit them.
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        if self.address is None:
            # ray.init() would join the cluster named there instead of starting one.
            os.environ.pop("RAY_ADDRESS", None)
        if self.address is None or _loopback(self.address):
            # A driver on a loopback cluster must see itself at 127.0.0.1 too, or Ray
            # looks for a raylet at the machine's routable address and finds none.
            os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        import ray

        self.ray = ray
        self.remote_functions: dict[str, Any] = {}
        self.pinned: dict[tuple[int, int], Any] = {}
        if self.address:
            self._connect()
            return
        self.context = ray.init(
            num_cpus=self.workers,
            include_dashboard=False,
            logging_level=logging.ERROR,
            log_to_driver=True,
        )
        self._await_workers()

    def _await_workers(self) -> None:
        """Set-up ends once `workers` worker processes run, as a process pool's and Dask's
        LocalCluster's do. Ray starts them as tasks arrive: at 16 workers on a few cores
        they were still starting during the first measured repeats, which then paid for
        them. Rounds of `workers` tasks, each holding its worker a moment so that all are
        in flight at once, until as many distinct worker processes have answered."""
        remote = self.ray.remote(num_cpus=1)(_worker_pid)
        seen: set[int] = set()
        for _ in range(WORKER_START_ROUNDS):
            seen |= set(self.ray.get([remote.remote(WORKER_HOLD_S) for _ in range(self.workers)]))
            if len(seen) >= self.workers:
                return

    def _connect(self) -> None:
        import tempfile

        from comparisons.backends.clusters import shipped_paths

        # Ray puts the driver's working directory on every worker's sys.path. From the
        # project root that would shadow the shipped code on a loopback cluster and name
        # a directory other machines lack; the scratch directory holds no package.
        os.chdir(tempfile.gettempdir())
        # The driver's own node address when Ray would read another node's: hosts that
        # share one filesystem (tests/multihost.py) share the session's cached address.
        node_ip = os.environ.get(NODE_IP_VARIABLE)
        self.context = self.ray.init(
            address=self.address,
            **({"_node_ip_address": node_ip} if node_ip else {}),
            logging_level=logging.ERROR,
            log_to_driver=True,
            runtime_env={"py_modules": [str(path) for path in shipped_paths()]},
        )
        cpus = self.ray.available_resources().get("CPU", 0)
        if cpus < self.workers:
            raise CellSkipped(
                f"the Ray cluster at {self.address} has {cpus:g} free CPU(s); "
                f"this cell needs {self.workers}"
            )
        from ray.util.placement_group import placement_group

        group = placement_group([{"CPU": 1}] * self.workers, strategy="SPREAD")
        self.ray.get(group.ready())
        self.placement_group = group

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        remote = self._remote(workload)
        return self.ray.get([remote.remote(item) for item in inputs])

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`ray.get(refs, timeout=)`; on timeout `ray.cancel(ref, force=True)` for each,
        which kills the worker running a task."""
        remote = self._remote(workload)
        return self._get_until([remote.remote(item) for item in inputs], deadline_s)

    def run_handoff(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        """`second.remote(first.remote(item))`: a reference passed to a task is resolved
        where that task runs, the object pulled from the node that made it ("Passing
        object arguments"). On a cluster, task i's first stage runs in bundle i modulo
        the workers and its second in the next bundle (the same one with
        `handoff_shift` 0); on one local node both share its object store."""
        assert workload.produce is not None
        first = self._remote_function(workload.produce)
        second = self._remote_function(workload.sync)
        refs = [
            self._in_bundle(second, i + self.handoff_shift).remote(
                self._in_bundle(first, i).remote(item)
            )
            for i, item in enumerate(inputs)
        ]
        return self.ray.get(refs)

    def _remote_function(self, function: Any) -> Any:
        key = f"{function.__module__}.{function.__qualname__}"
        remote = self.remote_functions.get(key)
        if remote is None:
            remote = self.remote_functions[key] = self.ray.remote(num_cpus=1)(function)
        return remote

    def _in_bundle(self, remote: Any, index: int) -> Any:
        """`remote` pinned to bundle `index` (modulo the workers) of the cell's
        placement group; as it is where there is none (one local node)."""
        if self.placement_group is None:
            return remote
        key = (id(remote), index % self.workers)
        pinned = self.pinned.get(key)
        if pinned is None:
            from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

            pinned = self.pinned[key] = remote.options(
                scheduling_strategy=PlacementGroupSchedulingStrategy(
                    self.placement_group, placement_group_bundle_index=key[1]
                )
            )
        return pinned

    def _get_until(self, refs: list[Any], deadline_s: float) -> list[Any]:
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
            remote = self._placed(self.ray.remote(num_cpus=1)(workload.sync))
            self.remote_functions[workload.name] = remote
        return remote

    def _placed(self, remote: Any) -> Any:
        """A remote function or actor class, into this cell's placement group if any."""
        if self.placement_group is None:
            return remote
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        return remote.options(
            scheduling_strategy=PlacementGroupSchedulingStrategy(self.placement_group)
        )

    def teardown(self) -> None:
        if self.ray is None:
            return
        if self.placement_group is not None:
            from ray.util.placement_group import remove_placement_group

            remove_placement_group(self.placement_group)
        self.ray.shutdown()

    def describe(self) -> dict[str, Any]:
        info = {
            "ray": self.ray.__version__,
            "gcs_address": getattr(self.context, "address_info", {}).get("gcs_address"),
        }
        if self.address:
            info["cluster"] = self._describe_cluster()
        return info

    def _describe_cluster(self) -> dict[str, Any]:
        """Nodes and CPUs from the GCS; versions as the tasks themselves see them."""
        from comparisons.backends.clusters import version_mismatches

        nodes = [n for n in self.ray.nodes() if n.get("Alive")]

        # Nested, so cloudpickle ships it by value: workers have `workloads`, not us.
        def versions_here() -> dict[str, str | None]:
            import platform

            import numpy
            import ray

            import workloads

            return {
                "node": platform.node(),
                "code": str(Path(workloads.__file__).parent),
                "python": platform.python_version(),
                "ray": ray.__version__,
                "numpy": numpy.__version__,
            }

        probe = self._placed(self.ray.remote(num_cpus=1)(versions_here))
        seen = self.ray.get([probe.remote() for _ in range(self.workers)])
        mine = versions_here()
        code = sorted({v.pop("code") for v in seen})
        theirs = {f"{v.pop('node')} task {i}": v for i, v in enumerate(seen)}
        mine.pop("node")
        mine.pop("code")
        return {
            "engine": "ray",
            "address": self.address,
            "nodes": len(nodes),
            "cpus_per_node": sorted({n["Resources"].get("CPU", 0) for n in nodes}),
            "cpus": sum(n["Resources"].get("CPU", 0) for n in nodes),
            "placement": f"{self.workers} one-CPU bundles, SPREAD",
            "bundle_nodes": self._bundle_nodes(nodes),
            "versions": {
                "driver": mine,
                "workers": [
                    dict(v) for v in sorted({tuple(v.items()) for v in theirs.values()}, key=str)
                ],
            },
            "workloads_imported_from": code,
            "warnings": version_mismatches(mine, theirs),
        }

    def _bundle_nodes(self, nodes: list[dict[str, Any]]) -> list[str | None]:
        """The address of the node each bundle of the cell's placement group was
        reserved on, in bundle order: where its tasks ran (they run only in them)."""
        from ray.util.placement_group import placement_group_table

        table = placement_group_table(self.placement_group)["bundles_to_node_id"]
        address = {n["NodeID"]: n.get("NodeManagerAddress") for n in nodes}
        return [address.get(table[index]) for index in sorted(table)]


# `ray start` prints `ray.init(_node_ip_address=...)` as the way to connect from a node.
NODE_IP_VARIABLE = "COMPARISONS_RAY_NODE_IP"


def _loopback(address: str) -> bool:
    from comparisons.backends.clusters import ray_endpoint

    return ray_endpoint(address).loopback


class RayBatchedBackend(RayBackend):
    """`ray:batched`: several inputs per remote task, about four batches per worker.

    Ray's documentation on task granularity advises batching when tasks are short
    (each task costs a scheduling round trip); the batch size is the rule `Pool.map`
    uses, ceil(tasks / (4 * workers)), so the two are comparable.
    """

    name = "ray:batched"
    handoff = None  # the model's hand-off is ray's; nothing of this variant's own
    summary = "Ray remote tasks over batches of inputs (ceil(n / (4 * workers)) each)"
    source = "docs.ray.io/en/latest/ray-core/patterns/too-fine-grained-tasks.html"
    dispatch = BATCHED  # one remote task per batch (the record's `batch_size`)
    batch_size: int | None = None  # of the last run

    def _batches(self, inputs: list[Any]) -> list[list[Any]]:
        from comparisons.backends.processes import pool_chunksize

        self.batch_size = size = pool_chunksize(len(inputs), self.workers)
        return [inputs[i : i + size] for i in range(0, len(inputs), size)]

    def _submit(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        from workloads.spec import apply_each

        remote = self.remote_functions.get("apply_each")
        if remote is None:
            remote = self.remote_functions["apply_each"] = self._placed(
                self.ray.remote(num_cpus=1)(apply_each)
            )
        return [remote.remote(workload.sync, batch) for batch in self._batches(inputs)]

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        return [r for batch in self.ray.get(self._submit(workload, inputs)) for r in batch]

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        batches = self._get_until(self._submit(workload, inputs), deadline_s)
        return [r for batch in batches for r in batch]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "batch_size": self.batch_size}


class RayActorPoolBackend(RayBackend):
    """`ray:actors`: a `ray.util.ActorPool` of `workers` actors, `pool.map(...)`.

    The pattern for reusing per-worker state: long-lived actor processes, each handed
    one task at a time by the pool (docs.ray.io, "Actor pool"). Actors are created in
    set-up, so their start is not work time.
    """

    name = "ray:actors"
    handoff = None  # the model's hand-off is ray's; nothing of this variant's own
    summary = "ray.util.ActorPool of `workers` actors (1 CPU each), pool.map"
    source = "docs.ray.io/en/latest/ray-core/actors/actor-utils.html"
    actors: tuple[Any, ...] | list[Any] = ()  # set by set-up

    def setup(self) -> None:
        super().setup()
        from ray.util import ActorPool

        # Local: cloudpickle sends it by value, so a cluster's workers need only `workloads`.
        class Runner:
            def apply(self, function: Any, item: Any) -> Any:
                return function(item)

        actor_class = self._placed(self.ray.remote(num_cpus=1)(Runner))
        self.actors = [actor_class.remote() for _ in range(self.workers)]
        self.ray.get([a.apply.remote(abs, 0) for a in self.actors])  # started and ready
        self.pool = ActorPool(self.actors)

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        function = workload.sync
        return list(self.pool.map(lambda actor, item: actor.apply.remote(function, item), inputs))

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`pool.submit` each, then `pool.get_next(timeout=)` against one deadline; on
        timeout the actors are killed (`ray.kill`), which stops a running task."""
        import time

        function = workload.sync
        for item in inputs:
            self.pool.submit(lambda actor, value: actor.apply.remote(function, value), item)
        deadline = time.monotonic() + deadline_s
        results = []
        try:
            while self.pool.has_next():
                results.append(self.pool.get_next(timeout=max(0.0, deadline - time.monotonic())))
        except TimeoutError:
            for actor in self.actors:
                self.ray.kill(actor)
            self.actors = []
            raise DeadlineExceeded(
                f"ActorPool.get_next timed out after {deadline_s:g} s; actors killed"
            ) from None
        return results

    def teardown(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        super().teardown()
