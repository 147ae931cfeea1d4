"""`subinterpreters`: PEP 734's `InterpreterPoolExecutor`, one interpreter per worker.

Idiom: `InterpreterPoolExecutor(max_workers=N).map(fn, inputs)`: each worker thread runs
its own interpreter with its own GIL, so pure-Python work runs in parallel inside one
process; the function and its arguments cross into the worker interpreter pickled, and
results come back by value (pickled unless the object is shareable). The interpreters
are created when the pool starts (set-up) and reused for every task.

Where the executor comes from, in order:
- Python 3.14+: the standard library's `concurrent.futures.InterpreterPoolExecutor`;
- Python 3.13: the `interpreters-pep-734` backport (installed by `make python-env` for a
  3.13 interpreter), built on 3.13's private `_interpreters` module. On 3.12 the backport
  does not import (3.12 has no `_interpreters`), so the cell is skipped with that reason.

A workload runs only if its module imports inside a subinterpreter: a C extension that
does not support several interpreters (NumPy is one) refuses to load there. That is
checked before any task runs, in a throwaway interpreter so the pool's interpreters
still pay their own first import on the first call, and the cell is then skipped with
the extension's own message.
"""

from __future__ import annotations

import logging
import platform
from concurrent.futures import BrokenExecutor
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import Any

from comparisons.backends.base import PER_TASK, Backend, CellSkipped
from comparisons.backends.mechanics import ExecutorMap, shut_down_threads
from workloads.spec import Workload

BACKPORT = "interpreters-pep-734"

# Run inside a fresh interpreter: import the module, and on failure raise one line with
# the innermost cause (NumPy wraps "does not support loading in subinterpreters" in a
# long ImportError of its own).
IMPORT_CHECK = """
try:
    import importlib
    importlib.import_module({module!r})
except BaseException as exc:
    cause = exc
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__
    raise RuntimeError(f"{{type(cause).__name__}}: {{cause}}") from None
"""


def implementation() -> tuple[Any, ModuleType, str]:
    """The executor class, the high-level `interpreters` module beside it, and which
    implementation they are ("stdlib" or the backport and its version)."""
    try:
        from concurrent import interpreters  # type: ignore[attr-defined]
        from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined]

        return InterpreterPoolExecutor, interpreters, "stdlib"
    except ImportError:
        pass
    this = f"{platform.python_implementation()} {platform.python_version()}"
    try:
        from interpreters_backport import interpreters
        from interpreters_backport.concurrent.futures import InterpreterPoolExecutor
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("interpreters_backport"):
            raise CellSkipped(
                f"needs concurrent.futures.InterpreterPoolExecutor (Python 3.14+) or, on "
                f"3.13, the {BACKPORT} backport (make python-env installs it); this is {this}"
            ) from None
        raise CellSkipped(
            f"the {BACKPORT} backport does not import on {this} (no {exc.name} module; "
            "it needs CPython 3.13, and the standard library has it from 3.14)"
        ) from None
    except ImportError as exc:
        raise CellSkipped(f"the {BACKPORT} backport does not import on {this}: {exc}") from None
    try:
        backport_version = version(BACKPORT)
    except PackageNotFoundError:
        backport_version = "unknown version"
    return InterpreterPoolExecutor, interpreters, f"{BACKPORT} {backport_version}"


class InterpreterPoolBackend(ExecutorMap, Backend):
    name = "subinterpreters"
    summary = (
        "InterpreterPoolExecutor.map, one interpreter per worker "
        f"(3.14+ stdlib, 3.13 via {BACKPORT})"
    )
    source = "peps.python.org/pep-0734/ (docs.python.org/3.14/library/concurrent.futures.html)"
    parallel = True
    executor = "{n} subinterpreters"
    dispatch = PER_TASK  # map's chunksize 1: each task pickled into a worker interpreter
    minimum_python = (3, 13)
    minimum_python_note = f"the standard library from 3.14, the {BACKPORT} backport on 3.13"
    running_task_note = "a running interpreter cannot be stopped"
    pool: Any = None
    interpreters: ModuleType | None = None
    implementation: str = ""

    def __init__(self, workers: int, address: str | None = None) -> None:
        super().__init__(workers, address)
        self.start_failures: list[str] = []

    def setup(self) -> None:
        executor_class, self.interpreters, self.implementation = implementation()
        try:
            self.pool = self._started(executor_class)
        except BrokenExecutor as exc:
            # Seen once in CI on 3.13.0 with the backport: an interpreter failed to
            # start. One more try, counted in set-up time and recorded; a second
            # failure is the cell's error, with the initializer's own message.
            self.start_failures.append(str(exc))
            self.pool = self._started(executor_class)

    def _started(self, executor_class: Any) -> Any:
        """A pool with every interpreter created: one task per worker, submitted at
        once, makes it start every thread and interpreter now rather than during the
        first measured run. A failed start raises with the initializer's own error,
        which the executor only logs."""
        caught = _InitializerErrors()
        logger = logging.getLogger("concurrent.futures")
        logger.addHandler(caught)
        executor = executor_class(max_workers=self.workers)
        try:
            list(executor.map(abs, range(self.workers)))
        except BrokenExecutor as exc:
            executor.shutdown(wait=False, cancel_futures=True)
            raise type(exc)(f"{exc}: {' | '.join(caught.messages) or 'no message'}") from exc
        finally:
            logger.removeHandler(caught)
        return executor

    def cannot_run_workload(self, workload: Workload) -> str | None:
        module = workload.sync.__module__
        if module == "__main__":
            return (
                f"{workload.name}'s function is defined in __main__, which a "
                "subinterpreter cannot import; move it into a module"
            )
        assert self.interpreters is not None
        interpreter = self.interpreters.create()
        try:
            interpreter.exec(IMPORT_CHECK.format(module=module))
        except self.interpreters.ExecutionFailed as exc:
            return f"{module} does not import in a subinterpreter: {exc.excinfo.msg}"
        finally:
            interpreter.close()
        return None

    def teardown(self) -> None:
        shut_down_threads(self.pool)

    def describe(self) -> dict[str, Any]:
        return {"implementation": self.implementation, "start_failures": self.start_failures}


class _InitializerErrors(logging.Handler):
    """Keeps what a pool logs when a worker's initializer fails (the exception it does
    not raise)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            self.messages.append(f"{type(error).__name__}: {error}")
        else:
            self.messages.append(record.getMessage())
