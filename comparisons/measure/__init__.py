"""Instruments: what a measurement is read with, shared by both sides of the harness.

`environment` (the machine and software, captured inside each cell), `process_tree`
(memory and CPU of a cell's whole tree), `machine_speed` (the machine's own speed while
a cell ran) and `stats` (summaries and ratios of samples, the only module that needs
NumPy, so a cell process does not import it).
"""
