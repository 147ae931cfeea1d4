"""HOW work is run: the registry of concurrency models and their variants, imported lazily.

A name is `model` (the model's default idiom) or `model:variant` (another documented way
of using the same model: `processes:spawn`, `asyncio:uvloop`, `ray:actors`). Each entry
names the module and class of one backend (`comparisons.backends.base.Backend`). Importing
Ray alone costs most of a second, so nothing here imports a backend module until
`backend_class` is called. Adding a backend or a variant is one class plus one line here.

In suites, "all" means the models' default idioms (`MODELS`); "variants" means
every registered name but the ceiling and the twins; "processes:*" means every variant
of one model.

A/A twins (`TWINS`): the same class under another name, for SUITE=aa only. A twin such as
`twin-processes` is registered like any backend and runs exactly as its original does
(its own fresh processes, interleaved with the rest), but `model_of` reads it as a model
of its own, so the verdict ranks the two against each other: any decision between them
is a false one, and the A/A suite counts how often the design makes it.
"""

from __future__ import annotations

from importlib import import_module

from comparisons.backends.base import Backend
from comparisons.errors import UserError

REGISTRY: dict[str, str] = {
    "serial": "comparisons.backends.serial:SerialBackend",
    "threads": "comparisons.backends.threads:ThreadsBackend",
    "threads:per-task": "comparisons.backends.threads:ThreadPerTaskBackend",
    "processes": "comparisons.backends.processes:ProcessesBackend",
    "processes:forkserver": "comparisons.backends.processes:ForkserverPoolBackend",
    "processes:spawn": "comparisons.backends.processes:SpawnPoolBackend",
    "processes:executor": "comparisons.backends.processes:ProcessPoolExecutorBackend",
    "processes:executor-chunked": "comparisons.backends.processes:ChunkedExecutorBackend",
    "processes:per-task": "comparisons.backends.processes:ProcessPerTaskBackend",
    "processes:joblib": "comparisons.backends.joblib_loky:JoblibBackend",
    "processes:shared-memory": "comparisons.backends.processes:SharedMemoryPoolBackend",
    "asyncio": "comparisons.backends.asyncio_gather:AsyncioBackend",
    "asyncio:uvloop": "comparisons.backends.asyncio_gather:UvloopBackend",
    "asyncio:to-thread": "comparisons.backends.asyncio_gather:ToThreadBackend",
    "asyncio:cooperative": "comparisons.backends.asyncio_gather:CooperativeBackend",
    "asyncio:process-pool": "comparisons.backends.asyncio_gather:ProcessPoolHybridBackend",
    "asyncio:anyio": "comparisons.backends.anyio_taskgroup:AnyioAsyncioBackend",
    "trio": "comparisons.backends.trio_nursery:TrioBackend",
    "trio:to-thread": "comparisons.backends.trio_nursery:TrioToThreadBackend",
    "trio:parallel": "comparisons.backends.trio_parallel_pool:TrioParallelBackend",
    "trio:anyio": "comparisons.backends.anyio_taskgroup:AnyioTrioBackend",
    "dask": "comparisons.backends.dask_distributed:DaskBackend",
    "dask:threads-per-worker": "comparisons.backends.dask_distributed:DaskThreadedWorkerBackend",
    "dask:bag": "comparisons.backends.dask_distributed:DaskBagBackend",
    "dask:untrimmed": "comparisons.backends.dask_distributed:DaskUntrimmedBackend",
    "dask:threaded": "comparisons.backends.dask_local:DaskThreadedSchedulerBackend",
    "dask:multiprocessing": "comparisons.backends.dask_local:DaskProcessesSchedulerBackend",
    "ray": "comparisons.backends.ray_tasks:RayBackend",
    "ray:actors": "comparisons.backends.ray_tasks:RayActorPoolBackend",
    "ray:batched": "comparisons.backends.ray_tasks:RayBatchedBackend",
    "subinterpreters": "comparisons.backends.subinterpreters:InterpreterPoolBackend",
    "ceiling": "comparisons.backends.ceiling:CeilingBackend",
}

# A/A twins: the same class under another name, for SUITE=aa only (twin -> original).
# Never in "all" or "variants"; a name without ':' so that `model_of` makes it a model.
TWINS: dict[str, str] = {
    "twin-processes": "processes",
    "twin-threads": "threads",
    "twin-asyncio": "asyncio",
}
REGISTRY.update({twin: REGISTRY[original] for twin, original in TWINS.items()})

BASELINE = "serial"
# The models every suite's "all" runs: the mission's six, subinterpreters (PEP 734; its
# cells are skipped, with the reason, under a Python too old for it) and the serial
# baseline.
MODELS = ("serial", "threads", "processes", "asyncio", "trio", "dask", "ray", "subinterpreters")


def model_of(name: str) -> str:
    """`processes:spawn` -> `processes`."""
    return name.partition(":")[0]


def variant_of(name: str) -> str:
    """`processes:spawn` -> `spawn`; a model's own idiom is `default`."""
    return name.partition(":")[2] or "default"


def display_order(name: str) -> tuple[int, bool, str]:
    """Sort key that lists the models in MODELS order, each followed by its variants
    (and an A/A twin after its original's variants)."""
    model = model_of(TWINS.get(name, name))
    rank = MODELS.index(model) if model in MODELS else len(MODELS) + (name == "ceiling")
    return (rank, ":" in name or name in TWINS, name)


def twin_of(name: str) -> str | None:
    """The original an A/A twin runs as (`twin-processes` -> `processes`), else None."""
    return TWINS.get(name)


def model_names() -> list[str]:
    """The default idiom of each concurrency model ("all" in a suite)."""
    return list(MODELS)


def variant_names() -> list[str]:
    """Every registered backend except reference yardsticks and A/A twins ("variants"
    in a suite)."""
    return [name for name in REGISTRY if name not in TWINS and not backend_class(name).reference]


def expand_backend_name(name: str) -> list[str]:
    """A suite's backend entry as names: "all", "variants", "model:*", or one name."""
    if name == "all":
        return model_names()
    if name == "variants":
        return variant_names()
    if name.endswith(":*"):
        model = name[:-2]
        matches = [n for n in REGISTRY if model_of(n) == model]
        if not matches:
            raise UnknownBackend(f"unknown model {model!r} in {name!r} ({valid_names()})")
        return matches
    return [name]


class UnknownBackend(UserError, LookupError):
    """A backend name that is not in the registry (a user's mistake)."""


def valid_names(model: str | None = None) -> str:
    if model is not None:
        names = [n for n in REGISTRY if model_of(n) == model]
        if names:
            return f"variants of {model}: {', '.join(names)}"
    return "valid: " + ", ".join(REGISTRY)


def backend_class(name: str) -> type[Backend]:
    """Import and return the backend class registered as `name`."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise UnknownBackend(f"unknown backend {name!r} ({valid_names(model_of(name))})") from None
    module, _, attribute = target.partition(":")
    return getattr(import_module(module), attribute)
