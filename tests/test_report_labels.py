"""What the report calls things: the suite and interpreter read from the run's own
records, one-time copies of a shared input, a cluster's own CPU on this machine named
as the cluster's, and the variants section comparing idioms only with idioms at the
same concurrency. Made-up cells only (`made_up`): no result here depends on which
model a machine happened to make faster."""

from __future__ import annotations

from typing import Any

import made_up

from comparisons.records.cells import Cell, attach_baselines
from comparisons.records.schema import SharedInput
from comparisons.report.sections import machine, preamble, variants, workloads
from comparisons.report.sections.context import Context
from comparisons.report.sections.shared_input import copied

PY313 = "/work/main/.venvs/cpython-3.13/bin/python"


def environment(version: str = "3.11.7", **fields: Any) -> dict[str, Any]:
    """An environment as a cell records it, complete for the Machine section."""
    return {
        "cpu_model": "AMD EPYC",
        "logical_cores": 2,
        "physical_cores": 2,
        "usable_cores": 2,
        "cgroup_cpu_limit": None,
        "smt": False,
        "cpu_frequency": {},
        "memory_total_bytes": 2**34,
        "os": "Linux",
        "python": {
            "implementation": "CPython",
            "version": version,
            "gil_disabled_build": False,
            "gil_enabled": True,
            "executable": "/usr/bin/python3",
        },
        "multiprocessing_start_method": "fork",
        "packages": {"numpy": "2.4.6"},
        "git": {"commit": "0123456789ab"},
        "native_thread_variables": {"OMP_NUM_THREADS": "1"},
        **fields,
    }


def test_the_title_names_the_suite_and_interpreter_the_records_ran_under():
    cells = [
        made_up.cell(suite="default", run_id="r-700a", env=environment("3.13.0"), python=PY313),
        # A skipped cell records no environment: it does not add an interpreter.
        made_up.cell(suite="default", run_id="r-700a", env=None, python=PY313, status="skipped"),
    ]
    title, _, line = preamble.render(cells, Context())
    assert title == "# Concurrency comparison: r-700a (suite `default`, CPython 3.13.0)"
    assert line.startswith(f"Suite `default` under CPython 3.13.0 (`{PY313}`): 2 cells")
    assert "3.11" not in title + line


def test_a_run_of_fault_probes_alone_is_named_from_its_probes():
    probe = made_up.cell(
        suite="faults", run_id="r-ebf2", env=environment("3.13.0"), python=PY313, fault={}
    )
    context = Context(probes=(probe,))
    title, _, line = preamble.render([], context)
    assert title == "# Concurrency comparison: r-ebf2 (suite `faults`, CPython 3.13.0)"
    assert line.endswith("; 1 fault probes (see When things go wrong).")
    facts = "\n".join(machine.render([], context))
    assert "CPython 3.13.0" in facts and "No cell recorded" not in facts


def shared(crossing: str, once: int, per_run: int) -> SharedInput:
    return {
        "idiom": "an idiom",
        "crossing": crossing,
        "per_task_form": False,
        "bytes": 64 * 2**20,
        "bytes_copied_once": once,
        "bytes_copied_per_run": per_run,
    }


def test_a_broadcast_shows_what_it_copies_once_not_zero():
    assert copied(shared("per worker", 128 * 2**20, 0)) == "once: 128 MiB; per run: 0 MiB"
    assert copied(shared("per task", 0, 1024 * 2**20)) == "once: 0 MiB; per run: 1,024 MiB"


HOSTS = {"hosts": {"driver": "10.213.0.1", "head": "10.213.0.2"}}


def on_cluster(address: str, other: float, **fields: Any) -> Cell:
    return made_up.cell(
        backend="dask",
        cluster={"address": address},
        other_cpu_cores=other,
        cpu_utilisation=0.02,
        env=environment(hosts=HOSTS),
        **fields,
    )


def test_a_clusters_daemons_on_this_machine_are_not_blamed_on_the_user():
    for address in ("tcp://10.213.0.2:8786", "10.213.0.2:6379", "tcp://127.0.0.1:8786"):
        cells = [
            made_up.cell(backend="serial", workers=1, other_cpu_cores=0.13, env=environment()),
            on_cluster(address, 1.35),
        ]
        facts = "\n".join(machine.render(cells, Context()))
        assert "the cluster's scheduler and workers on this machine: 1.35 cores" in facts
        assert "Close other programs" not in facts
        assert "0.13 cores in the median cell that did not run on the cluster" in facts
        text = "\n".join(workloads.render(attach_baselines(cells), Context()))
        dask = next(line for line in text.splitlines() if "| dask |" in line)
        assert "busy machine" not in dask and "| 2% (driver only) |" in dask
        assert "the cluster's scheduler and workers on this machine: 1.35 cores" in dask


def test_a_remote_cluster_leaves_other_programs_to_blame():
    cells = [on_cluster("tcp://192.0.2.7:8786", 1.35)]
    facts = "\n".join(machine.render(cells, Context()))
    assert "**Other programs**: used 1.35 cores" in facts and "Close other programs" in facts
    text = "\n".join(workloads.render(cells, Context()))
    assert "busy machine (1.35 cores used by others)" in text
    assert "| 2% (driver only) |" in text  # its CPU use is still the driver's alone


def timed(backend: str, median: float, workers: int = 2) -> Cell:
    spread = [median * (1 + d) for d in (-0.01, 0.0, 0.01)]
    return made_up.cell([spread, spread], backend=backend, workers=workers)


def test_a_yardstick_is_never_the_best_default_idiom_however_the_timing_falls():
    # The loop faster than everything, between the variant and the default (where the
    # old section called it "the best default idiom"), or slowest: never named.
    for loop in (0.5, 0.85, 2.0):
        cells = [timed("serial", loop, workers=1), timed("processes", 1.0)]
        cells.append(timed("processes:executor", 0.7))
        assert all("serial" not in line for line in variants.verdict_changes(cells))


def test_a_variant_is_compared_only_with_defaults_at_its_own_concurrency():
    # The variant at 2 in flight is faster than the default at 1: not an answer changed.
    apart = [timed("processes", 1.0, workers=1), timed("processes:executor", 0.5)]
    assert variants.verdict_changes(apart) == []
    # At the same concurrency, a variant beyond the spread is reported, with its count.
    together = [timed("processes", 1.0), timed("processes:executor", 0.5)]
    (line,) = variants.verdict_changes(together)
    assert "2 in flight: `processes:executor`" in line and "`processes` (1.00 s)" in line
    rows = "\n".join(variants._model_tables(apart))
    assert "no default idiom measured at this in-flight count" in rows
