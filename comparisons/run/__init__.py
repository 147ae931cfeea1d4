"""Planning and supervising runs: the parent side of the harness.

`suite` expands a suite file into cells, `runner` runs them in a seeded interleaved
order into a run folder, `harness` runs one cell in a fresh subprocess and watches it
from outside (`skip_policy` says which cells are skipped first, `worker_env` what the
processes it starts inherit, `services` what runs beside a cell), `adaptive` adds fresh
processes where the verdict is in doubt. Tools that drive the harness: `python_env`
(another interpreter), `fidelity` (does the harness distort?) and `memory_model`.
Nothing here imports `comparisons.report`: the command line builds the report once a
run ends.
"""
