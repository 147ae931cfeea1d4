"""WHAT is computed: backend-agnostic workloads, each a module exposing `WORKLOAD`.

The registry maps a workload's name to the module that defines it; modules are imported
only when asked for. Adding a workload is one module plus one line here.
"""

from __future__ import annotations

from importlib import import_module

from workloads.spec import UserError, Workload

REGISTRY: dict[str, str] = {
    "cpu.primes": "workloads.cpu_primes",
    "cpu.mandelbrot": "workloads.cpu_mandelbrot",
    "cpu.numpy": "workloads.cpu_numpy",
    "cpu.hash": "workloads.cpu_hash",
    "cpu.shared": "workloads.cpu_shared",
    "io.sleep": "workloads.io_sleep",
    "io.http": "workloads.io_http",
    "io.files": "workloads.io_files",
    "mixed.pipeline": "workloads.mixed_pipeline",
    "overhead.noop": "workloads.overhead_noop",
    "overhead.transfer": "workloads.overhead_transfer",
    "overhead.bytes": "workloads.overhead_bytes",
    "fault.raise": "workloads.fault_raise",
    "fault.crash": "workloads.fault_crash",
    "fault.hang": "workloads.fault_hang",
}


class UnknownWorkload(UserError, LookupError):
    """A workload name that is not in the registry (a user's mistake)."""


def load_workload(name: str) -> Workload:
    """Import and return the workload registered as `name`."""
    try:
        module = REGISTRY[name]
    except KeyError:
        raise UnknownWorkload(
            f"unknown workload {name!r} (valid: {', '.join(sorted(REGISTRY))})"
        ) from None
    workload = import_module(module).WORKLOAD
    if workload.name != name:
        raise RuntimeError(f"{module} defines {workload.name!r}, registered as {name!r}")
    return workload
