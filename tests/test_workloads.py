"""Workloads compute the right thing, verify strictly and validate their parameters."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys

import pytest
import trio

from comparisons.cell.contract import CellSpec
from comparisons.records.schema import Status
from comparisons.run.harness import run_cell
from workloads import REGISTRY, UnknownWorkload, load_workload
from workloads.cpu_hash import sha256_of_task, shared_buffer
from workloads.cpu_primes import (
    COOPERATIVE_CHUNK,
    count_primes,
    count_primes_cooperatively,
    expected_counts,
)
from workloads.spec import ParameterError


def test_every_registered_workload_loads_with_its_own_name():
    for name in REGISTRY:
        assert load_workload(name).name == name


def test_unknown_workload_names_the_valid_ones():
    with pytest.raises(UnknownWorkload, match="cpu.primes"):
        load_workload("cpu.nope")


@pytest.mark.parametrize(
    ("lo", "hi", "count"), [(0, 100, 25), (0, 1_000_000, 78_498), (100, 200, 21), (2, 3, 1)]
)
def test_trial_division_matches_known_prime_counts(lo, hi, count):
    assert count_primes((lo, hi)) == count


@pytest.mark.parametrize(("start", "span", "tasks"), [(0, 97, 5), (999_983, 1_000, 3), (1, 1, 4)])
def test_sieve_expectation_agrees_with_trial_division(start, span, tasks):
    workload = load_workload("cpu.primes")
    params = {"start": start, "span": span}
    inputs = workload.make_inputs(tasks, params)
    assert expected_counts(tasks, params) == [count_primes(item) for item in inputs]


@pytest.mark.parametrize(
    "bounds",
    [(0, 100), (999_983, 1_002_000), (2, 3), (5, 5), (10**6, 10**6 + 3 * COOPERATIVE_CHUNK)],
)
def test_the_cooperative_form_counts_what_the_task_function_counts(bounds):
    assert asyncio.run(count_primes_cooperatively(bounds)) == count_primes(bounds)


async def _turns_of_another_task(form, bounds) -> tuple[int, int]:
    """(the form's result, how many times another task on the loop ran meanwhile)."""
    turns = 0
    done = False

    async def other() -> None:
        nonlocal turns
        while not done:
            turns += 1
            await asyncio.sleep(0)

    beside = asyncio.create_task(other())
    await asyncio.sleep(0)  # the other task starts, then waits for its next turn
    started = turns
    result = await form(bounds)
    done = True
    await beside
    return result, turns - started


def test_the_cooperative_form_lets_other_tasks_run_between_chunks_and_the_async_form_not():
    workload = load_workload("cpu.primes")
    chunks = 6
    bounds = (1_000_000, 1_000_000 + chunks * COOPERATIVE_CHUNK)
    expected = count_primes(bounds)
    result, turns = asyncio.run(_turns_of_another_task(workload.asyncio_cooperative, bounds))
    assert result == expected and turns >= chunks - 1
    # The async form every asyncio row runs never awaits: nothing else runs until it ends.
    result, turns = asyncio.run(_turns_of_another_task(workload.asyncio, bounds))
    assert result == expected and turns == 0


def test_a_cooperative_form_is_declared_where_cpu_work_runs_on_the_loop():
    assert load_workload("mixed.pipeline").asyncio_cooperative is not None
    assert load_workload("io.sleep").asyncio_cooperative is None  # it awaits already


def test_verify_reports_the_first_wrong_result():
    workload = load_workload("cpu.primes")
    verdict = workload.verify([4, 5, 2], [4, 4, 2])
    assert not verdict.ok and "task 1" in verdict.detail
    assert not workload.verify([4], [4, 4]).ok
    assert workload.verify([4, 4], [4, 4]).ok


@pytest.mark.parametrize(
    "module", ["cpu_primes", "cpu_mandelbrot", "cpu_hash", "io_sleep", "io_http", "io_files",
               "mixed_pipeline", "overhead_noop", "overhead_bytes"],
)  # fmt: skip
def test_workloads_without_arrays_do_not_load_numpy_where_tasks_run(module):
    """NumPy cannot load in a subinterpreter: a workload whose tasks need none must not
    import it (its harness-side checks may)."""
    code = f"import sys, workloads.{module}; print('numpy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_a_handoffs_two_stages_give_the_expected_sums():
    workload = load_workload("overhead.handoff")
    params = workload.resolve_params({"kilobytes": 8})
    assert workload.produce is not None
    got = [workload.sync(workload.produce(item)) for item in workload.make_inputs(3, params)]
    assert workload.verify(got, workload.expected(3, params)).ok
    assert workload.bytes_per_task(params) == 8 * 1024
    assert workload.bytes_per_task(workload.resolve_params({"same_worker": 1})) == 0


def test_sleep_forms_all_return_the_task_id():
    workload = load_workload("io.sleep")
    item = (7, 0.001)
    assert workload.sync(item) == 7
    assert asyncio.run(workload.asyncio(item)) == 7
    assert trio.run(workload.trio, item) == 7
    assert workload.expected(3, {"latency": 0.0}) == [0, 1, 2]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"span": "0"}, "below its minimum"),
        ({"span": "many"}, "not a valid int"),
        ({"span": 2.5}, "not a valid int"),
        ({"spam": 1}, "no parameter spam"),
    ],
)
def test_bad_parameters_are_refused_with_a_reason(given, message):
    with pytest.raises(ParameterError, match=message):
        load_workload("cpu.primes").resolve_params(given)


def test_parameters_from_the_command_line_are_converted():
    assert load_workload("io.sleep").resolve_params({"latency": "0.5"}) == {"latency": 0.5}
    with pytest.raises(ParameterError, match="below its minimum"):
        load_workload("io.sleep").resolve_params({"latency": "-1"})


def test_cpu_primes_without_a_payload_is_the_workload_it_was():
    workload = load_workload("cpu.primes")
    for given in ({"span": 97}, {"span": 97, "kilobytes": 0}):
        params = workload.resolve_params(given)
        # No new key: cells, records and `make diff` pairs stay as they were.
        assert params == {"span": 97, "start": 1_000_000}
        key = CellSpec("cpu.primes", "threads", 2, 5, params).key
        assert key.endswith("|span=97,start=1000000")
        inputs = workload.make_inputs(5, params)
        assert inputs == [(1_000_000 + 97 * i, 1_000_000 + 97 * (i + 1)) for i in range(5)]
        assert workload.expected(5, params) == expected_counts(5, params)
        results = [workload.sync(item) for item in inputs]
        assert results == [count_primes(item) for item in inputs]
        assert workload.verify(results, workload.expected(5, params)).ok
        assert workload.bytes_per_task(params) == 0
    assert asyncio.run(workload.asyncio_cooperative(inputs[0])) == count_primes(inputs[0])


def test_cpu_primes_with_a_payload_counts_the_same_and_hands_the_payload_back():
    workload = load_workload("cpu.primes")
    params = workload.resolve_params({"span": 97, "kilobytes": 3})
    inputs = workload.make_inputs(4, params)
    assert all(len(item[2]) == 3 * 1024 for item in inputs)
    assert len({item[2] for item in inputs}) == 4  # each task's own payload
    results = [workload.sync(item) for item in inputs]
    assert [count for count, _ in results] == expected_counts(4, params)
    assert all(payload is item[2] for (_, payload), item in zip(results, inputs, strict=True))
    assert workload.verify(results, workload.expected(4, params)).ok
    assert asyncio.run(workload.asyncio_cooperative(inputs[1])) == results[1]
    assert workload.bytes_per_task(params) == 2 * 3 * 1024


@pytest.mark.parametrize(
    "spoil",
    [
        lambda results: [results[1], results[0], *results[2:]],  # payloads of other tasks
        lambda results: [(results[0][0], results[0][1][:-1]), *results[1:]],  # cut short
        lambda results: [(results[0][0], results[0][1][:500] + b"?" * 40 + results[0][1][540:]),
                         *results[1:]],  # altered in the middle
        lambda results: [(results[0][0] + 1, results[0][1]), *results[1:]],  # wrong count
        lambda results: [results[0][0], *results[1:]],  # the count alone
    ],
)  # fmt: skip
def test_a_wrong_payload_fails_verification_and_the_detail_stays_short(spoil):
    workload = load_workload("cpu.primes")
    params = workload.resolve_params({"span": 10, "start": 100, "kilobytes": 1})
    inputs = workload.make_inputs(3, params)
    verdict = workload.verify(spoil([workload.sync(item) for item in inputs]),
                              workload.expected(3, params))  # fmt: skip
    assert not verdict.ok and "task 0" in verdict.detail and len(verdict.detail) < 600


@pytest.mark.parametrize("backend", ["serial", "threads", "processes"])
def test_payloads_round_trip_through_the_models_and_verify(backend):
    workers = 1 if backend == "serial" else 2
    spec = CellSpec("cpu.primes", backend, workers, 6, {"span": 300, "kilobytes": 256}, repeats=1)
    record = run_cell(spec)
    assert record["status"] == Status.OK, record["error"]
    assert record["params"]["kilobytes"] == 256 and record["bytes_per_task"] == 2 * 256 * 1024


def test_cpu_hash_takes_its_size_in_kilobytes_or_megabytes_never_both():
    workload = load_workload("cpu.hash")
    assert workload.resolve_params({"megabytes": 36}) == {"megabytes": 36}  # keys unchanged
    assert workload.resolve_params({"kilobytes": 32}) == {"kilobytes": 32}
    assert workload.resolve_params({"kilobytes": 0}) == {}  # the default, 16 MiB
    by_default = workload.make_inputs(2, workload.resolve_params({}))
    assert by_default == [(0, 16 * 2**20), (1, 16 * 2**20)]
    assert workload.make_inputs(2, {"kilobytes": 32}) == [(0, 32 * 1024), (1, 32 * 1024)]
    for both in ({"megabytes": 1, "kilobytes": 32}, {"megabytes": 4, "kilobytes": 0}):
        with pytest.raises(ParameterError, match="takes megabytes or kilobytes, not megabytes"):
            workload.resolve_params(both)


def test_cpu_hash_in_kilobytes_hashes_that_many_bytes_and_verifies():
    workload = load_workload("cpu.hash")
    params = workload.resolve_params({"kilobytes": 3})
    inputs = workload.make_inputs(3, params)
    expected = [
        hashlib.sha256(i.to_bytes(8, "little") + shared_buffer(3 * 1024)).hexdigest()
        for i in range(3)
    ]
    assert [sha256_of_task(item) for item in inputs] == expected
    assert workload.verify(expected, workload.expected(3, params)).ok
    assert not workload.verify([expected[1], *expected[1:]], workload.expected(3, params)).ok


@pytest.mark.parametrize("backend", ["serial", "threads", "processes"])
def test_cpu_hash_in_kilobytes_runs_on_the_models_and_verifies(backend):
    workers = 1 if backend == "serial" else 2
    record = run_cell(CellSpec("cpu.hash", backend, workers, 8, {"kilobytes": 32}, repeats=1))
    assert record["status"] == Status.OK, record["error"]
    assert record["params"] == {"kilobytes": 32}
