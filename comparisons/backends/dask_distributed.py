"""`dask`: a `distributed.LocalCluster` of `workers` single-threaded worker processes.

Idiom: `client.map(fn, inputs)` then `client.gather(futures)`, the futures API's batched
submission (one scheduler message for the whole list rather than one `submit` per task,
dask.org "Futures" and "Best practices"). `pure=False` because a repeat must compute again
rather than reuse a previous repeat's results under the same keys. The cluster listens on
127.0.0.1 only, with the dashboards off; workers are separate processes with one thread
each, so pure-Python work runs in parallel like `multiprocessing`.

Dask's defaults stay as they are, including one that shows in the NumPy cells: the nanny
starts workers with `MALLOC_TRIM_THRESHOLD_=65536` (`distributed.nanny.pre-spawn-environ`,
against memory fragmentation). Setting it turns off glibc's adaptive mmap threshold, so
every array above 128 KiB is mmapped and faulted in afresh: `cpu.numpy` (160 x 160
matrices) takes 52 ms per task with it against 31 ms without, in a plain process too,
which is why Dask shows no speedup on that workload at 2 workers.

On an external cluster (`address`, from `--dask-address` / `DASK_ADDRESS`) nothing is
started: the client connects, ships the `workloads` package (and a user's target code,
`workloads.target`) to the scheduler and every worker as a zip through named
`SchedulerUploadFile` and `UploadFile` plugins (what `Client.upload_file` does, under
names: re-registering the same name replaces it rather than piling up copies), and pins
the cell's tasks to `workers` of the cluster's workers (`client.map(..., workers=[...],
allow_other_workers=False)`), so a 2-worker cell uses two workers on any cluster. A
cluster with fewer workers skips the cell. Teardown closes the client only; the cluster
is the user's.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from comparisons.backends.base import BATCHED, PER_TASK, Backend, CellSkipped, DeadlineExceeded
from workloads.spec import Workload
from workloads.vocabulary import Category


class DaskBackend(Backend):
    name = "dask"
    summary = "distributed.LocalCluster, `workers` 1-thread worker processes, client.map"
    source = "docs.dask.org/en/stable/futures.html"
    parallel = True
    executor = "{n} Dask worker processes"
    # client.map submits the list in one call, but each input is a task of its own that
    # the scheduler assigns and a worker runs and reports on its own.
    dispatch = PER_TASK
    cluster_engine: ClassVar[str | None] = "dask"
    caveats: ClassVar[dict[str, str]] = {
        Category.GIL_RELEASING_CPU: (
            "Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, "
            "so arrays over 128 KiB are mmapped afresh each time; dask:untrimmed, in "
            "SUITE=variants, runs without it"
        )
    }
    # Peak PSS measured by `python -m comparisons.run.memory_model`:
    # 65 + 47 MiB (a nanny and its worker per worker).
    bytes_fixed = 72 * 2**20
    bytes_per_worker = 56 * 2**20
    # Set by set-up; None until then (teardown also runs after a failed set-up).
    client: Any = None
    cluster: Any = None
    # On an external cluster, the workers this cell uses; None on a local one.
    chosen: list[str] | None = None
    # The workers a hand-off's stages are placed on, in order (`prepare`).
    handoff_workers: list[str] = []  # noqa: RUF012 - replaced, never mutated
    peer_bytes_before = 0

    shared_idiom = "client.scatter(broadcast=True) once; tasks get its future"
    shared_crossing = "per worker"
    handoff: ClassVar[str | None] = (
        "the first stage's future is the second's argument, each pinned to its worker; "
        "the second's worker fetches the data from the first's"
    )

    def share(self, shared: Any) -> Any:
        """Dask's idiom for data every task reads (Best practices, "Avoid very large
        graphs" / "Load data with Dask"): scatter it to every worker once; a future in a
        task's arguments (here inside its item tuple) is replaced by the data there."""
        return self.client.scatter(shared, broadcast=True, hash=False)

    def setup(self) -> None:
        if self.address:
            self._connect()
            return
        from distributed import Client, LocalCluster

        n_workers, threads = self.local_shape()
        with self.cluster_config():
            self.cluster = self._local_cluster(LocalCluster, n_workers, threads)
        self.client = Client(self.cluster)
        self.client.wait_for_workers(n_workers)

    def cluster_config(self) -> Any:
        """Dask configuration in force while the local cluster starts (none: defaults)."""
        import contextlib

        return contextlib.nullcontext()

    def _local_cluster(self, LocalCluster: Any, n_workers: int, threads: int) -> Any:  # noqa: N803
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
            silence_logs=logging.ERROR,
        )

    def local_shape(self) -> tuple[int, int]:
        """(worker processes, threads each) of the LocalCluster."""
        return self.workers, 1

    def _connect(self) -> None:
        import tempfile
        from pathlib import Path

        from distributed import Client
        from distributed.diagnostics.plugin import SchedulerUploadFile, UploadFile

        from comparisons.backends.clusters import CONNECT_TIMEOUT_S, workloads_archive

        self.client = Client(self.address, timeout=CONNECT_TIMEOUT_S)
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        if len(workers) < self.workers:
            raise CellSkipped(
                f"the Dask cluster at {self.address} has {len(workers)} worker(s); "
                f"this cell needs {self.workers}"
            )
        with tempfile.TemporaryDirectory() as scratch:
            archive = workloads_archive(Path(scratch))
            # The scheduler unpickles the task graph too (Dask 2024.12+), so it gets the
            # code as well, as `Client.upload_file` does.
            self.client.register_plugin(
                SchedulerUploadFile(str(archive), load=True), name="comparisons-code-scheduler"
            )
            self.client.register_plugin(
                UploadFile(str(archive), load=True), name="comparisons-workloads"
            )
        self.chosen = sorted(workers)[: self.workers]

    def _map(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        if self.chosen is None:
            return self.client.map(workload.sync, inputs, pure=False)
        return self.client.map(
            workload.sync, inputs, pure=False, workers=self.chosen, allow_other_workers=False
        )

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        futures = self._map(workload, inputs)
        return self.client.gather(futures)

    def run_handoff(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        """`client.submit(produce, item, workers=[a])`, then `client.submit(sync,
        that_future, workers=[b])`: Dask moves the data from a to b itself (Futures,
        "Submit tasks"; Worker, "data transfer"); only the small results are gathered."""
        workers = self.handoff_workers
        second = []
        for i, item in enumerate(inputs):
            here = workers[i % len(workers)]
            there = workers[(i + self.handoff_shift) % len(workers)]
            made = self.client.submit(
                workload.produce, item, pure=False, workers=[here], allow_other_workers=False
            )
            second.append(
                self.client.submit(
                    workload.sync, made, pure=False, workers=[there], allow_other_workers=False
                )
            )
        return self.client.gather(second)

    def prepare(self, workload: Workload, inputs: list[Any]) -> None:
        if workload.produce is not None and not self.handoff_workers:
            # Asked once, untimed: the scheduler's worker list is a round trip.
            self.handoff_workers = self.chosen or sorted(
                self.client.scheduler_info(n_workers=-1)["workers"]
            )
            self.peer_bytes_before = self._peer_bytes_sent()

    def _peer_bytes_sent(self) -> int:
        """Bytes the hand-off's workers have sent to other workers (each worker's own
        count, `Worker.transfer_outgoing_bytes_total`), so the record shows the data
        crossed between workers and not through the client."""

        def sent(dask_worker: Any) -> int:
            return int(dask_worker.transfer_outgoing_bytes_total)

        return sum(self.client.run(sent, workers=self.handoff_workers).values())

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`distributed.wait(futures, timeout)` then `gather`; on timeout
        `client.cancel(futures)` (a task already running in a worker is not interrupted)."""
        from distributed import wait

        futures = self._map(workload, inputs)
        try:
            wait(futures, timeout=deadline_s)
        except TimeoutError:
            self.client.cancel(futures)
            raise DeadlineExceeded(
                f"distributed.wait timed out after {deadline_s:g} s; futures cancelled"
            ) from None
        return self.client.gather(futures)

    def teardown(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def describe(self) -> dict[str, Any]:
        import distributed

        info = {
            "scheduler_address": self.client.scheduler.address,
            "worker_processes": self.local_shape()[0],
            "threads_per_worker": self.local_shape()[1],
            "distributed": distributed.__version__,
        }
        if self.handoff_workers:
            info["handoff_peer_bytes"] = self._peer_bytes_sent() - self.peer_bytes_before
        if self.chosen is not None:
            info["cluster"] = self._describe_cluster(self.chosen)
            info["threads_per_worker"] = info["cluster"]["threads_per_worker"]
        return info

    def _describe_cluster(self, chosen: list[str]) -> dict[str, Any]:
        from comparisons.backends.clusters import version_mismatches

        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        versions = self.client.get_versions(check=False)
        packages = ("python", "distributed", "dask", "cloudpickle", "numpy")

        def pick(entry: dict[str, Any]) -> dict[str, str | None]:
            found = {**entry.get("host", {}), **entry.get("packages", {})}
            return {p: found.get(p) for p in packages}

        mine = pick(versions["client"])
        theirs = {w: pick(v) for w, v in (versions.get("workers") or {}).items()}
        threads = sorted({workers[w]["nthreads"] for w in chosen})

        # Nested, so cloudpickle ships it by value: workers have `workloads`, not us.
        def workloads_location() -> str:
            import sys

            return str(getattr(sys.modules.get("workloads"), "__file__", None))

        code = sorted(set(self.client.run(workloads_location, workers=chosen).values()))
        warnings = version_mismatches(mine, theirs)
        if threads != [1]:
            warnings.append(
                f"workers have {'/'.join(map(str, threads))} threads each, so a cell with "
                f"{self.workers} workers runs up to {self.workers * max(threads)} tasks at once"
            )
        return {
            "engine": "dask",
            "address": self.address,
            "workers": len(workers),
            "used_workers": chosen,
            "hosts": len({workers[w].get("host") for w in workers}),
            "threads_per_worker": threads[0] if len(threads) == 1 else threads,
            "versions": {
                "client": mine,
                "scheduler": pick(versions["scheduler"]),
                "workers": [
                    dict(v) for v in sorted({tuple(v.items()) for v in theirs.values()}, key=str)
                ],
            },
            "workloads_imported_from": code,
            "warnings": warnings,
        }


class DaskThreadedWorkerBackend(DaskBackend):
    """`dask:threads-per-worker`: one worker process with `workers` threads.

    The shape `LocalCluster` picks itself on a small machine and the one people get
    from `dask worker --nthreads N`: tasks share one interpreter, so pure-Python work
    meets the GIL, while NumPy and other GIL-releasing code runs in parallel.
    """

    name = "dask:threads-per-worker"
    handoff = None  # the model's hand-off is dask's; nothing of this variant's own
    summary = "distributed.LocalCluster of one worker process with `workers` threads"
    source = "docs.dask.org/en/stable/deploying-python.html#localcluster"
    parallel = False  # for GIL-holding bytecode: the threads share one process
    executor = "{n} threads"  # in one Dask worker process
    cluster_engine = None  # a cluster's shape is its own; this variant is about the local one
    # Peak PSS measured by `python -m comparisons.run.memory_model`:
    # 112 MiB whatever the threads (one worker process).
    bytes_fixed = 120 * 2**20
    bytes_per_worker = 1 * 2**20  # a thread, not a process

    def local_shape(self) -> tuple[int, int]:
        return 1, self.workers


class DaskBagBackend(DaskBackend):
    """`dask:bag`: `dask.bag.from_sequence(inputs).map(fn).compute()` on the cluster.

    The collection API for "apply a function to many Python objects": the bag is cut
    into partitions (from_sequence's default: about 100), and each partition is one
    task on a worker, so per-task overhead is paid per partition, not per item.
    """

    name = "dask:bag"
    handoff = None  # the model's hand-off is dask's; nothing of this variant's own
    summary = "dask.bag.from_sequence(inputs).map(fn).compute() on the LocalCluster"
    source = "docs.dask.org/en/stable/bag.html"
    dispatch = BATCHED  # one task per partition of inputs (the record's `partitions`)
    partitions: int | None = None  # of the last bag run
    # A bag's items are data in its graph: a shared input travels with every item.
    shared_idiom = Backend.shared_idiom
    shared_crossing = Backend.shared_crossing

    def share(self, shared: Any) -> Any:
        return shared

    def _bag(self, workload: Workload, inputs: list[Any]) -> Any:
        import dask.bag

        self.partitions = dask.bag.from_sequence(inputs).npartitions
        return dask.bag.from_sequence(inputs).map(workload.sync)

    def run(self, workload: Workload, inputs: list[Any]) -> list[Any]:
        bag = self._bag(workload, inputs)
        if self.chosen is None:
            return bag.compute(scheduler=self.client)
        return self.client.compute(bag, workers=self.chosen, allow_other_workers=False).result()

    def run_until(self, workload: Workload, inputs: list[Any], deadline_s: float) -> list[Any]:
        """`client.compute(bag).result(timeout)`; on timeout the future is cancelled."""
        future = self.client.compute(self._bag(workload, inputs))
        try:
            return future.result(timeout=deadline_s)
        except TimeoutError:
            future.cancel()
            raise DeadlineExceeded(
                f"future.result timed out after {deadline_s:g} s; cancelled"
            ) from None

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "partitions": self.partitions}


class DaskUntrimmedBackend(DaskBackend):
    """`dask:untrimmed`: the same LocalCluster without `MALLOC_TRIM_THRESHOLD_=65536`.

    The nanny sets that variable in every worker by default
    (`distributed.nanny.pre-spawn-environ`, docs "Worker Memory Management",
    "Automatically trim memory") so that freed memory returns to the OS. It also turns
    off glibc's adaptive mmap threshold, so large arrays are mmapped and faulted in afresh
    on every allocation: NumPy work with arrays over 128 KiB runs slower. Dask's
    configuration lets a value of None unset it; this variant does, and its memory shows
    what that costs.
    """

    name = "dask:untrimmed"
    handoff = None  # the model's hand-off is dask's; nothing of this variant's own
    summary = "the LocalCluster with the nanny's MALLOC_TRIM_THRESHOLD_ unset (glibc default)"
    source = "distributed.dask.org/en/stable/worker-memory.html#automatically-trim-memory"
    cluster_engine = None  # about the local cluster's environment; an external cluster has its own
    caveats: ClassVar[dict[str, str]] = {}

    def cluster_config(self) -> Any:
        import dask

        return dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "malloc_trim_threshold": "unset (glibc default)"}
