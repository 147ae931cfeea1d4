"""What runs the work and how tasks reach it, declared by every backend; the A/A twins
and the suite that runs them (SUITE=aa), checked without starting any engine.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from comparisons.backends import (
    REGISTRY,
    TWINS,
    backend_class,
    display_order,
    expand_backend_name,
    model_names,
    model_of,
    twin_of,
    variant_names,
)
from comparisons.backends.base import BATCHED, DISPATCHES, IN_LINE, PER_TASK
from comparisons.run.suite import builtin_suites, expand_suite, resolve_suite_path
from workloads import load_workload


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_backend_declares_what_runs_the_work_and_how_tasks_reach_it(name):
    backend = backend_class(name)
    assert backend.dispatch in DISPATCHES, f"{name}: dispatch {backend.dispatch!r}"
    assert isinstance(backend.executor, str) and backend.executor.strip()
    label = backend.executor_label(3)
    assert "{" not in label and label.strip()
    if "{n}" in backend.executor:
        assert "3" in label


def test_pool_map_batches_and_one_future_per_task_does_not():
    assert backend_class("processes").dispatch == BATCHED
    assert backend_class("processes:executor").dispatch == PER_TASK
    # Both are one pool of processes: the same executor, another dispatch.
    assert backend_class("processes").executor_label(2) == "a pool of 2 processes"
    assert backend_class("processes:executor").executor_label(2) == "a pool of 2 processes"
    for batched in ("processes:spawn", "processes:joblib", "ray:batched", "dask:bag"):
        assert backend_class(batched).dispatch == BATCHED, batched
    for per_task in ("threads", "asyncio", "trio", "dask", "ray", "ray:actors"):
        assert backend_class(per_task).dispatch == PER_TASK, per_task
    assert backend_class("serial").dispatch == IN_LINE


def test_front_ends_of_one_process_pool_share_its_words():
    pools = {"processes", "trio:parallel", "asyncio:process-pool", "processes:joblib"}
    assert {backend_class(n).executor_label(2) for n in pools} == {"a pool of 2 processes"}
    assert backend_class("asyncio").executor == backend_class("trio").executor


# --- A/A twins -----------------------------------------------------------------------


def test_a_twin_is_its_originals_class_under_a_model_name_of_its_own():
    assert set(TWINS) == {"twin-processes", "twin-threads", "twin-asyncio"}
    for twin, original in TWINS.items():
        assert REGISTRY[twin] == REGISTRY[original]
        assert backend_class(twin) is backend_class(original)
        assert model_of(twin) == twin != model_of(original)
        assert twin_of(twin) == original and twin_of(original) is None


def test_twins_are_never_in_all_or_variants_or_a_models_star():
    assert not set(TWINS) & set(model_names())
    assert not set(TWINS) & set(variant_names())
    for model in model_names():
        assert not set(TWINS) & set(expand_backend_name(f"{model}:*"))
    # Listed after their original's variants.
    order = sorted(REGISTRY, key=display_order)
    assert order.index("twin-processes") > order.index("processes:spawn")
    assert order.index("twin-processes") < order.index("asyncio")


def test_only_the_aa_suite_runs_twins():
    for name, path in builtin_suites().items():
        if name == "aa":
            continue
        text = path.read_text()
        assert not any(twin in text for twin in TWINS), name


def _work(cell):
    """A cell's settings but its backend: what a twin must share with its original."""
    return replace(cell, backend="")


def test_each_twin_pairs_with_its_original_on_the_same_default_cells():
    _, aa = expand_suite(resolve_suite_path("aa"))
    _, default = expand_suite(resolve_suite_path("default"))
    default_cells = {c.key: c for c in default}
    originals = {(c.backend, _work(c).key) for c in aa if c.backend in TWINS.values()}
    twins = {(TWINS[c.backend], _work(c).key) for c in aa if c.backend in TWINS}
    assert twins == originals  # every twin beside its original, and every original twinned
    kinds: dict[str, set[str]] = {}
    for cell in aa:
        original = replace(cell, backend=TWINS.get(cell.backend, cell.backend))
        # A row of the default suite, at its sizes and with its settings.
        assert default_cells.get(original.key) == original, original.key
        if cell.backend in TWINS:
            kinds.setdefault(cell.backend, set()).add(load_workload(cell.workload).kind)
    assert {twin: {"cpu", "io"} <= found for twin, found in kinds.items()} == dict.fromkeys(
        TWINS, True
    )


def test_the_aa_suite_keeps_the_default_suites_budget_rules():
    aa, _ = expand_suite(resolve_suite_path("aa"))
    default, _ = expand_suite(resolve_suite_path("default"))
    assert aa["extra_budget_s"] == default["extra_budget_s"]
    # Neither fixes its order: each run draws a seed (and records it).
    for name in ("aa", "default"):
        assert "seed = " not in resolve_suite_path(name).read_text()
