"""How a task reaches the one read-only input its workload shares (`cpu.shared`).

A workload with `shared_input` gives each task an item `(shared, part)`. What `shared`
is depends on the model's idiom for delivering a large object once (`Backend.share`):
the object itself (passed with every task, or in the same process), or a small handle
that opens it where the task runs: a global a pool's initializer installed, a block of
`multiprocessing.shared_memory`, a Ray object reference. `resolve` turns either into
the object; a handle is anything with an `open_shared()` method. This module imports no
engine (a handle imports its own when opened), so it loads in every worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class SharedHandle(Protocol):
    """A small, picklable stand-in for the shared object, opened where the task runs."""

    def open_shared(self) -> Any: ...


def resolve(shared: Any) -> Any:
    """The shared object, whether the task got it or a handle to it."""
    return shared.open_shared() if isinstance(shared, SharedHandle) else shared


@dataclass(frozen=True)
class RayShared:
    """A task's handle on a shared input `ray.put` into Ray's object store. Ray resolves
    a reference only when it is a task's own argument, not inside an item, so the task
    fetches it: zero-copy for a NumPy array. Here, not in the Ray backend, because only
    `workloads` is shipped to the workers of an external cluster."""

    ref: Any

    def open_shared(self) -> Any:
        import ray

        return ray.get(self.ref)


# Blocks this worker attached, by name, with the array over each: attached once per
# process, kept open for the process's life (a view must not outlive its block).
_ATTACHED: dict[str, tuple[Any, Any]] = {}


@dataclass(frozen=True)
class SharedMemoryArray:
    """A task's handle on a NumPy array copied into `multiprocessing.shared_memory`:
    the block's name, shape and dtype. Opening attaches to the block (once per worker)
    and returns a read-only array over it, with no copy."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    def open_shared(self) -> Any:
        found = _ATTACHED.get(self.name)
        if found is None:
            from multiprocessing import resource_tracker, shared_memory

            import numpy as np

            block = shared_memory.SharedMemory(name=self.name)
            # Before 3.13 attaching registers the block with the resource tracker as if
            # this worker owned it, which would unlink it when the worker exits; the
            # creator owns it and unlinks it at teardown.
            resource_tracker.unregister(block._name, "shared_memory")  # type: ignore[attr-defined]
            array = np.ndarray(self.shape, dtype=self.dtype, buffer=block.buf)
            array.flags.writeable = False
            found = _ATTACHED[self.name] = (block, array)
        return found[1]
