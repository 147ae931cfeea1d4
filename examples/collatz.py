"""Pure-Python number crunching that holds the GIL: the longest Collatz chain in a block.

Try it: `make compare TARGET=examples/collatz.py:longest_chain BUDGET=3m`.

Each task takes the first number of its own block of `BLOCK` consecutive integers (one
small integer in), walks the Collatz sequence from each, and returns the start with the
longest chain and its length (two integers out). Plain bytecode on ints: the GIL is held
throughout, so threads cannot help, and at about a millisecond and a half a task on the
2-core reference machine it sits between the boundaries of the task-size map
(`make compare SUITE=map`): where a ProcessPoolExecutor pays, where Ray does not yet.
"""

from __future__ import annotations

BLOCK = 200


def longest_chain(first: int) -> tuple[int, int]:
    best_start, best_length = first, 0
    for start in range(first, first + BLOCK):
        n, length = start, 1
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            length += 1
        if length > best_length:
            best_start, best_length = start, length
    return best_start, best_length


def longest_chain_inputs(tasks: int) -> list[int]:
    """One block per task, each starting where the last ended."""
    return [1_000_000 + i * BLOCK for i in range(tasks)]
