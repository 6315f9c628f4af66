"""Criteria of transaction histories: serializability, session and strict
serializability, opacity (criteria.py is the entry point: `check`).

witness.py replays candidate orders (and every "holds" before it is returned);
depgraph.py builds the forced dependency graph and infers what it forces;
cycles.py finds, names (Adya's anomalies) and explains cycles; greedy.py builds a
witness one legal step at a time; acyclic.py searches the write orders the graph
leaves open, and solver.py (z3) decides what is left (reads with several writers); readsources.py indexes who
could have written each read; stress.py reads witnesses off the exactly known
graphs of stress histories; results.py is the verdict's shape.
"""
