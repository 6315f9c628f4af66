"""Stateful DPOR (the default `dpor`) and the exact count of plain interleavings.

The cache is sound if, wherever every interleaving can be enumerated, it finds
exactly the distinct histories, final states and violations plain enumeration
finds; where plain enumeration is out of reach (tl2 2 x 1 has 10^10
interleavings), it must agree with stateless DPOR. Each comparison also checks
that the cache was used (some run ended at a remembered state), or it would
prove nothing. Random small programs (hypothesis) cover shapes nobody wrote by
hand.
"""


import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from stmcheck.checker import api
from stmcheck.checker.explore.engine import Explorer, signature
from stmcheck.checker.explore.strategies.dpor import DPOR
from stmcheck.checker.explore.strategies.dpor_cache import CachedDPOR
from stmcheck.checker.explore.strategies.statecache import count_interleavings
from stmcheck.checker.explore.statekey import history_key
from stmcheck.models.workloads import Workload, make_workload

from test_explore_dpor import TOY


class Recording(Explorer):
    """Also collects, over complete runs, (signature, final state), and every outcome."""

    def judge(self, run, out=None):
        v = super().judge(run, out)
        if run.outcome == "complete":
            self.finals.add((signature(run), tuple(sorted((run.final or {}).items()))))
        if run.outcome != "stopped":
            self.outcomes.add((run.outcome, v.kind if v else None))
        return v


def explore(design, workload, strategy, budget=100000, recorder=Recording, criterion="opacity", exact=True):
    """Explore to the end; `exact`: every distinct history is run (no merging of histories the
    criterion cannot tell apart)."""
    ex = api.make_explorer(api.prepare(design, workload), strategy, criterion=criterion, explorer_cls=recorder,
                           max_executions=budget, time_limit=120, stop_at_first=False, exact_histories=exact)
    ex.finals, ex.outcomes = set(), set()
    out = ex.explore()
    assert out.exhausted, "the configuration must be small enough to exhaust"
    return out, ex


def same(a, b):
    (oa, ea), (ob, eb) = a, b
    assert oa.signatures == ob.signatures
    assert ea.finals == eb.finals
    assert ea.outcomes == eb.outcomes


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    path = tmp_path_factory.mktemp("designs") / "toy.py"
    path.write_text(TOY)
    return str(path)


def test_cache_matches_plain_enumeration_where_it_hits(toy):
    design = toy + ":NoSync"
    cached = CachedDPOR()
    a = explore(design, make_workload("counter", 2, 2), cached)
    p = explore(design, make_workload("counter", 2, 2), "plain")
    assert cached.hits > 0
    same(a, p)
    assert a[0].executions * 50 < p[0].executions


@pytest.mark.parametrize("design,workload,txns,retries", [
    ("tl2", "transfer", 1, None),
    ("tl2-no-read-validation", "transfer", 1, None),
    ("tl2", "counter", 1, None),
    ("toy:CasCommit", "counter", 2, 1),
])
def test_cache_matches_stateless_dpor(toy, design, workload, txns, retries):
    """Too large for plain enumeration: stateless DPOR is the reference."""
    if design.startswith("toy:"):
        design = toy + ":" + design[4:]
    cached = CachedDPOR()
    a = explore(design, make_workload(workload, 2, txns, retries=retries), cached)
    d = explore(design, make_workload(workload, 2, txns, retries=retries), DPOR())
    assert cached.hits > 0
    same(a, d)
    assert a[0].executions <= d[0].executions


@pytest.mark.parametrize("design,workload,threads,txns", [
    ("global-lock", "counter", 2, 1),
    ("global-lock", "transfer", 2, 1),
    ("locks-naive", "transfer", 2, 1),
    ("toy:CasCommit", "counter", 2, 1),
])
def test_count_equals_the_executions_plain_runs(toy, design, workload, threads, txns):
    if design.startswith("toy:"):
        design = toy + ":" + design[4:]
    setup = api.prepare(design, workload, threads=threads, txns=txns)

    def run(strategy):
        return api.make_explorer(setup, strategy, max_executions=100000, stop_at_first=False).explore()

    n, states, _ = count_interleavings(run)
    plain = run("plain")
    assert plain.exhausted
    assert n == plain.executions
    assert states < n


# -- random small programs ---------------------------------------------------------------------

class Scripted(Workload):
    """Each thread runs given transactions; an op is ("r", key) or ("w", key), a write
    storing 1 + the sum of what the transaction read so far."""

    name = "scripted"
    default_keys, min_keys = 1, 1

    def __init__(self, programs, retries):
        self.script = programs
        super().__init__(len(programs), 1, retries=retries)

    def build(self):
        keys = sorted({k for prog in self.script for txn in prog for _, k in txn})
        self.keys = {k: 0 for k in keys}
        for t, prog in enumerate(self.script, 1):
            self.programs[t] = [(f"txn {j}", _body(txn)) for j, txn in enumerate(prog)]


def _body(ops):
    def body(tx):
        seen = 0
        for op, key in ops:
            if op == "r":
                seen += yield from tx.read(key)
            else:
                yield from tx.write(key, seen + 1)
    return body


OP = st.tuples(st.sampled_from("rw"), st.sampled_from(["x", "y"]))
TXN = st.lists(OP, min_size=1, max_size=2)
PROGRAMS = st.tuples(st.lists(TXN, min_size=1, max_size=2), st.lists(TXN, min_size=1, max_size=1))
#: Shipped designs whose attempts abort under contention and must retry until they commit: random
#: programs run them with retries unbounded, and every other design with a bound.
RETRYING = ("tl2", "dstm", "dstm+karma")


def scripted(programs, design: str, bound: int) -> Scripted:
    """`programs` as a workload for `design`: retries unbounded for `RETRYING`, else at most `bound`."""
    return Scripted(list(programs), retries=None if design in RETRYING else bound)


def on_random_programs(examples: int, *more_checks):
    """The settings of the differential tests over `PROGRAMS`: the same examples on every run
    (derandomized, no example database) and no deadline (one example runs whole searches)."""
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, *more_checks])


@on_random_programs(25)
@given(programs=PROGRAMS, design=st.sampled_from(["NoSync", "CasCommit", "global-lock", "locks-naive"]))
def test_cache_matches_plain_on_random_programs(toy, programs, design):
    name = toy + ":" + design if design in ("NoSync", "CasCommit") else design
    wl = lambda: Scripted(list(programs), retries=0)  # noqa: E731
    a = explore(name, wl(), CachedDPOR())
    p = explore(name, wl(), "plain", budget=200000)
    same(a, p)


# -- histories merged by what the criterion can tell apart (strategies/witnesskey.py) --------------

class Verdicts(Explorer):
    """Collects, over every run, (how it ended, final state, what failed): `criterion` (the
    chosen criterion), `invariant`, or a run-level kind. Weaker criteria are not compared:
    the merged search promises the chosen criterion's verdict, not theirs."""

    def judge(self, run, out=None):
        v = super().judge(run, out)
        if run.outcome != "stopped":
            what = None
            if v is not None:
                what = "criterion" if v.kind in ("serializability", "strict-serializability", "opacity") else v.kind
            self.finals.add((run.outcome, tuple(sorted((run.final or {}).items())), what))
        return v


@on_random_programs(30)
@given(programs=PROGRAMS, design=st.sampled_from(["NoSync", "CasCommit", "global-lock", "tl2"]),
       criterion=st.sampled_from(["opacity", "strict-serializability"]))
def test_merged_histories_keep_every_verdict_of_plain_enumeration(toy, programs, design, criterion):
    """Merging histories the criterion cannot tell apart keeps, for every final state and way of
    ending, the verdicts plain enumeration gives (tl2 only with one transaction per thread: plain
    enumeration of more is out of reach)."""
    if design == "tl2":
        programs = ([programs[0][0]], programs[1])
    name = toy + ":" + design if design in ("NoSync", "CasCommit") else design
    wl = lambda: scripted(programs, design, 0)  # noqa: E731
    merged = CachedDPOR()
    a = explore(name, wl(), merged, recorder=Verdicts, criterion=criterion, exact=False)
    assert merged.history_view is not history_key
    reference = "plain" if design != "tl2" else DPOR()
    p = explore(name, wl(), reference, budget=300000, recorder=Verdicts, criterion=criterion)
    assert a[1].finals == p[1].finals


def test_merging_saves_executions_and_keeps_verdicts(toy):
    """Where merging happens (a toy with retries and two transactions per thread), it runs
    fewer executions than exact keys and keeps every (ending, final state, verdict) of
    stateless DPOR."""
    name = toy + ":CasCommit"
    wl = lambda: make_workload("counter", 2, 2, retries=1)  # noqa: E731
    merged, whole = CachedDPOR(), CachedDPOR()
    a = explore(name, wl(), merged, recorder=Verdicts, exact=False)
    b = explore(name, wl(), whole, recorder=Verdicts)
    d = explore(name, wl(), DPOR(), recorder=Verdicts)
    assert a[1].finals == b[1].finals == d[1].finals
    assert a[0].executions < b[0].executions < d[0].executions


def test_keys_tell_true_from_one():
    """Python's True == 1, JSON's true is not 1: the verdict cache (signature) and the state
    key (history_key) must not merge a read of true with a read of 1."""
    class Events:
        threads = 1

        def __init__(self, value):
            self.events = [{"thread": 1, "txn": "a", "op": "begin"},
                           {"thread": 1, "txn": "a", "op": "read", "key": "x", "value": value},
                           {"thread": 1, "txn": "a", "op": "commit"}]

    assert signature(Events(True)) != signature(Events(1))
    assert history_key(Events(True)) != history_key(Events(1))
    assert signature(Events(1)) == signature(Events(1.0))   # JSON numbers: 1 and 1.0 are one value
