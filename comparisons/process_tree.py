"""Watching and ending the process tree a cell starts (psutil).

`TreeWatcher` samples a root process and all its descendants: the peak of their summed
resident memory, the last CPU times seen for each, and every process ever seen. Every
process a cell starts also inherits an environment variable carrying the cell's own
token, so that processes which outlive the cell (a Ray agent, a Dask worker) are found
and ended by process id even when they were re-parented away from the tree before the
watcher ever saw them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psutil

SAMPLE_INTERVAL_S = 0.1
TOKEN_VARIABLE = "COMPARISONS_CELL_TOKEN"


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
        self.peak_rss_bytes = 0
        self.peak_processes = 0

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
            self.seen.setdefault(proc.pid, proc)
        for _pid, proc in list(self.seen.items()):
            try:
                # is_running() also guards against pid reuse (it compares create times).
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc)
            except psutil.Error:
                continue
        return found

    def sample(self) -> None:
        rss = 0
        live = self.members()
        for proc in live:
            try:
                with proc.oneshot():
                    rss += proc.memory_info().rss
                    times = proc.cpu_times()
                    self.cpu_seen[proc.pid] = times.user + times.system
            except psutil.Error:
                continue
        self.peak_rss_bytes = max(self.peak_rss_bytes, rss)
        self.peak_processes = max(self.peak_processes, len(live))

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_seen.values())

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
