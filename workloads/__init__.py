"""WHAT is computed: backend-agnostic workloads, each a module exposing `WORKLOAD`.

The registry maps a workload's name to the module that defines it; modules are imported
only when asked for. Adding a workload is one module plus one line here.

Two more sources of workloads, neither touching this repository: a user's own function,
named `target:<module or file>:<function>` (`workloads.target`), and packages that
register `Workload` specs under the entry point group `concurrency_comparisons.workloads`
(the entry point's name is the workload's name, its value a `Workload` or a module
exposing `WORKLOAD`).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from types import ModuleType

from workloads.spec import UserError, Workload
from workloads.target import is_target, load_target

ENTRY_POINT_GROUP = "concurrency_comparisons.workloads"

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
    "overhead.handoff": "workloads.overhead_handoff",
    "fault.raise": "workloads.fault_raise",
    "fault.crash": "workloads.fault_crash",
    "fault.hang": "workloads.fault_hang",
    "fault.host_loss": "workloads.fault_host_loss",
}


class UnknownWorkload(UserError, LookupError):
    """A workload name that is not in the registry (a user's mistake)."""


def plugin_names() -> list[str]:
    """Workloads that installed packages register under `ENTRY_POINT_GROUP`."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} - set(REGISTRY))


def all_names() -> list[str]:
    """Every workload `load_workload` finds by name: built-in, then from packages."""
    return [*REGISTRY, *plugin_names()]


def _plugin(name: str) -> Workload:
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not found:
        raise UnknownWorkload(
            f"unknown workload {name!r} (valid: {', '.join(sorted(all_names()))}, "
            "or target:MODULE:FUNCTION for your own function)"
        )
    try:
        loaded = found[0].load()
    except Exception as exc:
        raise UserError(
            f"workload {name!r} from {found[0].value} does not load: {type(exc).__name__}: {exc}"
        ) from None
    workload = loaded.WORKLOAD if isinstance(loaded, ModuleType) else loaded
    if not isinstance(workload, Workload):
        raise UserError(
            f"entry point {name} = {found[0].value} gives a {type(workload).__name__}, "
            "not a workloads.spec.Workload"
        )
    return workload


def load_workload(name: str) -> Workload:
    """Import and return the workload named `name`: built-in, a user's target, or
    registered by a package."""
    if is_target(name):
        return load_target(name)
    module = REGISTRY.get(name)
    workload = import_module(module).WORKLOAD if module else _plugin(name)
    if workload.name != name:
        raise RuntimeError(f"{module or name} defines {workload.name!r}, registered as {name!r}")
    return workload
