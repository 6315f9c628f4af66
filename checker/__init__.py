"""Explores, checks and reports. The core, then the front ends over it:

    api.py            the functions `import stmcheck` offers; everything below comes through them
    history/          criteria of transaction histories: witnesses, dependency graphs, cycles, z3
    linearizability/  Wing and Gong's search with Lowe's memoization, in Python and in C
    explore/          the runtime, the explorer, strategies, liveness, shrinking, state keys
    native/           the checker's side of native (C) designs: the C scheduling loop, conform, stress
    matrix.py         the verdict matrix: every design on every workload
    graphs.py         the graph routines the hot paths share
    report/           renderers: text, JSON and Markdown (front end)
    cli/              the `stmcheck` command (front end)
    bench/            benchmarks that write reports/ (front end)

The core imports no front end; tests/test_layers.py holds every module to it.
"""
