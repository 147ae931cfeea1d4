"""The contract between a workload (WHAT is computed) and the backends (HOW it is run).

A workload module builds one `Workload`: its task functions in the forms each concurrency
model needs, its parameters with defaults and valid ranges, how to make the task inputs,
and how to verify results independently of any backend. Backends read only this
interface; the harness (`comparisons.cell.child`) uses it to make inputs and check every repeat.

Flow: workloads/<module>.py -> Workload -> comparisons.backends.* run it ->
comparisons.cell.child verifies and times it -> record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workloads.vocabulary import Category, Kind

KINDS = tuple(Kind)


class UserError(Exception):
    """Something the user asked for is invalid; the message says what and what is valid.

    The root of every user-facing error (a bad workload name or parameter here; a bad
    backend, suite, record file or address in `comparisons`, which re-exports it from
    `comparisons.errors`). It lives here because workloads import nothing of the
    harness; the CLI catches this one type, in one place.
    """


class ParameterError(UserError, ValueError):
    """A workload parameter has the wrong name, type or range (a user's mistake)."""


@dataclass(frozen=True)
class Param:
    """One workload parameter: its type, default, inclusive range and meaning."""

    default: int | float
    help: str
    minimum: int | float | None = None
    maximum: int | float | None = None
    # Left out of the resolved parameters when at its default: a parameter added to a
    # workload later then changes no existing cell's key (`make diff` pairs by it).
    omit_default: bool = False

    @property
    def type(self) -> type:
        return type(self.default)

    def parse(self, name: str, raw: Any) -> int | float:
        """Convert `raw` (a CLI string or a suite value) and check its range."""
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = self.type(raw) if isinstance(raw, str) else raw
            if self.type is int and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError
            if self.type is float:
                value = float(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"parameter {name}={raw!r} is not a valid {self.type.__name__}"
            ) from None
        if self.minimum is not None and value < self.minimum:
            raise ParameterError(f"parameter {name}={value} is below its minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ParameterError(f"parameter {name}={value} is above its maximum {self.maximum}")
        return value

    def describe(self) -> str:
        bounds = f"[{self.minimum if self.minimum is not None else '-inf'}, " + (
            f"{self.maximum if self.maximum is not None else 'inf'}]"
        )
        return f"{self.type.__name__} {bounds}, default {self.default}: {self.help}"


@dataclass(frozen=True)
class Verification:
    """The outcome of checking one repeat's results against the expected ones."""

    ok: bool
    detail: str


@dataclass(frozen=True)
class Workload:
    """A backend-agnostic unit of work, offered in every form a concurrency model needs.

    Attributes:
        name: registry name, `<kind>.<what>` (e.g. `cpu.primes`).
        kind: one of KINDS; the report groups verdicts by it.
        description: one line for `python -m comparisons list`.
        sync: a top-level (hence picklable) function `item -> result`, used by serial,
            threads, processes, Dask and Ray.
        asyncio: an `async def item -> result` run on an asyncio loop.
        trio: an `async def item -> result` run under `trio.run`.
        asyncio_cooperative: optionally, for CPU work on the loop, an `async def item ->
            result` doing the same work in chunks with `await asyncio.sleep(0)` between
            them, so the loop runs other tasks meanwhile; the `asyncio:cooperative`
            variant runs it and skips workloads without one. It gives the same results
            as `sync`: beside `asyncio`, which never awaits, the loop's lag under it
            shows how much of the stall comes from not awaiting rather than the work.
        make_inputs: `(tasks, params) -> list of items`, deterministic.
        expected: `(tasks, params) -> list of results`, computed without any backend and
            by a method independent of `sync` wherever one exists.
        params: the workload's own parameters (besides `tasks`), by name.
        blocks_event_loop: True when the async forms run the work on the loop's one thread
            (CPU work); the report says so beside those rows.
        matches: `(got, expected) -> bool` for results that need a tolerance (floats) or
            a looser type; equality when None.
        bytes_per_task: `params -> bytes` a task moves, for workloads where data rate is
            the point (the report then shows GB/s).
        services: names of services the harness must run beside the cell
            (`comparisons.run.services`), e.g. the latency server.
        category: the kind of work a user would name (a `Category`: GIL-bound CPU,
            network I/O, ...); the report's verdict has one row per category.
        measures_transfer: True when moving the inputs to the worker is the work being
            measured (overhead.transfer): rows of in-process models, which move nothing,
            are then a labelled reference and the verdict ranks the others by time per
            byte.
        ideal_s: `(tasks, in_flight, params) -> seconds` the work cannot beat at that
            concurrency whatever the model (the waits alone), for I/O; the report shows
            it beside the rows.
        shared_input: `params -> object`, for workloads whose tasks all read one
            read-only object (`workloads.sharing`): the cell builds it once, the model
            delivers it by its own idiom (`Backend.share`), and each task's item is
            `(shared, part)`, with `shared` to be opened by `workloads.sharing.resolve`.
        shared_bytes: `params -> bytes` of that object (the memory check and the
            report's bytes crossed use it).
        crossing_problem: why `sync` cannot be sent to another process or interpreter
            (it does not pickle), for a user's function (`workloads.target`): models
            that would send it skip with this reason, the others still run.
        produce: a first stage on a worker, `item -> data`, for workloads about data
            handed from worker to worker (overhead.handoff): each task is then
            `sync(produce(item))`, the two stages on different workers, the data moving
            between them by the engine's own means (`Backend.run_handoff`); models
            without such a hand-off skip.
        exclusive_params: parameters of which a cell may give at most one (two ways of
            setting the same size, cpu.hash's megabytes and kilobytes).
    """

    name: str
    kind: str
    description: str
    sync: Callable[[Any], Any]
    asyncio: Callable[[Any], Awaitable[Any]]
    trio: Callable[[Any], Awaitable[Any]]
    make_inputs: Callable[[int, Mapping[str, Any]], list[Any]]
    expected: Callable[[int, Mapping[str, Any]], list[Any]]
    params: Mapping[str, Param] = field(default_factory=dict)
    blocks_event_loop: bool = False
    matches: Callable[[Any, Any], bool] | None = None
    bytes_per_task: Callable[[Mapping[str, Any]], int] | None = None
    services: tuple[str, ...] = ()
    category: Category | None = None  # required: checked below
    measures_transfer: bool = False
    ideal_s: Callable[[int, int, Mapping[str, Any]], float] | None = None
    shared_input: Callable[[Mapping[str, Any]], Any] | None = None
    shared_bytes: Callable[[Mapping[str, Any]], int] | None = None
    crossing_problem: str | None = None
    produce: Callable[[Any], Any] | None = None
    asyncio_cooperative: Callable[[Any], Awaitable[Any]] | None = None
    exclusive_params: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"workload {self.name}: kind {self.kind!r} is not one of {', '.join(Kind)}"
            )
        if self.category not in tuple(Category):
            raise ValueError(
                f"workload {self.name}: category {self.category!r} is not one of "
                f"{', '.join(Category)}"
            )

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, int | float]:
        """Defaults overlaid with `given`, each parsed and range-checked; a parameter
        declared `omit_default` appears only when it differs from its default, so
        resolving a resolved mapping again gives the same mapping."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            valid = ", ".join(sorted(self.params)) or "none"
            raise ParameterError(
                f"workload {self.name} has no parameter {', '.join(unknown)} (valid: {valid})"
            )
        both = [name for name in self.exclusive_params if name in given]
        if len(both) > 1:
            raise ParameterError(
                f"workload {self.name} takes {' or '.join(self.exclusive_params)}, "
                f"not {' and '.join(both)} together"
            )
        resolved = {name: p.default for name, p in self.params.items() if not p.omit_default}
        for name, raw in given.items():
            param = self.params[name]
            value = param.parse(name, raw)
            if not (param.omit_default and value == param.default):
                resolved[name] = value
        return resolved

    def verify(self, results: Sequence[Any], expected: Sequence[Any]) -> Verification:
        """Every task's result, in input order, must equal the expected one."""
        results = list(results)
        if len(results) != len(expected):
            return Verification(False, f"{len(results)} results for {len(expected)} tasks")
        same = self.matches or (lambda got, want: got == want)
        wrong = [
            i
            for i, (got, want) in enumerate(zip(results, expected, strict=True))
            if not same(got, want)
        ]
        if wrong:
            i = wrong[0]
            return Verification(
                False,
                f"{len(wrong)} of {len(expected)} results wrong; first at task {i}: "
                f"got {_shown(results[i])}, expected {_shown(expected[i])}",
            )
        return Verification(True, f"{len(expected)} results match")


SHOWN_CHARACTERS = 200


def _shown(value: Any) -> str:
    """`repr(value)`, cut short: a result may carry megabytes (cpu.primes' payload), and
    the detail goes into the record and the report."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARACTERS else f"{text[:SHOWN_CHARACTERS]}..."


def waits_in_rounds(delay_param: str) -> Callable[[int, int, Mapping[str, Any]], float]:
    """The ideal of tasks that each wait `params[delay_param]` seconds: with `in_flight`
    at once, ceil(tasks / in_flight) waits one after another."""

    def ideal(tasks: int, in_flight: int, params: Mapping[str, Any]) -> float:
        return -(-tasks // max(1, in_flight)) * float(params[delay_param])

    return ideal


def run_on_loop(function: Callable[[Any], Any]) -> Callable[[Any], Awaitable[Any]]:
    """The async form of CPU work: call `function` on the event loop's own thread.

    This is what plain asyncio or Trio code does with CPU work, and it blocks the loop
    while it runs; the report must show the consequence rather than hide it.
    """

    async def on_loop(item: Any) -> Any:
        return function(item)

    on_loop.__name__ = on_loop.__qualname__ = f"{function.__name__}_on_loop"
    return on_loop


def apply_each(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """One batched task: `function` over several inputs, in order.

    Lives here because every engine's workers already import `workloads` (it is what
    gets shipped to a cluster), so batching backends can send it by reference.
    """
    return [function(item) for item in items]
