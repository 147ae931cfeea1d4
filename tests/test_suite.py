"""Suite files expand into validated cells; malformed ones are refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from comparisons.errors import UserError
from comparisons.run.runner import _with_seed
from comparisons.run.suite import builtin_suites, expand_suite, resolve_suite_path, usable_cores


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.toml"
    path.write_text(text)
    return path


def test_builtin_suites_expand_and_put_baselines_first():
    for name in ("smoke", "quick", "default", "full"):
        settings, cells = expand_suite(resolve_suite_path(name))
        assert settings["name"] == name and cells
        backends = [c.backend for c in cells]
        first_other = next(i for i, b in enumerate(backends) if b != "serial")
        assert "serial" not in backends[first_other:]
        assert all(c.workers == 1 for c in cells if c.backend == "serial")


def test_sweep_is_a_cartesian_product_and_cores_resolves(tmp_path):
    path = write(
        tmp_path,
        """
repeats = 2
[[cells]]
workload = "cpu.primes"
backends = ["serial", "threads"]
workers = [1, "cores", "2*cores"]
tasks = [2, 4]
params = { span = [10, 20] }
""",
    )
    _, cells = expand_suite(path)
    threads = [c for c in cells if c.backend == "threads"]
    serial = [c for c in cells if c.backend == "serial"]
    assert len(threads) == len({1, usable_cores(), 2 * usable_cores()}) * 2 * 2
    assert len(serial) == 4  # workers collapse to 1 for the baseline
    assert {c.params["span"] for c in cells} == {10, 20}
    assert all(c.repeats == 2 and c.params["start"] == 1_000_000 for c in cells)


def test_filters_keep_the_serial_baseline():
    _, cells = expand_suite(
        resolve_suite_path("smoke"), backends=["ray"], workloads=["io.sleep"], repeats=7
    )
    assert {c.backend for c in cells} == {"serial", "ray"}
    assert {c.workload for c in cells} == {"io.sleep"}
    assert {c.repeats for c in cells} == {7}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[cells]\n", "not valid TOML"),
        ("colour = 1\n[[cells]]\nworkload='io.sleep'\n", "unknown key colour"),
        ("repeats = 3\n", "at least one"),
        ("[[cells]]\nbackends='all'\n", "missing 'workload'"),
        ("[[cells]]\nworkload='io.nope'\n", "unknown workload 'io.nope'"),
        ("[[cells]]\nworkload='io.sleep'\nbackends=['threadz']\n", "unknown backend 'threadz'"),
        ("[[cells]]\nworkload='io.sleep'\nworkers=0\n", "workers must be at least 1"),
        ("[[cells]]\nworkload='io.sleep'\nworkers='lots'\n", "not a whole number"),
        ("[[cells]]\nworkload='io.sleep'\ntasks=-1\n", "tasks must be"),
        ("[[cells]]\nworkload='io.sleep'\nparams={latency=-1}\n", "below its minimum"),
        ("[[cells]]\nworkload='io.sleep'\nspeed=3\n", "unknown key speed"),
        ("[[cells]]\nworkload='io.sleep'\ntimeout_s=0\n", "timeout_s must be"),
        ("extra_budget_s = 'a minute'\n[[cells]]\nworkload='io.sleep'\n", "number of seconds"),
        ("extra_budget_s = -5\n[[cells]]\nworkload='io.sleep'\n", "0 or more"),
        ("seed = 'lucky'\n[[cells]]\nworkload='io.sleep'\n", "seed must be a whole number"),
    ],
)
def test_malformed_suites_are_refused_with_a_reason(tmp_path, text, message):
    with pytest.raises(UserError, match=message):
        expand_suite(write(tmp_path, text))


def test_a_run_draws_its_own_seed_unless_the_suite_or_the_command_fixes_one(tmp_path):
    # Two runs of one suite meet the machine in different orders; the seed is recorded,
    # so either order can be run again.
    plain = write(tmp_path, "[[cells]]\nworkload='io.sleep'\n")
    drawn = {expand_suite(plain)[0]["seed"] for _ in range(6)}
    assert len(drawn) > 1 and all(isinstance(s, int) for s in drawn)
    fixed = tmp_path / "fixed.toml"
    fixed.write_text("seed = 7\n[[cells]]\nworkload='io.sleep'\n")
    assert expand_suite(fixed)[0]["seed"] == 7
    assert expand_suite(fixed, seed=11)[0]["seed"] == 11
    assert expand_suite(plain, seed=0)[0]["seed"] == 0
    with pytest.raises(UserError, match="SEED must be a whole number of 0 or more"):
        expand_suite(plain, seed=-1)


def test_the_recorded_command_carries_the_seed_it_ran_with():
    suite = {"seed": 42}
    assert _with_seed(["compare", "--suite", "map"], suite) == [
        "compare",
        "--suite",
        "map",
        "--seed",
        "42",
    ]
    # A command that already names it, a resume (its order is the recorded run's) and a
    # TARGET run (ordered by its plan) are left as typed.
    for argv in (["compare", "--seed", "3"], ["compare", "--resume", "x"], ["--target=a:b"]):
        assert _with_seed(argv, suite) == argv


def test_unknown_suite_names_the_valid_ones():
    with pytest.raises(UserError, match="smoke"):
        resolve_suite_path("nightly")
    assert {"smoke", "quick", "default"} <= set(builtin_suites())


def test_filters_that_name_unknown_things_are_refused():
    with pytest.raises(UserError, match="unknown backend 'rey'"):
        expand_suite(resolve_suite_path("smoke"), backends=["rey"])
    with pytest.raises(UserError, match="unknown workload"):
        expand_suite(resolve_suite_path("smoke"), workloads=["cpu.nope"])


def test_extra_budget_defaults_to_none_and_the_default_suite_sets_one(tmp_path):
    settings, _ = expand_suite(write(tmp_path, "[[cells]]\nworkload='io.sleep'\n"))
    assert settings["extra_budget_s"] == 0
    assert expand_suite(resolve_suite_path("default"))[0]["extra_budget_s"] > 0


def test_min_repeat_defaults_and_can_be_set(tmp_path):
    _, cells = expand_suite(write(tmp_path, "[[cells]]\nworkload='io.sleep'\n"))
    assert cells[0].min_repeat_s == 0.1
    path = write(tmp_path, "min_repeat_s = 0\n[[cells]]\nworkload='io.sleep'\nmin_repeat_s=0.5\n")
    assert expand_suite(path)[1][0].min_repeat_s == 0.5
    with pytest.raises(UserError, match="min_repeat_s must be"):
        expand_suite(write(tmp_path, "[[cells]]\nworkload='io.sleep'\nmin_repeat_s=-1\n"))


def test_sweep_runs_powers_of_two_to_the_cores_then_oversubscribes(tmp_path):
    from comparisons.run.suite import worker_sweep

    sweep = worker_sweep()
    assert sweep[0] == 1 and sweep[-1] == 2 * usable_cores() and sweep[-2] == usable_cores()
    assert sweep == sorted(set(sweep))
    _, cells = expand_suite(
        write(tmp_path, "[[cells]]\nworkload='io.sleep'\nbackends=['threads']\nworkers='sweep'\n")
    )
    assert [c.workers for c in cells] == sweep
