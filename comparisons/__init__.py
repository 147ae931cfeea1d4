"""HOW work is run and HOW WELL: backends, the cell harness, suites, records and reports.

Flow: a suite (`comparisons/suites/*.toml`) expands into cells -> `harness.run_cell` runs
each in a fresh subprocess (`cell.measure_cell` inside) -> `records` are appended to
`results/<run-id>/records.jsonl` -> `report` derives CSV and REPORT.md from them.
"""
