"""`cpu.mandelbrot`: pure-Python complex arithmetic, one task per image row.

A second GIL-bound kernel of a different shape from `cpu.primes` (floating-point
complex arithmetic in a tight loop, uneven cost per row, since rows through the set
iterate up to `max_iter` while rows outside escape at once), so that a conclusion about
GIL-bound work never rests on one function. Each task returns the sum of escape counts
of its row; the expected sums are computed once serially in the cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workloads.spec import Param, Workload, run_on_loop
from workloads.vocabulary import Category

PARAMS = {
    "width": Param(400, "points per row", 1, 100_000),
    "max_iter": Param(200, "iterations before a point counts as inside the set", 1, 100_000),
}
# The rectangle of the complex plane that is drawn; rows are spread over its height.
REAL_RANGE = (-2.0, 0.6)
IMAG_RANGE = (-1.2, 1.2)


def mandelbrot_row(item: tuple[int, int, int, int]) -> int:
    row, rows, width, max_iter = item
    imag = IMAG_RANGE[0] + (IMAG_RANGE[1] - IMAG_RANGE[0]) * (row + 0.5) / rows
    step = (REAL_RANGE[1] - REAL_RANGE[0]) / width
    total = 0
    for column in range(width):
        c = complex(REAL_RANGE[0] + step * (column + 0.5), imag)
        z = 0j
        count = 0
        while count < max_iter and abs(z) <= 2.0:
            z = z * z + c
            count += 1
        total += count
    return total


def make_inputs(tasks: int, params: Mapping[str, Any]) -> list[tuple[int, int, int, int]]:
    return [(row, tasks, int(params["width"]), int(params["max_iter"])) for row in range(tasks)]


def expected_sums(tasks: int, params: Mapping[str, Any]) -> list[int]:
    return [mandelbrot_row(item) for item in make_inputs(tasks, params)]


WORKLOAD = Workload(
    name="cpu.mandelbrot",
    kind="cpu",
    description="Mandelbrot rows in pure-Python complex arithmetic (holds the GIL)",
    sync=mandelbrot_row,
    asyncio=run_on_loop(mandelbrot_row),
    trio=run_on_loop(mandelbrot_row),
    make_inputs=make_inputs,
    expected=expected_sums,
    params=PARAMS,
    blocks_event_loop=True,
    category=Category.GIL_BOUND_CPU,
)
