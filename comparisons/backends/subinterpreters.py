"""`subinterpreters`: `concurrent.futures.InterpreterPoolExecutor` (Python 3.14+).

Idiom: `InterpreterPoolExecutor(max_workers=N).map(fn, inputs)`, the executor PEP 734
added to the standard library: each worker thread runs its own interpreter with its own
GIL, so pure-Python work runs in parallel inside one process, and arguments and results
cross between interpreters by pickling. On an interpreter without it (before 3.14) the
cell is skipped with that reason; run it with `--python` pointing at a 3.14.
"""

from __future__ import annotations

import platform
from typing import Any

from comparisons.backends.base import Backend, CellSkipped
from comparisons.backends.mechanics import ExecutorMap, shut_down_threads


class InterpreterPoolBackend(ExecutorMap, Backend):
    name = "subinterpreters"
    summary = "concurrent.futures.InterpreterPoolExecutor.map, one interpreter per worker (3.14+)"
    source = "docs.python.org/3.14/library/concurrent.futures.html#interpreterpoolexecutor"
    parallel = True
    running_task_note = "a running interpreter cannot be stopped"
    executor: Any = None

    def setup(self) -> None:
        try:
            from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined]
        except ImportError:
            raise CellSkipped(
                "needs concurrent.futures.InterpreterPoolExecutor (Python 3.14+); this is "
                f"{platform.python_implementation()} {platform.python_version()}"
            ) from None
        self.executor = InterpreterPoolExecutor(max_workers=self.workers)
        list(self.executor.map(abs, range(self.workers)))  # start the interpreters now

    def teardown(self) -> None:
        shut_down_threads(self.executor)
