"""Watching and ending the process tree a cell starts (psutil).

`TreeWatcher` samples a root process and all its descendants: the peak of the tree's
memory, the last CPU times seen for each, and every process ever seen. It samples
seldom while the cell's measured repeats run (`sample_due`), and the cell's own control
groups (`CpuCgroup`, `MemoryCgroup`, joined by the cell process before it executes
anything, `JoinInChild`) give the kernel's exact CPU time and memory peak of the whole
tree where they can be made.

Memory is what the processes really own: PSS (proportional set size, each shared page
split among the processes that map it, from `/proc/PID/smaps_rollup` through psutil's
`memory_full_info`), so a forked child is not charged its parent's pages again and a
shared-memory object store is counted once; USS (pages only that process has) per
process, for what one more worker costs; and RSS summed, kept for comparison. Where PSS
cannot be read (another OS, no permission), the watcher falls back to RSS and says so
(`memory_measure`).

CPU is counted so that processes which exit between samples keep their time: each
process's reading includes the CPU of the children it has reaped
(`children_user`/`children_system`), and the harness adds the root's own rusage from
`os.wait4`. Every
process a cell starts also inherits an environment variable carrying the cell's own
token, so that processes which outlive the cell (a Ray agent, a Dask worker) are found
and ended by process id even when they were re-parented away from the tree before the
watcher ever saw them.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self

import psutil

SAMPLE_INTERVAL_S = 0.1
# The watcher's own CPU as a share of one core (`TreeWatcher.sample_due`): while the
# cell sets up, warms up and tears down, and, far less, while its measured repeats run
# (the kernel's peak counter, `MemoryCgroup`, still sees a spike between samples then).
SAMPLING_SHARE = 0.05
MEASURING_SAMPLING_SHARE = 0.005
MEASURING_INTERVAL_S = 0.5
TOKEN_VARIABLE = "COMPARISONS_CELL_TOKEN"
_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37


@contextmanager
def adopting_orphans() -> Iterator[bool]:
    """Make this process the subreaper of its descendants for the block (Linux).

    A daemon that outlives its parent (Ray's, Dask's) is then re-parented here instead of
    to init, so its CPU can still be read when it is reaped (`TreeWatcher.reap_orphans`).
    Yields whether that holds; elsewhere orphans' last sampled CPU is all there is.
    """
    if not sys.platform.startswith("linux"):
        yield False
        return
    libc = ctypes.CDLL(None, use_errno=True)
    current = ctypes.c_int(0)
    libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(current), 0, 0, 0)
    if current.value:
        yield True
        return
    became = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    try:
        yield became
    finally:
        if became:
            libc.prctl(_PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def reap_if_exited(pid: int) -> tuple[int | None, float]:
    """Reap child `pid` if it has exited, without blocking.

    Returns (exit code as Popen gives it, CPU seconds of it and every descendant it
    reaped, from `os.wait4`'s rusage), or (None, 0.0) while it runs.
    """
    try:
        reaped, status, usage = os.wait4(pid, os.WNOHANG)
    except ChildProcessError:
        return None, 0.0
    if reaped == 0:
        return None, 0.0
    return os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime


def cpu_with_reaped_children(times: Any) -> float:
    """User+system CPU of a process (psutil's `cpu_times()`) plus that of the children
    it has reaped (0 where the platform does not say)."""
    return (
        times.user
        + times.system
        + getattr(times, "children_user", 0.0)
        + getattr(times, "children_system", 0.0)
    )


def processes_with_token(token: str) -> list[psutil.Process]:
    """Every live process whose environment carries this cell's token."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(TOKEN_VARIABLE) == token:
                found.append(proc)
        except psutil.Error:
            continue
    return found


class TreeWatcher:
    """Samples a process tree's memory and CPU, and remembers every member it saw."""

    def __init__(self, root_pid: int, token: str | None = None) -> None:
        self.root = psutil.Process(root_pid)
        self.token = token
        self.seen: dict[int, psutil.Process] = {root_pid: self.root}
        self.cpu_seen: dict[int, float] = {}
        # Each member's parent when first seen: an exited member's CPU moves into its
        # parent's reaped-children time once the parent waits for it.
        self.parent_of: dict[int, int] = {}
        self.peak_rss_bytes = 0
        self.peak_pss_bytes = 0
        self.peak_uss_bytes = 0
        # USS of each process other than the root at the tree's PSS peak.
        self.children_uss_at_peak: list[int] = []
        self.root_uss_at_peak = 0
        self.peak_processes = 0
        self.memory_measure = "pss"
        # CPU of descendants re-parented to this process and reaped here.
        self.orphan_cpu_s = 0.0
        self.samples = 0
        self.sampled_at = -float("inf")
        self.sample_cost_s = 0.0  # this process's CPU for the last sample

    def sample_due(self, measuring: bool) -> bool:
        """Whether to sample now: at most every `SAMPLE_INTERVAL_S`, and never so often
        that sampling takes over `SAMPLING_SHARE` of a core; while the measured repeats
        run, at most every `MEASURING_INTERVAL_S` and `MEASURING_SAMPLING_SHARE` (reading a
        process's page tables costs about a millisecond each, and contends with it)."""
        share, floor = (
            (MEASURING_SAMPLING_SHARE, MEASURING_INTERVAL_S)
            if measuring
            else (SAMPLING_SHARE, SAMPLE_INTERVAL_S)
        )
        wait = max(floor, self.sample_cost_s / share)
        return time.monotonic() - self.sampled_at >= wait

    def members(self, sweep: bool = False) -> list[psutil.Process]:
        """Live processes in the tree now, plus earlier members that are still alive.

        With `sweep`, also every process on the machine carrying the cell's token (a
        full scan: done when ending the cell, not at every sample).
        """
        found: list[psutil.Process] = []
        try:
            current = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            current = []
        if sweep and self.token:
            current += processes_with_token(self.token)
        for proc in current:
            if proc.pid not in self.seen:
                self.seen[proc.pid] = proc
                try:
                    self.parent_of[proc.pid] = proc.ppid()
                except psutil.Error:
                    pass
        for _pid, proc in list(self.seen.items()):
            try:
                # is_running() also guards against pid reuse (it compares create times).
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc)
            except psutil.Error:
                continue
        return found

    def sample(self) -> None:
        began = time.thread_time()
        rss = pss = uss = root_uss = 0
        children_uss: list[int] = []
        live = self.members()
        self._drop_reaped({p.pid for p in live})
        for proc in live:
            try:
                with proc.oneshot():
                    memory = self._memory(proc)
                    self.cpu_seen[proc.pid] = cpu_with_reaped_children(proc.cpu_times())
            except psutil.Error:
                continue
            rss += memory[0]
            pss += memory[1]
            uss += memory[2]
            if proc.pid == self.root.pid:
                root_uss = memory[2]
            else:
                children_uss.append(memory[2])
        self.peak_rss_bytes = max(self.peak_rss_bytes, rss)
        if pss > self.peak_pss_bytes:
            self.peak_pss_bytes = pss
            self.peak_uss_bytes = uss
            self.root_uss_at_peak = root_uss
            self.children_uss_at_peak = sorted(children_uss)
        self.peak_processes = max(self.peak_processes, len(live))
        self.samples += 1
        self.sampled_at = time.monotonic()
        self.sample_cost_s = time.thread_time() - began

    def _drop_reaped(self, live: set[int]) -> None:
        """Forget the last sample of each member that is gone (reaped, not a zombie) while
        its parent is a live member: the parent's reaped-children time, read after this,
        holds all of its CPU, so keeping the sample too would count it twice. Called
        before the live members are read, so that no reading falls between the two."""
        for pid in [pid for pid in self.cpu_seen if pid not in live]:
            if self.parent_of.get(pid) in live and not psutil.pid_exists(pid):
                del self.cpu_seen[pid]

    def _memory(self, proc: psutil.Process) -> tuple[int, int, int]:
        """(RSS, PSS, USS) of one process; RSS stands in for both where PSS is unreadable."""
        if self.memory_measure == "pss":
            try:
                full = proc.memory_full_info()
                return full.rss, full.pss, full.uss
            except (psutil.AccessDenied, AttributeError):
                self.memory_measure = "rss"  # say so in the record rather than guess
        rss = proc.memory_info().rss
        return rss, rss, rss

    def reset_peaks(self) -> None:
        """Forget the peaks seen so far: a new window (the next point of a process that
        measures several, `comparisons.run.harness`) starts here."""
        self.peak_rss_bytes = self.peak_pss_bytes = self.peak_uss_bytes = 0
        self.children_uss_at_peak = []
        self.root_uss_at_peak = 0
        self.peak_processes = 0
        self.samples = 0

    def tree_cpu_seconds(self) -> float:
        """CPU of every member seen, as last sampled, with the orphans reaped here."""
        return sum(self.cpu_seen.values()) + self.orphan_cpu_s

    def memory_summary(self) -> dict[str, object]:
        """The tree's memory at its PSS peak, for the record."""
        children = self.children_uss_at_peak
        return {
            "measure": self.memory_measure,
            "peak_pss_bytes": self.peak_pss_bytes or None,
            "peak_uss_bytes": self.peak_uss_bytes or None,
            "peak_rss_sum_bytes": self.peak_rss_bytes or None,
            "root_uss_bytes": self.root_uss_at_peak or None,
            "processes_at_peak": len(children) + 1,
            "child_uss_median_bytes": (children[len(children) // 2] if children else None),
            "child_uss_max_bytes": (children[-1] if children else None),
            "samples": self.samples,
        }

    def reap_orphans(self) -> None:
        """Reap the descendants re-parented to this process (a subreaper) that have
        exited, keeping their CPU: it never reaches the root's rusage. Only zombies born
        after the root are touched, so other children of this process are left alone."""
        try:
            born = self.root.create_time()
            children = psutil.Process().children()
        except psutil.Error:
            return
        for child in children:
            try:
                if (
                    child.pid == self.root.pid
                    or child.status() != psutil.STATUS_ZOMBIE
                    or child.create_time() < born
                ):
                    continue
            except psutil.Error:
                continue
            code, cpu = reap_if_exited(child.pid)
            if code is not None:
                # Its whole CPU, in place of its last sample.
                self.cpu_seen.pop(child.pid, None)
                self.orphan_cpu_s += cpu

    def cpu_of(self, processes: list[psutil.Process]) -> float:
        """CPU last sampled for these members (with what they reaped)."""
        return sum(self.cpu_seen.get(p.pid, 0.0) for p in processes)

    def survivors(self) -> list[psutil.Process]:
        """Members other than the root that are still alive, found by tree and token."""
        return [p for p in self.members(sweep=True) if p.pid != self.root.pid]

    def end_all(self, grace_s: float = 3.0) -> list[str]:
        """Freeze and kill every live member, the root included; return their names."""
        return end_processes(lambda: self.members(sweep=True), grace_s)

    def end_survivors(self, grace_s: float = 3.0) -> list[str]:
        """Freeze and kill every live member but the root; return their names."""
        return end_processes(self.survivors, grace_s)

    def wait_for_survivors(self, timeout_s: float) -> list[psutil.Process]:
        """Give processes that are shutting down on their own up to `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.reap_orphans()
            left = self.survivors()
            if not left or time.monotonic() >= deadline:
                return left
            time.sleep(SAMPLE_INTERVAL_S)


def end_processes(
    list_members: Callable[[], list[psutil.Process]], grace_s: float = 3.0
) -> list[str]:
    """Freeze every process `list_members` returns, until no new one appears, then kill.

    Freezing first matters: a supervisor such as Ray's raylet restarts workers that die,
    so members killed one by one can be replaced before the kill reaches the supervisor.
    """
    frozen: dict[int, psutil.Process] = {}
    for _ in range(10):
        fresh = [p for p in list_members() if p.pid not in frozen]
        if not fresh:
            break
        for proc in fresh:
            try:
                proc.suspend()
            except psutil.Error:
                continue
            frozen[proc.pid] = proc
    names = []
    for proc in frozen.values():
        try:
            names.append(f"{proc.name()}[{proc.pid}]")
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(list(frozen.values()), timeout=grace_s)
    return names


class CellCgroup:
    """A control group of the cell's own (Linux, when allowed): every process the cell
    starts stays in it, however it is re-parented or reaped, so its counters cover the
    cell's whole tree, exited processes included. The harness makes one per counter it
    reads (`CpuCgroup`, `MemoryCgroup`) before the cell starts, and the cell process
    joins them before it executes anything (`join_in_child`). Where none can be made (not
    root, no cgroup file system) the harness falls back and says so in the record."""

    PREFIX = "comparisons-"
    # An empty group of ours older than this was left by a harness killed outright.
    STALE_AFTER_S = 5.0

    def __init__(self, path: str, version: int) -> None:
        self.path = path
        self.version = version

    @classmethod
    def bases(cls) -> list[tuple[str, int]]:
        """Where this kind of group may be made: (folder, cgroup version)."""
        raise NotImplementedError

    def usable(self) -> bool:
        """Whether the new group has the counter this kind reads."""
        return True

    @classmethod
    def create(cls, name: str) -> Self | None:
        for base, version in cls.bases():
            path = os.path.join(base, name)
            try:
                os.mkdir(path)
            except OSError:
                continue
            group = cls(path, version)
            if not group.usable():
                group.remove()
                continue
            group.remove_stale_siblings()
            return group
        return None

    def remove_stale_siblings(self) -> None:
        """Remove empty groups that a harness killed outright (SIGKILL) could not."""
        base = os.path.dirname(self.path)
        try:
            names = [n for n in os.listdir(base) if n.startswith(self.PREFIX)]
        except OSError:
            return
        for name in names:
            path = os.path.join(base, name)
            if path == self.path:
                continue
            try:
                if time.time() - os.stat(path).st_mtime < self.STALE_AFTER_S:
                    continue
                with open(os.path.join(path, "cgroup.procs")) as procs:
                    if procs.read().strip():
                        continue
                os.rmdir(path)
            except OSError:
                continue

    def add(self, pid: int) -> bool:
        """Move `pid` into the group (true if it is in it now)."""
        try:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as procs:
                procs.write(str(pid))
            return True
        except OSError:
            return False

    def _read(self, name: str) -> str | None:
        try:
            with open(os.path.join(self.path, name)) as handle:
                return handle.read()
        except OSError:
            return None

    def remove(self, timeout_s: float = 2.0) -> None:
        """Remove the group once its processes are gone (they were ended before)."""
        self.remove_stale_siblings()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.05)


class JoinInChild:
    """A `preexec_fn` that moves the new process into the cell's groups between fork and
    exec, so that nothing it does is charged elsewhere (writing 0 to `cgroup.procs` moves
    the writer). The files are opened here, in the parent: the child only writes, and the
    parent closes them once the child has started."""

    def __init__(self, groups: list[CellCgroup]) -> None:
        self.handles = [os.open(os.path.join(g.path, "cgroup.procs"), os.O_WRONLY) for g in groups]

    def __call__(self) -> None:
        for handle in self.handles:
            try:
                os.write(handle, b"0")
            except OSError:
                pass  # the harness checks membership after the start and falls back

    def close(self) -> None:
        for handle in self.handles:
            os.close(handle)
        self.handles = []


class CpuCgroup(CellCgroup):
    """The cell's exact CPU time: `os.wait4` misses what a dying daemon's children spent
    after they left its tree (Ray's workers, seen here). Only the CPU counter is read:
    cgroup v2's `cpu.stat` (present in every group without any controller enabled), else
    v1's `cpuacct.usage`."""

    @classmethod
    def bases(cls) -> list[tuple[str, int]]:
        return _cgroup_bases("cpuacct")

    def cpu_seconds(self) -> float | None:
        try:
            if self.version == 2:
                for line in (self._read("cpu.stat") or "").splitlines():
                    name, _, value = line.partition(" ")
                    if name == "usage_usec":
                        return int(value) / 1e6
                return None
            usage = self._read("cpuacct.usage")
            return int(usage) / 1e9 if usage else None
        except ValueError:
            return None


class MemoryCgroup(CellCgroup):
    """The kernel's own peak of the memory charged to the cell's tree: cgroup v2's
    `memory.peak`, else v1's `memory.max_usage_in_bytes`. The kernel updates it on every
    charge, so a buffer that lives for a millisecond between two samples of the tree
    still shows. It counts what the tree made the machine allocate, each page once:
    anonymous memory, shared memory, and page cache the tree read or wrote first (not
    library pages other programs had already loaded, which PSS shares out instead); the
    same figure a container's memory limit is held to."""

    COUNTERS = {2: "memory.peak", 1: "memory.max_usage_in_bytes"}

    @classmethod
    def bases(cls) -> list[tuple[str, int]]:
        return _cgroup_bases("memory")

    def usable(self) -> bool:
        return os.path.exists(os.path.join(self.path, self.COUNTERS[self.version]))

    def peak_bytes(self) -> int | None:
        value = self._read(self.COUNTERS[self.version])
        try:
            return int(value) if value else None
        except ValueError:
            return None

    @property
    def counter(self) -> str:
        return f"cgroup v{self.version} {self.COUNTERS[self.version]}"

    def reset_peak(self) -> bool:
        """Start the peak again from what is charged now (cgroup v1: writing 0 to the
        counter); False where that cannot be done (v2 resets only per open file)."""
        if self.version != 1:
            return False
        try:
            with open(os.path.join(self.path, self.COUNTERS[1]), "w") as counter:
                counter.write("0")
            return True
        except OSError:
            return False


def _cgroup_bases(v1_controller: str) -> list[tuple[str, int]]:
    """Where this process may make a child cgroup: its own group in the v2 hierarchy,
    then in v1's hierarchy of `v1_controller`."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        with open("/proc/self/cgroup") as handle:
            own = [line.rstrip("\n").split(":", 2) for line in handle]
        with open("/proc/self/mounts") as handle:
            mounts = [line.split() for line in handle]
    except OSError:
        return []
    bases = []
    for _, controllers, path in own:
        if controllers == "":
            for fields in mounts:
                if fields[2] == "cgroup2":
                    bases.append((fields[1] + path.rstrip("/"), 2))
    for _, controllers, path in own:
        if v1_controller in controllers.split(","):
            for fields in mounts:
                if fields[2] == "cgroup" and v1_controller in fields[3].split(","):
                    bases.append((fields[1] + path.rstrip("/"), 1))
    return bases
