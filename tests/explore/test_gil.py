"""The GIL criterion (checker/explore/gil.py): programs with steps outside transactions, judged
by their outcome (output log and final memory) against the same program under one global lock.

The oracles are independent of the code they check: the GIL's outcomes are enumerated by hand
(each batch one atomic step, each step outside batches one step), and a design's outcomes by a
plain depth-first search over every schedule (no reduction, no state graph)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stmcheck.checker import api
from stmcheck.checker.cli import main
from stmcheck.checker.explore import gil
from stmcheck.checker.explore.runtime import COMPLETE, Positions, Run
from stmcheck.implementations.global_lock import GlobalLock
from stmcheck.implementations.registry import DESIGNS, OUTSIDE_EXPECTED, load_design, outside_expectation
from stmcheck.models.workloads import OUTSIDE_WORKLOADS, Workload
from stmcheck.models.workloads.base import Outside
from state_search import search

KEYS = ("a", "b")

# -- programs: per thread, items ("tx", ops) or ("out", ops) ---------------------------------------
TX_OPS = st.one_of(st.tuples(st.just("inc"), st.sampled_from(KEYS)),
                   st.tuples(st.just("copy"), st.sampled_from(KEYS), st.sampled_from(KEYS)),
                   st.tuples(st.just("set"), st.sampled_from(KEYS), st.integers(5, 6)),
                   st.tuples(st.just("show"), st.sampled_from(KEYS)))      # I/O inside the batch
OUT_OPS = st.one_of(st.tuples(st.just("store"), st.sampled_from(KEYS), st.integers(7, 8)),
                    st.tuples(st.just("print"), st.sampled_from(KEYS)),
                    st.tuples(st.just("say"), st.integers(0, 1)))
ITEM = st.one_of(st.tuples(st.just("tx"), st.lists(TX_OPS, min_size=1, max_size=2).map(tuple)),
                 st.tuples(st.just("out"), st.lists(OUT_OPS, min_size=1, max_size=2).map(tuple)))
PROGRAMS = st.lists(st.lists(ITEM, min_size=1, max_size=2).map(tuple), min_size=2, max_size=2).map(tuple)


def _tx_body(ops):
    def body(tx):
        for op in ops:
            if op[0] == "inc":
                v = yield from tx.read(op[1])
                yield from tx.write(op[1], v + 1)
            elif op[0] == "copy":
                v = yield from tx.read(op[1])
                yield from tx.write(op[2], v)
            elif op[0] == "show":
                yield from tx.emit((yield from tx.read(op[1])))
            else:
                yield from tx.write(op[1], op[2])
    return body


def _out_body(ops):
    def body(io):
        for op in ops:
            if op[0] == "store":
                yield from io.store(op[1], op[2])
            elif op[0] == "print":
                yield from io.emit((yield from io.load(op[1])))
            else:
                yield from io.emit(op[1])
    return Outside(body)


class Given(Workload):
    """A workload from a `PROGRAMS` value."""

    name = "given"
    io_in_batches = True

    def __init__(self, programs):
        self.spec = programs
        super().__init__(len(programs))

    def build(self):
        self.keys.update({k: 0 for k in KEYS})
        for t, items in enumerate(self.spec, 1):
            self.programs[t] = [(f"item {i}", _tx_body(ops) if kind == "tx" else _out_body(ops))
                                for i, (kind, ops) in enumerate(items)]


def _micro(items) -> list:
    """A thread's program as the GIL runs it, one shared access a step: a batch holds the one lock
    from its first step to its last, and writes in place; steps outside batches take no lock
    (single global lock atomicity: code outside transactions is not serialized with them)."""
    out = []
    for kind, ops in items:
        if kind == "tx":
            out.append(("acquire",))
            for op in ops:
                if op[0] == "inc":
                    out += [("load", op[1]), ("store+1", op[1])]
                elif op[0] == "copy":
                    out += [("load", op[1]), ("store-loaded", op[2])]
                elif op[0] == "show":
                    out += [("load", op[1]), ("emit-loaded",)]
                else:
                    out.append(("store", op[1], op[2]))
            out.append(("release",))
        else:
            for op in ops:
                if op[0] == "store":
                    out.append(("store", op[1], op[2]))
                elif op[0] == "print":
                    out += [("load", op[1]), ("emit-loaded",)]
                else:
                    out.append(("emit", op[1]))
    return out


def gil_by_hand(programs) -> set:
    """Every outcome (final memory, output) under one global lock, by exhaustive search."""
    threads = [_micro(items) for items in programs]
    found, seen = set(), set()

    def go(pcs, regs, holder, mem, out):
        key = (pcs, regs, holder, mem, out)
        if key in seen:
            return
        seen.add(key)
        moved = False
        for t, steps in enumerate(threads):
            if pcs[t] == len(steps):
                continue
            step, m, o, h, reg = steps[pcs[t]], dict(mem), out, holder, regs[t]
            if step[0] == "acquire":
                if holder is not None:
                    continue
                h = t
            elif step[0] == "release":
                h = None
            elif step[0] == "load":
                reg = m[step[1]]
            elif step[0] == "store+1":
                m[step[1]] = reg + 1
            elif step[0] == "store-loaded":
                m[step[1]] = reg
            elif step[0] == "store":
                m[step[1]] = step[2]
            elif step[0] == "emit-loaded":
                o = out + ((t + 1, reg),)
            else:
                o = out + ((t + 1, step[1]),)
            moved = True
            go(pcs[:t] + (pcs[t] + 1,) + pcs[t + 1:], regs[:t] + (reg,) + regs[t + 1:], h,
               tuple(sorted(m.items())), o)
        if not moved:
            assert all(pc == len(steps) for pc, steps in zip(pcs, threads))
            found.add((mem, out))

    go(tuple(0 for _ in threads), tuple(None for _ in threads), None,
       tuple(sorted({k: 0 for k in KEYS}.items())), ())
    return found


def every_outcome(design_cls, workload) -> set:
    """The outcomes of every complete run of `design_cls`: a plain search over the states runs
    reach (tests/support/state_search.py; the outcome is a function of the state), for designs
    that neither abort nor block for ever."""
    positions, found = Positions(), set()
    for run, _ in search(lambda: Run(design_cls, workload, detect_lassos=False, positions=positions)):
        assert run.outcome in (COMPLETE, "stopped"), run.outcome
        if run.outcome == COMPLETE:
            found.add(gil.outcome(run))
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS)
def test_the_references_outcomes_are_the_gils(programs):
    assert set(gil.reference_outcomes(GlobalLock, Given(programs))) == gil_by_hand(programs)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS, st.sampled_from(["locks-early-release", "global-lock"]))
def test_a_verdict_is_whether_every_outcome_is_a_gil_one(programs, design):
    """`explore --criterion gil` (state graph, stop at the first violation) says violated exactly
    when some schedule's outcome is no GIL outcome; the outcome it shows is one of those."""
    wl = Given(programs)
    allowed = gil_by_hand(programs)
    bad = every_outcome(load_design(design)[0], wl) - allowed
    r = api.explore(design, wl, criterion="gil", shrink=False)
    assert r.exhausted or r.violations
    assert [str(v.kind) for v in r.violations] == (["gil"] if bad else [])
    for v in r.violations:
        assert gil.outcome(v.run) in bad


OUTSIDE_CASES = [(d, w) for d in DESIGNS for w in OUTSIDE_WORKLOADS]


@pytest.mark.parametrize("design,workload", OUTSIDE_CASES)
def test_each_design_shows_what_the_registry_expects_on_programs_outside_transactions(design, workload):
    expected = outside_expectation(design, workload)
    if expected is None:
        with pytest.raises(api.UsageError, match="outside_cell"):
            api.explore(design, workload, threads=2, criterion="gil")
        return
    r = api.explore(design, workload, threads=2, stop_at_first=False, shrink=False)
    kinds = sorted({str(v.kind) for v in r.violations})
    want = sorted([expected] if isinstance(expected, str) else expected)
    assert kinds == [k for k in want if k != "clean"], (design, workload, [v.explanation for v in r.violations])
    assert r.exhausted or kinds


def test_the_registry_names_only_shipped_designs_and_outside_workloads():
    assert set(OUTSIDE_EXPECTED) <= set(DESIGNS)
    assert all(set(cells) <= set(OUTSIDE_WORKLOADS) for cells in OUTSIDE_EXPECTED.values())


def test_tl2_breaks_privatization_and_its_quiescent_variant_does_not():
    bad = api.explore("tl2", "privatize", criterion="gil")
    (v,) = bad.violations
    assert v.kind == "gil"
    assert v.detail["closest_gil_outcome"] == {"memory": {"data": 100, "linked": 0}, "output": [[1, 100]]}
    assert v.detail["outcome"]["memory"]["data"] != 100 or v.detail["outcome"]["output"] != [[1, 100]]
    again = api.replay("tl2", v.schedule_text(), "privatize")
    assert again.violation is not None and again.violation.kind == "gil"
    for threads in (2, 3):
        good = api.explore("tl2-quiescent", "privatize", threads=threads)
        assert good.exhausted and not good.violations, threads


def test_norec_is_privatization_and_publication_safe_and_lazy_is_neither():
    for workload in ("privatize", "publish"):
        assert api.explore("norec", workload).exhausted
        assert not api.explore("norec", workload).violations
        assert [v.kind for v in api.explore("lazy", workload).violations] == ["gil"]


def test_programs_outside_transactions_need_the_gil_criterion_and_a_design_that_can_run_them():
    with pytest.raises(api.UsageError, match="--criterion gil"):
        api.explore("tl2", "privatize", criterion="opacity")
    with pytest.raises(api.UsageError, match="outside_cell"):
        api.explore("dstm", "privatize")
    with pytest.raises(api.UsageError, match="--cyclic"):
        api.explore("tl2", "transfer", criterion="gil", cyclic=True)
    with pytest.raises(api.UsageError, match="--object"):
        api.explore("tl2", object="counter", criterion="gil")
    with pytest.raises(api.UsageError, match="no --txns"):
        api.explore("tl2", "privatize", txns=2)


def test_the_gil_criterion_on_a_pure_transaction_program_is_serializability_of_outcomes():
    """On transfer every serializable design is clean, and a lost update is caught by its outcome."""
    assert not api.explore("tl2", "transfer", criterion="gil").violations
    (v,) = api.explore("tl2-no-commit-validation", "counter", criterion="gil").violations
    assert v.kind == "gil"


def run_cli(*args):
    return CliRunner().invoke(main, list(args), prog_name="stmcheck")


def test_reports_show_the_outside_steps_and_both_outcomes():
    out = run_cli("explore", "tl2", "--workload", "privatize")
    assert out.exit_code == 1
    assert "VIOLATION: GIL" in out.output and "criterion: gil" in out.output
    assert "outside: store data := 100" in out.output and "print 100" in out.output
    assert "closest GIL run: printed thread 1: 100; memory data = 100, linked = 0" in out.output
    doc = json.loads(run_cli("explore", "tl2", "--workload", "privatize", "--json", "--no-timings").output)
    assert doc["criterion"] == "gil"
    assert doc["violations"][0]["gil"]["closest_gil_outcome"]["output"] == [[1, 100]]
    assert any(r["text"] == "print 100" for r in doc["violations"][0]["timeline"])


def test_broken_promises_of_inevitability_are_violations_of_their_own_kind():
    from stmcheck.implementations.tl2 import TL2

    class Cheat(TL2):
        def become_inevitable(self, tx):
            return None

    class NoInevitability(TL2):
        become_inevitable = None

    r = api.explore(Cheat, "print-in-batch", stop_at_first=False, shrink=False)
    texts = sorted(v.explanation for v in r.violations if v.kind == "inevitability")
    assert any("at most one may be" in t for t in texts), texts
    assert any("inevitable transaction must never abort" in t for t in texts), texts
    (v,) = api.explore(NoInevitability, "print-in-batch").violations
    assert v.kind == "inevitability" and "printed 0 and then aborted" in v.explanation
    assert not api.explore("tl2", "print-in-batch", threads=3).violations
    assert not api.explore("eager+passive", "print-in-batch", threads=3).violations   # 3,174 states, exhausted


def test_an_eager_inevitable_attempt_ignores_abort_marks_and_the_token_is_needed():
    """Eager's token (stmgc's way): an inevitable owner is marked aborted by a manager that fights
    and goes on; without the token's rule (an inevitable attempt ignores its abort mark) the
    marked owner would abort after printing, and the runtime says so."""
    from stmcheck.implementations.eager import Eager

    found = api.explore("eager+aggressive", "print-in-batch", stop_at_first=False, shrink=False)
    assert {v.kind for v in found.violations} == {"livelock"} and found.exhausted

    class Obedient(Eager.with_manager("aggressive")):
        def _alive(self, tx):
            st = yield self.status[tx.thread].load()
            if type(st) is tuple:            # aborted: even when inevitable
                tx.aborted_by = st[1]
                from stmcheck.models.machine import Abort
                raise Abort("aborted")

    kinds = {v.kind for v in api.explore(Obedient, "print-in-batch", stop_at_first=False, shrink=False).violations}
    assert "inevitability" in kinds


def test_a_workload_that_prints_without_saying_so_is_a_usage_error():
    class Quiet(Workload):
        name = "quiet"

        def build(self):
            self.keys["c"] = 0

            def body(tx):
                yield from tx.emit((yield from tx.read("c")))
            self.programs = {t: [("print c", body)] for t in range(1, self.threads + 1)}

    with pytest.raises(api.UsageError, match="io_in_batches"):
        api.explore("tl2", Quiet(2), criterion="gil")


def test_a_gil_counterexample_shrinks_to_fewer_threads_and_replays_there():
    (v,) = api.explore("tl2", "privatize", threads=3).violations
    assert v.config == {"threads": 2, "txns": 1}
    assert "--threads 2" in v.replay and v.kind == "gil"


def test_gil_outcomes_out_of_reach_are_a_usage_error_not_a_partial_judgement(monkeypatch):
    monkeypatch.setattr(gil, "REFERENCE_STATES", 10)
    with pytest.raises(api.UsageError, match="not all found within 10 states"):
        api.explore("tl2", "print-counter", threads=2)
    with pytest.raises(api.UsageError, match="nothing was judged"):
        api.replay("tl2", "1", "print-counter")


def test_native_runs_are_judged_by_their_outcome_too():
    """The C scheduling loop's runs (random, pct) carry no output log: the GIL criterion reads none."""
    try:
        r = api.explore("native-tl2", "transfer", strategy="random", criterion="gil", max_executions=50)
    except api.UsageError as exc:                       # no C compiler here
        pytest.skip(str(exc))
    assert r.native_loop and r.executions == 50 and not r.violations
    (v,) = api.explore("native-tl2-no-commit-validation", "counter", strategy="random", criterion="gil",
                       max_executions=500).violations
    assert v.kind == "gil"
