"""HOW work is run: the registry of concurrency models, imported only when asked for.

Each entry names the module and class of one backend (`comparisons.backends.base.Backend`).
Importing Ray alone costs most of a second, so nothing here imports a backend module until
`load_backend` is called. Adding a backend is one module plus one line here.
"""

from __future__ import annotations

from importlib import import_module

from comparisons.backends.base import Backend

REGISTRY: dict[str, str] = {
    "serial": "comparisons.backends.serial:SerialBackend",
    "threads": "comparisons.backends.threads:ThreadsBackend",
    "processes": "comparisons.backends.processes:ProcessesBackend",
    "asyncio": "comparisons.backends.asyncio_gather:AsyncioBackend",
    "trio": "comparisons.backends.trio_nursery:TrioBackend",
    "dask": "comparisons.backends.dask_distributed:DaskBackend",
    "ray": "comparisons.backends.ray_tasks:RayBackend",
    "ceiling": "comparisons.backends.ceiling:CeilingBackend",
}

BASELINE = "serial"


def model_names() -> list[str]:
    """Registered concurrency models, without reference yardsticks such as `ceiling`."""
    return [name for name in REGISTRY if not backend_class(name).reference]


class UnknownBackend(LookupError):
    """A backend name that is not in the registry (a user's mistake)."""


def backend_class(name: str) -> type[Backend]:
    """Import and return the backend class registered as `name`."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise UnknownBackend(f"unknown backend {name!r} (valid: {', '.join(REGISTRY)})") from None
    module, _, attribute = target.partition(":")
    return getattr(import_module(module), attribute)
