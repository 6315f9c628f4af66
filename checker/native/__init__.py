"""The checker's side of native (C) designs: the C scheduling loop of random and
pct explorations (loop.py), conformance of C code to its Python model
(conform.py), and checking histories recorded on real threads (stress.py)."""
