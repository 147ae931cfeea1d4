"""The user's own function as a workload: `target:<module or file>:<function>`.

`make compare TARGET=mypkg.mod:fn` (or `TARGET=path/to/file.py:fn`) asks the project's
question about the user's code. This module turns such a name into a `Workload` the
harness runs like any built-in one, in every process that needs it (the parent, each
cell's subprocess, pool workers, Dask and Ray workers), so everything about the target
is in its name: `target:examples/blur.py:blur?inputs=...&tolerance=1e-9&work=gil`.

How a target is found and run:

- **The function** is imported by module name, or from a file whose directory goes on
  `sys.path` and on `PYTHONPATH` (so every child process, Ray and Dask workers
  included, imports it by the same name and unpickles it by reference).
- **Companions**, by a small convention or given explicitly: `<fn>_inputs(tasks)`
  returns the task inputs (default `range(tasks)`; `inputs=` may also name a `.jsonl`,
  `.json` or `.pkl` file of items); `<fn>_asyncio` and `<fn>_trio` are the async forms
  (without them asyncio and Trio run the function through `to_thread`, and the report
  says so); `<fn>_matches(got, expected)` compares results (or `tolerance=`).
- **Expected results** are the serial results, computed once per task count and kept
  in `$COMPARISONS_TARGET_CACHE` when the harness sets it: correctness is relative to
  serial, not independent of it, and the report says so.
- **Services**: `<fn>_services = ("latency_server",)` has the harness run the project's
  loopback latency server beside every cell (its address in
  `COMPARISONS_SERVICE_LATENCY_SERVER`), as the built-in `io.http` does.
- **What kind of work it is** (`work=gil|released|waiting`) comes from the
  characterisation probe (`comparisons.target.characterise`); the verdict's row and claims read
  it as they read a built-in workload's category.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import json
import math
import os
import pickle
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, quote

from workloads.spec import UserError, Workload
from workloads.vocabulary import Category, Kind

PREFIX = "target:"
CACHE_VARIABLE = "COMPARISONS_TARGET_CACHE"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
INPUT_FILE_SUFFIXES = (".jsonl", ".json", ".pkl", ".pickle")
# What the characterisation found -> how the report files the work.
WORK = {
    "gil": (Kind.CPU, Category.GIL_BOUND_CPU),
    "released": (Kind.CPU, Category.GIL_RELEASING_CPU),
    "waiting": (Kind.IO, Category.WAITING_IO),
}
UNCHARACTERISED = (Kind.CPU, Category.YOUR_FUNCTION)


class TargetError(UserError):
    """A target that cannot be used as given (a user's mistake): the message says why."""


def is_target(name: str) -> bool:
    return name.startswith(PREFIX)


@dataclass(frozen=True)
class TargetSpec:
    """A user's function and its companions, as references `MODULE:NAME` or
    `FILE.py:NAME` (and `inputs` may be a data file). Round-trips through `name`."""

    function: str
    inputs: str | None = None
    asyncio: str | None = None
    trio: str | None = None
    matches: str | None = None
    tolerance: float | None = None
    work: str | None = None

    @property
    def name(self) -> str:
        options = [
            f"{f.name}={quote(str(getattr(self, f.name)), safe='/:._-')}"
            for f in fields(self)
            if f.name != "function" and getattr(self, f.name) is not None
        ]
        return PREFIX + self.function + ("?" + "&".join(options) if options else "")

    @property
    def function_name(self) -> str:
        return self.function.rpartition(":")[2]

    @classmethod
    def parse(cls, name: str) -> TargetSpec:
        """The spec a target name stands for; `TargetError` says what is malformed."""
        text = name[len(PREFIX) :] if is_target(name) else name
        function, _, query = text.partition("?")
        known = {f.name for f in fields(cls)} - {"function"}
        options: dict[str, Any] = {}
        for key, value in parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)):
            if key not in known:
                raise TargetError(
                    f"target option {key!r} is unknown (valid: {', '.join(sorted(known))})"
                )
            options[key] = value
        if "tolerance" in options:
            options["tolerance"] = parse_tolerance(options["tolerance"])
        if options.get("work") not in (None, *WORK):
            raise TargetError(f"work={options['work']!r} is not one of {', '.join(WORK)}")
        spec = cls(canonical_reference(function), **options)
        for reference in (spec.asyncio, spec.trio, spec.matches):
            if reference is not None:
                split_reference(reference)
        if spec.inputs is not None and not is_data_file(spec.inputs):
            split_reference(spec.inputs)
        return replace(
            spec,
            inputs=canonical_reference(spec.inputs) if spec.inputs else None,
            asyncio=canonical_reference(spec.asyncio) if spec.asyncio else None,
            trio=canonical_reference(spec.trio) if spec.trio else None,
            matches=canonical_reference(spec.matches) if spec.matches else None,
        )


def parse_tolerance(raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise TargetError(f"tolerance {raw!r} is not a number") from None
    if not 0 <= value < 1 or math.isnan(value):
        raise TargetError(f"tolerance must be a relative difference in [0, 1), got {raw}")
    return value


def is_data_file(reference: str) -> bool:
    return reference.lower().endswith(INPUT_FILE_SUFFIXES)


def split_reference(reference: str) -> tuple[str, str]:
    """(module or file, attribute) of `MODULE:NAME` or `FILE.py:NAME`."""
    where, sep, attribute = reference.rpartition(":")
    if not sep or not where or not attribute.isidentifier():
        raise TargetError(
            f"{reference!r} is not MODULE:FUNCTION or FILE.py:FUNCTION "
            "(e.g. mypkg.images:resize or examples/blur.py:blur)"
        )
    return where, attribute


def _is_file(where: str) -> bool:
    return where.endswith(".py") or "/" in where or os.sep in where


def canonical_reference(reference: str) -> str:
    """A file reference relative to the project when inside it, else absolute, so the
    name means the same file in every process (cells run from the project root)."""
    if is_data_file(reference):
        return _canonical_path(reference)
    where, attribute = split_reference(reference)
    if not _is_file(where):
        return reference
    return f"{_canonical_path(where)}:{attribute}"


def _canonical_path(path: str) -> str:
    resolved = Path(path).expanduser()
    if not resolved.is_absolute():
        resolved = (
            (Path.cwd() / resolved)
            if (Path.cwd() / resolved).exists()
            else (PROJECT_ROOT / resolved)
        )
    resolved = resolved.resolve()
    try:
        return str(resolved.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(resolved)


def _project_path(path: str) -> Path:
    return Path(path) if Path(path).is_absolute() else PROJECT_ROOT / path


# Code of the targets this process imported, by module name: a file, or the directory
# of a package that is not installed. Cluster backends ship it with `workloads`.
_SHIPPED: dict[str, Path] = {}


def shipped_code() -> list[Path]:
    """Files and package directories an external cluster's workers need for the targets
    this process loaded (installed packages must be installed there too)."""
    return sorted(set(_SHIPPED.values()))


def _share_path(directory: Path) -> None:
    """Make modules in `directory` importable here and in every child process."""
    entry = str(directory)
    if entry not in sys.path:
        sys.path.insert(0, entry)
    current = os.environ.get("PYTHONPATH", "")
    if entry not in current.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (entry, current) if p)


def import_module_of(where: str) -> ModuleType:
    """The module a reference names, imported the way every worker will import it."""
    if _is_file(where):
        path = _project_path(where)
        if not path.is_file():
            raise TargetError(f"{where}: no such file")
        if not path.stem.isidentifier():
            raise TargetError(f"{where}: {path.stem!r} is not a valid module name; rename the file")
        loaded = sys.modules.get(path.stem)
        origin = getattr(loaded, "__file__", None)
        if loaded is not None and (origin is None or Path(origin).resolve() != path.resolve()):
            raise TargetError(
                f"{where}: its module name {path.stem!r} is already taken by "
                f"{origin or 'a built-in module'}; rename the file"
            )
        _share_path(path.parent.resolve())
        name = path.stem
        _SHIPPED[name] = path.resolve()
    else:
        name = where
    try:
        module = importlib.import_module(name)
    except TargetError:
        raise
    except BaseException as exc:  # the user's module may raise anything while importing
        raise TargetError(f"{where} does not import: {type(exc).__name__}: {exc}") from None
    if not _is_file(where):
        _share_importable_root(module)
    return module


def _share_importable_root(module: ModuleType) -> None:
    """For a module found through the current directory (not installed), put that
    directory on every child's path too, and ship it to clusters; installed packages
    and the standard library need nothing."""
    origin = getattr(module, "__file__", None)
    if origin is None:
        return
    root = Path(origin).resolve().parent
    depth = module.__name__.count(".") + (1 if Path(origin).name == "__init__.py" else 0)
    for _ in range(depth):
        root = root.parent
    if _installed(root):
        return
    _share_path(root)
    top = module.__name__.partition(".")[0]
    if top not in ("workloads", "comparisons"):
        _SHIPPED[top] = root / top if (root / top).is_dir() else root / f"{top}.py"


def _installed(root: Path) -> bool:
    """True for the standard library and installed packages (not the user's code)."""
    if {"site-packages", "dist-packages"} & set(root.parts):
        return True
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return any(root == prefix or prefix in root.parents for prefix in prefixes)


def resolve_reference(reference: str, what: str) -> Callable[..., Any]:
    """The callable `reference` names; `TargetError` when it is missing or not one."""
    where, attribute = split_reference(reference)
    module = import_module_of(where)
    found = getattr(module, attribute, None)
    if found is None:
        public = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise TargetError(
            f"{where} has no {what} {attribute!r} (its callables: {', '.join(public) or 'none'})"
        )
    if not callable(found):
        raise TargetError(f"{reference} is not callable (it is a {type(found).__name__})")
    return found


def _companion(module: ModuleType, function: str, suffix: str) -> Callable[..., Any] | None:
    found = getattr(module, f"{function}_{suffix}", None)
    return found if callable(found) else None


def pickling_problem(function: Callable[..., Any]) -> str | None:
    """Why `function` cannot be sent to another process by reference, or None."""
    try:
        pickle.dumps(function)
    except Exception as exc:  # what pickle raises varies: PicklingError, AttributeError...
        return f"{getattr(function, '__qualname__', function)!r} cannot be pickled ({exc})"
    return None


def load_input_file(path: str) -> list[Any]:
    """The items of a JSON-lines, JSON-list or pickle file the user owns."""
    file = _project_path(path)
    try:
        if file.suffix.lower() in (".pkl", ".pickle"):
            items = pickle.loads(file.read_bytes())
        elif file.suffix.lower() == ".jsonl":
            items = [json.loads(line) for line in file.read_text().splitlines() if line.strip()]
        else:
            items = json.loads(file.read_text())
    except OSError as exc:
        raise TargetError(f"inputs {path}: {exc.strerror}") from None
    except (ValueError, pickle.UnpicklingError, EOFError) as exc:
        raise TargetError(f"inputs {path} do not load: {type(exc).__name__}: {exc}") from None
    if not isinstance(items, list) or not items:
        raise TargetError(f"inputs {path} must hold a non-empty list of items")
    return items


def items_for(spec: TargetSpec, module: ModuleType, tasks: int) -> list[Any]:
    """The task inputs: from the companion function, the data file, or range(tasks)."""
    if spec.inputs and is_data_file(spec.inputs):
        items = load_input_file(spec.inputs)
        if len(items) < tasks:
            raise TargetError(f"inputs {spec.inputs} hold {len(items)} items; {tasks} tasks asked")
        return items[:tasks]
    maker = (
        resolve_reference(spec.inputs, "inputs function")
        if spec.inputs
        else _companion(module, spec.function_name, "inputs")
    )
    if maker is None:
        return list(range(tasks))
    try:
        items = list(maker(tasks))
    except BaseException as exc:
        raise TargetError(
            f"the inputs function {getattr(maker, '__name__', maker)}({tasks}) raised "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if len(items) != tasks:
        raise TargetError(f"the inputs function returned {len(items)} items for {tasks} tasks")
    return items


def same(got: Any, want: Any, tolerance: float | None = None) -> bool:
    """Equality that understands NumPy arrays and, with a tolerance, floats (relative,
    and absolute near zero), element by element through lists, tuples and dicts."""
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and got.keys() == want.keys()
            and all(same(got[k], want[k], tolerance) for k in want)
        )
    if isinstance(want, list | tuple):
        return (
            isinstance(got, list | tuple)
            and len(got) == len(want)
            and all(same(g, w, tolerance) for g, w in zip(got, want, strict=True))
        )
    if type(want).__module__ == "numpy" or type(got).__module__ == "numpy":
        import numpy as np

        try:
            if tolerance is None:
                return bool(np.array_equal(got, want))
            return bool(np.allclose(got, want, rtol=tolerance, atol=tolerance))
        except (TypeError, ValueError):
            return False
    if tolerance is not None and isinstance(want, float | int) and isinstance(got, float | int):
        return math.isclose(got, want, rel_tol=tolerance, abs_tol=tolerance)
    try:
        return bool(got == want)
    except Exception:
        return False


def _serial_results(function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    return [function(item) for item in items]


def _cached_expected(name: str, tasks: int, compute: Callable[[], list[Any]]) -> list[Any]:
    """The serial results, computed once per task count when the harness gave a cache."""
    directory = os.environ.get(CACHE_VARIABLE)
    if not directory:
        return compute()
    path = Path(directory) / (hashlib.sha256(f"{name}|{tasks}".encode()).hexdigest()[:20] + ".pkl")
    if path.is_file():
        return list(pickle.loads(path.read_bytes()))
    results = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(pickle.dumps(results))
    partial.replace(path)
    return results


def _via_asyncio_thread(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    async def via_thread(item: Any) -> Any:
        return await asyncio.to_thread(function, item)

    via_thread.__name__ = via_thread.__qualname__ = f"{function.__name__}_to_thread"
    via_thread.via_thread = True  # type: ignore[attr-defined]
    return via_thread


def _via_trio_thread(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    async def via_thread(item: Any) -> Any:
        import trio

        return await trio.to_thread.run_sync(function, item)

    via_thread.__name__ = via_thread.__qualname__ = f"{function.__name__}_to_thread"
    via_thread.via_thread = True  # type: ignore[attr-defined]
    return via_thread


def has_native_form(form: Callable[..., Any]) -> bool:
    """True when an async form is the user's own, not the sync function via to_thread."""
    return not getattr(form, "via_thread", False)


def _async_form(
    spec_reference: str | None, module: ModuleType, function: str, suffix: str
) -> Callable[..., Any] | None:
    found = (
        resolve_reference(spec_reference, f"{suffix} form")
        if spec_reference
        else _companion(module, function, suffix)
    )
    if found is not None and not inspect.iscoroutinefunction(found):
        raise TargetError(f"the {suffix} form {found.__qualname__} must be an `async def`")
    return found


def load_target(name: str) -> Workload:
    """The `Workload` a target name stands for, importing the user's module."""
    spec = TargetSpec.parse(name)
    where, attribute = split_reference(spec.function)
    function = resolve_reference(spec.function, "function")
    module = import_module_of(where)
    if inspect.iscoroutinefunction(function):
        raise TargetError(
            f"{spec.function} is an `async def`; give the plain function as TARGET and the "
            f"async one as {attribute}_asyncio (or --asyncio)"
        )
    on_asyncio = _async_form(spec.asyncio, module, attribute, "asyncio")
    on_trio = _async_form(spec.trio, module, attribute, "trio")
    compare = (
        resolve_reference(spec.matches, "matches function")
        if spec.matches
        else _companion(module, attribute, "matches")
    )
    tolerance = spec.tolerance

    def matches(got: Any, want: Any) -> bool:
        return bool(compare(got, want)) if compare else same(got, want, tolerance)

    def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[Any]:
        return items_for(spec, module, tasks)

    def expected(tasks: int, params: Mapping[str, Any]) -> list[Any]:
        return _cached_expected(
            spec.name, tasks, lambda: _serial_results(function, make_inputs(tasks, params))
        )

    kind, category = WORK.get(spec.work or "", UNCHARACTERISED)
    forms = []
    for label, form in (("asyncio", on_asyncio), ("Trio", on_trio)):
        forms.append(
            f"{label} runs {form.__qualname__}" if form else f"{label} runs it through to_thread"
        )
    return Workload(
        name=name,
        kind=kind,
        description=f"your function {spec.function}; " + ", ".join(forms),
        sync=function,
        asyncio=on_asyncio or _via_asyncio_thread(function),
        trio=on_trio or _via_trio_thread(function),
        make_inputs=make_inputs,
        expected=expected,
        matches=matches,
        category=category,
        services=_services(module, attribute),
        crossing_problem=pickling_problem(function),
    )


def _services(module: ModuleType, function: str) -> tuple[str, ...]:
    """The project services (`comparisons.run.services`) the target needs running, from
    `<fn>_services` in its module, e.g. `("latency_server",)`."""
    declared = getattr(module, f"{function}_services", ())
    if isinstance(declared, str) or not all(isinstance(n, str) for n in declared):
        raise TargetError(f"{function}_services must be a tuple of service names")
    return tuple(declared)
