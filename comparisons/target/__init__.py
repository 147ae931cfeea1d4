"""Your own function (`make compare TARGET=...`): characterise it, then plan its race.

`characterise` probes the function once in a fresh process (time per task, bytes, how
much of it holds the GIL); `plan` turns that and a time budget into the cells every
model runs; `command` is the command-line entry that ties them to the runner. The
function itself is loaded as a workload by `workloads.target`, and the report's section
on it is `comparisons.report.sections.target`.
"""
