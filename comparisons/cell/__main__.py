"""`python -m comparisons.cell SPEC RESULT`: the cell process's own entry.

The harness (`comparisons.run.harness`) starts it; it imports the cell contract, the
child side (`comparisons.cell.child`), and through them the one backend and workload the
cell runs, and nothing of the parent's (suites, reports, the command line, NumPy).
"""

import sys

from comparisons.cell.child import cell_main

if len(sys.argv) != 3:
    sys.exit("usage: python -m comparisons.cell SPEC_JSON RESULT_JSON")
sys.exit(cell_main(sys.argv[1], sys.argv[2]))
