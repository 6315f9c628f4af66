"""The state-graph search (`--strategy graph`) against DPOR, and livelock proven on the graph.

The graph merges states whose futures and verdicts cannot differ (canonical
stamps, the criteria's history views), so where DPOR exhausts, both must find
the same set of (how a run ended, final memory, what failed), for every
criterion and for all three at once as the matrix judges them. Random small
programs (hypothesis) cover shapes nobody wrote by hand.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, strategies as st

from stmcheck.checker import api
from stmcheck.checker.explore.strategies.dpor import DPOR
from stmcheck.checker.matrix import _Collect
from stmcheck.checker.explore.graphstore import GraphStore
from stmcheck.checker.explore.strategies.graph import GraphSearch
from stmcheck.checker.explore.strategies.replay import encode_lasso
from stmcheck.models.workloads import make_workload

from test_explore_dpor import TOY
from test_explore_dpor_cache import OP, PROGRAMS, Verdicts, on_random_programs, scripted


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    path = tmp_path_factory.mktemp("designs") / "toy.py"
    path.write_text(TOY)
    return str(path)


def explore(design, workload, strategy, criterion="opacity", exact=False, budget=200_000):
    ex = api.make_explorer(api.prepare(design, workload), strategy, criterion=criterion, explorer_cls=Verdicts,
                           max_executions=budget, time_limit=300, stop_at_first=False, exact_histories=exact)
    ex.finals = set()
    out = ex.explore()
    assert out.exhausted, "the configuration must be small enough to exhaust"
    return out, ex


def _agree(design, wl, criterion, exact):
    g = explore(design, wl(), GraphSearch(), criterion, exact)
    d = explore(design, wl(), DPOR(), criterion, exact=True)
    assert g[1].finals == d[1].finals
    return g, d


@pytest.mark.parametrize("design,workload,txns,retries", [
    ("tl2", "transfer", 1, None),
    ("tl2-no-read-validation", "transfer", 1, None),
    ("tl2-no-commit-validation", "write-skew", 1, None),
    ("tl2-borrowed-clock", "write-skew", 1, None),
    ("global-lock", "counter", 2, None),
    ("locks-naive", "transfer", 1, None),
])
@pytest.mark.parametrize("criterion,exact", [("opacity", False), ("serializability", False), ("opacity", True)])
def test_graph_finds_what_dpor_finds(design, workload, txns, retries, criterion, exact):
    wl = lambda: make_workload(workload, 2, txns, retries=retries)  # noqa: E731
    g, d = _agree(design, wl, criterion, exact)
    assert g[0].states is not None and g[0].states > 0


@on_random_programs(40, HealthCheck.function_scoped_fixture)
@given(programs=PROGRAMS, design=st.sampled_from(["NoSync", "CasCommit", "global-lock", "tl2", "locks-naive"]),
       judged=st.sampled_from([("opacity", False), ("strict-serializability", False),
                               ("serializability", False), ("opacity", True)]))
def test_graph_agrees_with_dpor_on_random_programs(toy, programs, design, judged):
    if design == "tl2":
        programs = ([programs[0][0]], programs[1])   # DPOR of more is out of reach
    name = toy + ":" + design if design in ("NoSync", "CasCommit") else design
    _agree(name, lambda: scripted(programs, design, 0), *judged)


def test_a_criterion_only_the_fold_breaks_is_found_beside_forgotten_ones():
    """tl2-no-read-validation, three threads (found by the random programs below): the runs that
    build the places break opacity and strict serializability, and only the fold of views meets
    a history that is not serializable. Forgetting the two must keep that one (forgetting all
    three, a wrong `broken_by_runs`, loses it)."""
    programs = [[[("r", "x"), ("r", "y")]], [[("w", "y"), ("w", "y"), ("w", "x")]],
                [[("w", "y"), ("w", "y"), ("r", "y")]]]
    g = GraphSearch()
    ex = api.make_explorer(api.prepare("tl2-no-read-validation", scripted(programs, "tl2-no-read-validation", 0)),
                           g, explorer_cls=_Collect, max_executions=None, time_limit=300)
    assert ex.explore().exhausted
    assert g.views_after.broken == (True, True, False)          # opacity, strict: forgotten
    assert {str(p) for p in ex.broken} == {"opaque", "strictly-serializable", "serializable", "gil"}


#: Three threads of one transaction, two to four operations each: enough that runs break some
#: criteria while the places are built and leave others for the fold.
THREE = st.lists(st.lists(st.lists(OP, min_size=2, max_size=4), min_size=1, max_size=1), min_size=3, max_size=3)


@on_random_programs(30, HealthCheck.function_scoped_fixture)
@given(programs=THREE, design=st.sampled_from(["NoSync", "CasCommit", "tl2-no-read-validation",
                                               "lazy-unlocked-commit"]))
def test_forgetting_broken_criteria_agrees_on_random_programs(toy, programs, design):
    """The matrix's explorer with views of broken criteria forgotten against the same explorer
    folding every view (itself held to DPOR above): the same criteria broken, the same other kinds."""
    name = toy + ":" + design if design in ("NoSync", "CasCommit") else design
    found = []
    for explorer_cls in (_Collect, _EveryView):
        ex = api.make_explorer(api.prepare(name, scripted(programs, design, 0)), GraphSearch(),
                               explorer_cls=explorer_cls, max_executions=None, time_limit=300)
        assert ex.explore().exhausted
        found.append(({str(p) for p in ex.broken}, ex.others, ex.suspected))
    assert found[0] == found[1]


def test_livelock_freedom_is_proven_where_the_graph_is_finite():
    result = api.explore("tl2", "transfer", strategy="graph")
    assert result.verdict == "holds" and result.states > 100
    assert result.transitions >= result.states - 1


def test_tl2_livelock_on_write_skew_is_found_on_the_graph_and_replays():
    result = api.explore("tl2", "write-skew", strategy="graph", max_executions=100_000)
    (v,) = result.violations
    assert v.kind == "livelock" and v.lasso is not None
    start, end = v.lasso
    again = api.replay("tl2", encode_lasso(v.run.schedule, start, end), "write-skew")
    assert again.violation.kind == "livelock"


def test_eager_aggressive_livelocks_and_locks_naive_deadlocks_on_the_graph():
    assert api.explore("eager-aggressive", "ww-pathology", strategy="graph",
                       max_executions=100_000).violations[0].kind == "livelock"
    assert api.explore("locks-naive", "transfer", strategy="graph").violations[0].kind == "deadlock"


def test_an_unfair_cycle_is_not_a_livelock(toy):
    """CasCommit on counter with unbounded retries: a thread may fail its CAS forever only if
    the other keeps committing; with one transaction each, every cycle without a commit has a
    thread enabled that never steps in it (unfair), so nothing is reported and the graph ends."""
    result = api.explore(toy + ":CasCommit", "counter", strategy="graph")
    assert result.verdict == "holds"


def test_a_bounded_graph_says_so():
    result = api.explore("tl2", "write-skew", strategy="graph", max_executions=50)
    assert result.verdict == "unknown" and result.bounds


def _names(g):
    """Each node named by its shortest, then least, schedule from the root: the same in two
    searches of one graph (threads are deterministic: a thread's step from a state leads to
    one state), whatever order they met the states in."""
    name, queue = {0: ()}, [0]
    for u in queue:
        for t, v, _ in sorted(g.out(u)):
            if v not in name:
                name[v] = name[u] + (t,)
                queue.append(v)
    return name


@pytest.mark.parametrize("design,workload", [("tl2", "write-skew"), ("eager", "transfer"), ("norec", "counter"),
                                             ("eager-aggressive", "write-skew")])
def test_runs_that_go_on_build_the_same_graph(design, workload):
    """A run that goes on (`GraphSearch.go_on`: from a new state, from a seen one with an edge still
    waiting, or walking through known states to one, and shortening parent paths on the way) takes
    edges without a replay; the graph must not depend on it: the same states, transitions, commits
    on the edges, and livelocks found, with fewer executions."""
    graphs = {}
    for go_on in (True, False):
        g = GraphSearch(go_on=go_on, cover=False)    # covering depends on the order states are met
        ex = api.make_explorer(api.prepare(design, workload), g, criterion="opacity", explorer_cls=Verdicts,
                               max_executions=None, time_limit=300, stop_at_first=False)
        ex.finals = set()
        out = ex.explore()
        assert out.exhausted
        name = _names(g)
        edges = {(name[u], t, name[v], c) for u in range(g.nodes) for t, v, c in g.out(u)}
        graphs[go_on] = (g.states, g.transitions, edges, g._livelock() is not None, ex.finals, out.executions)
    assert graphs[True][:5] == graphs[False][:5]
    assert graphs[True][5] < graphs[False][5]


@pytest.mark.parametrize("design,workload,threads", [("dstm+karma", "counter", 2), ("eager", "transfer", 2),
                                                     ("tl2", "transfer", 3)])
def test_shortened_parent_paths_stay_a_tree(monkeypatch, design, workload, threads):
    """`_shorten` moves parents by the store's recorded depths, not by walking both paths: every
    state's parent path must still end at the initial state without meeting a state twice, its
    recorded depth be at least that path's length and above its parent's; and parents must
    have moved (else the test shows nothing)."""
    moved = []
    set_parent = GraphStore.set_parent
    monkeypatch.setattr(GraphStore, "set_parent", lambda self, *a: moved.append(a) or set_parent(self, *a))
    g = GraphSearch()
    _exhaust(design, workload, threads, g)
    store = g.store
    for node in range(1, g.nodes):
        assert store.depth[node] > store.depth[store.parent_node[node]]
        length, u, seen = 0, node, set()
        while u > 0:
            assert u not in seen
            seen.add(u)
            u = store.parent_node[u]
            length += 1
        assert u == 0 and store.depth[node] >= length
    assert len(moved) > 10


def _exhaust(design, workload, threads, g, criterion="opacity", explorer_cls=Verdicts, **options):
    """(result, explorer) of graph search `g` run to the end (it must end); a `Verdicts`
    explorer judges every run (stop_at_first off) and collects `finals`."""
    if explorer_cls is Verdicts:
        options.setdefault("stop_at_first", False)
    ex = api.make_explorer(api.prepare(design, workload, threads=threads), g, criterion=criterion,
                           explorer_cls=explorer_cls, max_executions=None, time_limit=300, **options)
    ex.finals = set()
    result = ex.explore()
    assert result.exhausted
    return result, ex


def _covered_and_not(design, workload, threads, criterion, explorer_cls=Verdicts, split=True):
    out = {}
    for cover in (True, False):
        g = GraphSearch(cover=cover, split=split)
        out[cover] = (g, _exhaust(design, workload, threads, g, criterion, explorer_cls)[1])
    return out


@pytest.mark.parametrize("design,workload,threads,criterion", [
    ("tl2-no-read-validation", "transfer", 2, "opacity"),
    ("lazy-unlocked-commit", "transfer", 2, "opacity"),
    ("eager-aggressive", "write-skew", 2, "opacity"),
    ("tl2", "write-skew", 2, "strict-serializability"),
    ("norec", "counter", 3, "opacity"),
    ("tl2-no-commit-validation", "write-skew", 3, "opacity"),
])
@pytest.mark.parametrize("split", [False, True])
def test_covered_views_keep_every_verdict(design, workload, threads, criterion, split):
    """A state whose view covers a stored one's at the same memory and positions is not
    expanded (`GraphSearch.cover`, `WitnessKey.covers`): against the search that expands every
    view, the same ways to end and final memories, the same failures at each, the same
    livelock verdict, on fewer states; no final appears that the full search does not reach.
    Runs that build states with their views, and views folded over places (`split`), alike."""
    (gc, ec), (gf, ef) = _covered_and_not(design, workload, threads, criterion, split=split).values()
    assert gc.states < gf.states
    assert bool(gc.covered) != split      # where views come after places, the fold covers, not the runs
    if split:                             # and drops states not expanded yet that a later one covers
        assert gc.views_after.dropped > 0
    assert ec.finals <= ef.finals
    assert {f[:2] for f in ec.finals} == {f[:2] for f in ef.finals}
    assert {f for f in ec.finals if f[2]} == {f for f in ef.finals if f[2]}
    assert (gc._livelock() is None) == (gf._livelock() is None)


@pytest.mark.parametrize("design,workload,threads,criterion,broken", [
    ("tl2", "transfer", 2, "opacity", False),
    ("tl2-no-read-validation", "transfer", 2, "opacity", True),
    ("lazy-unlocked-commit", "transfer", 2, "strict-serializability", True),
    ("eager-aggressive", "write-skew", 2, "opacity", False),
    ("norec-no-revalidation", "counter", 3, "opacity", False),
    ("tl2-no-commit-validation", "write-skew", 3, "opacity", True),
    ("locks-naive", "swap", 2, "opacity", False),
    ("tl2-no-commit-validation", "write-skew", 2, "serializability", True),
    ("gencounter-racy", "counter", 2, "serializability", True),
    ("tl2", "write-skew", 2, "serializability", False),
    ("tl2-no-read-validation", "transfer", 2, "all", True),
    ("lazy", "swap", 2, "all", True),
    ("norec", "counter", 3, "all", False),
])
def test_views_folded_over_places_are_the_state_graph(design, workload, threads, criterion, broken):
    """Views after places (`GraphSearch.split`, strategies/views_after.py): the runs build the
    graph of memories and positions, the views are folded over its edges afterwards. Without
    covering (which depends on the order states are met) that is the very graph the search
    that builds every state with its view builds: the same states and transitions, the same
    ways to end with the same failures, the same livelock verdict, and (three threads, where
    places have many views) fewer runs."""
    out = {}
    every = criterion == "all"               # every criterion judged (the matrix's view)
    for split in (False, True):
        g = GraphSearch(cover=False, split=split)
        result, ex = _exhaust(design, workload, threads, g, "opacity" if every else criterion,
                              exact_histories=every)
        out[split] = (g.states, g.transitions, ex.finals, g._livelock() is None, result.executions)
    assert out[True][:4] == out[False][:4]
    assert out[True][4] <= out[False][4]
    if threads == 3:                      # with two, views split few places: few runs to save
        assert out[True][4] < out[False][4]
    assert any(f[2] == "criterion" for f in out[True][2]) == broken


@pytest.mark.parametrize("design,workload,threads,broken", [
    ("lazy-unlocked-commit", "transfer", 2, {"opaque", "serializable", "strictly-serializable", "gil"}),
    ("tl2-no-read-validation", "transfer", 2, {"opaque"}),
    ("norec", "counter", 3, set()),
])
def test_covered_views_keep_every_verdict_when_all_criteria_are_judged(design, workload, threads, broken):
    """The matrix's view (every criterion at once, `AllCriteriaView.covers`): the same
    verdicts, violated and not, with and without covering (every view folded: no criterion
    forgotten, which would leave little to cover)."""
    (gc, ec), (gf, ef) = _covered_and_not(design, workload, threads, "opacity", _EveryView).values()
    assert gc.states < gf.states and not gc.covered      # the fold covers (views after places)
    assert {str(p) for p in ec.broken} == {str(p) for p in ef.broken} == broken
    assert (ec.others, ec.suspected) == (ef.others, ef.suspected)


class _EveryView(_Collect):
    """The matrix's explorer, but its graph search folds the views of broken criteria too."""
    kinds_only = False


@pytest.mark.parametrize("design,workload,threads,symmetry,broken", [
    ("lazy-unlocked-commit", "transfer", 2, False, {"opaque", "serializable", "strictly-serializable", "gil"}),
    ("tl2-no-read-validation", "transfer", 3, False, {"opaque"}),
    ("tl2-no-read-validation", "transfer", 3, True, {"opaque"}),
    ("tl2-no-commit-validation", "write-skew", 3, False, {"opaque", "serializable", "strictly-serializable", "gil"}),
    ("norec", "counter", 3, False, set()),
    ("norec", "counter", 3, True, set()),
])
def test_criteria_broken_already_are_forgotten_and_every_verdict_stays(design, workload, threads, symmetry, broken):
    """The matrix's explorer (`Explorer.kinds_only`) folds no view of a criterion a run that built
    the places broke (views_after.py, `Forgetting`): the same criteria broken, the same other
    kinds, livelock verdict and runs suspected as with every view folded, on fewer states
    where a criterion was broken by then, the same states where none was; by symmetry too."""
    out = {}
    for explorer_cls in (_Collect, _EveryView):
        g = GraphSearch(symmetry=symmetry)
        out[explorer_cls] = (g, _exhaust(design, workload, threads, g, "opacity", explorer_cls)[1])
    (gf, ef), (ga, ea) = out[_Collect], out[_EveryView]
    assert {str(p) for p in ef.broken} == {str(p) for p in ea.broken} == broken
    assert (ef.others, ef.suspected) == (ea.others, ea.suspected)
    assert (gf._livelock() is None) == (ga._livelock() is None)
    forgot = gf.views_after.broken
    assert (forgot is not None) == bool(broken - {"gil"})
    assert gf.states < ga.states if forgot else gf.states == ga.states


def test_a_state_beyond_the_step_bound_leaves_the_graph_incomplete():
    """With paths longer than --max-steps a state cannot be reached to be expanded: the search
    must say so, never "exhausted" (the run itself may be judged a suspected livelock, which
    is no bound of its own)."""
    result = api.explore("tl2", "transfer", strategy="graph", max_steps=12, stop_at_first=False)
    assert not result.exhausted and any("max-steps" in b for b in result.bounds)



def test_a_time_limit_bounds_the_fold_too():
    """--time-limit bounds what the search computes after its runs (the engine sets `deadline`):
    past it the views are not folded over the places, and the result says so, never "exhausted"."""
    import time
    g = GraphSearch()
    ex = api.make_explorer(api.prepare("tl2", "transfer"), g, max_executions=None, time_limit=None)
    g.deadline = time.monotonic() - 1      # as if the runs had used up the time
    result = ex.explore()
    assert not result.exhausted and any("before the views were folded" in b for b in result.bounds)
    assert g.views_after is None and g.states == g.nodes
    g = GraphSearch()                       # the engine hands its time limit on as that deadline
    api.make_explorer(api.prepare("tl2", "transfer"), g, max_executions=None, time_limit=300).explore()
    assert g.deadline is not None and g.views_after is not None
