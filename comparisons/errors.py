"""The one exception family for mistakes a user can make (bad names, values, files).

`UserError` is defined beside the workload contract (`workloads.spec`, which imports
nothing of the harness) and re-exported here; `ParameterError`, `UnknownWorkload`,
`UnknownBackend` and `CorruptRecords` derive from it. The CLI turns it into a single
`error: ...` line and exit status 2, in one place; anything else that goes wrong inside
is a bug and keeps its traceback.
"""

from workloads.spec import UserError

__all__ = ["UserError"]
