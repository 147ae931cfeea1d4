"""Records, written and read: the one source of truth for every table and plot.

`schema` declares a stored record and builds one from what a cell measured; `store`
appends and loads `records.jsonl`; `cells` is the read side: `load_cells` merges a
cell's invocations, restates its statistics and attaches its baselines, for every
reader (the report, `make diff`, the adaptive rounds); `ranking` orders the cells of one
piece of work and picks each row's best (what the verdict and the adaptive rounds read).
"""
