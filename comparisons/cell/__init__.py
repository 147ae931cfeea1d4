"""The child side of the harness: one cell measured inside its own fresh interpreter.

`contract` defines a cell (both sides read it), `child` measures it, `outcome` is what
it hands back, `faults` the probes a fault workload runs instead of timed repeats. The
package imports nothing on its own: a cell process loads only what it uses.
"""
