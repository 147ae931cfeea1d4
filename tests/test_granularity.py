"""Granularity sweeps in suites: fixed total work, varying task size."""

from __future__ import annotations

import pytest

from comparisons.errors import UserError
from comparisons.run.suite import expand_suite


def test_granularity_keeps_total_work_fixed(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        "[[cells]]\nworkload='cpu.primes'\nbackends=['serial','threads']\nworkers=2\n"
        "granularity={param='span', total=1200, sizes=[10, 100, 600]}\n"
    )
    _, cells = expand_suite(path)
    threads = sorted((c.tasks, c.params["span"]) for c in cells if c.backend == "threads")
    assert threads == [(2, 600), (12, 100), (120, 10)]
    assert all(c.tasks * c.params["span"] == 1200 for c in cells)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("tasks=3\ngranularity={param='span', total=10, sizes=[1]}", "either tasks or"),
        ("granularity={param='span', total=10}", "exactly param, total and sizes"),
        ("granularity={param='span', total=10, sizes=[20]}", "exceeds total"),
        ("granularity={param='spam', total=10, sizes=[2]}", "no parameter spam"),
    ],
)
def test_bad_granularity_is_refused(tmp_path, table, message):
    path = tmp_path / "s.toml"
    path.write_text(f"[[cells]]\nworkload='cpu.primes'\n{table}\n")
    with pytest.raises(UserError, match=message):
        expand_suite(path)
