"""The environment every process that runs project code on the harness's behalf starts
with: a cell, the latency server, the target probe, fidelity's plain scripts, an
interpreter check.

It finds this checkout first on `PYTHONPATH` (cells run under other interpreters whose
environment may hold an older install of the project) and, for processes that run
measured work, pins native libraries' own thread pools to one thread per worker, so that
oversubscription does not masquerade as a model's result (the fairness rules in
docs/method.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from comparisons.measure.environment import PROJECT_ROOT

PINNED_NATIVE_THREADS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


def worker_environment(
    *, pinned: bool = True, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """This process's environment with the project first on `PYTHONPATH`, native thread
    pools pinned (unless `pinned` is False: a service is not measured work), and `extra`
    variables on top."""
    env = dict(os.environ)
    if pinned:
        env.update(PINNED_NATIVE_THREADS)
    env.update(extra or {})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    return env
