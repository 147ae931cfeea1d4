"""Does the harness distort what it measures? A benchmark, not a test: `make fidelity`.

Runs two cells both through the harness (`run_cell`: fresh subprocess, tree sampling,
the speed probe, verification, exactly as in any run) and as minimal hand-written scripts
with no harness at all, the way a user would time the same work, in rounds: one harness
cell and one script each, their order alternating, so machine drift hits both alike. It
prints, per case, the ratio harness / script of the median times with its 95% interval,
from a bootstrap that resamples whole rounds (each keeps its harness and script side
together), and adds rounds until that interval is narrower than `TARGET_WIDTH` (at most
`MAX_ROUNDS`). 1.00 means the harness reports what plain code experiences; the harness
passes when the ratio lies within `RATIO_BAND` and its interval within `INTERVAL_BAND`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import numpy as np

from comparisons import formatting as fmt
from comparisons.cell.contract import CellSpec
from comparisons.cell.outcome import Status
from comparisons.measure.environment import PROJECT_ROOT
from comparisons.measure.stats import BOOTSTRAP_SEED, summarize
from comparisons.run.harness import run_cell
from comparisons.run.suite import usable_cores
from comparisons.run.worker_env import worker_environment

MIN_ROUNDS = 4
MAX_ROUNDS = 16
REPEATS = 5
# Rounds are added until the interval is this narrow: half the width of INTERVAL_BAND.
TARGET_WIDTH = 0.05
RATIO_BAND = (0.98, 1.03)
INTERVAL_BAND = (0.95, 1.05)
RESAMPLES = 2000

PROCESSES_SCRIPT = """
import json, math, multiprocessing, time
from workloads.cpu_primes import count_primes
workers, tasks, span, start, repeats = {workers}, {tasks}, {span}, {start}, {repeats}
inputs = [(start + i * span, start + (i + 1) * span) for i in range(tasks)]
chunksize = max(1, math.ceil(tasks / (4 * workers)))
if __name__ == "__main__":
    with multiprocessing.Pool(workers) as pool:
        pool.map(count_primes, inputs, chunksize)
        samples = []
        for _ in range(repeats):
            begin = time.perf_counter()
            pool.map(count_primes, inputs, chunksize)
            samples.append(time.perf_counter() - begin)
    print(json.dumps(samples))
"""

ASYNCIO_SCRIPT = """
import asyncio, json, time
workers, tasks, latency, repeats = {workers}, {tasks}, {latency}, {repeats}

async def task(i):
    await asyncio.sleep(latency)
    return i

async def main():
    limit = asyncio.Semaphore(workers)
    async def bounded(i):
        async with limit:
            return await task(i)
    return await asyncio.gather(*(bounded(i) for i in range(tasks)))

asyncio.run(main())
samples = []
for _ in range(repeats):
    begin = time.perf_counter()
    asyncio.run(main())
    samples.append(time.perf_counter() - begin)
print(json.dumps(samples))
"""


@dataclass(frozen=True)
class Case:
    spec: CellSpec
    script: str


def cases() -> list[Case]:
    cores = usable_cores()
    primes = {"span": 30_000, "start": 1_000_000}
    sleep = {"latency": 0.5}
    return [
        Case(
            CellSpec("cpu.primes", "processes", cores, 32, primes, repeats=REPEATS, warmups=1),
            PROCESSES_SCRIPT.format(workers=cores, tasks=32, repeats=REPEATS, **primes),
        ),
        Case(
            CellSpec("io.sleep", "asyncio", 3, 3, sleep, repeats=REPEATS, warmups=1),
            ASYNCIO_SCRIPT.format(workers=3, tasks=3, repeats=REPEATS, **sleep),
        ),
    ]


def run_script(script: str) -> list[float]:
    env = worker_environment()
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=600,
        check=True,
    )
    return json.loads(done.stdout)


@dataclass(frozen=True)
class Fidelity:
    """One case's answer: harness / script of the median times over the rounds run."""

    key: str
    harness: list[list[float]]  # per round
    plain: list[list[float]]
    ratio: float
    low: float
    high: float

    @property
    def passes(self) -> bool:
        return (
            RATIO_BAND[0] <= self.ratio <= RATIO_BAND[1]
            and INTERVAL_BAND[0] <= self.low
            and self.high <= INTERVAL_BAND[1]
        )


def paired_ratio(
    harness: list[list[float]], plain: list[list[float]]
) -> tuple[float, float, float]:
    """median(harness) / median(script) over every round, with a 95% interval from
    resampling whole rounds (a round's harness and script samples stay together, so the
    drift they shared cancels)."""
    point = float(np.median(np.concatenate(harness)) / np.median(np.concatenate(plain)))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    rounds = len(harness)
    ratios = []
    for _ in range(RESAMPLES):
        picked = rng.integers(0, rounds, rounds)
        top = np.concatenate([harness[i] for i in picked])
        bottom = np.concatenate([plain[i] for i in picked])
        ratios.append(np.median(top) / np.median(bottom))
    low, high = (float(v) for v in np.percentile(ratios, [2.5, 97.5]))
    return point, low, high


def measure_case(case: Case) -> Fidelity | str:
    """Rounds of one case until its interval is narrow enough; an error line if the
    harness cell fails."""
    harness: list[list[float]] = []
    plain: list[list[float]] = []
    while True:
        for side in ("harness", "script") if len(harness) % 2 == 0 else ("script", "harness"):
            if side == "script":
                plain.append(run_script(case.script))
                continue
            record = run_cell(case.spec)
            if record["status"] != Status.OK:
                return f"{case.spec.key}: harness cell failed: {record['error']}"
            harness.append(record["samples_s"])
        ratio, low, high = paired_ratio(harness, plain)
        rounds = len(harness)
        if rounds >= MAX_ROUNDS or (rounds >= MIN_ROUNDS and high - low <= TARGET_WIDTH):
            return Fidelity(case.spec.key, harness, plain, ratio, low, high)


def main() -> int:
    print(
        f"fidelity: rounds of {REPEATS} repeats each until the interval is under "
        f"{TARGET_WIDTH:g} wide ({MIN_ROUNDS}-{MAX_ROUNDS} rounds), {usable_cores()} usable cores"
    )
    rows = []
    for case in cases():
        found = measure_case(case)
        if isinstance(found, str):
            print(found)
            return 1
        rows.append(found)
    print(
        "| cell | rounds | harness median (CV) | script median (CV) | harness / script (95% CI) |"
    )
    print("|---|---|---|---|---|")
    for row in rows:
        h, p = summarize(row.harness), summarize(row.plain)
        print(
            f"| `{row.key}` | {len(row.harness)} | {fmt.seconds(h.median)} ({h.cv * 100:.1f}%) | "
            f"{fmt.seconds(p.median)} ({p.cv * 100:.1f}%) | {row.ratio:.3f} "
            f"({row.low:.3f}–{row.high:.3f}) |"
        )
    worst = max(abs(r.ratio - 1) for r in rows)
    failing = [r.key for r in rows if not r.passes]
    print(
        f"largest distortion: {worst * 100:.1f}%; "
        + (
            f"outside the tolerance (ratio {RATIO_BAND[0]}-{RATIO_BAND[1]}, interval inside "
            f"{INTERVAL_BAND[0]}-{INTERVAL_BAND[1]}): {', '.join(failing)}"
            if failing
            else f"every case within the tolerance (ratio {RATIO_BAND[0]}-{RATIO_BAND[1]}, "
            f"interval inside {INTERVAL_BAND[0]}-{INTERVAL_BAND[1]})"
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
