"""An image-like NumPy transform: blur a generated 512 x 512 image and summarise it.

Try it: `make compare TARGET=examples/blur.py:blur BUDGET=3m`.

Each task makes its own image from a seed (so the input is one small integer), applies
a five-point box blur eight times with NumPy slicing, and returns two numbers about
the result. NumPy releases the GIL inside its array loops, so threads can help here;
how much, against processes, Dask and Ray, is what the run shows.
"""

from __future__ import annotations

import numpy as np

SIDE = 512
PASSES = 8


def blur(seed: int) -> tuple[float, float]:
    image = np.random.default_rng(seed).random((SIDE, SIDE))
    for _ in range(PASSES):
        inner = image[1:-1, 1:-1]
        image[1:-1, 1:-1] = (
            inner + image[:-2, 1:-1] + image[2:, 1:-1] + image[1:-1, :-2] + image[1:-1, 2:]
        ) / 5.0
    return float(image.mean()), float(image.std())


def blur_inputs(tasks: int) -> list[int]:
    """One seed per task: the same seeds in every model, so results compare exactly."""
    return list(range(1000, 1000 + tasks))
