"""What machine and software produced a measurement: recorded with every cell and run.

`capture_environment()` is called inside each cell's own interpreter (so the record
describes the Python that did the work) and once by the suite runner for `env.json`.
It reads only local facts: /proc, /sys, platform, installed package metadata, git.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import sysconfig
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BENCHMARKED_PACKAGES = (
    "dask",
    "distributed",
    "ray",
    "trio",
    "numpy",
    "psutil",
    "threadpoolctl",
    "cloudpickle",
    "tornado",
    "msgpack",
)
NATIVE_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "OPENBLAS_CORETYPE",
)


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def cpu_model() -> str:
    for line in (_read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cgroup_cpu_limit() -> float | None:
    """CPUs a cgroup v2 quota allows this process, or None when unlimited/unknown."""
    raw = _read("/sys/fs/cgroup/cpu.max")
    if not raw:
        return None
    quota, _, period = raw.partition(" ")
    if quota == "max":
        return None
    try:
        return int(quota) / int(period)
    except ValueError:
        return None


def build_optimizations() -> list[str]:
    """Which of PGO (--enable-optimizations) and LTO (--with-lto) the interpreter was
    configured with, from its configure arguments; empty for neither."""
    arguments = sysconfig.get_config_var("CONFIG_ARGS") or ""
    found = []
    if "--enable-optimizations" in arguments:
        found.append("PGO")
    if "--with-lto" in arguments:
        found.append("LTO")
    return found


def gil_enabled() -> bool:
    probe = getattr(sys, "_is_gil_enabled", None)
    return bool(probe()) if probe else True


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in BENCHMARKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


@cache
def git_state() -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def native_thread_pools() -> list[dict[str, Any]]:
    """Native thread pools loaded in this process (BLAS, OpenMP), via threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = ("user_api", "internal_api", "num_threads", "version")
    return [{k: pool.get(k) for k in keep} for pool in threadpool_info()]


def cpu_frequency() -> dict[str, Any]:
    freq = None
    try:
        freq = psutil.cpu_freq()
    except (OSError, NotImplementedError):
        pass
    return {
        "current_mhz": round(freq.current) if freq else None,
        "min_mhz": round(freq.min) if freq and freq.min else None,
        "max_mhz": round(freq.max) if freq and freq.max else None,
        "governor": _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
    }


def capture_environment() -> dict[str, Any]:
    """A JSON-ready description of this machine, this interpreter and this checkout."""
    import multiprocessing

    logical = os.cpu_count()
    physical = psutil.cpu_count(logical=False)
    memory = psutil.virtual_memory()
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "logical_cores": logical,
        "physical_cores": physical,
        "usable_cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else logical,
        "smt": bool(logical and physical and logical > physical),
        "cgroup_cpu_limit": cgroup_cpu_limit(),
        "cpu_frequency": cpu_frequency(),
        "memory_total_bytes": memory.total,
        "memory_available_bytes": memory.available,
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "os": platform.platform(),
        "kernel": platform.release(),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
            "build": list(platform.python_build()),
            "compiler": platform.python_compiler(),
            "gil_disabled_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
            "gil_enabled": gil_enabled(),
            # Two builds of one version can differ by 10-30% on pure-Python code.
            "optimizations": build_optimizations(),
        },
        "multiprocessing_start_method": multiprocessing.get_start_method(allow_none=False),
        "packages": package_versions(),
        "native_thread_variables": {name: os.environ.get(name) for name in NATIVE_THREAD_VARIABLES},
        "native_thread_pools": native_thread_pools(),
        "git": git_state(),
        "hosts": emulated_hosts(),
    }


# Set by whoever runs the harness on emulated hosts (tests/multihost.py): JSON with the
# hosts' addresses, the link rate and where each engine's processes run.
HOSTS_VARIABLE = "COMPARISONS_HOSTS"


def emulated_hosts() -> dict[str, Any] | None:
    """The emulated multi-host network the run is on, or None on one machine."""
    raw = os.environ.get(HOSTS_VARIABLE)
    if not raw:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
