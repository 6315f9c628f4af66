"""Transaction programs drawn by hypothesis: `programs()` for a user's own `@given` tests, and
`fuzz`, which searches programs for one a design gets wrong and shrinks it to a minimal one.

Why: hand-written workloads test the races their author thought of; the `random:SEED`
workload samples programs but cannot make a failing one smaller. Hypothesis draws the
programs here and, when a design fails on one, shrinks the *program* (fewer threads,
fewer transactions, fewer operations, smaller constants) before stmcheck shrinks the
schedule, so the report shows the smallest program that still breaks the design.

A program: 1 to `threads` threads, each 1 to `txns` transactions, each 1 to 4
operations over the keys r0..r(keys-1): `read k`, `write k := (sum of this attempt's
reads + c) mod 10`, `guard k` (read k and commit at once when it is odd; read-only
transactions arise when no write is drawn). Semantics and invariant are the `random`
workload's (`models/workloads/random_programs.py`).
"""

from __future__ import annotations

from stmcheck.models.workloads.random_programs import GivenPrograms

from .results import GatedResult, explore


def programs(threads: int = 3, txns: int = 2, keys: int = 2, min_threads: int = 2):
    """A hypothesis strategy of `GivenPrograms` workloads (see the module docstring); each
    can be given to `stmcheck.explore(design, workload=...)`."""
    from hypothesis import strategies as st     # here, not at the top: `import stmcheck` and every
    #                                              command start 0.2 s sooner without it
    names = [f"r{i}" for i in range(keys)]
    op = st.one_of(st.tuples(st.just("read"), st.sampled_from(names)),
                   st.tuples(st.just("write"), st.sampled_from(names), st.integers(1, 3)),
                   st.tuples(st.just("guard"), st.sampled_from(names)))
    txn = st.lists(op, min_size=1, max_size=4)
    thread = st.lists(txn, min_size=1, max_size=txns)
    initial = st.fixed_dictionaries({k: st.integers(0, 3) for k in names})
    return st.builds(GivenPrograms, st.lists(thread, min_size=min_threads, max_size=threads), initial)


def fuzz(design, *, examples: int = 100, threads: int = 3, txns: int = 2, keys: int = 2, seed: int = 0,
         **options) -> tuple[GivenPrograms | None, GatedResult | None, int]:
    """Search programs for one on which `design` fails (any counterexample), hypothesis
    shrinking it to a minimal one: (that program, its exploration, programs tried), or
    (None, None, programs tried) when `examples` programs passed. Each program is explored
    with the given options (the state graph by default, a time limit of 20 s each unless
    given); deterministic for a given `seed`."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample
    options.setdefault("time_limit", 20)
    tried = [0]

    def fails(workload) -> bool:
        tried[0] += 1
        return bool(explore(design, workload, shrink=False, **options).violations)

    config = settings(max_examples=examples, database=None, derandomize=True, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
                      print_blob=False)
    try:
        found = find(programs(threads, txns, keys), fails, settings=config,
                     random=__import__("random").Random(seed))
    except NoSuchExample:
        return None, None, tried[0]
    return found, explore(design, found, **options), tried[0]
