"""Does the harness distort what it measures? A benchmark, not a test: `make fidelity`.

Runs two cells both through the harness (`run_cell`: fresh subprocess, tree sampling,
verification) and as minimal hand-written scripts with no harness at all, the way a user
would time the same work, interleaved round by round so machine drift hits both alike.
It prints, per case, the ratio harness / script of the median times with its 95%
interval: 1.00 means the harness reports what plain code experiences.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass

from comparisons import formatting as fmt
from comparisons.cell.contract import CellSpec
from comparisons.cell.outcome import Status
from comparisons.measure.environment import PROJECT_ROOT
from comparisons.measure.stats import ratio_of_medians, summarize
from comparisons.run.harness import run_cell
from comparisons.run.suite import usable_cores
from comparisons.run.worker_env import worker_environment

ROUNDS = 3
REPEATS = 5

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


def main() -> int:
    print(
        f"fidelity: {ROUNDS} interleaved rounds of {REPEATS} repeats each, "
        f"{usable_cores()} usable cores"
    )
    rows = []
    for case in cases():
        harness, plain = [], []
        for _ in range(ROUNDS):
            record = run_cell(case.spec)
            if record["status"] != Status.OK:
                print(f"{case.spec.key}: harness cell failed: {record['error']}")
                return 1
            harness += record["samples_s"]
            plain += run_script(case.script)
        ratio = ratio_of_medians(harness, plain)
        rows.append((case.spec.key, summarize(harness), summarize(plain), ratio))
    print("| cell | harness median (CV) | script median (CV) | harness / script (95% CI) |")
    print("|---|---|---|---|")
    for key, h, p, r in rows:
        print(
            f"| `{key}` | {fmt.seconds(h.median)} ({h.cv * 100:.1f}%) | "
            f"{fmt.seconds(p.median)} ({p.cv * 100:.1f}%) | {r.ratio:.3f} "
            f"({r.ci95_low:.3f}–{r.ci95_high:.3f}) |"
        )
    worst = max(abs(r.ratio - 1) for *_, r in rows)
    print(
        f"largest distortion: {worst * 100:.1f}%" + ("" if math.isfinite(worst) else " (undefined)")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
