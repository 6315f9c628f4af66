"""Write combining and the step-by-step witness, against the brute-force oracle.

Histories as databases record them: every written value unique (reads-from is
known), read-modify-writes, blind writes and read-only transactions on a few
keys, no version order, transactions laid out in an order unrelated to the
serial one (so commit order says nothing). Some reads are then moved to an
older version, which may or may not break serializability.

The forced graph (with the unit constraints of `DepGraph._add_units`), its
inference and z3 are asked directly, bypassing the cheap candidate orders:
a cycle or "unsat" must match a violation of the oracle, "sat" a history the
oracle serializes, with a witness the oracle accepts. The step-by-step
witness (`greedy_witness`), when it finds one, must pass the oracle too.
The acyclicity search (`search_order`), on the forced graph before any
inference and after it, must agree: its order a witness the oracle accepts,
its cycle a violation, with no budget left unspent on these sizes.
"""

from __future__ import annotations

import random

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stmcheck.checker.graphs import topological_order
from stmcheck.checker.history import acyclic
from stmcheck.checker.history.acyclic import CYCLE, SAT, search_order
from stmcheck.checker.history.depgraph import DepGraph
from stmcheck.checker.history.greedy import greedy_witness
from stmcheck.checker.history.readsources import ReadIndex
from stmcheck.checker.history.solver import solve
from stmcheck.checker.history.witness import SERIAL, Scope
from stmcheck.models.history import build_history

import oracle


def database_history(seed: int, txns: int, keys: int, stale: int) -> dict:
    rng = random.Random(seed)
    state: dict = {}
    versions: dict = {}   # key -> every value it held, oldest first
    counter = 0
    bodies = []
    for _ in range(txns):
        ks = rng.sample(range(keys), rng.randint(1, min(3, keys)))
        kind = rng.random()
        body = []
        if kind < 0.4:      # read-modify-write
            body = [("read", f"k{k}", state.get(f"k{k}")) for k in ks]
            writes = ks
        elif kind < 0.7:    # blind write
            writes = ks
        else:               # read-only
            body = [("read", f"k{k}", state.get(f"k{k}")) for k in ks]
            writes = []
        for k in writes:
            counter += 1
            body.append(("write", f"k{k}", counter))
            state[f"k{k}"] = counter
            versions.setdefault(f"k{k}", [None]).append(counter)
        bodies.append(body)
    for _ in range(stale):  # move one read to an older version of its key
        i = rng.randrange(len(bodies))
        reads = [j for j, (op, _, _) in enumerate(bodies[i]) if op == "read"]
        if reads:
            j = rng.choice(reads)
            _, key, value = bodies[i][j]
            older = versions.get(key, [None])
            older = older[:older.index(value)] if value in older else []
            if older:
                bodies[i][j] = ("read", key, rng.choice(older))
    layout = list(range(len(bodies)))
    rng.shuffle(layout)
    events = []
    for i in layout:
        events.append({"thread": i, "txn": i + 1, "op": "begin"})
        for op, key, value in bodies[i]:
            events.append({"thread": i, "txn": i + 1, "op": op, "key": key, "value": value})
        events.append({"thread": i, "txn": i + 1, "op": "commit"})
    return {"format": "stmcheck.history/1", "initial": {}, "events": events}


def decide_by_graph(history):
    """(holds, order of Txns or None) from the forced graph, inference and z3 alone."""
    scope = Scope(SERIAL)
    members = scope.members(history)
    graph = DepGraph(history, scope, members, ReadIndex(history)).build()
    if graph.missing is not None:
        return False, None
    order, cyclic = graph.infer()
    if cyclic is not None:
        return False, None
    if not graph.undecided():
        return True, graph.txn_order(order)
    answer = solve(graph, order, None)
    assert answer.status != "unknown"
    if answer.status == "unsat":
        return False, None
    return True, graph.txn_order(answer.order)



def decide_by_search(history, infer: bool, phases=acyclic.PHASES):
    """(holds, order of Txns or None) from the forced graph and the acyclicity search: on the
    constraints as built, per key and interval (`DepGraph.spans`), or after inference, on
    the list of pairs it left, shuffled."""
    scope = Scope(SERIAL)
    graph = DepGraph(history, scope, scope.members(history), ReadIndex(history)).build()
    if graph.missing is not None:
        return False, None
    order, cyclic = graph.infer() if infer else graph.topo_order()
    if cyclic is not None:
        return False, None
    if infer:
        rng = random.Random(len(order))
        rng.shuffle(graph.constraints)   # any order of the work must do
    else:
        assert graph._constraints is None, "the pairs are not listed for the search"
        assert graph.has_constraints() == bool(list(c for s in graph.spans.values() for c in s.pairs()))
    status, found = search_order(graph, order, phases=phases)
    assert status in (SAT, CYCLE)
    if status == CYCLE:
        for a, b, kind, key in found:
            graph.add_edge(a, b, kind, key)
        assert graph.topo_order()[1] is not None, "the edges derived close a cycle"
        return False, None
    order = found
    return True, graph.txn_order(order)


COUNTS = {"holds": 0, "violated": 0, "greedy": 0, "search cycles": 0}


@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), txns=st.integers(2, 7), keys=st.integers(1, 3), stale=st.integers(0, 4))
def test_unit_constraints_and_greedy_match_the_oracle(seed, txns, keys, stale):
    doc = database_history(seed, txns, keys, stale)
    history = build_history(doc["events"], doc["initial"])
    parsed = oracle.parse(doc)
    expected, _ = oracle.decide(parsed, oracle.SERIAL)
    holds, order = decide_by_graph(history)
    assert holds == expected, doc
    if holds:
        COUNTS["holds"] += 1
        assert oracle.check_witness(parsed, oracle.SERIAL, [t.id for t in order]) is None, doc
    else:
        COUNTS["violated"] += 1
    for infer, phases in ((False, acyclic.PHASES), (True, acyclic.PHASES),
                          (False, ((acyclic.NEARER, None),)), (False, ((acyclic.FIRST_ORDER, None),))):
        found, order = decide_by_search(build_history(doc["events"], doc["initial"]), infer, phases)
        assert found == expected, (infer, phases, doc)
        if found:
            assert oracle.check_witness(parsed, oracle.SERIAL, [t.id for t in order]) is None, doc
        elif not infer:
            COUNTS["search cycles"] += 1
    members = Scope(SERIAL).members(history)
    found = greedy_witness(history, members, {t.index: i for i, t in enumerate(members)})
    if found is not None:
        COUNTS["greedy"] += 1
        assert expected, doc
        assert oracle.check_witness(parsed, oracle.SERIAL, [t.id for t in found]) is None, doc


def test_the_generator_makes_both_verdicts():
    """Run after the property: both verdicts and some greedy witnesses were exercised."""
    if COUNTS["holds"] + COUNTS["violated"] == 0:
        test_unit_constraints_and_greedy_match_the_oracle()
    assert COUNTS["holds"] >= 50 and COUNTS["violated"] >= 30 and COUNTS["greedy"] >= 20, COUNTS
    assert COUNTS["search cycles"] >= 20, COUNTS


# --- the acyclicity search alone, against every choice --------------------------------------

class _Graph:
    """What `search_order` reads of a DepGraph: node kinds, successor dicts, constraints."""

    def __init__(self, n, edges, constraints):
        self.kind = [0] * n
        self.succ = [dict() for _ in range(n)]
        for a, b in edges:
            self.succ[a][b] = ("wr", "k")
        self.constraints = constraints


def _acyclic(n, edges) -> bool:
    succ = [[] for _ in range(n)]
    indeg = [0] * n
    for a, b in edges:
        succ[a].append(b)
        indeg[b] += 1
    ready = [v for v in range(n) if not indeg[v]]
    seen = 0
    while ready:
        v = ready.pop()
        seen += 1
        for b in succ[v]:
            indeg[b] -= 1
            if not indeg[b]:
                ready.append(b)
    return seen == n


SEARCH = {"sat": 0, "cycle": 0, "backjumps": 0}


def _random_constraints(rng, n: int, m: int, c: int, keys: int = 1, hidden: bool = False) -> tuple:
    """(sorted edges, constraints (x, w, b, key)): m random edges and c constraints with w -> b,
    all following a hidden order of the n nodes; with `hidden`, each x also lies outside its
    w..b there (so some choice of sides is acyclic), and the constraints spread over `keys` keys."""
    rank = list(range(n))
    rng.shuffle(rank)                  # the hidden order the forced edges follow
    edges = set()
    for _ in range(m):
        a, b = rng.sample(range(n), 2)
        edges.add((a, b) if rank[a] < rank[b] else (b, a))
    constraints = []
    for _ in range(c):
        x, w, b = rng.sample(range(n), 3)
        if rank[w] > rank[b]:
            w, b = b, w
        if hidden and rank[w] < rank[x] < rank[b]:
            continue
        edges.add((w, b))
        constraints.append((x, w, b, "k" if keys == 1 else f"k{rng.randrange(keys)}"))
    return sorted(edges), constraints


@settings(max_examples=800, derandomize=True, database=None, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(5, 12), m=st.integers(0, 6), c=st.integers(3, 10))
def test_search_matches_every_choice(seed, n, m, c):
    """Random DAGs and constraints (x, w, b) with w -> b, searched from a random topological
    order: "sat" iff some choice of sides is acyclic (all 2^c tried), and its order then
    respects every edge and puts each x outside its w..b."""
    rng = random.Random(seed)
    edges, constraints = _random_constraints(rng, n, m, c)
    expected = any(_acyclic(n, edges + [(x, w) if bits >> i & 1 else (b, x)
                                        for i, (x, w, b, _k) in enumerate(constraints)])
                   for bits in range(2 ** c))
    graph = _Graph(n, edges, constraints)
    # any topological order of the forced edges to start from (lowest random priority first)
    start, _ = topological_order(graph.succ, [rng.random() for _ in range(n)])
    retract = acyclic._Search.retract
    calls = []

    def counted(self, level):
        calls.append(level)
        retract(self, level)

    acyclic._Search.retract = counted
    try:
        # the default (a restart after a few conflicts), and each way of choosing alone
        for phases in (acyclic.PHASES, ((acyclic.NEARER, None),), ((acyclic.FIRST_ORDER, None),),
                       ((acyclic.NEARER, 1), (acyclic.FIRST_ORDER, None))):
            status, found = search_order(graph, start, phases=phases, native_search=False)
            assert (status == SAT) == expected, (status, phases, edges, constraints)
            if status == SAT:
                SEARCH["sat"] += 1
                at = {v: i for i, v in enumerate(found)}
                assert all(at[a] < at[b] for a, b in edges)
                assert all(not at[w] < at[x] < at[b] for x, w, b, _k in constraints)
            else:
                SEARCH["cycle"] += 1
                assert status == CYCLE and not _acyclic(n, edges + [(a, b) for a, b, _kind, _key in found])
    finally:
        acyclic._Search.retract = retract
    SEARCH["backjumps"] += len(calls)


def test_the_search_was_exercised():
    """Run after the property: both answers, and conflicts that jumped back."""
    if SEARCH["sat"] + SEARCH["cycle"] == 0:
        test_search_matches_every_choice()
    assert SEARCH["sat"] >= 50 and SEARCH["cycle"] >= 50 and SEARCH["backjumps"] >= 20, SEARCH


# --- the search in C (acyclic_core.c) takes the Python loop's steps ------------------------

def _both_loops(graph, start, phase, budget):
    """(the Python loop, the C loop) run from `start` in `phase` with `budget` conflicts:
    (answer, places, derived edges, conflicts, decision levels) of each."""
    loaded = acyclic.native()
    if loaded is None:
        pytest.skip(f"the C acyclicity search cannot be built here: {acyclic._library.error}")
    python = acyclic._Search(graph, start, phase, acyclic._Fixed(graph))
    c = acyclic._NativeSearch(acyclic._NativeFixed(*loaded, graph), start, phase)
    out = []
    for search in (python, c):
        found = search.run(None, budget)
        out.append((found, list(search.pos) if found == SAT else None, dict(search.derived) if found == CYCLE else None,
                    search.conflicts, search.next_level))
    return out


C_SEARCH = {"sat": 0, "cycle": 0, "budget": 0, "conflicts": 0, "histories": 0}


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(5, 25), m=st.integers(0, 20), c=st.integers(3, 60),
       budget=st.sampled_from([0, 1, 3, 1000]), hidden=st.booleans())
def test_the_c_search_takes_the_python_searchs_steps(seed, n, m, c, budget, hidden):
    """Random graphs and constraints (listed: each interval holds only the x nodes named),
    each phase, budgets that stop it early and one that lets it finish: the C loop gives the
    Python loop's answer, order, derived edges, conflicts and decision levels. With `hidden`,
    every constraint holds in a hidden order the search does not start from (satisfiable,
    and many wrong guesses on the way: conflicts)."""
    rng = random.Random(seed)
    edges, constraints = _random_constraints(rng, n, m, c, keys=3, hidden=hidden)
    graph = _Graph(n, edges, constraints)
    start, _ = topological_order(graph.succ, [rng.random() for _ in range(n)])
    for phase in (acyclic.NEARER, acyclic.FIRST_ORDER):
        python, c_loop = _both_loops(graph, start, phase, budget)
        assert python == c_loop, (phase, budget, sorted(edges), constraints)
        C_SEARCH["sat" if python[0] == SAT else "cycle" if python[0] == CYCLE else "budget"] += 1
        C_SEARCH["conflicts"] += python[3]


def _forced_graph(history):
    scope = Scope(SERIAL)
    graph = DepGraph(history, scope, scope.members(history), ReadIndex(history)).build()
    if graph.missing is not None or graph.topo_order()[1] is not None or not graph.has_constraints():
        return None, None
    start, _ = graph.priority_order({t.index: i for i, t in enumerate(history.txns)})
    return graph, start


@pytest.mark.parametrize("timed", [True, False])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_c_search_takes_the_same_steps_on_database_mixes(timed, seed):
    """The forced graphs of database mixes (constraints per key and interval, `DepGraph.spans`:
    each interval holds every x of its key but the exempt ones; 0-30 conflicts each), from
    commit order, each phase: the two loops agree step for step."""
    from stmcheck.checker.bench.synth import simulate_rmw_database

    _header, events = simulate_rmw_database(400, keys=40, timed=timed, seed=seed)
    graph, start = _forced_graph(build_history(events, {}))
    assert graph is not None
    for phase in (acyclic.NEARER, acyclic.FIRST_ORDER):
        python, c_loop = _both_loops(graph, start, phase, 2000)
        assert python[0] == SAT and python == c_loop, (phase, c_loop[0], python[3], c_loop[3])
        C_SEARCH["conflicts"] += python[3]


@settings(max_examples=150, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), txns=st.integers(2, 9), keys=st.integers(1, 3), stale=st.integers(0, 4))
def test_the_c_search_takes_the_same_steps_on_small_histories(seed, txns, keys, stale):
    """The small database histories the oracle judges above (stale reads make cycles the search
    must derive), constraints per key and interval: the two loops agree step for step."""
    doc = database_history(seed, txns, keys, stale)
    graph, start = _forced_graph(build_history(doc["events"], doc["initial"]))
    if graph is None:
        return
    for phase in (acyclic.NEARER, acyclic.FIRST_ORDER):
        python, c_loop = _both_loops(graph, start, phase, 1000)
        assert python == c_loop, (phase, doc)
        C_SEARCH["histories"] += 1


def test_the_c_search_was_exercised():
    """Run after the property: every answer, and conflicts."""
    if C_SEARCH["sat"] + C_SEARCH["cycle"] + C_SEARCH["budget"] == 0:
        test_the_c_search_takes_the_python_searchs_steps()
    if C_SEARCH["histories"] == 0:
        test_the_c_search_takes_the_same_steps_on_small_histories()
    if C_SEARCH["conflicts"] < 100:
        for timed in (True, False):
            for seed in (1, 2, 3):
                test_the_c_search_takes_the_same_steps_on_database_mixes(timed, seed)
    assert C_SEARCH["sat"] >= 50 and C_SEARCH["cycle"] >= 50 and C_SEARCH["budget"] >= 1, C_SEARCH
    assert C_SEARCH["conflicts"] >= 100 and C_SEARCH["histories"] >= 50, C_SEARCH
