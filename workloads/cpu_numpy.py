"""`cpu.numpy`: numeric work inside NumPy that releases the GIL (matrix products).

Each task builds a `size` x `size` matrix from its own seed and multiplies it by itself
`products` times (renormalising after each product), returning the Frobenius norm of
the result. The products run in BLAS, which releases the GIL, so threads can run them
in parallel, unlike `cpu.primes`. The harness pins BLAS/OpenMP to one thread per worker
(OMP_NUM_THREADS=1 and friends; the pools seen are recorded in the environment), so that
a model's parallelism is not confused with BLAS's own. The expected norms are computed
once serially in the cell with the same function and compared with a relative tolerance
of 1e-9, since the order of floating-point sums may differ between BLAS kernels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from workloads.spec import Param, Workload, run_on_loop
from workloads.vocabulary import Category

PARAMS = {
    "size": Param(160, "matrix side (the work per product grows as size**3)", 2, 4096),
    "products": Param(20, "matrix products per task", 1, 10_000),
}


def matrix_power_norm(item: tuple[int, int, int]) -> float:
    seed, size, products = item
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((size, size)) / math.sqrt(size)
    result = matrix
    for _ in range(products):
        result = result @ matrix
        result /= np.linalg.norm(result)
    return float(np.linalg.norm(result @ matrix))


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[tuple[int, int, int]]:
    return [(seed, int(params["size"]), int(params["products"])) for seed in range(tasks)]


def expected_norms(tasks: int, params: Mapping[str, Any]) -> list[float]:
    return [matrix_power_norm(item) for item in make_inputs(tasks, params)]


def close_enough(got: Any, want: float) -> bool:
    return isinstance(got, float) and math.isclose(got, want, rel_tol=1e-9)


WORKLOAD = Workload(
    name="cpu.numpy",
    kind="cpu",
    description="repeated matrix products in NumPy/BLAS (releases the GIL)",
    sync=matrix_power_norm,
    asyncio=run_on_loop(matrix_power_norm),
    trio=run_on_loop(matrix_power_norm),
    make_inputs=make_inputs,
    expected=expected_norms,
    params=PARAMS,
    blocks_event_loop=True,
    matches=close_enough,
    category=Category.GIL_RELEASING_CPU,
)
