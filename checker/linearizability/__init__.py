"""Linearizability of operation histories: Wing and Gong's search with Lowe's
memoization and P-compositionality (search.py, the entry point and the Python
reference), a C core of the same search (core.c, built through
models/cbuild.py by native.py), and what both share (base.py)."""
