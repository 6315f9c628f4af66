"""Benchmarks, each a `stmcheck bench` subcommand that writes its table to reports/:
checking cost (check.py, with synthetic histories from synth.py), the explorer
(explore.py), the state-graph search next to DPOR (graph.py), linearizability against Porcupine's suite (linearizability.py),
the native core (native.py), executions to find each broken variant (bugs.py)."""
