"""REPORT.md's opening, before any `##` heading: the run's title and how its cells ended.

The first section of `comparisons.report.sections.SECTIONS`; untitled, since its first
line is the document's own `#` title. The suite and the interpreter it names are read
from the run's own records (each record's `suite`, its environment's Python and the
executable the cells ran under), fault probes included, never from `env.json` (which
describes the process that started the run) or a default: a run made with
`PYTHON=.venvs/cpython-3.13/bin/python` is titled with 3.13.
"""

from __future__ import annotations

from typing import Any

from comparisons.cell.outcome import Status
from comparisons.records.cells import Cell
from comparisons.report.sections.context import Cells, Context

TITLE = None
INTRO = ""


def interpreters(records: list[Cell]) -> list[tuple[str, str]]:
    """(name, executable) of each interpreter the records ran under: the name
    ("CPython 3.13.0") from the environment a cell recorded, the executable from the
    record; the executables alone when no record has an environment."""
    named = {
        (_name(python), r.get("python") or python.get("executable") or "")
        for r in records
        if (python := (r.get("env") or {}).get("python"))
    }
    if not named:
        named = {("", path) for r in records if (path := r.get("python"))}
    return sorted(named)


def _name(python: dict[str, Any]) -> str:
    name = " ".join(str(v) for v in (python.get("implementation"), python.get("version")) if v)
    return name + (" free-threaded" if python.get("gil_disabled_build") else "")


def render(cells: Cells, context: Context) -> list[str]:
    """The `#` title naming the run(s), its suite and interpreter, then one line counting
    the cells by outcome (and the fault probes, if any)."""
    records = [*cells, *context.probes]
    run_ids = sorted({str(r["run_id"]) for r in records})
    suites = sorted({str(r["suite"]) for r in records})
    pythons = interpreters(records)
    names = sorted({name or f"`{path}`" for name, path in pythons})
    full = [f"{n} (`{path}`)" if n and path else n or f"`{path}`" for n, path in pythons]
    ok = sum(r["status"] == Status.OK for r in cells)
    skipped = sum(r["status"] == Status.SKIPPED for r in cells)
    probes = len(context.probes)
    label = ", ".join([f"suite `{', '.join(suites)}`", *names])
    return [
        f"# Concurrency comparison: {', '.join(run_ids)} ({label})",
        "",
        f"Suite `{', '.join(suites)}`"
        + (f" under {' and '.join(full)}" if full else "")
        + f": {len(cells)} cells, {ok} completed and verified, "
        f"{skipped} skipped (each row says why), {len(cells) - ok - skipped} failed or "
        "timed out"
        + (f"; {probes} fault probes (see When things go wrong)" if probes else "")
        + ".",
    ]
